"""A stateful fake of Google Sheets API v4 and Drive API v3, mounted at requests' transport.

The real gspread HTTP client (an `AuthorizedSession`, i.e. a `requests.Session`) talks to it:
`installed()` replaces `HTTPAdapter.send` for Google's hosts only, so nothing reaches the
network and a token refresh fails the test. The fake keeps spreadsheets with their tabs, cells
(value, number format, note, fill, data validation), conditional formats, protected ranges,
basic filters and charts; answers the five calls sheetsync makes (spreadsheets.get,
values.batchGet, spreadsheets.batchUpdate, values.batchUpdate, Drive files.get) the way Google
documents them; and lets a test act as a person editing the sheet between the daemon's calls.

Everything crossing the wire is checked against Google's own discovery documents
(tests/google_discovery.py): query parameter names and enum values, every request body
(strictly: an unknown field, a wrong enum, two kinds in one Request fail) and every response
body the fake builds. A violation raises AssertionError in the caller (and is kept in
`violations`), because a 400 could be swallowed by the code under test.

Conventions of the person-side helpers: rows are 1-based as a person sees them (row 1 is the
header), columns are letters ("A", "AB"); a tab is named by its title (or its sheetId) and
looked up across all spreadsheets unless `spreadsheet=` is given.
"""

from __future__ import annotations

import copy
import json
import re
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from datetime import time as clock_time
from functools import partial
from typing import Any

import jsonschema
import requests

from sheetsync.core.table import column_letter
from tests import google_discovery as discovery
from tests.transport import json_response, mounted

Json = dict[str, Any]
Mask = dict[str, "Mask | None"]
Coord = tuple[int, int]

TOKEN = "fake-token"
SPREADSHEET_ID = "1FakeSheetsyncTrackerSpreadsheet000000000000"
SHEETS_HOST, DRIVE_HOST, TOKEN_HOST = ("sheets.googleapis.com", "www.googleapis.com",
                                       "oauth2.googleapis.com")
SERVICE_ACCOUNT = "sheetsync@fake-project.iam.gserviceaccount.com"
EPOCH = datetime(1899, 12, 30)  # serial number 0, as in Lotus 1-2-3 and every spreadsheet since
READS = ("spreadsheets.get", "spreadsheets.getByDataFilter", "values.batchGet")
WRITES = ("batchUpdate", "values.batchUpdate")
#: operation -> (api, discovery method id)
OPERATIONS = {
    "spreadsheets.get": ("sheets", "sheets.spreadsheets.get"),
    "spreadsheets.getByDataFilter": ("sheets", "sheets.spreadsheets.getByDataFilter"),
    "values.batchGet": ("sheets", "sheets.spreadsheets.values.batchGet"),
    "batchUpdate": ("sheets", "sheets.spreadsheets.batchUpdate"),
    "values.batchUpdate": ("sheets", "sheets.spreadsheets.values.batchUpdate"),
    "files.get": ("drive", "drive.files.get"),
}
FAULT_KINDS = ("400", "429", "429-retry-after", "500", "503", "timeout", "timeout-after-apply",
               "drop", "garbled")
STATUSES = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED",
            404: "NOT_FOUND", 429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 503: "UNAVAILABLE"}
UNAUTHENTICATED = ("Request had invalid authentication credentials. Expected OAuth 2 access "
                   "token, login cookie or other valid authentication credential. See "
                   "https://developers.google.com/identity/sign-in/web/devconsole-project.")
DEFAULT_PATTERNS = {"DATE": "M/d/yyyy", "DATE_TIME": "M/d/yyyy H:mm:ss", "TIME": "h:mm:ss am/pm"}
#: What Google reports as a cell's effectiveFormat when nobody formatted it.
DEFAULT_FORMAT: Json = {
    "backgroundColor": {"red": 1, "green": 1, "blue": 1},
    "padding": {"top": 2, "right": 3, "bottom": 2, "left": 3},
    "verticalAlignment": "BOTTOM",
    "wrapStrategy": "OVERFLOW_CELL",
    "textFormat": {"foregroundColor": {}, "fontFamily": "arial,sans,sans-serif", "fontSize": 10,
                   "bold": False, "italic": False, "strikethrough": False, "underline": False,
                   "foregroundColorStyle": {"rgbColor": {}}},
    "backgroundColorStyle": {"rgbColor": {"red": 1, "green": 1, "blue": 1}},
}
OUTPUT_ONLY_CELL_FIELDS = ("effectiveValue", "formattedValue", "effectiveFormat")


class Invalid(Exception):
    """What Google answers with 400 INVALID_ARGUMENT: the request is well-formed JSON that the
    schema allows, but names a missing tab, a range off the grid, a rule that is not there."""


# --- A1 notation, serial numbers, colours ----------------------------------------------------


def column_index(letters: str) -> int:
    """"A" -> 0, "AA" -> 26."""
    if not re.fullmatch(r"[A-Za-z]{1,3}", letters):
        raise ValueError(f"not a column letter: {letters!r}")
    index = 0
    for char in letters.upper():
        index = index * 26 + ord(char) - 64
    return index - 1


def quote_title(title: str) -> str:
    """A tab title as Google writes it in a range: bare when it can be, else quoted."""
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", title) and not re.fullmatch(
            r"(?i)[a-z]{1,3}[0-9]+|r[0-9]*c[0-9]*|true|false", title):
        return title
    return "'" + title.replace("'", "''") + "'"


def a1(title: str, r0: int, r1: int, c0: int, c1: int) -> str:
    """The A1 range of rows [r0, r1) and columns [c0, c1) on a tab."""
    start = f"{column_letter(c0)}{r0 + 1}"
    if r1 - r0 == 1 and c1 - c0 == 1:
        return f"{quote_title(title)}!{start}"
    return f"{quote_title(title)}!{start}:{column_letter(c1 - 1)}{r1}"


_CELLS = re.compile(r"\$?([A-Za-z]{0,3})\$?([0-9]*)(?:(:)\$?([A-Za-z]{0,3})\$?([0-9]*))?")


def parse_a1(text: str) -> tuple[str | None, int | None, int | None, int | None, int | None]:
    """`'My Tab'!A2:C`, `Tickets!C:C`, `A1`, `Tickets` -> (title, r0, r1, c0, c1), 0-based and
    half-open, None where the range is unbounded (title None: the first tab)."""
    title: str | None = None
    rest = text
    if text.startswith("'"):
        quoted = re.fullmatch(r"'((?:[^']|'')*)'(?:!(.*))?", text, re.S)
        if not quoted:
            raise Invalid(f"Unable to parse range: {text}")
        title, rest = quoted.group(1).replace("''", "'"), quoted.group(2) or ""
    elif "!" in text:
        title, rest = text.split("!", 1)
    if rest == "":
        return (text if title is None else title), None, None, None, None
    match = _CELLS.fullmatch(rest)
    if not match:
        if title is None:
            return text, None, None, None, None  # a bare tab title
        raise Invalid(f"Unable to parse range: {text}")
    col0, row0, colon, col1, row1 = match.groups()
    if not colon:
        if not (col0 and row0):
            if title is None:
                return text, None, None, None, None
            raise Invalid(f"Unable to parse range: {text}")
        r, c = int(row0) - 1, column_index(col0)
        if r < 0:
            raise Invalid(f"Unable to parse range: {text}")
        return title, r, r + 1, c, c + 1
    if not (col0 or row0) or not (col1 or row1) or row0 == "0" or row1 == "0" or \
            (bool(col0) != bool(col1) and not (col0 and row0)):
        raise Invalid(f"Unable to parse range: {text}")
    r0 = int(row0) - 1 if row0 else 0
    c0 = column_index(col0) if col0 else 0
    r1 = int(row1) if row1 else None
    c1 = column_index(col1) + 1 if col1 else None
    if r1 is not None and r1 <= r0:
        r0, r1 = r1 - 1, r0 + 1
    if c1 is not None and c1 <= c0:
        c0, c1 = c1 - 1, c0 + 1
    return title, r0, r1, c0, c1


def serial(value: datetime | date | clock_time) -> float:
    """A date, datetime or time as a spreadsheet serial number: days since 1899-12-30 of the
    naive wall-clock time (a timezone-aware datetime keeps its wall clock, as a person typing
    it would)."""
    if isinstance(value, datetime):
        return (value.replace(tzinfo=None) - EPOCH) / timedelta(days=1)
    if isinstance(value, date):
        return float((value - EPOCH.date()).days)
    return (value.hour * 3600 + value.minute * 60 + value.second
            + value.microsecond / 1e6) / 86400


def from_serial(number: float) -> datetime:
    """The naive datetime of a serial number, to the nearest second."""
    return EPOCH + timedelta(seconds=round(number * 86400))


def _num(value: float | int) -> float | int:
    """An integral double as the integer Google's JSON writes for it."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


def rgb(colour: tuple[float, float, float] | str) -> Json:
    """(r, g, b) in 0..1 or "#rrggbb" as a Google Color (zero components omitted, as Google
    writes them)."""
    if isinstance(colour, str):
        hexa = colour.lstrip("#")
        colour = (int(hexa[0:2], 16) / 255, int(hexa[2:4], 16) / 255, int(hexa[4:6], 16) / 255)
    return {k: v for k, v in zip(("red", "green", "blue"), colour) if v}


def _rgb_tuple(color: Mapping[str, Any]) -> tuple[float, float, float]:
    return (float(color.get("red", 0)), float(color.get("green", 0)), float(color.get("blue", 0)))


# --- number formats --------------------------------------------------------------------------

_TOKENS = re.compile(r"am/pm|AM/PM|a/p|A/P|yyyy|yy|mmmm|mmm|dddd|ddd|[mMdDhHsS]{1,2}|\.0+|.",
                     re.S)


def format_pattern(pattern: str, number: float) -> str:
    """Render a serial number with a Sheets date/time pattern (the tokens Sheets documents:
    y, m (month, or minute next to h or s), d, h, s, am/pm); raises NotImplementedError for
    what the fake does not know."""
    moment = from_serial(number)
    tokens = _TOKENS.findall(pattern)
    twelve = any(t.lower() in ("am/pm", "a/p") for t in tokens)
    out: list[str] = []
    for i, token in enumerate(tokens):
        low = token.lower()
        if low in ("yyyy",):
            out.append(f"{moment.year:04d}")
        elif low == "yy":
            out.append(f"{moment.year % 100:02d}")
        elif low in ("mmmm", "mmm"):
            name = moment.strftime("%B")
            out.append(name if low == "mmmm" else name[:3])
        elif low in ("m", "mm"):
            before = next((t.lower() for t in reversed(tokens[:i]) if t.strip(":/ -.,")), "")
            after = next((t.lower() for t in tokens[i + 1:] if t.strip(":/ -.,")), "")
            minute = before.startswith("h") or after.startswith("s")
            part = moment.minute if minute else moment.month
            out.append(f"{part:02d}" if low == "mm" else str(part))
        elif low in ("dddd", "ddd"):
            name = moment.strftime("%A")
            out.append(name if low == "dddd" else name[:3])
        elif low in ("d", "dd"):
            out.append(f"{moment.day:02d}" if low == "dd" else str(moment.day))
        elif low in ("h", "hh"):
            hour = (moment.hour % 12 or 12) if twelve else moment.hour
            out.append(f"{hour:02d}" if low == "hh" else str(hour))
        elif low in ("s", "ss"):
            out.append(f"{moment.second:02d}" if low == "ss" else str(moment.second))
        elif low in ("am/pm", "a/p"):
            marker = "AM" if moment.hour < 12 else "PM"
            out.append(marker if low == "am/pm" else marker[0])
        elif token.startswith(".0") or token in ('"', "\\", "@", "#", "0", "?", "*", "_"):
            raise NotImplementedError(f"the fake cannot render the number format {pattern!r}")
        else:
            out.append(token)
    return "".join(out)


def format_number(number: float | int, number_format: Mapping[str, Any] | None,
                  locale: str) -> str:
    """A number as Sheets displays it: dates and times by their pattern, NUMBER as #,##0.00
    (or 0, 0.0), PERCENT as 0.00% (or 0%), anything else the short automatic way
    (919876543210, 1.5)."""
    kind = (number_format or {}).get("type")
    pattern = (number_format or {}).get("pattern") or DEFAULT_PATTERNS.get(str(kind), "")
    if kind in ("DATE", "DATE_TIME", "TIME"):
        if locale != "en_US":
            raise NotImplementedError(f"the fake formats dates for en_US only, not {locale}")
        return format_pattern(pattern, float(number))
    if kind == "NUMBER" and pattern in ("", "#,##0.00"):
        return f"{number:,.2f}"
    if kind == "PERCENT" and pattern in ("", "0.00%", "0%"):
        return f"{number * 100:.{0 if pattern == '0%' else 2}f}%"
    if kind == "NUMBER" and pattern in ("0", "0.0"):
        return f"{number:.{len(pattern) - 2 if '.' in pattern else 0}f}"
    if kind not in (None, "", "TEXT", "NUMBER_FORMAT_TYPE_UNSPECIFIED") or \
            (kind == "NUMBER" and pattern):
        raise NotImplementedError(f"the fake cannot render number format {number_format}")
    value = _num(number)
    return str(value) if isinstance(value, int) else f"{value:.15g}"


def typed_value(text: str, text_format: bool = False) -> tuple[Json | None, Json | None]:
    """What Sheets makes of `text` typed by a person or sent with USER_ENTERED (en_US): a
    formula, a number, a boolean, a date or date-time (with the number format it implies), or a
    string. A cell formatted as plain text (TEXT) keeps everything as typed."""
    if text == "":
        return None, None
    if text_format:
        return {"stringValue": text}, None
    if text.startswith("="):
        return {"formulaValue": text}, None
    if text.startswith("'"):
        return {"stringValue": text[1:]}, None
    if text.upper() in ("TRUE", "FALSE"):
        return {"boolValue": text.upper() == "TRUE"}, None
    if re.fullmatch(r"\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*", text):
        return {"numberValue": _num(float(text))}, None
    us = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})(?: (\d{1,2}):(\d{2})(?::(\d{2}))?)?", text)
    iso = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?",
                       text)
    found = us or iso
    if found:
        groups = found.groups()
        month, day, year = (groups[0], groups[1], groups[2]) if us else \
            (groups[1], groups[2], groups[0])
        try:
            moment = datetime(int(year), int(month), int(day), int(groups[3] or 0),
                              int(groups[4] or 0), int(groups[5] or 0))
        except ValueError:
            return {"stringValue": text}, None
        timed = groups[3] is not None
        if iso:
            pattern = "yyyy-mm-dd" + (" h:mm" if timed else "") + (":ss" if groups[5] else "")
        else:
            pattern = "M/d/yyyy" + (" H:mm" if timed else "") + (":ss" if groups[5] else "")
        return ({"numberValue": _num(serial(moment))},
                {"type": "DATE_TIME" if timed else "DATE", "pattern": pattern})
    return {"stringValue": text}, None


# --- field masks -----------------------------------------------------------------------------


def parse_mask(text: str) -> Mask:
    """Google's field mask syntax: `a,b.c,d(e,f(g))` -> {"a": None, "b": {"c": None}, ...};
    None means the whole field."""
    pos = 0

    def name() -> str:
        nonlocal pos
        start = pos
        while pos < len(text) and text[pos] not in ",()./":
            pos += 1
        word = text[start:pos].strip()
        if not word:
            raise Invalid(f"Invalid field selection {text}")
        return word

    def item() -> Mask:
        nonlocal pos
        key = name()
        if pos < len(text) and text[pos] in "./":
            pos += 1
            return {key: item()}
        if pos < len(text) and text[pos] == "(":
            pos += 1
            inner = items()
            if pos >= len(text) or text[pos] != ")":
                raise Invalid(f"Invalid field selection {text}")
            pos += 1
            return {key: inner}
        return {key: None}

    def items() -> Mask:
        nonlocal pos
        out: Mask = {}
        while True:
            out = merge_masks(out, item())
            if pos < len(text) and text[pos] == ",":
                pos += 1
                continue
            return out

    mask = items()
    if pos != len(text):
        raise Invalid(f"Invalid field selection {text}")
    return mask


def merge_masks(a: Mask, b: Mask) -> Mask:
    out = dict(a)
    for key, sub in b.items():
        if key not in out:
            out[key] = sub
        else:
            mine = out[key]
            out[key] = None if mine is None or sub is None else merge_masks(mine, sub)
    return out


def mask_paths(mask: Mask) -> list[list[str]]:
    return [[key] + rest for key, sub in mask.items()
            for rest in ([[]] if sub is None else mask_paths(sub))]


def check_mask(api: str, schema: str, mask: Mask) -> None:
    """Every path of the mask names a field of `schema`, as Google insists."""
    for path in mask_paths(mask):
        named = path[:path.index("*")] if "*" in path else path
        if discovery.field_schema(api, schema, named) is None:
            raise Invalid(f"Invalid field selection {'.'.join(path)}")


def select(value: Any, mask: Mask | None) -> Any:
    """The part of a response a field mask asks for (a partial response)."""
    if mask is None or "*" in mask:
        return value
    if isinstance(value, list):
        return [select(v, mask) for v in value]
    if isinstance(value, dict):
        out: Json = {}
        for key, sub in mask.items():
            if key in value:
                picked = select(value[key], sub)
                if picked != {} and picked != []:
                    out[key] = picked
        return out
    return value


def apply_mask(target: Json, source: Mapping[str, Any], mask: Mask) -> None:
    """Google's update semantics: each field in the mask takes the source's value, and a field
    in the mask that the source lacks is cleared."""
    for key, sub in mask.items():
        if key == "*":
            target.clear()
            target.update(copy.deepcopy(dict(source)))
        elif sub is None or "*" in sub:
            if key in source:
                target[key] = copy.deepcopy(source[key])
            else:
                target.pop(key, None)
        else:
            child = target.get(key)
            child = child if isinstance(child, dict) else {}
            given = source.get(key)
            apply_mask(child, given if isinstance(given, dict) else {}, sub)
            if child:
                target[key] = child
            else:
                target.pop(key, None)


# --- state -----------------------------------------------------------------------------------


@dataclass
class Tab:
    """One sheet (tab): its SheetProperties (without index: that is its place in the list),
    its cells as sparse CellData-shaped dicts keyed (row, column), 0-based, and its objects."""

    properties: Json
    cells: dict[Coord, Json] = field(default_factory=dict)
    conditional_formats: list[Json] = field(default_factory=list)
    protected_ranges: list[Json] = field(default_factory=list)
    basic_filter: Json | None = None
    charts: list[Json] = field(default_factory=list)
    column_pixels: dict[int, int] = field(default_factory=dict)  # 0-based column -> width

    @property
    def sheet_id(self) -> int:
        return int(self.properties["sheetId"])

    @property
    def title(self) -> str:
        return str(self.properties["title"])

    @property
    def grid(self) -> Json:
        grid: Json = self.properties.setdefault("gridProperties", {})
        return grid

    @property
    def row_count(self) -> int:
        return int(self.grid.get("rowCount", 0))

    @property
    def column_count(self) -> int:
        return int(self.grid.get("columnCount", 0))

    @property
    def frozen_row_count(self) -> int:
        return int(self.grid.get("frozenRowCount", 0))

    def used(self) -> tuple[int, int]:
        """(rows, columns) up to the last cell holding a value."""
        valued = [k for k, c in self.cells.items() if "userEnteredValue" in c]
        return (max((r for r, _ in valued), default=-1) + 1,
                max((c for _, c in valued), default=-1) + 1)


@dataclass
class Spreadsheet:
    """One spreadsheet: its properties, ordered tabs and its Drive file's version and times."""

    spreadsheet_id: str
    properties: Json
    tabs: list[Tab] = field(default_factory=list)
    version: int = 1
    modified: float = 0.0
    created: float = 0.0
    shown: int = 1  # the version Drive shows (behind `version` in the lagging mode)
    unshown_since: float | None = None  # when `version` first moved past `shown`
    shared: bool = True
    can_edit: bool = True  # shared as an Editor, not only as a Viewer

    @property
    def locale(self) -> str:
        return str(self.properties.get("locale", "en_US"))


def _rfc3339(seconds: float) -> str:
    moment = datetime.fromtimestamp(seconds, tz=timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _value(cell: Mapping[str, Any]) -> Any:
    entered = cell.get("userEnteredValue") or {}
    for key in ("stringValue", "numberValue", "boolValue", "formulaValue"):
        if key in entered:
            return entered[key]
    return None


def _number_format(cell: Mapping[str, Any]) -> Json | None:
    found = (cell.get("userEnteredFormat") or {}).get("numberFormat")
    return dict(found) if found else None


def _python_cell_value(value: object) -> tuple[Json | None, Json | None]:
    """A Python value as a person pasting it would leave it in a cell."""
    if value is None or value == "":
        return None, None
    if isinstance(value, bool):
        return {"boolValue": value}, None
    if isinstance(value, (int, float)):
        return {"numberValue": _num(value)}, None
    if isinstance(value, datetime):
        return ({"numberValue": _num(serial(value))},
                {"type": "DATE_TIME", "pattern": DEFAULT_PATTERNS["DATE_TIME"]})
    if isinstance(value, date):
        return {"numberValue": _num(serial(value))}, {"type": "DATE",
                                                      "pattern": DEFAULT_PATTERNS["DATE"]}
    if isinstance(value, clock_time):
        return {"numberValue": serial(value)}, {"type": "TIME", "pattern": DEFAULT_PATTERNS["TIME"]}
    if isinstance(value, str):
        return {"stringValue": value}, None
    raise TypeError(f"a cell cannot hold {value!r}")


def _set_value(cell: Json, entered: Json | None, number_format: Json | None) -> None:
    """Store a value; a number format it implies is set only where the cell has none."""
    if entered is None:
        cell.pop("userEnteredValue", None)
        return
    cell["userEnteredValue"] = entered
    if number_format and not _number_format(cell):
        cell.setdefault("userEnteredFormat", {})["numberFormat"] = number_format


def _mirror_colours(cell_format: Json) -> Json:
    """Google reports a background both as backgroundColorStyle and the older
    backgroundColor."""
    out: Json = _copy(cell_format)
    style = out.get("backgroundColorStyle", {})
    if "rgbColor" in style:
        out["backgroundColor"] = style["rgbColor"]
    return out


def _copy(value: Any) -> Any:
    """A deep copy of plain JSON data, several times faster than copy.deepcopy."""
    return json.loads(json.dumps(value))


def _compact(value: Any) -> Any:
    """The same JSON with repeated list items kept once: schema validation of a response
    need not look at a thousand identical cells."""
    if isinstance(value, list):
        seen: dict[str, Any] = {}
        for item in value:
            seen.setdefault(json.dumps(item, sort_keys=True), item)
        return [_compact(v) for v in seen.values()]
    if isinstance(value, dict):
        return {k: _compact(v) for k, v in value.items()}
    return value


def _submask(mask: Mask | None, path: Sequence[str]) -> Mask | None:
    """The part of a mask below `path` (None: everything)."""
    for key in path:
        if mask is None or "*" in mask:
            return None
        mask = mask.get(key, {})
    return mask


def _wants(mask: Mask | None, key: str) -> bool:
    return mask is None or "*" in mask or key in mask


def _deep_merge(base: Json, over: Mapping[str, Any]) -> Json:
    out: Json = _copy(base)
    for key, value in over.items():
        atomic = key == "rgbColor" or key.endswith("Color")  # a colour replaces, never mixes
        if isinstance(value, dict) and isinstance(out.get(key), dict) and not atomic:
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = _copy(value)
    return out


def _normalise_write(cell: Mapping[str, Any]) -> Json:
    """A CellData from a request as the fake stores it: output-only fields dropped, the older
    backgroundColor folded into backgroundColorStyle (they are one field at Google)."""
    out = {k: copy.deepcopy(v) for k, v in cell.items() if k not in OUTPUT_ONLY_CELL_FIELDS}
    fmt = out.get("userEnteredFormat")
    if isinstance(fmt, dict) and "backgroundColor" in fmt:
        colour = fmt.pop("backgroundColor")
        fmt.setdefault("backgroundColorStyle", {"rgbColor": colour})
    return out


def _normalise_cell_mask(mask: Mask) -> Mask:
    out = {k: v for k, v in mask.items() if k not in OUTPUT_ONLY_CELL_FIELDS}
    fmt = out.get("userEnteredFormat")
    if isinstance(fmt, dict) and "backgroundColor" in fmt:
        rest = {k: v for k, v in fmt.items() if k != "backgroundColor"}
        out["userEnteredFormat"] = merge_masks(rest, {"backgroundColorStyle": None})
    return out


def _shift(index: int | None, start: int, count: int, end: bool) -> int | None:
    """An index of a range after `count` rows/columns are inserted (count > 0) at `start`, or
    deleted (count < 0) from `start`."""
    if index is None:
        return None
    if count > 0:
        return index + count if (index > start if end else index >= start) else index
    gone = -count
    if index >= start + gone:
        return index - gone
    return min(index, start)


# --- the fake --------------------------------------------------------------------------------


@dataclass(repr=False)
class FakeSheets:
    """Google Sheets v4 + Drive v3 for one user (the token), with the faults and quota to
    come. Mutations by the API and by a person (the helpers below) bump the Drive version;
    with `version_lag` (seconds) Drive shows the new version only that long after the first
    change it has not shown yet (Drive coalesces changes: about every 3 minutes, by its
    engineers' account of change notifications). Sheets' quotas are enforced with 429s:
    `per_minute` reads and writes for the user (the token), `per_project` for the project."""

    token: str = TOKEN
    per_minute: int = 60
    per_project: int = 300
    version_lag: float = 0.0
    clock: Callable[[], float] = field(default=time.time)
    spreadsheets: dict[str, Spreadsheet] = field(default_factory=dict)
    faults: list[tuple[str, str]] = field(default_factory=list)
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    exchanges: list[tuple[requests.PreparedRequest, requests.Response]] = field(
        default_factory=list)
    rate_limited: int = 0
    serve_tokens: bool = False  # answer OAuth token exchanges (a key file's credentials)
    revoked: tuple[str, ...] = ()  # refresh tokens Google no longer honours
    _before: list[tuple[str, Callable[[], None]]] = field(default_factory=list)
    _windows: dict[tuple[str, str], list[float]] = field(default_factory=dict)
    _next_id: int = 1_187_413_201
    _lock: threading.RLock = field(default_factory=threading.RLock)

    def __repr__(self) -> str:  # short: pytest prints it in every failing test's locals
        return (f"FakeSheets(spreadsheets={sorted(self.spreadsheets)}, calls={len(self.calls)}, "
                f"faults={self.faults}, violations={len(self.violations)})")

    # --- what a test sets up --------------------------------------------------------------

    def add_spreadsheet(self, spreadsheet_id: str = SPREADSHEET_ID,
                        tabs: Mapping[str, Sequence[Sequence[object]]] | None = None, *,
                        title: str = "Seller Support Tracker", locale: str = "en_US",
                        time_zone: str = "Asia/Kolkata", row_count: int = 1000,
                        column_count: int = 26) -> Spreadsheet:
        """A spreadsheet with tabs of rows (lists of Python values; a datetime is stored as a
        serial number formatted DATE_TIME, a date as DATE). The first tab has sheetId 0, as in
        a new spreadsheet; a grid grows to fit its rows."""
        assert spreadsheet_id not in self.spreadsheets, spreadsheet_id
        now = self.clock()
        book = Spreadsheet(spreadsheet_id, {"title": title, "locale": locale,
                                            "autoRecalc": "ON_CHANGE", "timeZone": time_zone},
                           created=now, modified=now)
        self.spreadsheets[spreadsheet_id] = book
        for i, (name, rows) in enumerate((tabs or {"Sheet1": []}).items()):
            book.tabs.append(_build_tab(0 if i == 0 else self._new_id(), name, rows, row_count,
                                        column_count))
        return book

    def fail(self, operation: str, kind: str) -> None:
        """The next request of `operation` fails so (one shot)."""
        assert operation in OPERATIONS, operation
        assert kind in FAULT_KINDS, kind
        self.faults.append((operation, kind))

    def before(self, operation: str, callback: Callable[[], None]) -> None:
        """Run `callback` (a person's edit, say) just before the next request of `operation`
        is served: the race between the daemon's read and its write."""
        assert operation in OPERATIONS, operation
        self._before.append((operation, callback))

    # --- a person at the sheet (each call bumps the version) --------------------------------

    def edit(self, tab: str | int, row: int, col: str, value: object, *,
             spreadsheet: str | None = None) -> None:
        """Put a Python value in a cell as pasted (no parsing; None or "" clears the value)."""
        book, sheet = self._locate(tab, spreadsheet)
        entered, number_format = _python_cell_value(value)
        self._person_sets(book, sheet, row, col, entered, number_format)

    def type_in(self, tab: str | int, row: int, col: str, text: str, *,
                spreadsheet: str | None = None) -> None:
        """Type text into a cell: Sheets parses it (numbers, TRUE, dates, =formulas)."""
        book, sheet = self._locate(tab, spreadsheet)
        cell = sheet.cells.get(self._coord(sheet, row, col), {})
        entered, number_format = typed_value(
            text, (_number_format(cell) or {}).get("type") == "TEXT")
        self._person_sets(book, sheet, row, col, entered, number_format)

    def insert_rows(self, tab: str | int, at_row: int, rows: Sequence[Sequence[object]], *,
                    spreadsheet: str | None = None) -> None:
        """Insert rows before row `at_row` (1-based), each inheriting the formatting and data
        validation of the row above, as "Insert row below" does."""
        book, sheet = self._locate(tab, spreadsheet)
        start = at_row - 1
        assert 1 <= start <= sheet.row_count, at_row
        # Formatting and validation come from the data row pushed down, or at the end of the
        # data from the row above; never from the header.
        source = start if start < sheet.used()[0] else start - 1
        _insert(sheet, "ROWS", start, len(rows), source if source >= 1 else None)
        for i, row in enumerate(rows):
            for c, value in enumerate(row):
                entered, number_format = _python_cell_value(value)
                if c >= sheet.column_count:
                    sheet.grid["columnCount"] = c + 1
                cell = sheet.cells.setdefault((start + i, c), {})
                _set_value(cell, entered, number_format)
                if not cell:
                    del sheet.cells[(start + i, c)]
        self._touch(book)

    def delete_rows(self, tab: str | int, at_row: int, count: int = 1, *,
                    spreadsheet: str | None = None) -> None:
        """Delete `count` rows from row `at_row` (1-based)."""
        book, sheet = self._locate(tab, spreadsheet)
        assert 1 <= at_row and at_row - 1 + count <= sheet.row_count, (at_row, count)
        _delete(sheet, "ROWS", at_row - 1, count)
        self._touch(book)

    def sort(self, tab: str | int, column: str, from_row: int = 2, descending: bool = False, *,
             spreadsheet: str | None = None) -> None:
        """Sort the rows from `from_row` to the last row with a value by one column, the way
        Data > Sort range does: whole rows move, notes, fills and validation with them.
        A to Z puts numbers (and dates) first, then text ignoring case, then booleans; blanks
        stay last either way."""
        book, sheet = self._locate(tab, spreadsheet)
        key_col = column_index(column)
        start, end = from_row - 1, sheet.used()[0]
        rows = [{c: cell for (r, c), cell in sheet.cells.items() if r == i}
                for i in range(start, end)]

        def rank(row: dict[int, Json]) -> tuple[int, Any]:
            value = _value(row.get(key_col, {}))
            if isinstance(value, bool):
                return (2, value)
            if isinstance(value, (int, float)):
                return (0, value)
            return (1, str(value).casefold())

        filled = [r for r in rows if _value(r.get(key_col, {})) not in (None, "")]
        blank = [r for r in rows if _value(r.get(key_col, {})) in (None, "")]
        filled.sort(key=rank, reverse=descending)
        for r in range(start, end):
            for c in [c for (rr, c) in sheet.cells if rr == r]:
                del sheet.cells[(r, c)]
        for offset, row in enumerate(filled + blank):
            for c, cell in row.items():
                sheet.cells[(start + offset, c)] = cell
        self._touch(book)

    def move_column(self, tab: str | int, from_col: str, to_col: str, *,
                    spreadsheet: str | None = None) -> None:
        """Drag column `from_col` so it ends up at position `to_col` (cells move with it;
        ranges of rules and protections are not remapped)."""
        book, sheet = self._locate(tab, spreadsheet)
        order = list(range(sheet.column_count))
        moved = order.pop(column_index(from_col))
        order.insert(column_index(to_col), moved)
        place = {old: new for new, old in enumerate(order)}
        sheet.cells = {(r, place[c]): cell for (r, c), cell in sheet.cells.items()}
        self._touch(book)

    def set_note(self, tab: str | int, row: int, col: str, text: str | None, *,
                 spreadsheet: str | None = None) -> None:
        """A person's note on a cell (None removes it): what sheetsync must not clobber."""
        book, sheet = self._locate(tab, spreadsheet)
        cell = sheet.cells.setdefault(self._coord(sheet, row, col), {})
        if text:
            cell["note"] = text
        else:
            cell.pop("note", None)
        self._tidy(sheet, row, col)
        self._touch(book)

    def set_fill(self, tab: str | int, row: int, col: str,
                 colour: tuple[float, float, float] | str | None, *,
                 spreadsheet: str | None = None) -> None:
        """A person's fill colour ((r, g, b) in 0..1 or "#rrggbb"; None removes it)."""
        book, sheet = self._locate(tab, spreadsheet)
        cell = sheet.cells.setdefault(self._coord(sheet, row, col), {})
        fmt = cell.setdefault("userEnteredFormat", {})
        if colour is None:
            fmt.pop("backgroundColorStyle", None)
        else:
            fmt["backgroundColorStyle"] = {"rgbColor": rgb(colour)}
        if not fmt:
            del cell["userEnteredFormat"]
        self._tidy(sheet, row, col)
        self._touch(book)

    def set_validation(self, tab: str | int, row: int, col: str, rule: Json | None, *,
                       spreadsheet: str | None = None) -> None:
        """A person's data validation rule on one cell (None removes it)."""
        book, sheet = self._locate(tab, spreadsheet)
        if rule is not None:
            discovery.validate("DataValidationRule", rule)
        cell = sheet.cells.setdefault(self._coord(sheet, row, col), {})
        if rule is None:
            cell.pop("dataValidation", None)
        else:
            cell["dataValidation"] = copy.deepcopy(rule)
        self._tidy(sheet, row, col)
        self._touch(book)

    def rename_tab(self, old: str, new: str, *, spreadsheet: str | None = None) -> None:
        """A person renames a tab; its sheetId stays, so code holding the ID still finds it."""
        book, sheet = self._locate(old, spreadsheet)
        assert all(t.title != new for t in book.tabs), new
        sheet.properties["title"] = new
        self._touch(book)

    def add_tab(self, title: str, rows: Sequence[Sequence[object]] = (), *,
                spreadsheet: str | None = None) -> Tab:
        book = self._book(spreadsheet)
        assert all(t.title != title for t in book.tabs), title
        tab = _build_tab(self._new_id(), title, rows, 1000, 26)
        book.tabs.append(tab)
        self._touch(book)
        return tab

    def delete_tab(self, title: str, *, spreadsheet: str | None = None) -> None:
        book, sheet = self._locate(title, spreadsheet)
        book.tabs.remove(sheet)
        self._touch(book)

    def delete_spreadsheet(self, spreadsheet_id: str) -> None:
        """The file is gone: Sheets and Drive answer 404."""
        del self.spreadsheets[spreadsheet_id]

    def unshare(self, spreadsheet_id: str) -> None:
        """The service account loses access: Sheets answers 403, Drive 404 (Drive does not
        reveal a file the caller cannot see)."""
        self.spreadsheets[spreadsheet_id].shared = False

    def reshare(self, spreadsheet_id: str) -> None:
        self.spreadsheets[spreadsheet_id].shared = True
        self.spreadsheets[spreadsheet_id].can_edit = True

    def share_view_only(self, spreadsheet_id: str) -> None:
        """The service account may read but not edit: Sheets writes answer 403, and Drive's
        capabilities.canEdit is false."""
        self.spreadsheets[spreadsheet_id].can_edit = False

    # --- what a test looks at ---------------------------------------------------------------

    def spreadsheet(self, spreadsheet_id: str | None = None) -> Spreadsheet:
        return self._book(spreadsheet_id)

    def tab(self, title: str | int, *, spreadsheet: str | None = None) -> Tab:
        return self._locate(title, spreadsheet)[1]

    def values(self, tab: str | int, *, spreadsheet: str | None = None) -> list[list[Any]]:
        """The tab as a person reads it, padded to a rectangle up to the last value ("" for a
        blank): str, int/float, bool, date/datetime/time for date-formatted numbers, a
        formula's text."""
        book, sheet = self._locate(tab, spreadsheet)
        rows, cols = sheet.used()
        return [[self._python(sheet.cells.get((r, c), {})) for c in range(cols)]
                for r in range(rows)]

    def value(self, tab: str | int, row: int, col: str, *,
              spreadsheet: str | None = None) -> Any:
        book, sheet = self._locate(tab, spreadsheet)
        return self._python(sheet.cells.get(self._coord(sheet, row, col), {}))

    def shown(self, tab: str | int, row: int, col: str, *,
              spreadsheet: str | None = None) -> str:
        """The cell's text as Sheets shows it (its FORMATTED_VALUE)."""
        book, sheet = self._locate(tab, spreadsheet)
        return self._display(book, sheet.cells.get(self._coord(sheet, row, col), {}))

    def cell(self, tab: str | int, row: int, col: str, *,
             spreadsheet: str | None = None) -> Json:
        """The stored CellData (userEnteredValue, userEnteredFormat, note, dataValidation)."""
        book, sheet = self._locate(tab, spreadsheet)
        return copy.deepcopy(sheet.cells.get(self._coord(sheet, row, col), {}))

    def formula(self, tab: str | int, row: int, col: str, *,
                spreadsheet: str | None = None) -> str | None:
        """The cell's formula, if it holds one: what a USER_ENTERED "=..." leaves behind."""
        entered = self.cell(tab, row, col, spreadsheet=spreadsheet).get("userEnteredValue", {})
        found = entered.get("formulaValue")
        return str(found) if found is not None else None

    def note(self, tab: str | int, row: int, col: str, *,
             spreadsheet: str | None = None) -> str | None:
        found = self.cell(tab, row, col, spreadsheet=spreadsheet).get("note")
        return str(found) if found is not None else None

    def fill(self, tab: str | int, row: int, col: str, *,
             spreadsheet: str | None = None) -> tuple[float, float, float] | None:
        """The cell's own background (a person's fill or an API write), not conditional."""
        fmt = self.cell(tab, row, col, spreadsheet=spreadsheet).get("userEnteredFormat", {})
        colour = fmt.get("backgroundColorStyle", {}).get("rgbColor")
        return _rgb_tuple(colour) if colour is not None else None

    def validation(self, tab: str | int, row: int, col: str, *,
                   spreadsheet: str | None = None) -> Json | None:
        found = self.cell(tab, row, col, spreadsheet=spreadsheet).get("dataValidation")
        return dict(found) if found is not None else None

    def effective_fill(self, tab: str | int, row: int, col: str, *,
                       spreadsheet: str | None = None) -> tuple[float, float, float] | None:
        """The background a person sees: the first conditional format rule that holds for the
        cell wins, else the cell's own fill. Evaluates CUSTOM_FORMULA rules of the shapes
        =ISNUMBER(SEARCH("text", $X2)) and =$X2="text", and TEXT_CONTAINS, TEXT_EQ,
        TEXT_STARTS_WITH, TEXT_ENDS_WITH, BLANK, NOT_BLANK, and sheetsync's highlight
        =ISNUMBER(FIND("text", "prefix"&$X2)); anything else raises
        NotImplementedError."""
        book, sheet = self._locate(tab, spreadsheet)
        r, c = self._coord(sheet, row, col)
        for rule in sheet.conditional_formats:
            bounds = [self._bounds(book, g) for g in rule.get("ranges", [])]
            if not any(b[1] <= r < b[2] and b[3] <= c < b[4] for b in bounds):
                continue
            if "booleanRule" not in rule:
                raise NotImplementedError("the fake evaluates boolean rules only, not gradients")
            anchor = (bounds[0][1], bounds[0][3])
            if self._holds(book, sheet, rule["booleanRule"]["condition"], r, c, anchor):
                fmt = rule["booleanRule"].get("format", {})
                colour = fmt.get("backgroundColorStyle", {}).get("rgbColor",
                                                                 fmt.get("backgroundColor"))
                if colour is not None:
                    return _rgb_tuple(colour)
                break
        return self.fill(tab, row, col, spreadsheet=spreadsheet)

    def column_of(self, tab: str | int, header: str, *, spreadsheet: str | None = None) -> str:
        """The letter of the column whose row-1 header is `header`."""
        book, sheet = self._locate(tab, spreadsheet)
        for (r, c), cell in sheet.cells.items():
            if r == 0 and _value(cell) == header:
                return column_letter(c)
        raise KeyError(header)

    def version(self, spreadsheet_id: str | None = None) -> int:
        """The Drive file's version: it moves on every change, by the API or by a person."""
        return self._book(spreadsheet_id).version

    def modified_time(self, spreadsheet_id: str | None = None) -> str:
        return _rfc3339(self._book(spreadsheet_id).modified)

    def operations(self) -> list[str]:
        return [name for name, _ in self.calls]

    def counts(self) -> Counter[str]:
        return Counter(self.operations())

    def reads(self) -> int:
        return sum(1 for name, _ in self.calls if name in READS)

    def writes(self) -> int:
        return sum(1 for name, _ in self.calls if name in WRITES)

    # --- the transport ----------------------------------------------------------------------

    @contextmanager
    def installed(self) -> Iterator[FakeSheets]:
        """Serve Google's hosts from this fake in every requests session of this process; any
        other host goes to whatever transport was there before (another fake, say)."""
        def answer(host: str | None, request: requests.PreparedRequest
                   ) -> requests.Response | None:
            if host == TOKEN_HOST and self.serve_tokens:
                return self.token_exchange(request)
            if host == TOKEN_HOST:
                self.violations.append("token refresh attempted")
                raise AssertionError("token refresh attempted")
            if host not in (SHEETS_HOST, DRIVE_HOST):
                return None
            arrived = self.clock()  # what Google's quota counts, before the queue below
            with self._lock:  # one request at a time, as a daemon's threads would see it
                response = self.handle(request, arrived)
                self.exchanges.append((request, response))
            return response

        with mounted(answer):
            yield self

    def token_exchange(self, request: requests.PreparedRequest) -> requests.Response:
        """OAuth 2.0's token endpoint, for an authorized-user key file: a refresh token for
        the fake's access token (RFC 6749 section 6), or invalid_grant once revoked."""
        form = dict(urllib.parse.parse_qsl(
            request.body.decode() if isinstance(request.body, bytes) else request.body or ""))
        assert form.get("grant_type") == "refresh_token", form.get("grant_type")
        if form.get("refresh_token") in self.revoked:
            return _response(request, 400, {"error": "invalid_grant",
                                            "error_description": "Token has been expired or "
                                                                 "revoked."})
        return _response(request, 200, {"access_token": self.token, "expires_in": 3599,
                                        "token_type": "Bearer"})

    def handle(self, request: requests.PreparedRequest, arrived: float | None = None
               ) -> requests.Response:
        """One HTTP exchange, in Google's order: route, check, authenticate, fault, quota
        (counted when the request `arrived`: the fake serves one at a time, Google does not),
        serve."""
        url = urllib.parse.urlsplit(request.url or "")
        try:
            operation, spreadsheet_id = _route(request.method or "", url.hostname or "",
                                               url.path)
        except AssertionError as unknown:
            self.violations.append(str(unknown))
            raise
        api, method_id = OPERATIONS[operation]
        query = urllib.parse.parse_qs(url.query, keep_blank_values=True)
        params = self._check_query(api, method_id, query)
        body: Json | None = None
        if isinstance(request.body, (bytes, str)) and request.body:
            body = json.loads(request.body)
        else:
            self._expect(not request.body, f"{operation}: a streamed body is not expected")
        schema = discovery.request_schema(api, method_id)
        if schema is not None:
            self._check(schema, body if body is not None else {}, f"{operation} request")
        else:
            self._expect(body is None, f"{operation} takes no request body, got {body}")
        self.calls.append((operation, {**params, **(body or {})}))
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return self._unauthenticated(request, api)
        for i, (name, callback) in enumerate(self._before):
            if name == operation:
                del self._before[i]
                callback()
                break
        fault = next((f for f in self.faults if f[0] == operation), None)
        if fault is not None:
            self.faults.remove(fault)
            kind = fault[1]
            if kind == "drop":
                raise requests.exceptions.ConnectionError(
                    "('Connection aborted.', RemoteDisconnected('Remote end closed connection "
                    "without response'))")
            if kind == "timeout":
                raise requests.exceptions.ReadTimeout(
                    f"HTTPSConnectionPool(host='{url.hostname}', port=443): Read timed out.")
            if kind in ("429", "429-retry-after"):
                return self._quota_exceeded(request, operation,
                                            {"Retry-After": "7"} if "retry" in kind else {})
            if kind == "400":  # Google's answer to a request it will not serve as asked
                return _error(request, 400, "Request contains an invalid argument.")
            if kind in ("500", "503"):
                return self._server_error(request, api, int(kind))
        book = self.spreadsheets.get(spreadsheet_id)
        if api == "drive" and (book is None or not book.shared):
            message = f"File not found: {spreadsheet_id}."
            return _response(request, 404, {"error": {"code": 404, "message": message, "errors": [
                {"message": message, "domain": "global", "reason": "notFound",
                 "location": "fileId", "locationType": "parameter"}]}})
        if api == "sheets":
            if not self._within_quota(operation, arrived):
                return self._quota_exceeded(request, operation, {})
            if book is None:
                return _error(request, 404, "Requested entity was not found.")
            if not book.shared or (operation in WRITES and not book.can_edit):
                return _error(request, 403, "The caller does not have permission")
        assert book is not None
        response_schema = discovery.response_schema(api, method_id)
        try:
            mask: Mask | None = None  # spreadsheets.get and files.get apply theirs themselves
            if "fields" in params and operation not in ("spreadsheets.get",
                                                        "spreadsheets.getByDataFilter",
                                                        "files.get"):
                mask = parse_mask(params["fields"])  # before applying: a bad mask changes nothing
                check_mask(api, str(response_schema), mask)
            result = getattr(self, "_" + operation.replace(".", "_"))(book, params, body or {})
            if mask is not None:
                result = select(result, mask)
        except Invalid as invalid:
            return _error(request, 400, str(invalid))
        if response_schema is not None:
            self._check(response_schema, result, f"the fake's own {operation} response")
        if fault is not None and fault[1] == "timeout-after-apply":
            raise requests.exceptions.ReadTimeout(
                f"HTTPSConnectionPool(host='{url.hostname}', port=443): Read timed out.")
        response = _response(request, 200, result)
        if fault is not None and fault[1] == "garbled":  # a 200 whose body a proxy cut short
            response._content = response.content[:len(response.content) // 2]
        return response

    # --- checks -----------------------------------------------------------------------------

    def _expect(self, condition: bool, message: str) -> None:
        if not condition:
            self.violations.append(message)
            raise AssertionError(message)

    def _check(self, schema: str, body: object, what: str) -> None:
        try:
            discovery.validate(schema, _compact(body) if what.startswith("the fake") else body)
        except jsonschema.ValidationError as error:
            self._expect(False, f"{what}: {error.message}")

    def _check_query(self, api: str, method_id: str, query: dict[str, list[str]]
                     ) -> dict[str, Any]:
        """The query's names are the method's per discovery, enums hold an enum value,
        booleans a boolean; repeated only where the document says so."""
        specs = discovery.parameters(api, method_id)
        unknown = set(query) - set(specs)
        self._expect(not unknown, f"{method_id}: query parameters not in Google's discovery "
                                  f"document: {sorted(unknown)}")
        params: dict[str, Any] = {}
        for name, values in query.items():
            spec = specs[name]
            self._expect(spec.get("repeated", False) or len(values) == 1,
                         f"{method_id}: {name} given {len(values)} times")
            for value in values:
                if "enum" in spec:
                    self._expect(value in spec["enum"], f"{method_id}: {name}={value!r} is not "
                                                        f"one of {spec['enum']}")
                if spec.get("type") == "boolean":
                    self._expect(value.lower() in ("true", "false"),
                                 f"{method_id}: {name}={value!r} is not a boolean")
                if spec.get("type") == "integer":
                    self._expect(re.fullmatch(r"-?\d+", value) is not None,
                                 f"{method_id}: {name}={value!r} is not an integer")
            params[name] = values if spec.get("repeated") else values[0]
        return params

    def _unauthenticated(self, request: requests.PreparedRequest, api: str
                         ) -> requests.Response:
        headers = {"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/", '
                                       'error="invalid_token"'}
        if api == "drive":
            return _response(request, 401, {"error": {
                "code": 401, "message": UNAUTHENTICATED, "status": "UNAUTHENTICATED",
                "errors": [{"message": "Invalid Credentials", "domain": "global",
                            "reason": "authError", "location": "Authorization",
                            "locationType": "header"}]}}, headers)
        return _error(request, 401, UNAUTHENTICATED, headers=headers)

    def _within_quota(self, operation: str, arrived: float | None = None) -> bool:
        """Whether a request fits the user's quota and the project's this minute (one that
        does not is not counted, as Google does not)."""
        kind = "read" if operation in READS else "write"
        now = self.clock() if arrived is None else arrived
        windows = [((self.token, kind), self.per_minute), (("project", kind), self.per_project)]
        for key, limit in windows:
            self._windows[key] = [t for t in self._windows.get(key, []) if t > now - 60]
        if any(len(self._windows[key]) >= limit for key, limit in windows):
            return False
        for key, _ in windows:
            self._windows[key].append(now)
        return True

    def _quota_exceeded(self, request: requests.PreparedRequest, operation: str,
                        headers: dict[str, str]) -> requests.Response:
        self.rate_limited += 1
        if operation == "files.get":
            return _response(request, 429, {"error": {
                "code": 429, "message": "Rate Limit Exceeded", "errors": [
                    {"message": "Rate Limit Exceeded", "domain": "usageLimits",
                     "reason": "rateLimitExceeded"}]}}, headers)
        kind = "Read" if operation in READS else "Write"
        message = (f"Quota exceeded for quota metric '{kind} requests' and limit '{kind} "
                   f"requests per minute per user' of service 'sheets.googleapis.com' for "
                   f"consumer 'project_number:000000000000'.")
        return _error(request, 429, message, details=[{
            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
            "reason": "RATE_LIMIT_EXCEEDED", "domain": "googleapis.com",
            "metadata": {"quota_metric": f"sheets.googleapis.com/{kind.lower()}_requests",
                         "quota_limit": f"{kind}RequestsPerMinutePerUser",
                         "quota_limit_value": str(self.per_minute), "quota_location": "global",
                         "service": "sheets.googleapis.com",
                         "consumer": "projects/000000000000"}}], headers=headers)

    def _server_error(self, request: requests.PreparedRequest, api: str, code: int
                      ) -> requests.Response:
        if api == "drive":
            reason = "internalError" if code == 500 else "backendError"
            message = "Internal Error" if code == 500 else "Backend Error"
            return _response(request, code, {"error": {"code": code, "message": message,
                                                       "errors": [{"message": message,
                                                                   "domain": "global",
                                                                   "reason": reason}]}})
        message = ("Internal error encountered." if code == 500
                   else "The service is currently unavailable.")
        return _error(request, code, message)

    # --- the operations ---------------------------------------------------------------------

    def _spreadsheets_get(self, book: Spreadsheet, params: dict[str, Any], body: Json) -> Json:
        mask = parse_mask(params["fields"]) if "fields" in params else None
        if mask is not None:
            check_mask("sheets", "Spreadsheet", mask)
            sheets = mask.get("sheets", {})
            grid = "*" in mask or sheets is None or "*" in sheets or "data" in sheets
        else:
            grid = params.get("includeGridData", "false").lower() == "true"
        cells = _submask(mask, ("sheets", "data", "rowData", "values"))
        picked: Json = select(self._spreadsheet_json(book, params.get("ranges"), grid, cells),
                              mask)
        return picked

    def _spreadsheets_getByDataFilter(self, book: Spreadsheet, params: dict[str, Any],
                                      body: Json) -> Json:
        """spreadsheets.get with its ranges in the body, as A1 data filters (the only kind the
        fake serves: sheetsync sends no other); grid data only with a field mask naming it,
        or includeGridData."""
        ranges = []
        for found in body.get("dataFilters", []):
            if set(found) != {"a1Range"}:
                raise Invalid(f"the fake serves only a1Range data filters, got {found}")
            ranges.append(found["a1Range"])
        asked = {"includeGridData": str(body.get("includeGridData", False)).lower()}
        return self._spreadsheets_get(book, {**asked, **params, "ranges": ranges}, {})

    def _values_batchGet(self, book: Spreadsheet, params: dict[str, Any], body: Json) -> Json:
        out: Json = {"spreadsheetId": book.spreadsheet_id}
        ranges = [self._read_range(book, text) for text in params.get("ranges", [])]
        value_ranges = [self._value_range(
            book, *bounds, params.get("valueRenderOption", "FORMATTED_VALUE"),
            params.get("dateTimeRenderOption", "SERIAL_NUMBER"),
            params.get("majorDimension", "ROWS")) for bounds in ranges]
        if value_ranges:
            out["valueRanges"] = value_ranges
        return out

    def _values_batchUpdate(self, book: Spreadsheet, params: dict[str, Any], body: Json
                            ) -> Json:
        option = body.get("valueInputOption")
        if option not in ("RAW", "USER_ENTERED"):
            raise Invalid("'valueInputOption' is required but not specified"
                          if option is None else f"Invalid valueInputOption: {option}")
        responses: list[Json] = []
        written: set[int] = set()
        with self._atomic(book):
            for value_range in body.get("data", []):
                responses.append(self._write_values(book, value_range, option, body))
                if value_range.get("values"):
                    written.add(self._tab_by_title(book, value_range["range"]).sheet_id)
            if written:
                self._touch(book)
        totals = {"totalUpdatedRows": sum(r.get("updatedRows", 0) for r in responses),
                  "totalUpdatedColumns": sum(r.get("updatedColumns", 0) for r in responses),
                  "totalUpdatedCells": sum(r.get("updatedCells", 0) for r in responses),
                  "totalUpdatedSheets": len(written)}
        out: Json = {"spreadsheetId": book.spreadsheet_id,
                     **{k: v for k, v in totals.items() if v}}
        if responses:
            out["responses"] = responses
        return out

    def _batchUpdate(self, book: Spreadsheet, params: dict[str, Any], body: Json) -> Json:
        requests_ = body.get("requests", [])
        if not requests_:
            raise Invalid("Must specify at least one request.")
        replies: list[Json] = []
        with self._atomic(book):
            for i, request in enumerate(requests_):
                (kind, spec), = request.items()
                handler = getattr(self, "_request_" + kind, None)
                self._expect(handler is not None,
                             f"the fake Google Sheets does not implement the {kind} request")
                try:
                    reply = handler(book, spec) if handler is not None else None
                except Invalid as invalid:
                    raise Invalid(f"Invalid requests[{i}].{kind}: {invalid}") from None
                replies.append({kind: reply} if reply is not None else {})
            self._touch(book)
        out: Json = {"spreadsheetId": book.spreadsheet_id, "replies": replies}
        if body.get("includeSpreadsheetInResponse"):
            out["updatedSpreadsheet"] = self._spreadsheet_json(
                book, body.get("responseRanges"), bool(body.get("responseIncludeGridData")))
        return out

    def _files_get(self, book: Spreadsheet, params: dict[str, Any], body: Json) -> Json:
        mask = parse_mask(params.get("fields", "kind,id,name,mimeType"))
        check_mask("drive", "File", mask)
        resource = {
            "kind": "drive#file", "id": book.spreadsheet_id,
            "name": book.properties["title"],
            "mimeType": "application/vnd.google-apps.spreadsheet",
            "starred": False, "trashed": False, "explicitlyTrashed": False,
            "version": str(self._shown_version(book)), "createdTime": _rfc3339(book.created),
            "modifiedTime": _rfc3339(book.modified),
            "webViewLink": f"https://docs.google.com/spreadsheets/d/{book.spreadsheet_id}/"
                           "edit?usp=drivesdk",
            "shared": True, "ownedByMe": False,
            "capabilities": {"canEdit": book.can_edit, "canComment": True,
                             "canCopy": True, "canShare": book.can_edit},
        }
        picked: Json = select(resource, mask)
        return picked

    # --- batchUpdate requests (each raises Invalid for what Google rejects) ------------------

    def _request_updateCells(self, book: Spreadsheet, spec: Json) -> None:
        mask = self._cell_mask(spec.get("fields"))
        rows = spec.get("rows", [])
        if ("range" in spec) == ("start" in spec):
            raise Invalid("Exactly one of range or start must be specified.")
        if "range" in spec:
            sheet, r0, r1, c0, c1 = self._grid_range(book, spec["range"])
        else:
            start = spec["start"]
            sheet = self._sheet(book, start.get("sheetId", 0))
            r0, c0 = start.get("rowIndex", 0), start.get("columnIndex", 0)
            r1 = r0 + max(len(rows), 1)
            c1 = c0 + max([len(r.get("values", [])) for r in rows] + [1])
            self._within_grid(sheet, r0, r1, c0, c1)
        if len(rows) > r1 - r0:
            raise Invalid(f"Attempting to write row: {r0 + len(rows) - 1}, beyond the last "
                          f"requested row of: {r1 - 1}")
        for i, row in enumerate(rows):
            if len(row.get("values", [])) > c1 - c0:
                raise Invalid(f"Attempting to write column: {c0 + len(row['values']) - 1}, "
                              f"beyond the last requested column of: {c1 - 1}")
        given = {(r0 + i, c0 + j): _normalise_write(cell) for i, row in enumerate(rows)
                 for j, cell in enumerate(row.get("values", []))}
        for coord in set(given) | _cells_within(sheet, r0, r1, c0, c1):
            self._write_cell(sheet, coord, given.get(coord, {}), mask)

    def _request_repeatCell(self, book: Spreadsheet, spec: Json) -> None:
        mask = self._cell_mask(spec.get("fields"))
        sheet, r0, r1, c0, c1 = self._grid_range(book, spec["range"])
        source = _normalise_write(spec.get("cell", {}))
        probe: Json = {}
        apply_mask(probe, source, mask)
        targets: Iterator[Coord] | set[Coord]
        if probe:
            targets = ((r, c) for r in range(r0, r1) for c in range(c0, c1))
        else:  # only clearing: cells that hold nothing need nothing
            targets = _cells_within(sheet, r0, r1, c0, c1)
        for coord in targets:
            self._write_cell(sheet, coord, source, mask)

    def _request_setDataValidation(self, book: Spreadsheet, spec: Json) -> None:
        sheet, r0, r1, c0, c1 = self._grid_range(book, spec["range"])
        rule = spec.get("rule")
        if rule is not None:
            condition = rule.get("condition", {})
            kind = condition.get("type")
            if kind in (None, "CONDITION_TYPE_UNSPECIFIED"):
                raise Invalid("A data validation rule needs a condition type.")
            if kind == "ONE_OF_LIST" and not condition.get("values"):
                raise Invalid("ONE_OF_LIST condition requires at least one value.")
            if kind == "CUSTOM_FORMULA" and len(condition.get("values", [])) != 1:
                raise Invalid("CUSTOM_FORMULA condition requires exactly one value.")
        source = {"dataValidation": rule} if rule is not None else {}
        mask: Mask = {"dataValidation": None}
        targets = ((r, c) for r in range(r0, r1) for c in range(c0, c1)) if rule is not None \
            else {k for k in sheet.cells if r0 <= k[0] < r1 and c0 <= k[1] < c1}
        for coord in targets:
            self._write_cell(sheet, coord, source, mask)

    def _request_addConditionalFormatRule(self, book: Spreadsheet, spec: Json) -> None:
        rule = spec["rule"]
        sheet = self._rule_sheet(book, rule)
        index = spec.get("index", 0)
        if not 0 <= index <= len(sheet.conditional_formats):
            raise Invalid(f"Invalid index: {index}, there are only "
                          f"{len(sheet.conditional_formats)} rules.")
        sheet.conditional_formats.insert(index, copy.deepcopy(rule))

    def _request_updateConditionalFormatRule(self, book: Spreadsheet, spec: Json) -> Json:
        sheet = self._sheet(book, spec.get("sheetId", 0))
        index = spec.get("index", 0)
        self._rule_at(sheet, index)
        if ("rule" in spec) == ("newIndex" in spec):
            raise Invalid("Exactly one of rule or newIndex must be specified.")
        old = sheet.conditional_formats[index]
        if "rule" in spec:
            target = self._rule_sheet(book, spec["rule"])
            if target is not sheet:
                raise Invalid("The rule's ranges must be on the sheet of sheetId.")
            sheet.conditional_formats[index] = copy.deepcopy(spec["rule"])
            return {"newRule": spec["rule"], "oldRule": old, "newIndex": index,
                    "oldIndex": index}
        new_index = spec["newIndex"]
        if not 0 <= new_index < len(sheet.conditional_formats):
            raise Invalid(f"Invalid newIndex: {new_index}")
        sheet.conditional_formats.insert(new_index, sheet.conditional_formats.pop(index))
        return {"newRule": old, "newIndex": new_index, "oldIndex": index}

    def _request_deleteConditionalFormatRule(self, book: Spreadsheet, spec: Json) -> Json:
        sheet = self._sheet(book, spec.get("sheetId", 0))
        index = spec.get("index", 0)
        self._rule_at(sheet, index)
        return {"rule": sheet.conditional_formats.pop(index)}

    def _request_addProtectedRange(self, book: Spreadsheet, spec: Json) -> Json:
        protected = copy.deepcopy(spec["protectedRange"])
        if "range" not in protected:
            raise Invalid("The protected range needs a range (named and table ranges are not "
                          "modelled by the fake).")
        sheet = self._grid_range(book, protected["range"])[0]
        existing = {p["protectedRangeId"] for t in book.tabs for p in t.protected_ranges}
        if protected.get("protectedRangeId") in existing:
            raise Invalid(f"Protected range with id {protected['protectedRangeId']} already "
                          "exists.")
        protected.setdefault("protectedRangeId", self._new_id())
        protected.setdefault("range", {}).setdefault("sheetId", sheet.sheet_id)
        if not protected.get("warningOnly"):
            protected.setdefault("editors", {"users": [SERVICE_ACCOUNT]})
        protected["requestingUserCanEdit"] = True
        sheet.protected_ranges.append(protected)
        return {"protectedRange": protected}

    def _request_deleteProtectedRange(self, book: Spreadsheet, spec: Json) -> None:
        wanted = spec.get("protectedRangeId", 0)
        self._remove(book, lambda sheet: sheet.protected_ranges, "protectedRangeId", wanted,
                     "No protected range")

    def _request_updateSheetProperties(self, book: Spreadsheet, spec: Json) -> None:
        properties = spec.get("properties", {})
        sheet = self._sheet(book, properties.get("sheetId", 0))
        if not spec.get("fields"):
            raise Invalid("At least one field must be updated, but no fields were specified.")
        mask = parse_mask(spec["fields"])
        check_mask("sheets", "SheetProperties", mask)
        if "*" in mask:
            mask = {k: None for k in properties if k != "sheetId"}
        if "sheetId" in mask and properties.get("sheetId", 0) != sheet.sheet_id:
            raise Invalid("sheetId cannot be changed.")
        if "sheetType" in mask and properties.get("sheetType", "GRID") != "GRID":
            raise Invalid("sheetType cannot be changed.")
        updated = copy.deepcopy(sheet.properties)
        apply_mask(updated, {**properties, "sheetType": "GRID"}, mask)
        title = updated.get("title", "")
        if not title:
            raise Invalid("The sheet name cannot be empty.")
        if any(t.title == title and t is not sheet for t in book.tabs):
            raise Invalid(f'A sheet with the name "{title}" already exists. Please enter '
                          "another name.")
        grid = updated.setdefault("gridProperties", {})
        rows, cols = grid.get("rowCount", 0), grid.get("columnCount", 0)
        if rows < 1 or cols < 1:
            raise Invalid("A grid sheet needs at least one row and one column.")
        if grid.get("frozenRowCount", 0) >= rows or grid.get("frozenColumnCount", 0) >= cols:
            raise Invalid("You can't freeze all visible rows on the sheet.")
        index = updated.pop("index", None)
        sheet.properties = updated
        sheet.cells = {k: v for k, v in sheet.cells.items() if k[0] < rows and k[1] < cols}
        if index is not None and "index" in mask:
            book.tabs.remove(sheet)
            book.tabs.insert(min(index, len(book.tabs)), sheet)

    def _request_setBasicFilter(self, book: Spreadsheet, spec: Json) -> None:
        basic = copy.deepcopy(spec["filter"])
        if "range" not in basic:
            raise Invalid("A basic filter needs a range.")
        sheet = self._grid_range(book, basic["range"])[0]
        basic["range"].setdefault("sheetId", sheet.sheet_id)
        sheet.basic_filter = basic

    def _request_clearBasicFilter(self, book: Spreadsheet, spec: Json) -> None:
        self._sheet(book, spec.get("sheetId", 0)).basic_filter = None

    def _request_addSheet(self, book: Spreadsheet, spec: Json) -> Json:
        properties = copy.deepcopy(spec.get("properties", {}))
        if "sheetId" in properties and any(t.sheet_id == properties["sheetId"]
                                           for t in book.tabs):
            raise Invalid(f"A sheet with id {properties['sheetId']} already exists.")
        if properties.get("sheetType", "GRID") != "GRID":
            raise NotImplementedError("the fake adds GRID sheets only")
        titles = {t.title for t in book.tabs}
        number = len(book.tabs) + 1
        while f"Sheet{number}" in titles:
            number += 1
        properties.setdefault("title", f"Sheet{number}")
        if properties["title"] in titles:
            raise Invalid(f'A sheet with the name "{properties["title"]}" already exists. '
                          "Please enter another name.")
        properties.setdefault("sheetId", self._new_id())
        properties["sheetType"] = "GRID"
        grid = properties.setdefault("gridProperties", {})
        grid.setdefault("rowCount", 1000)
        grid.setdefault("columnCount", 26)
        index = properties.pop("index", len(book.tabs))
        sheet = Tab(properties)
        book.tabs.insert(min(index, len(book.tabs)), sheet)
        return {"properties": self._properties_json(book, sheet)}

    def _request_deleteSheet(self, book: Spreadsheet, spec: Json) -> None:
        sheet = self._sheet(book, spec.get("sheetId", 0))
        if len(book.tabs) == 1:
            raise Invalid("You can't remove all the sheets in a document.")
        book.tabs.remove(sheet)

    def _request_appendDimension(self, book: Spreadsheet, spec: Json) -> None:
        sheet = self._sheet(book, spec.get("sheetId", 0))
        length = spec.get("length", 0)
        if length < 1:
            raise Invalid("length must be at least 1.")
        key = self._dimension_key(spec.get("dimension"))
        sheet.grid[key] = sheet.grid.get(key, 0) + length

    def _request_insertDimension(self, book: Spreadsheet, spec: Json) -> None:
        sheet, dimension, start, end = self._dimension_range(book, spec["range"], inserting=True)
        inherit = spec.get("inheritFromBefore", False)
        if inherit and start == 0:
            raise Invalid("Cannot inherit from before the first row or column.")
        count = self._count(sheet, dimension)
        source = (start - 1 if inherit else start) if count else None
        _insert(sheet, dimension, start, end - start,
                source if source is not None and source < count else None)

    def _request_deleteDimension(self, book: Spreadsheet, spec: Json) -> None:
        sheet, dimension, start, end = self._dimension_range(book, spec["range"])
        if end - start >= self._count(sheet, dimension):
            raise Invalid(f"You can't delete all the {dimension.lower()} on the sheet.")
        _delete(sheet, dimension, start, end - start)

    def _request_updateDimensionProperties(self, book: Spreadsheet, spec: Json) -> None:
        if "range" not in spec:
            raise NotImplementedError("the fake has no data source sheets")
        sheet, dimension, start, end = self._dimension_range(book, spec["range"])
        if not spec.get("fields"):
            raise Invalid("At least one field must be updated, but no fields were specified.")
        mask = parse_mask(spec["fields"])
        check_mask("sheets", "DimensionProperties", mask)
        pixels = spec.get("properties", {}).get("pixelSize")
        if "pixelSize" in mask and dimension == "COLUMNS" and pixels is not None:
            if pixels < 0:
                raise Invalid(f"Invalid pixelSize: {pixels}")
            sheet.column_pixels.update(dict.fromkeys(range(start, end), int(pixels)))

    def _request_autoResizeDimensions(self, book: Spreadsheet, spec: Json) -> None:
        if "dimensions" not in spec:
            raise NotImplementedError("the fake has no data source sheets")
        self._dimension_range(book, spec["dimensions"])  # widths are not modelled

    def _request_addChart(self, book: Spreadsheet, spec: Json) -> Json:
        chart = copy.deepcopy(spec["chart"])
        position = chart.get("position", {})
        if "overlayPosition" not in position:
            raise NotImplementedError("the fake models charts over a grid only, not on their "
                                      "own sheet")
        anchor = position["overlayPosition"].get("anchorCell", {})
        sheet = self._sheet(book, anchor.get("sheetId", 0))
        ids = {c["chartId"] for t in book.tabs for c in t.charts}
        if chart.get("chartId") in ids:
            raise Invalid(f"An object with id {chart['chartId']} already exists.")
        chart.setdefault("chartId", self._new_id())
        sheet.charts.append(chart)
        return {"chart": chart}

    def _request_deleteEmbeddedObject(self, book: Spreadsheet, spec: Json) -> None:
        wanted = spec.get("objectId", 0)
        self._remove(book, lambda sheet: sheet.charts, "chartId", wanted, "No embedded object")

    @staticmethod
    def _remove(book: Spreadsheet, objects: Callable[[Tab], list[Json]], key: str, wanted: Any,
                missing: str) -> None:
        """Take the object whose `key` is `wanted` off whichever tab holds it (Google's
        deletes by ID), or refuse the request as Google does when none has it."""
        for sheet in book.tabs:
            for found in objects(sheet):
                if found[key] == wanted:
                    objects(sheet).remove(found)
                    return
        raise Invalid(f"{missing} with id: {wanted}")

    def _request_mergeCells(self, book: Spreadsheet, spec: Json) -> None:
        self._grid_range(book, spec["range"])  # merges are not modelled

    def _request_unmergeCells(self, book: Spreadsheet, spec: Json) -> None:
        self._grid_range(book, spec["range"])

    # --- building responses -----------------------------------------------------------------

    def _spreadsheet_json(self, book: Spreadsheet, ranges: list[str] | None, grid: bool,
                          cells: Mask | None = None) -> Json:
        """The whole Spreadsheet resource as Google builds it; with `ranges`, only the tabs
        they name, with one GridData per range when grid data is asked for."""
        wanted: list[tuple[Tab, int, int, int, int]] = [
            self._read_range(book, text) for text in ranges or []]
        sheets: list[Json] = []
        for sheet in book.tabs:
            mine = [w for w in wanted if w[0] is sheet]
            if ranges and not mine:
                continue
            out: Json = {"properties": self._properties_json(book, sheet)}
            if grid:
                spans = [w[1:] for w in mine] or [(0, sheet.row_count, 0, sheet.column_count)]
                out["data"] = [self._grid_data(book, sheet, *span, cells) for span in spans]
            if sheet.conditional_formats:
                out["conditionalFormats"] = copy.deepcopy(sheet.conditional_formats)
            if sheet.protected_ranges:
                out["protectedRanges"] = copy.deepcopy(sheet.protected_ranges)
            if sheet.basic_filter is not None:
                out["basicFilter"] = copy.deepcopy(sheet.basic_filter)
            if sheet.charts:
                out["charts"] = copy.deepcopy(sheet.charts)
            sheets.append(out)
        return {"spreadsheetId": book.spreadsheet_id,
                "properties": {**copy.deepcopy(book.properties),
                               "defaultFormat": copy.deepcopy(DEFAULT_FORMAT)},
                "sheets": sheets,
                "spreadsheetUrl": f"https://docs.google.com/spreadsheets/d/"
                                  f"{book.spreadsheet_id}/edit"}

    def _properties_json(self, book: Spreadsheet, sheet: Tab) -> Json:
        props = copy.deepcopy(sheet.properties)
        grid = props.pop("gridProperties", {})
        for key in ("frozenRowCount", "frozenColumnCount", "hideGridlines"):
            if not grid.get(key, 0):
                grid.pop(key, None)
        out: Json = {"sheetId": props.pop("sheetId"), "title": props.pop("title"),
                     "index": book.tabs.index(sheet), "sheetType": props.pop("sheetType",
                                                                             "GRID"),
                     "gridProperties": grid}
        out.update({k: v for k, v in props.items() if v is not False})
        return out

    def _grid_data(self, book: Spreadsheet, sheet: Tab, r0: int, r1: int, c0: int, c1: int,
                   cells: Mask | None = None) -> Json:
        """One GridData; `cells` (the field mask below rowData.values) spares building the
        parts of a cell nobody asked for."""
        rows: list[Json] = []
        for r in range(r0, r1):
            values = [self._cell_json(book, sheet.cells.get((r, c), {}), cells)
                      for c in range(c0, c1)]
            while values and values[-1] == {}:
                values.pop()
            rows.append({"values": values} if values else {})
        while rows and rows[-1] == {}:
            rows.pop()
        out: Json = {}
        if r0:
            out["startRow"] = r0
        if c0:
            out["startColumn"] = c0
        if rows:
            out["rowData"] = rows
        out["rowMetadata"] = [{"pixelSize": 21} for _ in range(r0, r1)]
        out["columnMetadata"] = [{"pixelSize": 100} for _ in range(c0, c1)]
        return out

    def _cell_json(self, book: Spreadsheet, cell: Mapping[str, Any], want: Mask | None = None
                   ) -> Json:
        """A stored cell as CellData: the entered value, what it evaluates to and how it is
        shown, its formats, note and validation. A formula's result is not computed: it has
        no effectiveValue or formattedValue."""
        out: Json = {}
        entered = cell.get("userEnteredValue")
        if entered:
            out["userEnteredValue"] = {k: _num(v) if k == "numberValue" else v
                                       for k, v in entered.items()}
            if "formulaValue" not in entered:
                out["effectiveValue"] = dict(out["userEnteredValue"])
                if _wants(want, "formattedValue"):
                    out["formattedValue"] = self._display(book, cell)
        fmt = cell.get("userEnteredFormat")
        if fmt and _wants(want, "userEnteredFormat"):
            out["userEnteredFormat"] = _mirror_colours(fmt)
        if (entered or fmt) and _wants(want, "effectiveFormat"):
            out["effectiveFormat"] = _deep_merge(DEFAULT_FORMAT, _mirror_colours(fmt or {}))
        for key, value in cell.items():
            if key not in ("userEnteredValue", "userEnteredFormat") and _wants(want, key):
                out[key] = _copy(value)
        return out

    def _display(self, book: Spreadsheet, cell: Mapping[str, Any]) -> str:
        value = _value(cell)
        if value is None:
            return ""
        if isinstance(value, bool):
            return "TRUE" if value else "FALSE"
        if isinstance(value, (int, float)):
            return format_number(value, _number_format(cell), book.locale)
        return str(value)

    def _rendered(self, book: Spreadsheet, cell: Mapping[str, Any], render: str,
                  date_render: str) -> Any:
        value = _value(cell)
        if value is None:
            return ""
        if render == "FORMATTED_VALUE":
            return self._display(book, cell)
        if isinstance(value, bool) or isinstance(value, str):
            return value
        kind = (_number_format(cell) or {}).get("type")
        if date_render == "FORMATTED_STRING" and kind in ("DATE", "DATE_TIME", "TIME"):
            return self._display(book, cell)
        return _num(value)

    def _value_range(self, book: Spreadsheet, sheet: Tab, r0: int, r1: int, c0: int, c1: int,
                     render: str, date_render: str, major: str) -> Json:
        grid = [[self._rendered(book, sheet.cells.get((r, c), {}), render, date_render)
                 for c in range(c0, c1)] for r in range(r0, r1)]
        if major == "COLUMNS":
            grid = [list(column) for column in zip(*grid)]
        for line in grid:
            while line and line[-1] == "":
                line.pop()
        while grid and not grid[-1]:
            grid.pop()
        out: Json = {"range": a1(sheet.title, r0, r1, c0, c1),
                     "majorDimension": "COLUMNS" if major == "COLUMNS" else "ROWS"}
        if grid:
            out["values"] = grid
        return out

    def _python(self, cell: Mapping[str, Any]) -> Any:
        value = _value(cell)
        if value is None:
            return ""
        kind = (_number_format(cell) or {}).get("type")
        if isinstance(value, (int, float)) and not isinstance(value, bool) and kind in (
                "DATE", "DATE_TIME", "TIME"):
            moment = from_serial(float(value))
            return moment.date() if kind == "DATE" else moment.time() if kind == "TIME" \
                else moment
        return value

    # --- writing ----------------------------------------------------------------------------

    def _write_values(self, book: Spreadsheet, value_range: Json, option: str, body: Json
                      ) -> Json:
        """One ValueRange of values.batchUpdate: RAW stores strings as strings; USER_ENTERED
        parses them as if typed (so "=..." becomes a formula)."""
        text = value_range.get("range", "")
        title, r0, r1, c0, c1 = parse_a1(text)
        sheet = self._tab_by_title(book, text)
        r0, c0 = r0 or 0, c0 or 0
        single = r1 is not None and c1 is not None and r1 - r0 == 1 and c1 - c0 == 1 \
            and ":" not in text
        if single:
            r1 = c1 = None  # a single cell anchors the block
        rows = value_range.get("values", [])
        if value_range.get("majorDimension") == "COLUMNS":
            width = max((len(r) for r in rows), default=0)
            rows = [[col[i] for col in rows if i < len(col)] for i in range(width)]
        height, width = len(rows), max((len(r) for r in rows), default=0)
        if r1 is not None and r0 + height > r1:
            raise Invalid(f"Requested writing within range [{text}], but tried writing to row "
                          f"[{r0 + height}]")
        if c1 is not None and c0 + width > c1:
            raise Invalid(f"Requested writing within range [{text}], but tried writing to "
                          f"column [{column_letter(c0 + width - 1)}]")
        if height and width:
            self._within_grid(sheet, r0, r0 + height, c0, c0 + width)
        cells = 0
        for i, row in enumerate(rows):
            for j, value in enumerate(row):
                if isinstance(value, (dict, list)):
                    raise Invalid(f"Invalid values[{i}][{j}]: list_value or struct_value "
                                  f"{json.dumps(value)}")
                cell = sheet.cells.setdefault((r0 + i, c0 + j), {})
                if isinstance(value, str) and option == "USER_ENTERED":
                    is_text = (_number_format(cell) or {}).get("type") == "TEXT"
                    _set_value(cell, *typed_value(value, is_text))
                else:
                    _set_value(cell, *_python_cell_value(value))
                if not cell:
                    del sheet.cells[(r0 + i, c0 + j)]
                cells += 1
        out: Json = {"spreadsheetId": book.spreadsheet_id}
        if height and width:
            out.update(updatedRange=a1(sheet.title, r0, r0 + height, c0, c0 + width),
                       updatedRows=height, updatedColumns=width, updatedCells=cells)
        else:
            out["updatedRange"] = a1(sheet.title, r0, r0 + 1, c0, c0 + 1)
        if body.get("includeValuesInResponse") and height and width:
            out["updatedData"] = self._value_range(
                book, sheet, r0, r0 + height, c0, c0 + width,
                body.get("responseValueRenderOption", "FORMATTED_VALUE"),
                body.get("responseDateTimeRenderOption", "SERIAL_NUMBER"), "ROWS")
        return out

    def _write_cell(self, sheet: Tab, coord: Coord, source: Mapping[str, Any], mask: Mask
                    ) -> None:
        cell = sheet.cells.get(coord, {})
        apply_mask(cell, source, mask)
        if cell:
            sheet.cells[coord] = cell
        else:
            sheet.cells.pop(coord, None)

    def _cell_mask(self, fields: str | None) -> Mask:
        if not fields:
            raise Invalid("At least one field must be updated, but no fields were specified.")
        mask = parse_mask(fields)
        check_mask("sheets", "CellData", mask)
        return _normalise_cell_mask(mask)

    def _person_sets(self, book: Spreadsheet, sheet: Tab, row: int, col: str,
                     entered: Json | None, number_format: Json | None) -> None:
        coord = self._coord(sheet, row, col)
        cell = sheet.cells.setdefault(coord, {})
        rule = cell.get("dataValidation")
        if entered is not None and rule and rule.get("strict") and \
                rule.get("condition", {}).get("type") == "ONE_OF_LIST":
            allowed = [v.get("userEnteredValue") for v in rule["condition"].get("values", [])]
            shown = self._display(book, {"userEnteredValue": entered})
            if shown not in allowed:
                raise ValueError(f"{shown!r} violates the data validation rule of "
                                 f"{col}{row}: one of {allowed}")
        _set_value(cell, entered, number_format)
        self._tidy(sheet, row, col)
        self._touch(book)

    @contextmanager
    def _atomic(self, book: Spreadsheet) -> Iterator[None]:
        """All of a batch or none of it: on Invalid (or any failure) the book is restored, the
        Tab objects a test holds included."""
        tabs = list(book.tabs)
        saved = copy.deepcopy(book)
        try:
            yield
        except BaseException:
            for live, old in zip(tabs, saved.tabs):
                live.__dict__.update(old.__dict__)
            book.__dict__.update({**saved.__dict__, "tabs": tabs})
            raise

    def _touch(self, book: Spreadsheet) -> None:
        book.version += 1
        book.modified = max(self.clock(), book.modified)
        if book.unshown_since is None:
            book.unshown_since = self.clock()

    def _shown_version(self, book: Spreadsheet) -> int:
        """The version Drive's files.get reports now."""
        if book.unshown_since is not None and \
                self.clock() - book.unshown_since >= self.version_lag:
            book.shown, book.unshown_since = book.version, None
        return book.version if self.version_lag == 0 else book.shown

    def _tidy(self, sheet: Tab, row: int, col: str) -> None:
        coord = self._coord(sheet, row, col)
        if not sheet.cells.get(coord, True):
            del sheet.cells[coord]

    # --- lookups ----------------------------------------------------------------------------

    def _new_id(self) -> int:
        self._next_id = (self._next_id * 48271) % (2**31 - 1)
        return self._next_id

    def _book(self, spreadsheet_id: str | None) -> Spreadsheet:
        if spreadsheet_id is None:
            assert len(self.spreadsheets) == 1, "name the spreadsheet: the fake holds " \
                                                f"{sorted(self.spreadsheets)}"
            return next(iter(self.spreadsheets.values()))
        return self.spreadsheets[spreadsheet_id]

    def _locate(self, tab: str | int, spreadsheet: str | None) -> tuple[Spreadsheet, Tab]:
        books = [self._book(spreadsheet)] if spreadsheet is not None else \
            list(self.spreadsheets.values())
        found = [(b, t) for b in books for t in b.tabs
                 if (t.title == tab if isinstance(tab, str) else t.sheet_id == tab)]
        assert len(found) == 1, f"{len(found)} tabs named {tab!r}"
        return found[0]

    def _coord(self, sheet: Tab, row: int, col: str) -> Coord:
        coord = (row - 1, column_index(col))
        assert 0 <= coord[0] < sheet.row_count and coord[1] < sheet.column_count, \
            f"{col}{row} is outside {sheet.title}'s grid"
        return coord

    def _tab_by_title(self, book: Spreadsheet, text: str) -> Tab:
        title = parse_a1(text)[0]
        if title is None:
            return book.tabs[0]
        for sheet in book.tabs:
            if sheet.title == title:
                return sheet
        raise Invalid(f"Unable to parse range: {text}")

    def _read_range(self, book: Spreadsheet, text: str) -> tuple[Tab, int, int, int, int]:
        sheet = self._tab_by_title(book, text)
        _, r0, r1, c0, c1 = parse_a1(text)
        bounds = (r0 or 0, sheet.row_count if r1 is None else r1,
                  c0 or 0, sheet.column_count if c1 is None else c1)
        self._within_grid(sheet, *bounds)
        return (sheet, *bounds)

    def _within_grid(self, sheet: Tab, r0: int, r1: int, c0: int, c1: int) -> None:
        if c1 > sheet.column_count or r1 > sheet.row_count or r0 < 0 or c0 < 0:
            r, c = (r0, sheet.column_count) if c1 > sheet.column_count else (sheet.row_count,
                                                                             c0)
            raise Invalid(f"Range ({a1(sheet.title, r, r + 1, c, c + 1)}) exceeds grid "
                          f"limits. Max rows: {sheet.row_count}, max columns: "
                          f"{sheet.column_count}")

    def _sheet(self, book: Spreadsheet, sheet_id: int) -> Tab:
        for sheet in book.tabs:
            if sheet.sheet_id == sheet_id:
                return sheet
        raise Invalid(f"No grid with id: {sheet_id}")

    def _bounds(self, book: Spreadsheet, grid_range: Mapping[str, Any]
                ) -> tuple[Tab, int, int, int, int]:
        sheet = self._sheet(book, grid_range.get("sheetId", 0))
        return (sheet, grid_range.get("startRowIndex", 0),
                grid_range.get("endRowIndex", sheet.row_count),
                grid_range.get("startColumnIndex", 0),
                grid_range.get("endColumnIndex", sheet.column_count))

    def _grid_range(self, book: Spreadsheet, grid_range: Mapping[str, Any]
                    ) -> tuple[Tab, int, int, int, int]:
        """A GridRange resolved on its tab (unbounded sides to the grid's edge); Invalid when
        the tab is missing, the range is backwards or off the grid."""
        sheet, r0, r1, c0, c1 = self._bounds(book, grid_range)
        if r0 > r1 or c0 > c1:
            raise Invalid("The start index must be less than or equal to the end index.")
        self._within_grid(sheet, r0, r1, c0, c1)
        return sheet, r0, r1, c0, c1

    def _rule_sheet(self, book: Spreadsheet, rule: Json) -> Tab:
        if ("booleanRule" in rule) == ("gradientRule" in rule):
            raise Invalid("A conditional format rule needs exactly one of booleanRule or "
                          "gradientRule.")
        if not rule.get("ranges"):
            raise Invalid("A conditional format rule needs at least one range.")
        sheets = {id(self._grid_range(book, g)[0]): self._grid_range(book, g)[0]
                  for g in rule["ranges"]}
        if len(sheets) != 1:
            raise Invalid("All ranges of a conditional format rule must be on one sheet.")
        boolean = rule.get("booleanRule")
        if boolean is not None:
            condition = boolean.get("condition", {})
            values = condition.get("values", [])
            if condition.get("type") == "CUSTOM_FORMULA" and not (
                    len(values) == 1 and str(values[0].get("userEnteredValue", ""))
                    .startswith("=")):
                raise Invalid("CUSTOM_FORMULA condition requires exactly one value, a formula "
                              "starting with =.")
            if "format" not in boolean:
                raise Invalid("A boolean rule needs a format.")
        return next(iter(sheets.values()))

    def _rule_at(self, sheet: Tab, index: int) -> None:
        if not 0 <= index < len(sheet.conditional_formats):
            raise Invalid(f"No conditional format on sheet: {sheet.sheet_id} at index: {index}")

    def _dimension_key(self, dimension: str | None) -> str:
        if dimension == "ROWS":
            return "rowCount"
        if dimension == "COLUMNS":
            return "columnCount"
        raise Invalid("dimension must be ROWS or COLUMNS.")

    def _count(self, sheet: Tab, dimension: str) -> int:
        return int(sheet.grid.get(self._dimension_key(dimension), 0))

    def _dimension_range(self, book: Spreadsheet, spec: Json, inserting: bool = False
                         ) -> tuple[Tab, str, int, int]:
        sheet = self._sheet(book, spec.get("sheetId", 0))
        dimension = spec.get("dimension", "")
        count = self._count(sheet, dimension)
        start, end = spec.get("startIndex", 0), spec.get("endIndex", count)
        if not 0 <= start < end or (start > count if inserting else end > count):
            raise Invalid(f"Invalid dimension range [{start}, {end}) on a sheet of {count} "
                          f"{dimension.lower()}.")
        return sheet, dimension, start, end

    def _holds(self, book: Spreadsheet, sheet: Tab, condition: Json, r: int, c: int,
               anchor: Coord) -> bool:
        kind = condition.get("type")
        values = [str(v.get("userEnteredValue", "")) for v in condition.get("values", [])]
        text = self._display(book, sheet.cells.get((r, c), {}))
        simple: dict[str, Callable[[], bool]] = {
            "TEXT_CONTAINS": lambda: values[0].casefold() in text.casefold(),
            "TEXT_NOT_CONTAINS": lambda: values[0].casefold() not in text.casefold(),
            "TEXT_STARTS_WITH": lambda: text.casefold().startswith(values[0].casefold()),
            "TEXT_ENDS_WITH": lambda: text.casefold().endswith(values[0].casefold()),
            "TEXT_EQ": lambda: text.casefold() == values[0].casefold(),
            "BLANK": lambda: text == "",
            "NOT_BLANK": lambda: text != "",
        }
        if kind in simple:
            return simple[str(kind)]()
        if kind != "CUSTOM_FORMULA":
            raise NotImplementedError(f"the fake cannot evaluate a {kind} condition")
        formula = values[0]
        ref = r"(\$?)([A-Za-z]{1,3})(\$?)(\d+)"
        literal = r'"((?:[^"]|"")*)"'
        search = re.fullmatch(rf"=\s*ISNUMBER\(\s*SEARCH\(\s*{literal}\s*,\s*{ref}\s*\)\s*\)\s*",
                              formula, re.I)
        equals = re.fullmatch(rf"=\s*{ref}\s*=\s*{literal}\s*", formula, re.I)
        # sheetsync's highlight: =ISNUMBER(FIND("| Status: ", "| "&$J2)), FIND being
        # case-sensitive and the cell's text prefixed with a literal.
        find = re.fullmatch(rf"=\s*ISNUMBER\(\s*FIND\(\s*{literal}\s*,\s*{literal}\s*&\s*"
                            rf"{ref}\s*\)\s*\)\s*", formula, re.I)
        if find:
            needle, prefix = (g.replace('""', '"') for g in find.groups()[:2])
            col_abs, letters, row_abs, digits = find.groups()[2:]
            target_r = int(digits) - 1 + (0 if row_abs else r - anchor[0])
            target_c = column_index(letters) + (0 if col_abs else c - anchor[1])
            return needle in prefix + self._display(book, sheet.cells.get((target_r, target_c),
                                                                            {}))
        if search:
            needle, cell_ref = search.group(1).replace('""', '"'), search.groups()[1:]
        elif equals:
            needle, cell_ref = equals.group(5).replace('""', '"'), equals.groups()[:4]
        else:
            raise NotImplementedError(f"the fake cannot evaluate the formula {formula}")
        col_abs, letters, row_abs, digits = cell_ref
        target_r = int(digits) - 1 + (0 if row_abs else r - anchor[0])
        target_c = column_index(letters) + (0 if col_abs else c - anchor[1])
        shown = self._display(book, sheet.cells.get((target_r, target_c), {}))
        if search:
            return needle.casefold() in shown.casefold()
        return needle.casefold() == shown.casefold()


def _cells_within(sheet: Tab, r0: int, r1: int, c0: int, c1: int) -> set[Coord]:
    """The cells holding something in a range: by the range when it is the smaller (one
    request per run of cells, as an adoption sends, would otherwise scan the tab each time)."""
    if (r1 - r0) * (c1 - c0) < len(sheet.cells):
        return {(r, c) for r in range(r0, r1) for c in range(c0, c1) if (r, c) in sheet.cells}
    return {k for k in sheet.cells if r0 <= k[0] < r1 and c0 <= k[1] < c1}


def _build_tab(sheet_id: int, title: str, rows: Sequence[Sequence[object]], row_count: int,
               column_count: int) -> Tab:
    """A tab holding rows of Python values; its grid grows to fit them."""
    width = max((len(r) for r in rows), default=0)
    tab = Tab({"sheetId": sheet_id, "title": title, "sheetType": "GRID",
               "gridProperties": {"rowCount": max(row_count, len(rows)),
                                  "columnCount": max(column_count, width)}})
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            entered, number_format = _python_cell_value(value)
            if entered is not None:
                cell: Json = {}
                _set_value(cell, entered, number_format)
                tab.cells[(r, c)] = cell
    return tab


# --- rows and columns moving ----------------------------------------------------------------


def _insert(sheet: Tab, dimension: str, start: int, count: int, inherit: int | None) -> None:
    """Insert `count` rows/columns at `start`; new ones copy the formatting and validation of
    row/column `inherit` (an index before the insert), as Sheets does."""
    axis = 0 if dimension == "ROWS" else 1
    moved: dict[Coord, Json] = {}
    for coord, cell in sheet.cells.items():
        shifted = list(coord)
        if coord[axis] >= start:
            shifted[axis] += count
        moved[(shifted[0], shifted[1])] = cell
    if inherit is not None:
        for coord, cell in sheet.cells.items():
            if coord[axis] == inherit:
                kept = {k: copy.deepcopy(v) for k, v in cell.items()
                        if k in ("userEnteredFormat", "dataValidation")}
                for i in range(count):
                    if kept:
                        new = list(coord)
                        new[axis] = start + i
                        moved[(new[0], new[1])] = copy.deepcopy(kept)
    sheet.cells = moved
    key = "rowCount" if axis == 0 else "columnCount"
    sheet.grid[key] = sheet.grid.get(key, 0) + count
    _move_ranges(sheet, axis, start, count)


def _delete(sheet: Tab, dimension: str, start: int, count: int) -> None:
    axis = 0 if dimension == "ROWS" else 1
    kept: dict[Coord, Json] = {}
    for coord, cell in sheet.cells.items():
        if start <= coord[axis] < start + count:
            continue
        shifted = list(coord)
        if coord[axis] >= start + count:
            shifted[axis] -= count
        kept[(shifted[0], shifted[1])] = cell
    sheet.cells = kept
    key = "rowCount" if axis == 0 else "columnCount"
    sheet.grid[key] = sheet.grid.get(key, 0) - count
    _move_ranges(sheet, axis, start, -count)


def _move_ranges(sheet: Tab, axis: int, start: int, count: int) -> None:
    """Rules, protections and the filter follow their cells when rows/columns come or go."""
    keys = ("startRowIndex", "endRowIndex") if axis == 0 else ("startColumnIndex",
                                                               "endColumnIndex")
    ranges = [g for rule in sheet.conditional_formats for g in rule.get("ranges", [])]
    ranges += [p["range"] for p in sheet.protected_ranges if "range" in p]
    if sheet.basic_filter is not None and "range" in sheet.basic_filter:
        ranges.append(sheet.basic_filter["range"])
    for grid_range in ranges:
        for key, is_end in zip(keys, (False, True)):
            if key in grid_range:
                grid_range[key] = _shift(grid_range[key], start, count, is_end)


# --- routing and responses ------------------------------------------------------------------


def _route(method: str, host: str, path: str) -> tuple[str, str]:
    """(operation, spreadsheet or file ID) of a request, or AssertionError naming it."""
    path = urllib.parse.unquote(path)
    if host == SHEETS_HOST and path.startswith("/v4/spreadsheets/"):
        rest = path.removeprefix("/v4/spreadsheets/")
        for suffix, verb, operation in (("/values:batchGet", "GET", "values.batchGet"),
                                        ("/values:batchUpdate", "POST", "values.batchUpdate"),
                                        (":batchUpdate", "POST", "batchUpdate"),
                                        (":getByDataFilter", "POST",
                                         "spreadsheets.getByDataFilter"),
                                        ("", "GET", "spreadsheets.get")):
            ident = rest.removesuffix(suffix) if suffix else rest
            if (ident != rest or not suffix) and method == verb and \
                    re.fullmatch(r"[A-Za-z0-9_-]+", ident):
                return operation, ident
    if host == DRIVE_HOST and method == "GET":
        match = re.fullmatch(r"/drive/v3/files/([A-Za-z0-9_-]+)", path)
        if match:
            return "files.get", match.group(1)
    raise AssertionError(f"the fake Google has no {method} https://{host}{path}")


def _response(request: requests.PreparedRequest, status: int, body: Any,
              headers: dict[str, str] | None = None) -> requests.Response:
    """Google's JSON answer: indented two spaces a level, as Google's APIs answer unless the
    query says prettyPrint=false (a standard parameter, default true); `google_json`'s text."""
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(request.url or "").query)
    pretty = query.get("prettyPrint", ["true"])[-1] != "false"
    return json_response(request, status, body, headers,
                         content_type="application/json; charset=UTF-8",
                         dumps=partial(google_json, pretty=pretty))


#: What Google's JSON writer escapes beyond JSON's own: the angle brackets, and invisible
#: format and line-separator characters; every other character, an accented letter, Hangul or
#: an emoji, is sent raw, as UTF-8 (measured against Sheets: brekkylab/backlot#220).
GOOGLE_ESCAPED = re.compile("[<>\u200b\u202e\u2028\u2029]")


def google_json(body: Any, pretty: bool = True) -> str:
    """`body` as Google writes it: non-ASCII text raw, not as \\u escapes (a reader that
    decodes the whole answer into one str pays four bytes a character for a tab holding one
    emoji), and indented unless compact."""
    text = json.dumps(body, ensure_ascii=False, indent=2 if pretty else None,
                      separators=None if pretty else (",", ":"))
    return GOOGLE_ESCAPED.sub(lambda found: f"\\u{ord(found[0]):04x}", text)


def _error(request: requests.PreparedRequest, code: int, message: str,
           details: list[Json] | None = None, headers: dict[str, str] | None = None
           ) -> requests.Response:
    """Google's JSON error (google.rpc.Status) as the Sheets API sends it."""
    error: Json = {"code": code, "message": message, "status": STATUSES[code]}
    if details:
        error["details"] = details
    return _response(request, code, {"error": error}, headers)
