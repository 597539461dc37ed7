"""A values:batchGet answer read a row at a time (sheetsync/core/google_values.py) gives the
rows a whole-answer parse gives, for any cells, in any number of ranges, whatever Google's
JSON holds (raw UTF-8, escapes, text that looks like JSON structure)."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sheetsync.core.google_cells import dated, padded, read_serial
from sheetsync.core import google_values
from sheetsync.core.google_values import GarbledAnswer, read_tabs
from sheetsync.core.table import Grid, shared_row
from sheetsync.errors import TrackerError
from sheetsync.schema import PRESETS, find_header
from tests.fake_google import google_json

IST = ZoneInfo("Asia/Kolkata")
SCHEMA = PRESETS["seller-support"]
HEADER = ["Timestamp", "WhatsApp Number", "Seller Name", "Issue Type", "Status", "Notes"]


def answer(*ranges: list[list[Any]] | None, pretty: bool = False) -> bytes:
    """A values:batchGet answer as Google writes it (compact unless `pretty`)."""
    found = [{"range": f"'Tab {i}'!A1:Z1000", "majorDimension": "ROWS",
              **({"values": rows} if rows is not None else {})} for i, rows in enumerate(ranges)]
    return google_json({"spreadsheetId": "sheet", "valueRanges": found},
                       pretty=pretty).encode()


def whole(body: bytes, count: int) -> list[tuple[tuple[Any, ...], ...]]:
    """What the read made before it streamed: json.loads, padded, serials read, interned."""
    found = json.loads(body)["valueRanges"]
    out = []
    for i in range(count):
        rows = padded(found[i].get("values") if i < len(found) else None)
        try:
            header_row, header = find_header(Grid(tab="t", rows=rows), SCHEMA)  # type: ignore
        except TrackerError:
            header_row, header = 0, ()
        kinds = dated(header, SCHEMA)
        for row in rows[header_row:]:
            for position, kind in kinds.items():
                if position < len(row):
                    row[position] = read_serial(row[position], kind, IST)
        out.append(tuple(shared_row(r) for r in rows))
    return out


def streamed(body: bytes, count: int) -> list[tuple[tuple[Any, ...], ...]]:
    tabs = [f"Tab {i}" for i in range(count)]
    return list(read_tabs(body, tabs, SCHEMA, IST).values())


def test_a_tracker_and_its_archive_are_read_apart_with_dates_padding_and_interned_texts(
        ) -> None:
    tracker = [["Ticket log"], HEADER, [46349.4375, 919876543210, "Gupta Kirana", "Bug",
                                        "Pending", 0.0625],
               [46349, "+919876543211", "गुप्ता किराना 😡", "Bug"], [], ["x", "", "", "", "", "",
                                                                     "past the header"]]
    archive = [HEADER, [46349.5, 919800000001, "Old Store", "Bug", "Resolved"]]
    rows, kept = streamed(answer(tracker, archive), 2)
    assert rows[2] == (datetime(2026, 11, 23, 10, 30, tzinfo=IST), 919876543210, "Gupta Kirana",
                       "Bug", "Pending", 0.0625, "")  # a number outside date columns
    assert rows[3] == (date(2026, 11, 23), "+919876543211", "गुप्ता किराना 😡", "Bug", "", "", "")
    assert rows[0] == ("Ticket log", "", "", "", "", "", "")  # above the header: as typed
    assert {len(r) for r in rows} == {7}  # the widest row's width, everywhere
    assert kept[1][0] == datetime(2026, 11, 23, 12, 0, tzinfo=IST) and len(kept) == 2
    assert rows[2][3] is kept[1][3]  # equal texts are one string, interned
    assert (rows, kept) == tuple(whole(answer(tracker, archive), 2))


def test_a_range_with_no_values_and_a_range_google_left_out_read_as_empty_tabs() -> None:
    assert streamed(answer(None, [["a"]]), 2) == [(), (("a",),)]
    assert streamed(answer([["a"]]), 2) == [(("a",),), ()]  # fewer ValueRanges: parsed whole


def test_an_integer_past_64_bits_and_an_indented_answer_are_parsed_whole_and_alike() -> None:
    big = [HEADER, [46349, 12345678901234567890123, "Store", "Bug"]]
    assert streamed(answer(big), 1)[0][1][1] == 12345678901234567890123
    assert streamed(answer(big, pretty=True), 1) == whole(answer(big), 1)


@pytest.mark.parametrize("body", [b"", b"<html>502</html>", b'{"valueRanges": 3}',
                                  answer([["a", "b"]])[:-9], answer(["a", "b"]),  # type: ignore
                                  b'{"valueRanges":[{"values":3}]}', b'{"valueRanges":[{"v'
                                  b'alues":[["a"],"b"]}],"spreadsheetId":"x"}'])
def test_an_answer_that_is_not_the_json_google_sends_is_a_garbled_answer(body: bytes) -> None:
    with pytest.raises(GarbledAnswer):
        streamed(body, 1)


CELLS = st.one_of(
    st.text(max_size=12), st.sampled_from(['{"range":', '"},{"range":"x"', "\\", '\\"', "<>",
                                           "\u2028", "😡", "Bug", "Pending"]),
    st.integers(min_value=-2**63 + 1, max_value=2**63 - 1), st.booleans(),  # (yajl: int64)
    st.floats(allow_nan=False, allow_infinity=False))
ROWS = st.lists(st.lists(CELLS, max_size=7), max_size=6)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.none(), st.builds(lambda head, rest: [head, *rest],
                                               st.sampled_from([HEADER, ["a"]]), ROWS),
                          ROWS), min_size=1, max_size=3))
def test_the_streamed_read_gives_what_a_whole_parse_gives(ranges: list[Any]) -> None:
    body = answer(*ranges)
    expected = whole(body, len(ranges))
    with pytest.MonkeyPatch.context() as patched:  # and it streams: no whole parse behind it
        patched.setattr(google_values.json, "loads", None)
        assert streamed(body, len(ranges)) == expected
