"""A report's layout as one Sheets batchUpdate: the tab added or resized to fit with its title
rows frozen, every cell rewritten (values and formats, numbers with their number format, so
nothing of an earlier run is left), the columns as wide as the layout says, the charts
replaced (lines straight). Plain data; google.py sends it.

Sheets has no page setup in its API (orientation, fit to width and repeated rows are set in
its print dialog only), so a Google tab carries none; the workbook's tabs do."""

from __future__ import annotations

import zlib
from collections.abc import Collection, Sequence
from typing import Any

from sheetsync.core.report_layout import HEADER_ROWS, ChartAt, Layout, Placed, Shown, Style

HEADER = {"textFormat": {"bold": True},
          "backgroundColorStyle": {"rgbColor": {"red": 0.867, "green": 0.922, "blue": 0.969}}}
FORMATS: dict[Style, dict[str, Any]] = {
    None: {},
    "title": {"textFormat": {"bold": True, "fontSize": 14}},
    "heading": {"textFormat": {"bold": True, "fontSize": 12}},
    "note": {"textFormat": {"italic": True}},
    "header": HEADER,
    "number header": {**HEADER, "horizontalAlignment": "RIGHT"},
}
#: The workbook's number formats (report_tabs.py), as Sheets' NumberFormat.
NUMBERS: dict[Shown, dict[str, Any]] = {
    None: {},
    "percent": {"numberFormat": {"type": "PERCENT", "pattern": "0%"}},
    "hours": {"numberFormat": {"type": "NUMBER", "pattern": "0.0"}},
    "count": {"numberFormat": {"type": "NUMBER", "pattern": "0"}},
    "unknown": {"horizontalAlignment": "RIGHT"},
}
PIXELS_PER_CHARACTER = 7


def new_sheet_id(tab: str, taken: Collection[int]) -> int:
    """An ID for a new tab, chosen here so one request can add the tab and fill it."""
    candidate = zlib.crc32(tab.encode()) % 2_000_000_000 + 1
    while candidate in taken:
        candidate += 1
    return candidate


def report_requests(laid: Layout, sheet_id: int, tab: str, exists: bool,
                    charts: Sequence[int]) -> list[dict[str, Any]]:
    """Requests that leave `tab` showing exactly the laid-out report."""
    size = {"rowCount": laid.rows + 1, "columnCount": laid.columns,
            "frozenRowCount": HEADER_ROWS}
    requests: list[dict[str, Any]] = []
    if exists:
        requests += [{"deleteEmbeddedObject": {"objectId": chart}} for chart in charts]
        requests.append({"updateSheetProperties": {
            "properties": {"sheetId": sheet_id, "gridProperties": size},
            "fields": "gridProperties(rowCount,columnCount,frozenRowCount)"}})
    else:
        requests.append({"addSheet": {"properties": {"sheetId": sheet_id, "title": tab,
                                                     "gridProperties": size}}})
    grid: list[list[dict[str, Any]]] = [[{} for _ in range(size["columnCount"])]
                                        for _ in range(size["rowCount"])]
    for placed in laid.cells:
        grid[placed.row - 1][placed.column - 1] = _cell(placed)
    requests.append({"updateCells": {
        "range": {"sheetId": sheet_id, "startRowIndex": 0, "endRowIndex": size["rowCount"],
                  "startColumnIndex": 0, "endColumnIndex": size["columnCount"]},
        "rows": [{"values": row} for row in grid],
        "fields": "userEnteredValue,userEnteredFormat"}})
    for column, width in sorted(laid.widths.items()):
        requests.append({"updateDimensionProperties": {
            "range": {"sheetId": sheet_id, "dimension": "COLUMNS",
                      "startIndex": column - 1, "endIndex": column},
            "properties": {"pixelSize": PIXELS_PER_CHARACTER * width},
            "fields": "pixelSize"}})
    requests += [_chart(sheet_id, chart) for chart in laid.charts]
    return requests


def _cell(placed: Placed) -> dict[str, Any]:
    value = placed.value
    looks = {**FORMATS[placed.style], **NUMBERS[placed.shown]}
    cell: dict[str, Any] = {"userEnteredFormat": looks} if looks else {}
    if isinstance(value, bool):
        cell["userEnteredValue"] = {"boolValue": value}
    elif isinstance(value, (int, float)):
        cell["userEnteredValue"] = {"numberValue": value}
    elif value is not None:
        cell["userEnteredValue"] = {"stringValue": str(value)}  # text stays text
    return cell


def _chart(sheet_id: int, at: ChartAt) -> dict[str, Any]:
    def column(index: int) -> dict[str, Any]:
        return {"sourceRange": {"sources": [{
            "sheetId": sheet_id, "startRowIndex": at.header - 1, "endRowIndex": at.last,
            "startColumnIndex": index, "endColumnIndex": index + 1}]}}

    series = range(1, min(at.width, 3) if at.kind == "line" else 2)
    return {"addChart": {"chart": {
        "spec": {"title": at.title, "basicChart": {
            "chartType": "LINE" if at.kind == "line" else "COLUMN",
            "legendPosition": "BOTTOM_LEGEND", "headerCount": 1,
            "lineSmoothing": False,  # straight: a count never curves below zero
            "axis": [{"position": "BOTTOM_AXIS"}, {"position": "LEFT_AXIS"}],
            "domains": [{"domain": column(0)}],
            "series": [{"series": column(i), "targetAxis": "LEFT_AXIS"} for i in series]}},
        "position": {"overlayPosition": {
            "anchorCell": {"sheetId": sheet_id, "rowIndex": at.row - 1,
                           "columnIndex": at.column - 1},
            "widthPixels": 600, "heightPixels": 320}}}}}
