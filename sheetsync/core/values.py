"""Reading cell values the way a person meant them: numbers, times, durations, names.

Pure functions over single cell values. Each parser says what the value is and how it should
be written (its canonical form), so the validators can tell "wrong" from "right but written
differently" and suggest the fix.
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Any, Literal, NamedTuple
from zoneinfo import ZoneInfo

import phonenumbers

from sheetsync.core.phone_patterns import code_of_e164, is_valid_e164

TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M"  # the guide's YYYY-MM-DD HH:MM
DATE_FORMAT = "%Y-%m-%d"
NOT_APPLICABLE = "N/A"  # the SayPro template's "no follow-up" date


def text_of(value: Any) -> str:
    """A cell as a person reads it: 919876543210.0 from a number cell reads 919876543210."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    return str(value)


# --- timestamps and dates ------------------------------------------------------------------

class Parsed(NamedTuple):
    """A parsed cell: its value (None when unreadable), its canonical text, and a reason.

    A named tuple: made once per distinct cell that is not canonical, thousands at a time.
    """

    value: Any
    canonical: str | None
    exact: bool  # already written in the canonical form
    problem: str | None = None  # why it is not exact, or not readable


_CANONICAL_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}")
_CANONICAL_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# Real dates in canonical form, so that a match alone proves a cell valid (29 February is
# left to the full parse, which knows leap years).
_MONTH_DAY = (r"(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])"
              r"|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)|02-(?:0[1-9]|1[0-9]|2[0-8]))")
VALID_DATE = re.compile(rf"(?!0000)[0-9]{{4}}-{_MONTH_DAY}|{NOT_APPLICABLE}")
VALID_TIMESTAMP = re.compile(rf"(?!0000)[0-9]{{4}}-{_MONTH_DAY} (?:[01][0-9]|2[0-3]):[0-5][0-9]")
_YEAR_FIRST = re.compile(
    r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]+(\d{1,2})[:.](\d{2})(?::(\d{2}))?\s*([ap]\.?m\.?)?)?",
    re.IGNORECASE)
_DAY_OR_MONTH_FIRST = re.compile(
    r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})(?:[ T]+(\d{1,2})[:.](\d{2})(?::(\d{2}))?\s*([ap]\.?m\.?)?)?",
    re.IGNORECASE)


def parse_timestamp(value: Any, tz: ZoneInfo) -> Parsed:
    """A YYYY-MM-DD HH:MM cell, a real date-time cell, or a readable variant of either.

    Naive times are wall-clock times in `tz` (the configured timezone); times carrying an
    offset are converted into it.
    """
    if isinstance(value, datetime):
        when = value.replace(tzinfo=tz) if value.tzinfo is None else value.astimezone(tz)
        return Parsed(when, when.strftime(TIMESTAMP_FORMAT), exact=True)
    if isinstance(value, date):
        return Parsed(None, None, exact=False, problem="has a date but no time")
    if not isinstance(value, str):
        return Parsed(None, None, exact=False, problem="is not a date and time")
    text = value.strip()
    if _CANONICAL_TIMESTAMP.fullmatch(text):
        try:
            exact = datetime.fromisoformat(text).replace(tzinfo=tz)
        except ValueError:
            return Parsed(None, None, exact=False, problem="is not a real date or time")
        return Parsed(exact, text, exact=text == value)
    loose, has_time, problem = _parse_loose_datetime(text, tz)
    if loose is None:
        return Parsed(None, None, exact=False, problem=problem)
    if not has_time:
        return Parsed(None, None, exact=False, problem="has a date but no time")
    return Parsed(loose, loose.strftime(TIMESTAMP_FORMAT), exact=False)


def parse_date(value: Any, tz: ZoneInfo) -> Parsed:
    """A YYYY-MM-DD cell, a real date cell, N/A, or a readable variant of one of them."""
    if isinstance(value, datetime):
        local = value if value.tzinfo is None else value.astimezone(tz)
        return Parsed(local.date(), local.strftime(DATE_FORMAT), exact=True)
    if isinstance(value, date):
        return Parsed(value, value.strftime(DATE_FORMAT), exact=True)
    if not isinstance(value, str):
        return Parsed(None, None, exact=False, problem="is not a date")
    text = value.strip()
    if text == NOT_APPLICABLE:
        return Parsed(NOT_APPLICABLE, NOT_APPLICABLE, exact=text == value)
    if means_not_applicable(text):
        return Parsed(NOT_APPLICABLE, NOT_APPLICABLE, exact=False)
    if _CANONICAL_DATE.fullmatch(text):
        try:
            day = date.fromisoformat(text)
        except ValueError:
            return Parsed(None, None, exact=False, problem="is not a real date")
        return Parsed(day, text, exact=text == value)
    when, _, problem = _parse_loose_datetime(text, tz)
    if when is None:
        return Parsed(None, None, exact=False, problem=problem.replace(" and time", ""))
    day = when.date()
    return Parsed(day, day.strftime(DATE_FORMAT), exact=False)


_Loose = tuple[datetime | None, bool, str]  # (when, whether the text had a time, problem)


def means_not_applicable(value: Any) -> bool:
    """N/A in any spelling a person uses: `N/A`, `n/a`, `NA`, `none`, `-`."""
    return isinstance(value, str) and \
        re.sub(r"[\W_]+", "", value.casefold()) in {"na", "none", "notapplicable", ""}


def _parse_loose_datetime(text: str, tz: ZoneInfo) -> _Loose:
    """ISO 8601 variants, YYYY/MM/DD, and DD/MM/YYYY when the day and month cannot be confused."""
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        pass
    else:
        when = when.replace(tzinfo=tz) if when.tzinfo is None else when.astimezone(tz)
        return when, len(text) > 10, ""
    match = _YEAR_FIRST.fullmatch(text)
    if match:
        year, month, day = (int(g) for g in match.group(1, 2, 3))
        return _build(year, month, day, match.group(4, 5, 6, 7), tz)
    match = _DAY_OR_MONTH_FIRST.fullmatch(text)
    if match:
        first, second, year = (int(g) for g in match.group(1, 2, 3))
        if first <= 12 and second <= 12 and first != second:
            return None, False, "is ambiguous: the day and the month could be either way round"
        day, month = (first, second) if first > 12 or second <= 12 else (second, first)
        return _build(year, month, day, match.group(4, 5, 6, 7), tz)
    return None, False, "is not a date and time sheetsync can read"


def _build(year: int, month: int, day: int, clock: tuple[Any, ...], tz: ZoneInfo) -> _Loose:
    hour, minute, second, meridiem = clock
    try:
        h = int(hour or 0)
        if meridiem:
            if not 1 <= h <= 12:
                raise ValueError
            h = h % 12 + (12 if meridiem.lower().startswith("p") else 0)
        when = datetime(year, month, day, h, int(minute or 0), int(second or 0), tzinfo=tz)
    except ValueError:
        return None, False, "is not a real date or time"
    return when, hour is not None, ""


# --- durations -----------------------------------------------------------------------------

_UNITS = {
    "d": 86400, "day": 86400, "days": 86400,
    "h": 3600, "hr": 3600, "hrs": 3600, "hour": 3600, "hours": 3600,
    "m": 60, "min": 60, "mins": 60, "minute": 60, "minutes": 60,
    "s": 1, "sec": 1, "secs": 1, "second": 1, "seconds": 1,
}
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)\s*([a-z]+)")
_CLOCK_DURATION = re.compile(r"(\d{1,3}):(\d{2})(?::(\d{2}))?")


def parse_duration(value: Any) -> Parsed:
    """`30 minutes`, `2 hours`, `1 hour 30 minutes`, or a variant such as `2h`, `90 mins`, `1:30`."""
    if isinstance(value, timedelta):
        return Parsed(value, format_duration(value), exact=True)
    if isinstance(value, time):
        span = timedelta(hours=value.hour, minutes=value.minute, seconds=value.second)
        return Parsed(span, format_duration(span), exact=False)
    if not isinstance(value, str):
        return Parsed(None, None, exact=False, problem="is not a duration")
    text = value.strip().casefold()
    clock = _CLOCK_DURATION.fullmatch(text)
    if clock:
        h, m, s = (int(g or 0) for g in clock.groups())
        span = timedelta(hours=h, minutes=m, seconds=s)
        return Parsed(span, format_duration(span), exact=False)
    rest = re.sub(r"\band\b|,", " ", text)
    seconds = 0.0
    for number, unit in _DURATION_PART.findall(rest):
        if unit not in _UNITS:
            return Parsed(None, None, exact=False, problem=f'has an unknown unit "{unit}"')
        seconds += float(number) * _UNITS[unit]
    if not _DURATION_PART.search(rest) or _DURATION_PART.sub("", rest).strip():
        return Parsed(None, None, exact=False, problem="is not a duration")
    span = timedelta(seconds=round(seconds))
    canonical = format_duration(span)
    return Parsed(span, canonical, exact=canonical == value)


def format_duration(span: timedelta) -> str:
    """The template's way of writing a duration: `1 hour 30 minutes`, `2 days`."""
    total = int(span.total_seconds())
    parts = []
    for name, size in (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1)):
        count, total = divmod(total, size)
        if count:
            parts.append(f"{count} {name}{'' if count == 1 else 's'}")
    return " ".join(parts) or "0 minutes"


# --- phone numbers, e-mail and contacts ----------------------------------------------------

class PhoneCheck(NamedTuple):
    """What is wrong with a phone number, if anything, and its E.164 form when it is valid."""

    problem: str | None  # None, "format", "missing_country_code" or "invalid"
    e164: str | None
    reason: str = ""


_POSSIBLE_REASONS = {
    phonenumbers.ValidationResult.INVALID_COUNTRY_CODE: "its country code does not exist",
    phonenumbers.ValidationResult.TOO_SHORT: "it is too short",
    phonenumbers.ValidationResult.TOO_LONG: "it is too long",
    phonenumbers.ValidationResult.INVALID_LENGTH: "it has the wrong number of digits",
}
_PHONE_CHARS = re.compile(r"[+\d\s().\-/]+")
_NON_DIGITS = re.compile(r"\D")
_ROUNDED = re.compile(r"\d(\.\d+)?[eE]\+?\d+")  # 9.19876E+11: a number cell Excel rounded


def country_code(region: str) -> str:
    """The region's calling code as a message shows it (`+27` for ZA), from phonenumbers'
    example number for the region; `+<country code>` for a region it does not know."""
    example = phonenumbers.example_number(region)
    return f"+{example.country_code}" if example is not None else "+<country code>"


def check_phone(value: Any, region: str) -> PhoneCheck:
    """A WhatsApp number must be a valid number written `+<country code><number>`."""
    if value.__class__ is str:
        if _E164_SHAPE.fullmatch(value):
            verdict = _e164_verdict(value)
            if verdict is not None:
                return PhoneCheck(None, value) if verdict is True else \
                    PhoneCheck("invalid", None, verdict)
        elif value.isdigit() and value.isascii() and not value.startswith("00"):
            return _without_country_code(value, value, region)  # 9876543210: the common slip
    text = text_of(value).strip()
    if _ROUNDED.fullmatch(text):
        return PhoneCheck("invalid", None, "the spreadsheet turned it into a rounded number; "
                                           "retype it as text starting with +")
    digits = _NON_DIGITS.sub("", text)
    if not digits or not _PHONE_CHARS.fullmatch(text):
        return PhoneCheck("invalid", None, "it is not a phone number")
    lead = text.lstrip("( ")
    if lead.startswith("+") or lead.startswith("00"):
        e164 = "+" + (digits[2:] if lead.startswith("00") else digits)
        verdict = _e164_verdict(e164) if _E164_SHAPE.fullmatch(e164) else None
        if verdict is None:  # unsure: phonenumbers.parse decides
            number = _parse_phone(e164, None)
            if number is None or not phonenumbers.is_valid_number(number):
                return PhoneCheck("invalid", None, _invalid_reason(number))
            e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        elif verdict is not True:
            return PhoneCheck("invalid", None, verdict)
        return PhoneCheck(None if text_of(value) == e164 else "format", e164)
    return _without_country_code(text, digits, region)


def _without_country_code(text: str, digits: str, region: str) -> PhoneCheck:
    """A number written with neither + nor 00: valid with the region's code or with its
    leading digits read as one, or through a trunk prefix (098765...)."""
    national = f"+{_country_code(region)}{digits}"
    for candidate in (national, "+" + digits):  # 9876543210, then 919876543210
        if _E164_SHAPE.fullmatch(candidate) and _e164_verdict(candidate) is True:
            return PhoneCheck("missing_country_code", candidate)
    for candidate, hint in ((text, region), ("+" + digits, None)):  # trunk prefixes: 098765...
        number = _parse_phone(candidate, hint)
        if number is not None and phonenumbers.is_valid_number(number):
            return PhoneCheck("missing_country_code",
                              phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))
    return PhoneCheck("invalid", None, "it has no country code and is not a valid "
                                       f"number for region {region} either")


_E164_SHAPE = re.compile(r"\+[1-9][0-9]{6,14}")
_country_code = lru_cache(maxsize=None)(phonenumbers.country_code_for_region)


@lru_cache(maxsize=1 << 16)
def _e164_verdict(text: str) -> Literal[True] | str | None:
    """For text in E.164 shape: True when valid, the reason when invalid, None when unsure.

    Validity comes from `phone_patterns` (phonenumbers' own metadata compiled into one
    pattern per country code) instead of `phonenumbers.is_valid_number`, which costs about
    seven times as much; phonenumbers is asked only why a number is invalid. It is unsure,
    and the caller asks `parse`, where `parse` could read the text differently: leading
    zeros (Italy).
    Without them the number's E.164 form is the text itself. Property tests hold its verdicts
    to `parse`'s and to `is_valid_number`'s. Cached: a number written three ways is one number.
    """
    code = code_of_e164(text)
    if code is None:
        return _POSSIBLE_REASONS[phonenumbers.ValidationResult.INVALID_COUNTRY_CODE]
    national = text[1 + len(str(code)):]
    if not national or national[0] == "0":
        return None
    if is_valid_e164(text):
        return True
    prefix = _national_prefix(code)
    if prefix and national.startswith(prefix):
        return None  # parse would strip it (+1 1...): the reason is phonenumbers' own
    return _length_reason(code, len(national))


@lru_cache(maxsize=None)
def _national_prefix(code: int) -> str | None:
    """The national prefix of the code's main region (1 for +1), if it has one."""
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(
        phonenumbers.region_code_for_country_code(code), None)
    return metadata.national_prefix if metadata is not None else None


def clear_caches() -> None:
    """Forget cached phone verdicts (benchmarks measure a cold start with this)."""
    _e164_verdict.cache_clear()
    _length_reason.cache_clear()


def _parse_phone(text: str, region: str | None) -> phonenumbers.PhoneNumber | None:
    try:
        return phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None


@lru_cache(maxsize=None)
def _length_reason(code: int, length: int) -> str:
    """Why a number of `code` with a national number of `length` digits (no leading zero) is
    invalid: phonenumbers' `is_possible_number_with_reason` reads only the code and the
    length, so a column's thousands of invalid numbers need it asked a few times."""
    return _invalid_reason(
        phonenumbers.PhoneNumber(country_code=code, national_number=int("1" * length)))


def _invalid_reason(number: phonenumbers.PhoneNumber | None) -> str:
    if number is None:
        return "it is not a phone number"
    reason = phonenumbers.is_possible_number_with_reason(number)
    return _POSSIBLE_REASONS.get(reason, f"+{number.country_code} has no such number")


EMAIL = re.compile(r"[^@\s<>(),;:\"]+@[^@\s<>(),;:\"]+\.[A-Za-z]{2,}")


def is_email(text: str) -> bool:
    return bool(EMAIL.fullmatch(text.strip()))


def looks_like_phone(text: str) -> bool:
    return bool(_PHONE_CHARS.fullmatch(text.strip())) and sum(ch.isdigit() for ch in text) >= 6


# --- people --------------------------------------------------------------------------------

_PERSON = re.compile(r"[^,()]+?(?:\s*\([^,()]+\))?")
_OTHER_SEPARATORS = re.compile(r"\s*(?:;|&|\+|\band\b)\s*")


def split_people(value: Any) -> list[str]:
    """`Priya (Support), Rahul (Tech)` -> the entries, whatever separator a person used."""
    text = _OTHER_SEPARATORS.sub(",", text_of(value))
    return [entry.strip() for entry in text.split(",") if entry.strip()]


def people_canonical(value: Any) -> Parsed:
    """Assigned To holds `Name (Role)` entries separated by commas."""
    text = text_of(value)
    entries = split_people(text)
    if not entries or not all(_PERSON.fullmatch(e) for e in entries):
        return Parsed(None, None, exact=False,
                      problem="should list people as Name (Role), separated by commas")
    canonical = ", ".join(re.sub(r"\s+", " ", re.sub(r"\s*\(", " (", e)) for e in entries)
    return Parsed(entries, canonical, exact=canonical == text)
