"""Phone validity as one compiled pattern per country code, built from the installed phonenumbers.

`phonenumbers.is_valid_number` walks a region's metadata in Python for every number: it picks
the region (for a code shared by several, by leading digits or by trying each), then tests the
national number against the general description and each number type's pattern and lengths.
The same decision fits in one regular expression per country code (the codes of a column
joined as a digit trie), so a column of distinct numbers is decided in C by one `findall`.
The patterns are compiled at run time from `phonenumbers.PhoneMetadata` (never copied here:
the metadata changes monthly), mirroring
`phonenumberutil.is_valid_number`, `_region_code_for_number_from_list`, `_number_type_helper`
and `_is_number_matching_desc` (https://github.com/daviddrysdale/python-phonenumbers).

Only text written exactly in E.164 with no leading zero after the country code is decided
here: for it, `PhoneNumber(country_code, int(national))` has that national significant number
and formats back to the text. Anything else (Italian leading zeros, other spellings) is left
to `phonenumbers.parse`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable
from functools import lru_cache
from typing import Any

import phonenumbers
from phonenumbers import PhoneMetadata, PhoneNumberDesc

from sheetsync.core.column_scan import column_text, unmatched_lines

_NON_GEO = phonenumbers.REGION_CODE_FOR_NON_GEO_ENTITY
_NEVER = "(?!)"
_END = r"(?=\n)"  # each value of a joined column is a line of it
_LEAD = re.compile(r"\n(\+[1-9][0-9]{2})")
# E.164 codes are prefix-free, so `+` and the first three digits name at most one code.
_CODE_OF_LEAD: dict[str, int] = {
    f"+{code}{tail:0{3 - len(str(code))}d}"[:4]: code
    for code in phonenumbers.COUNTRY_CODE_TO_REGION_CODE
    for tail in range(10 ** (3 - len(str(code))))
}


def unproven_e164(values: Collection[Any]) -> set[Any]:
    """The values not proven valid numbers written exactly as E.164, decided a column at once.

    The column is joined into one text, a value a line, and one pattern for the country codes
    present returns the lines it does not prove, so `re` runs in C over the whole column and
    nothing is made for the valid ones. A value returned may still be valid (a leading zero,
    spaces, no country code): the caller's full check decides those.
    """
    text = column_text(values)
    if text is None:  # number or date cells, or a line break inside a cell
        lines = [v for v in values if v.__class__ is str and "\n" not in v]
        return unproven_e164(lines) | (set(values) - set(lines)) if lines else set(values)
    codes = _codes_in(text)
    if not codes:
        return set(values)
    return unmatched_lines(text, _column_pattern(codes))


def _codes_in(text: str) -> frozenset[int]:
    """The country codes the lines of `text` start with (after a +).

    A team's column mostly holds one code: when every + line starts with the first one's,
    two counts in C say so, instead of a lead found for every line.
    """
    first = _LEAD.search(text)
    code = None if first is None else _CODE_OF_LEAD.get(first.group(1))
    if code is not None and text.count(f"\n+{code}") == text.count("\n+"):
        return frozenset((code,))  # (codes are prefix-free: each of those lines has it)
    return frozenset(code for lead in set(_LEAD.findall(text))
                     if (code := _CODE_OF_LEAD.get(lead)) is not None)


def code_of_e164(text: str) -> int | None:
    """The country code `+<digits>` text starts with; None when no code starts it."""
    return _CODE_OF_LEAD.get(text[:4])


def is_valid_e164(text: str) -> bool:
    """One text: a valid number written exactly as E.164 with no leading national zero."""
    code = code_of_e164(text)
    if code is None or "\n" in text:
        return False
    return _line_matcher(code)(f"\n{text}\n") is not None


@lru_cache(maxsize=None)
def _line_matcher(code: int) -> Callable[[str], re.Match[str] | None]:
    return re.compile(rf"\n{_column_pattern(frozenset((code,)))}\n\Z").match


@lru_cache(maxsize=256)
def _column_pattern(codes: frozenset[int]) -> str:
    """A whole line `+<code><national>` valid for one of `codes`, the codes as a digit trie."""
    branches = {str(code): f"(?!0)(?:{_national(code)})" for code in codes}
    # 7-15 ASCII digits in all (the E.164 shape); no leading zero after the code.
    return rf"\+(?=[0-9]{{7,15}}\n)(?:{_trie(branches)})"


def _trie(branches: dict[str, str]) -> str:
    """`key` + `tail` for each branch, factored by leading digit so `re` tries few of them."""
    if "" in branches:  # prefix-free keys: an empty one is alone
        return branches[""]
    by_first: dict[str, dict[str, str]] = {}
    for key, tail in branches.items():
        by_first.setdefault(key[0], {})[key[1:]] = tail
    return "|".join(f"{digit}(?:{_trie(rest)})" for digit, rest in sorted(by_first.items()))


@lru_cache(maxsize=None)
def _national(code: int) -> str:
    """The national numbers phonenumbers holds valid for `code`, as a pattern."""
    regions = phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(code, ())
    if len(regions) == 1:
        return _region_valid(code, regions[0])
    return _shared_code(code, regions)


def _shared_code(code: int, regions: Iterable[str]) -> str:
    """A shared code: the number is valid for the first region that claims it.

    `_region_code_for_number_from_list` picks the first region whose leading digits prefix the
    number or, for a region without leading digits, that the number is valid for. So the
    number is valid for region i when region i claims it and no earlier region's leading
    digits do (an earlier region without leading digits claims only numbers valid for it).
    """
    branches: list[str] = []
    earlier_leads: list[str] = []
    for region in regions:
        metadata = PhoneMetadata.metadata_for_region(region.upper(), None)
        if metadata is None:
            continue  # phonenumbers skips it too
        lead = metadata.leading_digits
        guard = "".join(f"(?!{prior})" for prior in earlier_leads)
        claim = f"(?={lead})" if lead is not None else ""
        branches.append(f"{guard}{claim}(?:{_region_valid(code, region)})")
        if lead is not None:
            earlier_leads.append(lead)
    return "|".join(branches) or _NEVER


def _region_valid(code: int, region: str) -> str:
    """`is_valid_number_for_region`: the general description and at least one number type."""
    metadata = PhoneMetadata.metadata_for_region_or_calling_code(code, region.upper())
    if metadata is None or (region != _NON_GEO and metadata.country_code != code):
        return _NEVER
    general = _desc(metadata.general_desc)
    # _number_type_helper's order does not matter for valid/unknown; the commonest first.
    descs = [metadata.mobile if not metadata.same_mobile_and_fixed_line_pattern else None,
             metadata.fixed_line, metadata.toll_free, metadata.premium_rate,
             metadata.shared_cost, metadata.voip, metadata.personal_number, metadata.pager,
             metadata.uan, metadata.voicemail]
    types = [p for p in map(_desc, descs) if p is not None]
    if general is None or not types:
        return _NEVER
    return f"(?={general})(?:{'|'.join(types)})"


def _desc(desc: PhoneNumberDesc | None) -> str | None:
    """`_is_number_matching_desc` as a pattern matching the whole rest of the text."""
    if desc is None or not desc.national_number_pattern:
        return None
    lengths = [n for n in desc.possible_length if n > 0]
    if desc.possible_length and not lengths:
        return None  # possible_length (-1,): no number of this type
    pattern = desc.national_number_pattern
    check = "" if _lengths_implied(pattern, lengths) else \
        "|".join(rf"[0-9]{{{low},{high}}}{_END}" for low, high in _runs(lengths))
    return (f"(?={check})" if check else "") + rf"(?:{pattern}){_END}"


def _lengths_implied(pattern: str, lengths: Collection[int]) -> bool:
    """Whether every text `pattern` matches has one of `lengths`, so testing them again costs
    a pass over the digits for nothing (true of nine descriptions in ten).

    The bounds come from the stdlib's own parser of the pattern (`re._parser`, conservative:
    no match is shorter or longer); where it is not there, the lengths are always tested.
    """
    try:
        from re import _parser  # type: ignore[attr-defined]  # (not in typeshed)
        low, high = _parser.parse(pattern).getwidth()
    except (ImportError, AttributeError):
        return False
    return high - low < 32 and set(range(low, high + 1)) <= set(lengths)


def _runs(lengths: Iterable[int]) -> list[tuple[int, int]]:
    """Lengths as runs of consecutive ones: (8, 9, 10, 13) -> (8, 10), (13, 13), fewer tries."""
    runs: list[tuple[int, int]] = []
    for n in sorted(set(lengths)):
        if runs and runs[-1][1] == n - 1:
            runs[-1] = (runs[-1][0], n)
        else:
            runs.append((n, n))
    return runs
