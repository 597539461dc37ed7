"""A values:batchGet answer read a row at a time from its bytes, each row made a tracker row as
it comes.

Why: `json.loads` of a 100k-row answer first decodes all of it into one str (four bytes a
character once a single cell holds an emoji: Google sends non-ASCII text raw, as UTF-8), then
makes every cell's text anew, all of it alive until the read has interned the last row: about
100 MB above what the read keeps, on a cycle whose target is 400 MB. ijson's C backend (yajl)
parses the bytes as they are and hands over one row at a time, so each row's texts are
interned, and the duplicates let go, before the next row is parsed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from datetime import tzinfo
from itertools import chain, islice
from typing import Any

import ijson

from sheetsync.core.google_cells import dated, read_serial
from sheetsync.core.table import Grid, shared_row
from sheetsync.errors import TrackerError
from sheetsync.schema import HEADER_SEARCH_ROWS, Schema, find_header

#: Where a ValueRange starts. In JSON an unescaped quote never stands inside a string, so in a
#: values answer (whose only objects are the answer and its ValueRanges) this is structure.
_RANGE_START = re.compile(rb'\{\s*"range"\s*:')
#: How a ValueRange ends: before the next one, or as the last of the answer (valueRanges is
#: its last field, as Google's and the fake's answers have it).
_BETWEEN = re.compile(rb"\}\s*,\s*\Z")
_LAST = re.compile(rb"\}\s*\]\s*\}\s*\Z")
_CHUNK = 1 << 16  # bytes handed to the parser at a time
try:  # the C backend; ijson's pure-Python one is many times slower than json.loads
    _PARSER: Any = ijson.get_backend("yajl2_c")
except ImportError:  # (its wheels carry it for Linux, macOS and Windows): parse whole
    _PARSER = None


class GarbledAnswer(ValueError):
    """The answer is not the JSON Google's values:batchGet sends."""


def read_tabs(body: bytes, tabs: Sequence[str], schema: Schema, zone: tzinfo
              ) -> dict[str, tuple[tuple[Any, ...], ...]]:
    """Each requested tab's rows (`tab_rows`), from the bytes of the values:batchGet answer
    that asked for them in this order.

    Each ValueRange is cut from the body where it starts and parsed a row at a time. An answer
    not shaped as expected, or one holding a number yajl cannot (an integer past 64 bits), is
    parsed whole with `json.loads` instead; `GarbledAnswer` when that fails too.
    """
    try:
        return {tab: tab_rows(rows, tab, schema, zone)
                for tab, rows in zip(tabs, _streamed(body, len(tabs)))}
    except GarbledAnswer:
        return {tab: tab_rows(rows, tab, schema, zone)
                for tab, rows in zip(tabs, _whole(body, len(tabs)))}


def tab_rows(rows: Iterator[list[Any]], tab: str, schema: Schema, zone: tzinfo
             ) -> tuple[tuple[Any, ...], ...]:
    """A tab's rows as the backend hands them on: rectangular (padded with ""), every text
    interned (`shared_row`), and below the header, serial numbers in date columns read as
    dates (only the header tells a date from a number)."""
    head = list(islice(rows, HEADER_SEARCH_ROWS))
    try:
        header_row, header = find_header(Grid(tab=tab, rows=head), schema)  # type: ignore[arg-type]
    except TrackerError:
        header_row, header = 0, ()
    kinds = dated(header, schema)
    width = max((len(row) for row in head), default=0)
    made: list[tuple[Any, ...]] = []
    for number, row in enumerate(chain(head, rows)):
        if number >= header_row:
            for position, kind in kinds.items():
                if position < len(row):
                    row[position] = read_serial(row[position], kind, zone)
        width = max(width, len(row))
        made.append(shared_row(row + [""] * (width - len(row)) if len(row) < width else row))
    # A row wider than those above it (a cell past the header) widens them too.
    return tuple(row + ("",) * (width - len(row)) if len(row) < width else row for row in made)


def _streamed(body: bytes, count: int) -> list[Iterator[list[Any]]]:
    """Each ValueRange's rows, parsed as they are taken (the answer parsed whole when its
    ValueRanges cannot be told apart)."""
    starts = [found.start() for found in _RANGE_START.finditer(body)] if _PARSER else []
    if len(starts) == count and count:
        view = memoryview(body)
        ends = [_end(view, start, end) for start, end in zip(starts, [*starts[1:], len(body)])]
        if None not in ends:
            return [_rows(view[start:end]) for start, end in zip(starts, ends)]
    return _whole(body, count)


def _end(view: memoryview, start: int, end: int) -> int | None:
    """Where the ValueRange starting at `start` closes, given the next starts at `end`."""
    tail = bytes(view[max(start, end - 64):end])
    found = (_LAST if end == len(view) else _BETWEEN).search(tail)
    return None if found is None else end - len(tail) + found.start() + 1


def _rows(value_range: memoryview) -> Iterator[list[Any]]:
    try:
        yield from _lists(_PARSER.items(_Reader(value_range), "values.item", use_float=True))
    except ijson.JSONError as exc:
        raise GarbledAnswer(f"a ValueRange does not parse ({str(exc).splitlines()[0]})") from None


def _lists(rows: Iterator[Any]) -> Iterator[list[Any]]:
    """The rows, each a list of cells as Google sends it (anything else is no values answer)."""
    for row in rows:
        if row.__class__ is not list:
            raise GarbledAnswer(f"a row is {type(row).__name__}, not a list of cells")
        yield row


def _whole(body: bytes, count: int) -> list[Iterator[list[Any]]]:
    try:
        answer = json.loads(body)
    except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError
        raise GarbledAnswer(f"the answer does not parse ({exc})") from None
    found = answer.get("valueRanges", []) if isinstance(answer, dict) else None
    if not isinstance(found, list):
        raise GarbledAnswer("the answer holds no valueRanges")
    values: list[Any] = [r.get("values", []) if isinstance(r, dict) else None for r in found]
    if not all(isinstance(v, list) for v in values):
        raise GarbledAnswer("a ValueRange's values are not a list of rows")
    values += [[]] * (count - len(values))  # ranges Google left out: empty tabs
    return [_lists(iter(v)) for v in values[:count]]


class _Reader:
    """A file over a slice of the body, for ijson, without copying the slice."""

    def __init__(self, view: memoryview) -> None:
        self.view, self.at = view, 0

    def read(self, size: int = _CHUNK) -> bytes:
        size = _CHUNK if size < 0 else size
        chunk = bytes(self.view[self.at:self.at + size])
        self.at += len(chunk)
        return chunk
