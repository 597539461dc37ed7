"""The phone verdict sheetsync gave before phone_patterns, kept as the oracle the fast check is
proven against (in the tests and in bench/validate.py)."""

from __future__ import annotations

import phonenumbers

E164 = phonenumbers.PhoneNumberFormat.E164


def phonenumbers_verdict(text: str) -> bool:
    """is_valid_number on the number the text spells, which must format back to the text.

    Text with a leading zero after the country code is not the fast path's to decide (parse
    keeps the zero as italian_leading_zero), so it counts as not proven here.
    """
    for size in (1, 2, 3):
        code = int(text[1:1 + size])
        if code in phonenumbers.COUNTRY_CODE_TO_REGION_CODE:
            national = text[1 + size:]
            if not national or national[0] == "0":
                return False
            number = phonenumbers.PhoneNumber(country_code=code, national_number=int(national))
            return phonenumbers.is_valid_number(number) and \
                phonenumbers.format_number(number, E164) == text
    return False
