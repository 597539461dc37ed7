"""Plain-data helpers for the Google Sheets backend: ranges, serial dates, finding a row again,
and the request bodies a cycle's write sends. No I/O here; google.py does the talking.

Request shapes follow Google's Sheets v4 discovery document (revision 20261019, vendored in
tests/schemas/), and the tests validate every body built here against it, strictly.
"""

from __future__ import annotations

import json
import math
import sys
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime, timedelta, tzinfo
from typing import Any, NamedTuple

from sheetsync.core.setup import validation_message
from sheetsync.schema import Schema, header_lookup, normalize
from sheetsync.core.table import column_letter, is_blank

SERIAL_EPOCH = datetime(1899, 12, 30)  # Sheets' day 0; 1900 is correctly not a leap year
MAX_BODY = 2_000_000  # bytes; Google recommends at most 2 MB a request
MARK_FORMULA = '=ISNUMBER(FIND("| {header}: ", "| "&${notes}{row}))'
HIGHLIGHT = {"red": 0.988, "green": 0.894, "blue": 0.894}  # the workbook's FCE4E4

Key = tuple[Any, ...]  # a row's ticket ID, then the cells that tell a new row apart


def a1(tab: str, cells: str = "") -> str:
    """A range in A1 notation with the tab's name quoted: 'Sheet ''1'''!A1:B2."""
    quoted = "'" + tab.replace("'", "''") + "'"
    return f"{quoted}!{cells}" if cells else quoted


def padded(rows: list[list[Any]] | None) -> list[list[Any]]:
    """A values response's rows made rectangular: Google leaves out trailing empty cells.
    The response's own lists are padded in place (a copy of a 100k-row tab costs memory the
    cycle needs)."""
    rows = rows or []
    width = max((len(r) for r in rows), default=0)
    for row in rows:
        if len(row) < width:
            row.extend([""] * (width - len(row)))
    return rows


def from_serial(serial: float, zone: tzinfo) -> datetime:
    """A serial date-time as Sheets stores it, read as wall-clock time in the sheet's zone."""
    return (SERIAL_EPOCH + timedelta(days=serial)).replace(microsecond=0, tzinfo=zone)


def dated(header: Sequence[Any], schema: Schema) -> dict[int, str]:
    """Positions of the columns holding dates, date-times or durations, and each one's kind."""
    lookup = header_lookup(schema)
    found: dict[int, str] = {}
    for position, cell in enumerate(header):
        key = lookup.get(normalize(cell)) if isinstance(cell, str) else None
        if key is not None and (kind := schema.column(key).kind) in ("timestamp", "date",
                                                                        "duration"):
            found.setdefault(position, kind)
    return found


def read_serial(value: Any, kind: str, zone: tzinfo) -> Any:
    """A cell of a date, date-time or duration column as UNFORMATTED_VALUE read it: a number
    is a serial date there (only the column tells a date from a number).

    A whole number in a timestamp column is a date with no time (the workbook says so too);
    in a duration column only a fraction of a day is a duration (a bare `30` is left as
    typed, to be flagged).
    """
    if value.__class__ not in (int, float) or not math.isfinite(value):
        return value
    if kind == "duration":
        return timedelta(days=value) if not float(value).is_integer() and 0 < value < 100 \
            else value
    if 0 < value < 2_958_466:  # up to the year 9999
        when = from_serial(value, zone)
        return when.date() if float(value).is_integer() else when
    return value


_VALUE_KINDS = frozenset({"stringValue", "numberValue", "boolValue"})
_CELL_KEYS = frozenset({"effectiveValue", "note"})


class Noted(NamedTuple):
    """A narrow read's cell that holds a note: its value, and the note."""

    value: Any
    note: str


def narrow_cells(found: dict[str, Any]) -> Any:
    """A `json.loads` object_hook for a narrow read (one column a range, NARROW_FIELDS): each
    RowData becomes its one cell, and a cell its value as the values API's UNFORMATTED_VALUE
    gives it ("" when empty, "#ERROR" for an error), or `Noted` when it holds a note. (An
    empty object reads as an empty cell wherever it stands: `grid_data` says which are not.)

    A 1,000-edit write reads a few columns of a 100k-row tab whole. Parsed as it comes, that
    is two dicts and a list for every cell (about 350 MB at 100k rows and 8 columns); as
    values, a cell costs its slot in the column's list, and its text, interned, is the one the
    tab read already holds.
    """
    if len(found) == 1:
        ((key, value),) = found.items()
        if key == "values":  # a RowData
            return value[0] if value else ""
        if key in _VALUE_KINDS:  # an effectiveValue
            return sys.intern(value) if value.__class__ is str else value
        if key == "errorValue":
            return "#ERROR"
    if found.keys() <= _CELL_KEYS:  # a CellData ({}: an empty one)
        value, note = found.get("effectiveValue", ""), found.get("note")
        if value.__class__ is dict:
            value = ""  # an effectiveValue of a kind the API may add: no value sheetsync reads
        return Noted(value, sys.intern(note)) if note and note.__class__ is str else value
    return found


def grid_data(answer: Any) -> list[dict[str, Any]]:
    """A narrow read's GridData, one a range (an empty one, parsed as an empty cell, left out:
    its column holds nothing, not even its header)."""
    sheets = answer.get("sheets") if answer.__class__ is dict else None
    data = sheets[0].get("data") if sheets and sheets[0].__class__ is dict else None
    return [d for d in data or () if d.__class__ is dict]


def narrow_value(cell: Any) -> Any:
    """A narrow read's cell's value."""
    return cell.value if cell.__class__ is Noted else cell


def narrow_note(cell: Any) -> str:
    """A narrow read's cell's note ("" when it has none)."""
    return cell.note if cell.__class__ is Noted else ""


def same_value(a: Any, b: Any) -> bool:
    """Whether two cells read the same (a number is a number whether read as 1 or 1.0)."""
    if is_blank(a) or is_blank(b):
        return is_blank(a) and is_blank(b)
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and \
            not isinstance(a, bool) and not isinstance(b, bool):
        return float(a) == float(b)
    return bool(a == b)


def key_of(value: Any) -> Any:
    """A cell as part of a row's key: blank as "", numbers as floats, text stripped."""
    if is_blank(value):
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return value.strip() if isinstance(value, str) else value


def relocate(wanted: Mapping[int, Key], ids_read: Counter[str], now: Mapping[int, Key]
             ) -> dict[int, int]:
    """Where each row to be written is now, found by what it held when it was read.

    `wanted` maps a row number at the read to its key then (ticket ID first); `now` maps every
    row number of a fresh read to its key now. A row still holding its key in place stays;
    one whose ticket ID was and is unique follows the ID; any other follows its whole key
    when exactly one row holds it. A row found nowhere, or two rows found in the same place,
    are left out: the next cycle reads again and mends them.
    """
    by_id: dict[Any, list[int]] = defaultdict(list)
    by_key: dict[Key, list[int]] = defaultdict(list)
    for row, key in now.items():
        if key[0]:
            by_id[key[0]].append(row)
        by_key[key].append(row)
    found: dict[int, int] = {}
    for row, key in wanted.items():
        if now.get(row) == key:
            found[row] = row
        elif key[0] and ids_read[key[0]] == 1 and len(by_id[key[0]]) == 1:
            found[row] = by_id[key[0]][0]
        elif len(by_key[key]) == 1:
            found[row] = by_key[key][0]
    taken = Counter(found.values())
    return {row: there for row, there in found.items() if taken[there] == 1}


# --- request bodies --------------------------------------------------------------------------


def grid_range(sheet_id: int, row: int, column: int, rows: int = 1, columns: int = 1
               ) -> dict[str, int]:
    """A GridRange from a 1-based sheet row and a 0-based column."""
    return {"sheetId": sheet_id, "startRowIndex": row - 1, "endRowIndex": row - 1 + rows,
            "startColumnIndex": column, "endColumnIndex": column + columns}


def column_range(sheet_id: int, first_row_index: int, column: int) -> dict[str, int]:
    """A column from a 0-based row index down to the end of the tab, however long it grows."""
    return {"sheetId": sheet_id, "startRowIndex": first_row_index,
            "startColumnIndex": column, "endColumnIndex": column + 1}


def dropdown(values: Sequence[str]) -> dict[str, Any]:
    """A dropdown of the vocabulary, shown but not strict: a person may still type another
    value (sheetsync flags it), and its help text marks it as sheetsync's."""
    return {"condition": {"type": "ONE_OF_LIST",
                          "values": [{"userEnteredValue": v} for v in values]},
            "inputMessage": validation_message(values), "strict": False, "showCustomUi": True}


def same_dropdown(current: Mapping[str, Any] | None, wanted: Mapping[str, Any]) -> bool:
    """Whether a cell's validation is this dropdown (Google leaves false fields out)."""
    if current is None:
        return False
    return bool(current.get("condition") == wanted["condition"]
            and current.get("inputMessage") == wanted["inputMessage"]
            and bool(current.get("strict")) == wanted["strict"]
            and bool(current.get("showCustomUi")) == wanted["showCustomUi"])


def value_cell(value: str | None) -> dict[str, Any]:
    """A CellData setting a value as text (never parsed: `=` stays text), or clearing it."""
    return {} if value is None else {"userEnteredValue": {"stringValue": value}}


def note_cell(note: str | None) -> dict[str, Any]:
    return {} if note is None else {"note": note}


def column_runs(sheet_id: int, cells: Mapping[tuple[int, int], dict[str, Any]], fields: str
                ) -> Iterator[dict[str, Any]]:
    """updateCells requests for cells keyed by (row, column), one per run of consecutive rows
    in a column: an adoption's 100,000 new IDs are one request, not 100,000."""
    by_column: dict[int, list[int]] = defaultdict(list)
    for row, column in cells:
        by_column[column].append(row)
    # One RowData for each CellData object: the cells of an adoption's 266k writes are a few
    # shared dicts where they are equal (see shared_cell), and so are their rows.
    wrapped: dict[int, dict[str, Any]] = {}

    def row_of(cell: dict[str, Any]) -> dict[str, Any]:
        found = wrapped.get(id(cell))
        if found is None:
            found = wrapped[id(cell)] = {"values": [cell]}
        return found

    for column, rows in sorted(by_column.items()):
        rows.sort()
        start = 0
        for i in range(1, len(rows) + 1):
            if i == len(rows) or rows[i] != rows[i - 1] + 1:
                run = rows[start:i]
                yield {"updateCells": {
                    "range": grid_range(sheet_id, run[0], column, rows=len(run)),
                    "rows": [row_of(cells[(r, column)]) for r in run],
                    "fields": fields}}
                start = i


def shared_cell(made: dict[Any, dict[str, Any]], make: Callable[[Any], dict[str, Any]],
                value: Any) -> dict[str, Any]:
    """The CellData `make` makes of `value`, one for all equal values in `made` (a write's
    bodies are read-only until sent)."""
    cell = made.get(value)
    if cell is None:
        cell = made[value] = make(value)
    return cell


def mark_rule(sheet_id: int, header_row: int, column: int, header: str, notes_column: int
              ) -> dict[str, Any]:
    """The conditional-format rule that highlights a column's cells whose row's Sync Notes
    names it: a highlight that never touches the cell's own colour."""
    formula = MARK_FORMULA.format(header=header.replace('"', '""'),
                                  notes=column_letter(notes_column), row=header_row + 1)
    return {"ranges": [{"sheetId": sheet_id, "startRowIndex": header_row,
                        "startColumnIndex": column, "endColumnIndex": column + 1}],
            "booleanRule": {
                "condition": {"type": "CUSTOM_FORMULA",
                              "values": [{"userEnteredValue": formula}]},
                "format": {"backgroundColorStyle": {"rgbColor": HIGHLIGHT}}}}


def is_mark_rule(rule: Mapping[str, Any]) -> bool:
    """Whether a conditional-format rule is one of sheetsync's highlights."""
    values = rule.get("booleanRule", {}).get("condition", {}).get("values", [])
    return len(values) == 1 and str(values[0].get("userEnteredValue", "")).startswith(
        '=ISNUMBER(FIND("| ')


def reconcile_rules(sheet_id: int, existing: Sequence[Mapping[str, Any]],
                    wanted: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Requests that leave exactly the wanted highlight rules: each added once, a stale or
    doubled one of sheetsync's deleted, a person's own rules left alone."""
    def sig(rule: Mapping[str, Any]) -> str:
        return json.dumps({"ranges": rule.get("ranges"),
                           "condition": rule.get("booleanRule", {}).get("condition")},
                          sort_keys=True)

    wanted_sigs = {sig(rule): rule for rule in wanted}
    kept: set[str] = set()
    deletes: list[int] = []
    for index, rule in enumerate(existing):
        if not is_mark_rule(rule):
            continue
        s = sig(rule)
        if s in wanted_sigs and s not in kept:
            kept.add(s)
        else:
            deletes.append(index)
    requests: list[dict[str, Any]] = [
        {"deleteConditionalFormatRule": {"sheetId": sheet_id, "index": index}}
        for index in sorted(deletes, reverse=True)]
    requests += [{"addConditionalFormatRule": {"rule": rule, "index": 0}}
                 for s, rule in wanted_sigs.items() if s not in kept]
    return requests


def with_changes(rules: Sequence[Mapping[str, Any]], changes: Sequence[Mapping[str, Any]]
                 ) -> list[Mapping[str, Any]]:
    """A tab's conditional-format rules as Google leaves them after these requests."""
    after = list(rules)
    for change in changes:
        if "deleteConditionalFormatRule" in change:
            del after[change["deleteConditionalFormatRule"]["index"]]
        elif "addConditionalFormatRule" in change:
            add = change["addConditionalFormatRule"]
            after.insert(add.get("index", 0), add["rule"])
    return after


def in_batches(requests: Iterable[dict[str, Any]], limit: int = MAX_BODY
               ) -> Iterator[list[dict[str, Any]]]:
    """Requests grouped into bodies under Google's ~2 MB guidance, in order; a batchUpdate is
    atomic, so one body is split only when it must be (a large tracker's adoption)."""
    batch: list[dict[str, Any]] = []
    size = 0
    for request in requests:
        for part in _split(request, limit):
            length = len(json.dumps(part, separators=(",", ":")))
            if batch and size + length > limit:
                yield batch
                batch, size = [], 0
            batch.append(part)
            size += length
    if batch:
        yield batch


def _split(request: dict[str, Any], limit: int) -> Iterator[dict[str, Any]]:
    """An updateCells too large for one body, cut into runs of rows that fit."""
    update = request.get("updateCells")
    if update is None or len(json.dumps(request, separators=(",", ":"))) <= limit:
        yield request
        return
    rows = update["rows"]
    per_row = max(1, len(json.dumps(rows, separators=(",", ":"))) // len(rows))
    step = max(1, limit // (2 * per_row))
    start_row = update["range"]["startRowIndex"]
    for offset in range(0, len(rows), step):
        part = rows[offset:offset + step]
        yield {"updateCells": {
            "range": {**update["range"], "startRowIndex": start_row + offset,
                      "endRowIndex": start_row + offset + len(part)},
            "rows": part, "fields": update["fields"]}}


def serial_of(day: date | datetime) -> float:
    """A date or a naive date-time as a Sheets serial number (for report tabs)."""
    when = day if isinstance(day, datetime) else datetime(day.year, day.month, day.day)
    return (when.replace(tzinfo=None) - SERIAL_EPOCH) / timedelta(days=1)
