"""What sheetsync may show of a person's data: phone numbers masked to their last four digits."""

from __future__ import annotations

import re

_DIGIT = re.compile(r"\d")


def mask_phone(text: str, keep: int = 4) -> str:
    """`+919876543210` -> `+91******3210`: the country code and the last `keep` digits stay."""
    digits = sum(ch.isdigit() for ch in text)
    country = len(re.match(r"\+?\d{0,2}", text).group(0)) if text.startswith("+") else 0
    hidden = max(digits - keep - max(country - 1, 0), 0)
    count = 0

    def hide(match: re.Match[str]) -> str:
        nonlocal count
        count += 1
        inside = max(country - 1, 0) < count <= max(country - 1, 0) + hidden
        return "*" if inside else match.group(0)

    return _DIGIT.sub(hide, text)
