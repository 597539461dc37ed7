"""What sheetsync may show of a person's data: phone numbers masked to their last four digits.

Free text (a description, a seller's name, a log line) is masked wherever it leaves the
tracker: every span of 7 digits or more that phonenumbers' `PhoneNumberMatcher` finds for the
region (leniency POSSIBLE, so a number missing its country code is found too), and every
remaining run of 9 or more digits, whatever punctuation surrounds it. The tokens sheetsync formats itself stay
visible: ticket IDs (`INT-000123`), ClickUp task IDs (`86c0ab1x2`), ISO dates and times, and
amounts with a decimal separator (`1,234,567.50`).
"""

from __future__ import annotations

import re
from bisect import bisect_right

from phonenumbers import Leniency, PhoneNumberMatcher

_DIGIT = re.compile(r"\d")
#: A run of digits with the separators people type inside phone numbers; 9+ digits is masked.
_DIGIT_RUN = re.compile(r"\+?\d(?:[\s().\-/]*\d)+")
#: What sheetsync formats itself, never a phone number.
_OURS = re.compile(
    r"\b[A-Z][A-Z0-9]*-\d+\b"  # a ticket ID: INT-000123 (any prefix a preset gives)
    r"|\b(?=[0-9a-z]*[0-9])(?=[0-9a-z]*[a-z])[0-9a-z]{7,12}\b"  # a ClickUp task ID: lower-case
    # letters and digits, both
    r"|\b\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"  # ISO date, time
    r"(?:Z|[+-]\d{2}:?\d{2})?(?!\d)"
    r"|(?<![\d.,])\d{1,3}(?:[,.' ]\d{2,3})*[.,]\d{2}(?![\d.,]?\d)"  # 1,234,567.50 / 12,34,567.00
    r"|(?<![\d.,])\d+[.,]\d{2}(?![\d.,]?\d)")  # 12345678.90
MIN_DIGITS = 9  # a run this long is masked whatever the matcher says
MATCHED_DIGITS = 7  # a shorter match (a count, an order number) identifies nobody


def mask_free_text(text: str, region: str | None = None) -> str:
    """`text` with every phone number in it masked (see the module's rule); `region` is the
    tracker's phone region (`IN`), for numbers written without their country code."""
    if not text or not any(ch.isdigit() for ch in text):
        return text
    ours = [m.span() for m in _OURS.finditer(text)]  # in order, never overlapping
    starts = [a for a, _ in ours]

    def is_ours(start: int, end: int) -> bool:
        k = bisect_right(starts, start) - 1  # the last of ours that starts at or before it
        return k >= 0 and end <= ours[k][1]

    # Without a region the matcher finds only numbers written with their `+`: none to find
    # in text without one (most log lines), and the matcher costs more than the rest.
    found = PhoneNumberMatcher(text, region or "ZZ", leniency=Leniency.POSSIBLE) \
        if region or "+" in text else ()
    spans = [(m.start, m.end) for m in found
             if sum(ch.isdigit() for ch in m.raw_string) >= MATCHED_DIGITS]
    spans += [m.span() for m in _DIGIT_RUN.finditer(text)
              if sum(ch.isdigit() for ch in m.group(0)) >= MIN_DIGITS]
    spans = sorted((a, b) for a, b in spans if not is_ours(a, b))
    out, at = [], 0
    for start, end in spans:
        if start < at:  # overlaps one already masked: mask the rest of it too
            start = at
            if start >= end:
                continue
        out += [text[at:start], mask_phone(text[start:end])]
        at = end
    return "".join(out) + text[at:]


def mask_phones_in(text: str) -> str:
    """A log line or CLI output with its phone numbers masked, and any credential that slipped
    into it (inside a client library's exception, say) cut to its kind. No region: a number is
    found by its `+`, or by being 9 digits or more, so the counts and durations a log line
    holds stay readable."""
    return mask_free_text(_SECRET.sub(_hide_secret, text))


#: Credentials by their published shapes: Slack's bot, user and app-level tokens, ClickUp's
#: personal tokens, an HTTP Authorization value, Google's OAuth access tokens and a PEM key.
_SECRET = re.compile(r"\b(xox[a-z]-|xapp-|pk_|ya29\.)[\w-]{4}[\w.-]*"
                     r"|\b(Bearer |Basic )[\w.~+/=-]+"
                     r"|-----BEGIN [A-Z ]*PRIVATE KEY-----.*?"
                     r"(?:-----END [A-Z ]*PRIVATE KEY-----|$)", re.S)


def _hide_secret(match: re.Match[str]) -> str:
    kind = match.group(1) or match.group(2) or "PRIVATE KEY "
    return f"{kind}[hidden]"


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
