"""column_scan: one findall over a joined column gives each value's own fullmatch verdict."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from sheetsync.core.column_scan import column_text, unmatched
from sheetsync.core.values import EMAIL, VALID_DATE, VALID_TIMESTAMP
from sheetsync.schema import PRESETS
from sheetsync.validators import _TASK_ID

TICKET_ID = PRESETS["seller-support"].ticket_id.pattern
#: The patterns the validators scan columns with, and values around each.
PATTERNS = {
    TICKET_ID: st.from_regex(r"(INT|int)?[- ]?[0-9]{0,8}", fullmatch=True),
    VALID_TIMESTAMP.pattern: st.from_regex(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[ T][0-9]{2}:[0-9]{2}",
                                           fullmatch=True),
    VALID_DATE.pattern: st.from_regex(r"([0-9]{4}-[0-9]{2}-[0-9]{2}|N/A|n/a)", fullmatch=True),
    _TASK_ID.pattern: st.from_regex(r"[A-Za-z0-9_#-]{0,70}", fullmatch=True),
    EMAIL.pattern: st.from_regex(r"[a-z .]{0,5}@?[a-z]{0,4}\.?[a-z]{0,3}", fullmatch=True),
}
noise = st.sampled_from(["", " ", "\n", "\t", "x\ny", "INT-000001\n", "\nINT-000002", "N/A\n",
                         "\u00a0", "2026-11-20 10:25\n2026-11-20 10:26"])


@settings(max_examples=300, deadline=None)
@given(data=st.data(), pattern=st.sampled_from(sorted(PATTERNS)))
def test_the_scan_agrees_with_each_values_fullmatch(data: st.DataObject, pattern: str) -> None:
    values = data.draw(st.lists(st.one_of(PATTERNS[pattern], noise), max_size=12))
    found = unmatched(values, pattern)
    if any("\n" in v for v in values):
        assert found is None  # lines would not be values: the caller judges one by one
    else:
        assert found == {v for v in values if not re.fullmatch(pattern, v)}


def test_a_column_with_a_number_or_a_line_break_is_not_joined() -> None:
    assert column_text(["INT-000001", 7]) is None
    assert column_text(["INT-000001", None]) is None
    assert column_text(["INT-000001", "INT-000002\nINT-000003"]) is None
    assert column_text(["a", ""]) == "\na\n\n"
    assert unmatched([], TICKET_ID) == set()


def test_a_valid_value_followed_by_an_invalid_one_is_still_told_apart() -> None:
    # Each line is matched up to its own end: "INT-0000011" is not "INT-000001" then "1".
    assert unmatched(["INT-000001", "1", "INT-0000011", ""], TICKET_ID) == {"1", "INT-0000011", ""}
