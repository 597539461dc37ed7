"""What sheetsync may show of a person's data: phone numbers masked to their last four digits."""

from __future__ import annotations

import re

_DIGIT = re.compile(r"\d")
# A run of digits, spaces, dots, dashes and brackets that is not a date (2026-11-23 ...).
_PHONE_LIKE = re.compile(r"(?<![\d.])(?!\d{4}[-/.]\d{1,2}[-/.]\d{1,2})\+?\d[\d\s().-]{6,}\d(?![\d.])")


def mask_phones_in(text: str) -> str:
    """Every phone-like run of 9 or more digits in free text masked (for log lines)."""
    return _PHONE_LIKE.sub(lambda m: mask_phone(m.group(0)) if sum(
        ch.isdigit() for ch in m.group(0)) >= 9 else m.group(0), text)


def mask_phone(text: str, keep: int = 4) -> str:
    """`+919876543210` -> `+91******3210`: the country code and the last `keep` digits stay."""
    digits = sum(ch.isdigit() for ch in text)
    prefix = re.match(r"\+\d{0,2}", text)
    country = len(prefix.group(0)) if prefix else 0  # "+91": shown, like the last digits
    hidden = max(digits - keep - max(country - 1, 0), 0)
    count = 0

    def hide(match: re.Match[str]) -> str:
        nonlocal count
        count += 1
        inside = max(country - 1, 0) < count <= max(country - 1, 0) + hidden
        return "*" if inside else match.group(0)

    return _DIGIT.sub(hide, text)
