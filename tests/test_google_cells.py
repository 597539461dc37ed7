"""The Google backend's plain-data core: serial dates, finding a row again, request bodies."""

from __future__ import annotations

import json
import sys
from collections import Counter
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from sheetsync.core.google_cells import (
    a1,
    column_runs,
    from_serial,
    grid_data,
    in_batches,
    mark_rule,
    narrow_cells,
    narrow_note,
    narrow_value,
    padded,
    read_serial,
    reconcile_rules,
    relocate,
    with_changes,
)

IST = ZoneInfo("Asia/Kolkata")


def test_a_tab_name_is_quoted_in_a1_notation() -> None:
    assert a1("Tracker") == "'Tracker'"
    assert a1("Seller's log", "A1:B2") == "'Seller''s log'!A1:B2"


def test_ragged_rows_are_padded_to_the_widest() -> None:
    assert padded([["a", "b", "c"], [], ["d"]]) == [["a", "b", "c"], ["", "", ""],
                                                     ["d", "", ""]]
    assert padded(None) == []


def test_a_serial_date_time_is_wall_clock_time_in_the_spreadsheets_zone() -> None:
    # 46349.4375 is 2026-11-23 10:30 in whatever zone the spreadsheet is in.
    assert from_serial(46349.4375, IST) == datetime(2026, 11, 23, 10, 30, tzinfo=IST)
    assert from_serial(61, IST).date() == date(1900, 3, 1)  # 1900 is not a leap year


def test_a_serial_reads_as_its_columns_kind() -> None:
    assert read_serial(46349.4375, "timestamp", IST) == datetime(2026, 11, 23, 10, 30,
                                                                 tzinfo=IST)
    assert read_serial(46350, "date", IST) == date(2026, 11, 24)
    assert read_serial(0.0625, "duration", IST) == timedelta(hours=1, minutes=30)
    # A whole number in a timestamp column has no time, as a date cell in the workbook; a
    # bare 30 in a duration column stays as typed, for the validator to flag; text is text.
    assert read_serial(46349, "timestamp", IST) == date(2026, 11, 23)
    assert read_serial(30, "duration", IST) == 30
    assert read_serial("2026-11-24", "date", IST) == "2026-11-24"


def test_a_row_still_in_place_is_written_in_place() -> None:
    wanted = {5: ("INT-000004", 1.0)}
    assert relocate(wanted, Counter({"INT-000004": 1}), {5: ("INT-000004", 1.0)}) == {5: 5}


def test_a_row_moved_by_a_sort_follows_its_ticket_id() -> None:
    now = {2: ("INT-000009", 3.0), 3: ("INT-000004", 1.0), 4: ("INT-000001", 2.0)}
    assert relocate({5: ("INT-000004", 1.0)}, Counter({"INT-000004": 1}), now) == {5: 3}


def test_a_row_without_an_id_follows_its_cells_when_exactly_one_row_holds_them() -> None:
    wanted = {7: ("", 46349.4375, "+919876543210", "Sharma General Store")}
    now = {2: ("INT-000001", 1.0, "+911", "A"),
           9: ("", 46349.4375, "+919876543210", "Sharma General Store")}
    assert relocate(wanted, Counter(), now) == {7: 9}


def test_a_row_that_cannot_be_told_apart_is_left_for_the_next_cycle() -> None:
    copy = ("", 46349.4375, "+919876543210", "Sharma General Store")
    assert relocate({7: copy}, Counter(), {8: copy, 9: copy}) == {}
    # A row whose key a person changed meanwhile is nowhere.
    assert relocate({7: copy}, Counter(), {7: ("", 46349.4375, "+9198", "Sharma")}) == {}


def test_a_duplicated_id_is_not_followed_but_its_whole_key_is() -> None:
    # A person copied INT-000004's row: the copy (row 9) gets a new ID, found by its cells.
    now = {3: ("INT-000004", 1.0, "A"), 4: ("INT-000004", 2.0, "B")}
    ids = Counter({"INT-000004": 2})
    assert relocate({9: ("INT-000004", 2.0, "B")}, ids, now) == {9: 4}


def test_two_rows_found_in_one_place_are_both_left() -> None:
    now = {3: ("INT-000001", 1.0)}
    wanted = {3: ("INT-000001", 1.0), 8: ("INT-000001", 1.0)}
    assert relocate(wanted, Counter({"INT-000001": 1}), now) == {}


@given(st.permutations(list(range(30))), st.integers(0, 5))
def test_after_any_sort_and_insert_every_ticket_is_found_on_its_own_row(
        order: list[int], inserted: int) -> None:
    read = {2 + i: (f"INT-{i:06d}", float(i)) for i in range(30)}
    now = {2 + inserted + position: read[2 + i] for position, i in enumerate(order)}
    found = relocate(read, Counter(k[0] for k in read.values()), now)
    assert {read[row]: now[there] for row, there in found.items()} == \
        {key: key for key in read.values()}


def test_consecutive_cells_of_a_column_are_one_request() -> None:
    cells = {(r, 0): {"userEnteredValue": {"stringValue": f"INT-{r:06d}"}}
             for r in (2, 3, 4, 7)}
    cells[(3, 5)] = {"note": "x"}
    requests = list(column_runs(7, cells, "userEnteredValue"))
    ranges = [r["updateCells"]["range"] for r in requests]
    assert ranges == [
        {"sheetId": 7, "startRowIndex": 1, "endRowIndex": 4, "startColumnIndex": 0,
         "endColumnIndex": 1},
        {"sheetId": 7, "startRowIndex": 6, "endRowIndex": 7, "startColumnIndex": 0,
         "endColumnIndex": 1},
        {"sheetId": 7, "startRowIndex": 2, "endRowIndex": 3, "startColumnIndex": 5,
         "endColumnIndex": 6}]
    assert [len(r["updateCells"]["rows"]) for r in requests] == [3, 1, 1]


def test_a_large_write_is_split_under_two_megabytes_and_keeps_every_row_in_order() -> None:
    cells = {(r, 0): {"userEnteredValue": {"stringValue": f"INT-{r:06d} " + "x" * 40}}
             for r in range(2, 100_002)}
    batches = list(in_batches(column_runs(0, cells, "userEnteredValue")))
    assert len(batches) > 1
    assert all(len(json.dumps({"requests": b})) < 2_000_000 for b in batches)
    rows = [(u["range"]["startRowIndex"], u["range"]["endRowIndex"])
            for b in batches for u in (r["updateCells"] for r in b)]
    assert rows[0][0] == 1 and rows[-1][1] == 100_001
    assert all(a[1] == b[0] for a, b in zip(rows, rows[1:]))


def test_highlight_rules_are_added_once_and_a_persons_rules_are_left() -> None:
    persons = {"ranges": [{"sheetId": 0}], "booleanRule": {
        "condition": {"type": "NUMBER_GREATER", "values": [{"userEnteredValue": "5"}]},
        "format": {}}}
    wanted = [mark_rule(0, 1, 2, "Status", 9), mark_rule(0, 1, 3, "Issue Type", 9)]
    first = reconcile_rules(0, [persons], wanted)
    assert [list(r) for r in first] == [["addConditionalFormatRule"]] * 2
    after = with_changes([persons], first)
    assert reconcile_rules(0, after, wanted) == []  # the second run changes nothing
    assert persons in after


def test_a_doubled_or_stale_highlight_rule_is_deleted_by_its_index() -> None:
    persons = {"ranges": [{"sheetId": 0}], "booleanRule": {"condition": {"type": "BLANK"}}}
    status = mark_rule(0, 1, 2, "Status", 9)
    moved = mark_rule(0, 1, 4, "Old Column", 9)
    changes = reconcile_rules(0, [status, persons, status, moved], [status])
    assert changes == [{"deleteConditionalFormatRule": {"sheetId": 0, "index": 3}},
                       {"deleteConditionalFormatRule": {"sheetId": 0, "index": 2}}]
    assert with_changes([status, persons, status, moved], changes) == [status, persons]


def test_the_highlight_formula_names_the_column_and_reads_sync_notes() -> None:
    rule = mark_rule(3, 1, 2, 'Say "hi"', 9)
    formula = rule["booleanRule"]["condition"]["values"][0]["userEnteredValue"]
    assert formula == '=ISNUMBER(FIND("| Say ""hi"": ", "| "&$J2))'
    assert rule["ranges"] == [{"sheetId": 3, "startRowIndex": 1, "startColumnIndex": 2,
                               "endColumnIndex": 3}]


def _plain_value(cell: dict[str, Any]) -> Any:
    """A CellData's value as the values API's UNFORMATTED_VALUE gives it, from its dicts."""
    effective = cell.get("effectiveValue") or {}
    for kind in ("stringValue", "numberValue", "boolValue"):
        if kind in effective:
            return effective[kind]
    return "#ERROR" if "errorValue" in effective else ""


def test_a_narrow_read_parsed_small_reads_as_the_plain_parse() -> None:
    rows = [{"values": [{"effectiveValue": {"stringValue": "Pending"}}]}, {},
            {"values": [{"effectiveValue": {"numberValue": 3}, "note": "a person's"}]},
            {"values": [{"effectiveValue": {"numberValue": 3.0}}]},
            {"values": [{"effectiveValue": {"boolValue": True}}]},
            {"values": [{"effectiveValue": {"errorValue": {"type": "DIVIDE_BY_ZERO"}}}]},
            {"values": [{"effectiveValue": {"errorValue": {"type": "ERROR", "message": "x"}},
                         "note": "broken"}]},
            {"values": [{"note": "on an empty cell"}]},
            {"values": [{"effectiveValue": {"stringValue": "{}"}}]},
            {"values": [{"effectiveValue": {"stringValue": "Pending"}}]}, {"values": []},
            {"values": [{}]}]
    text = json.dumps({"sheets": [{"data": [{"startRow": 1, "startColumn": 4,
                                             "rowData": rows}, {}]}]})
    plain = [(r.get("values") or [{}])[0] for r in json.loads(text)["sheets"][0]["data"][0][
        "rowData"]]
    data = grid_data(json.loads(text, object_hook=narrow_cells))
    assert len(data) == 1 and data[0]["startColumn"] == 4  # the empty GridData left out
    small = data[0]["rowData"]
    assert [(narrow_value(c), type(narrow_value(c)), narrow_note(c)) for c in small] == \
        [(_plain_value(c), type(_plain_value(c)), c.get("note", "")) for c in plain]
    # a cell is its value: a text is the one interned string, not a dict of its own
    assert small[0] is small[9] is sys.intern("Pending") and small[1] == small[10] == ""


def test_an_answer_without_grid_data_has_none() -> None:
    for answer in ({}, {"sheets": []}, {"sheets": [{}]}, {"sheets": [{"data": [{}]}]}):
        parsed = json.loads(json.dumps(answer), object_hook=narrow_cells)
        assert grid_data(parsed) == []