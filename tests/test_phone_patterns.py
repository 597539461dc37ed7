"""phone_patterns: the column-at-once phone check gives phonenumbers' verdict on every number."""

from __future__ import annotations

import random

import phonenumbers
from hypothesis import given, settings
from hypothesis import strategies as st

from sheetsync.core.phone_patterns import is_valid_e164, unproven_e164
from sheetsync.core.values import check_phone, clear_caches
from tests.phone_oracle import phonenumbers_verdict

COUNTRY_CODES = sorted(phonenumbers.COUNTRY_CODE_TO_REGION_CODE)
E164 = phonenumbers.PhoneNumberFormat.E164


def valid_e164(values: list[object]) -> set[object]:
    """The values the column check proves valid."""
    return set(values) - unproven_e164(values)


def near_valid_numbers(count: int, seed: int) -> list[str]:
    """E.164-shaped texts around the valid ones: every region's example numbers of every type,
    each with one or two digits changed, inserted or dropped."""
    rng = random.Random(seed)
    seeds = [example for region in sorted(phonenumbers.SUPPORTED_REGIONS)
             for kind in phonenumbers.PhoneNumberType.values()
             if (example := phonenumbers.example_number_for_type(region, kind)) is not None]
    seeds += [example for code in sorted(phonenumbers.COUNTRY_CODES_FOR_NON_GEO_REGIONS)
              if (example := phonenumbers.example_number_for_non_geo_entity(code)) is not None]
    texts: list[str] = []
    while len(texts) < count:
        example = rng.choice(seeds)
        digits = phonenumbers.national_significant_number(example)
        for _ in range(rng.randrange(3)):
            at, digit = rng.randrange(len(digits) + 1), rng.choice("0123456789")
            digits = rng.choice([digits[:at] + digit + digits[at + 1:],
                                 digits[:at] + digit + digits[at:], digits[:at] + digits[at + 1:]])
        text = f"+{example.country_code}{digits}"
        if 8 <= len(text) <= 16:
            texts.append(text)
    return texts


def test_20k_numbers_of_every_region_get_phonenumbers_verdict() -> None:
    texts = near_valid_numbers(20_000, seed=22)
    expected = {text for text in texts if phonenumbers_verdict(text)}
    assert valid_e164(texts) == expected
    assert 0.2 < len(expected) / len(set(texts)) < 0.8  # both verdicts well represented


@settings(max_examples=200, deadline=None)
@given(code=st.sampled_from(COUNTRY_CODES),
       national=st.from_regex(r"[1-9][0-9]{5,13}", fullmatch=True))
def test_any_code_and_digits_get_phonenumbers_verdict(code: int, national: str) -> None:
    text = f"+{code}{national}"[:16]
    assert is_valid_e164(text) == phonenumbers_verdict(text)
    assert (text in valid_e164([text, 7, None])) == phonenumbers_verdict(text)


def test_a_shared_country_code_resolves_the_region_by_leading_digits() -> None:
    # +1: the US, Canada and the Caribbean; +7: Russia and Kazakhstan; +44: the UK and its
    # Crown dependencies. Each region's own example number is valid, for that region.
    for code in (1, 7, 44):
        for region in phonenumbers.COUNTRY_CODE_TO_REGION_CODE[code]:
            example = phonenumbers.example_number(region)
            assert example is not None
            text = phonenumbers.format_number(example, E164)
            assert phonenumbers.region_code_for_number(example) == region
            assert is_valid_e164(text), (region, text)
    assert not is_valid_e164("+11234567890")  # no NANPA area code starts with 1
    assert not phonenumbers_verdict("+11234567890")


def test_only_exact_e164_text_is_proven_valid() -> None:
    column = ["+919876543210", "+91 98765 43210", "919876543210", "+390612345678",
              "+919876543210\n", "x\n+447911123456", 919876543210, None,
              "+91\u096f\u096e\u096d\u096c\u096b\u096a\u0969\u0968\u0967\u0966"]  # Devanagari
    assert valid_e164(column) == {"+919876543210"}
    # Italian leading zero: valid, but left to phonenumbers.parse by the full check.
    assert check_phone("+390612345678", "IN").problem is None


def test_the_full_check_agrees_with_the_column_check() -> None:
    texts = near_valid_numbers(2_000, seed=5)
    clear_caches()
    passed = {t for t in texts if check_phone(t, "IN").problem is None}
    # What the column check leaves undecided and the full check passes: leading zeros only.
    assert valid_e164(texts) <= passed
    assert all(phonenumbers.parse(t).italian_leading_zero for t in passed - valid_e164(texts))
