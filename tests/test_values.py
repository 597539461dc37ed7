"""Cell readers: the fast phone path agrees with phonenumbers, and times read as people mean them."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sheetsync.core.values import (
    check_phone,
    clear_caches,
    format_duration,
    parse_date,
    parse_duration,
    parse_timestamp,
)
from tests.helpers import KOLKATA

COUNTRY_CODES = sorted(phonenumbers.COUNTRY_CODE_TO_REGION_CODE)


def parse_verdict(text: str) -> bool:
    """phonenumbers' own answer: a valid number written exactly in E.164."""
    try:
        number = phonenumbers.parse(text, None)
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.is_valid_number(number) and phonenumbers.format_number(
        number, phonenumbers.PhoneNumberFormat.E164) == text


@settings(max_examples=3000, deadline=None)
@given(code=st.sampled_from(COUNTRY_CODES), national=st.from_regex(r"[0-9]{4,13}", fullmatch=True))
def test_the_fast_e164_path_gives_phonenumbers_verdict(code: int, national: str) -> None:
    text = f"+{code}{national}"
    clear_caches()
    assert (check_phone(text, "IN").problem is None) == parse_verdict(text)


REASONS = {  # what a person reads for each of phonenumbers' reasons
    phonenumbers.ValidationResult.INVALID_COUNTRY_CODE: "its country code does not exist",
    phonenumbers.ValidationResult.TOO_SHORT: "it is too short",
    phonenumbers.ValidationResult.TOO_LONG: "it is too long",
    phonenumbers.ValidationResult.INVALID_LENGTH: "it has the wrong number of digits",
}


@settings(max_examples=300, deadline=None)
@given(code=st.sampled_from(COUNTRY_CODES), national=st.from_regex(r"[1-9][0-9]{3,13}",
                                                                    fullmatch=True))
def test_an_invalid_number_gets_the_reason_phonenumbers_gives_it(code: int, national: str
                                                                 ) -> None:
    text = f"+{code}{national}"
    clear_caches()
    result = check_phone(text, "IN")
    assert (result.problem is None) == parse_verdict(text)
    if result.problem == "invalid":
        number = phonenumbers.parse(text, None)
        reason = phonenumbers.is_possible_number_with_reason(number)
        assert result.reason == REASONS.get(reason, f"+{code} has no such number")


@pytest.mark.parametrize("text", [
    "+919876543210", "+14155552671", "+447911123456", "+27821234567", "+390612345678",
    "+61412345678", "+5511987654321", "+78001234567", "+8613800138000", "+2348031234567",
])
def test_real_numbers_of_many_countries_are_valid(text: str) -> None:
    assert check_phone(text, "IN").problem is None
    assert parse_verdict(text)


def test_a_number_written_three_ways_is_one_number() -> None:
    assert check_phone("+919876543210", "IN").e164 == "+919876543210"
    assert check_phone("9876543210", "IN").e164 == "+919876543210"
    assert check_phone("+91 98765-43210", "IN").e164 == "+919876543210"
    assert check_phone("(+91) 98765 43210", "IN").problem == "format"
    assert check_phone(" +919876543210 ", "IN").problem == "format"


def test_a_trunk_prefix_is_dropped_when_the_country_code_is_missing() -> None:
    result = check_phone("098765 43210", "IN")
    assert (result.problem, result.e164) == ("missing_country_code", "+919876543210")


@pytest.mark.parametrize(("text", "reason"), [
    ("+9198765", "it is too short"),
    ("+9198765432101", "+91 has no such number"),
    ("+91987654321012345", "it is too long"),
    ("+999123456789", "its country code does not exist"),
])
def test_invalid_numbers_say_why(text: str, reason: str) -> None:
    result = check_phone(text, "IN")
    assert (result.problem, result.reason) == ("invalid", reason)


def test_timestamps_in_other_zones_are_converted_to_the_configured_one() -> None:
    parsed = parse_timestamp("2024-03-05T08:35:00Z", KOLKATA)
    assert parsed.canonical == "2024-03-05 14:05"


def test_date_and_time_cells() -> None:
    assert parse_timestamp(datetime(2024, 3, 5, 14, 5), KOLKATA).exact
    assert parse_timestamp(date(2024, 3, 5), KOLKATA).value is None
    assert parse_date(date(2024, 3, 5), KOLKATA).canonical == "2024-03-05"
    assert parse_date(datetime(2024, 3, 5, 23, 0), KOLKATA).canonical == "2024-03-05"


def test_29_february_only_in_leap_years() -> None:
    assert parse_timestamp("2024-02-29 10:00", KOLKATA).exact
    assert parse_timestamp("2023-02-29 10:00", KOLKATA).value is None


def test_twelve_hour_clock() -> None:
    assert parse_timestamp("2024-03-05 12:05 AM", KOLKATA).canonical == "2024-03-05 00:05"
    assert parse_timestamp("2024-03-05 12:05 pm", KOLKATA).canonical == "2024-03-05 12:05"
    assert parse_timestamp("2024-03-05 13:05 pm", KOLKATA).value is None


@pytest.mark.parametrize(("text", "canonical"), [
    ("30 minutes", "30 minutes"), ("1 hour", "1 hour"), ("90 mins", "1 hour 30 minutes"),
    ("2 hrs and 15 min", "2 hours 15 minutes"), ("1d 2h", "1 day 2 hours"),
    ("0:45", "45 minutes"), ("45s", "45 seconds"),
])
def test_durations(text: str, canonical: str) -> None:
    assert parse_duration(text).canonical == canonical


def test_duration_cells() -> None:
    assert parse_duration(timedelta(hours=2)).exact
    assert parse_duration(time(1, 30)).canonical == "1 hour 30 minutes"
    assert format_duration(timedelta(0)) == "0 minutes"
