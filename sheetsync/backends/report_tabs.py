"""Reports as workbook tabs: the layout of report_layout.py written as sheet parts of their
own in the tracker's package (xlsx_package), beside the team's sheets, which stay untouched.

Everything is written as a value: text from a row is set as text, so nothing becomes a
formula; a number is a number with its number format (0%, 0.0 for hours, 0 for counts).
The tab prints landscape, fitted to the page's width, with its title rows atop every page
(`pageSetup` and the sheet's `_xlnm.Print_Titles`), and those rows are frozen on screen. A
tab is rewritten whole on a re-run (never appended to), and the job's oldest period tabs
beyond the configured number are removed with their parts, so a tracker never fills with
tabs. The charts are openpyxl's chart classes serialised to DrawingML: they are
what Excel and LibreOffice have opened in sheetsync's reports from the start, and writing
chartSpace XML by hand would be a few hundred lines of tags to keep right.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from openpyxl import Workbook as _Book
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.drawing.spreadsheet_drawing import SpreadsheetDrawing
from openpyxl.xml.functions import tostring

from sheetsync.backends.xlsx_package import Package
from sheetsync.core import xlsx_parts as parts
from sheetsync.core import xlsx_sheet as sheet
from sheetsync.core import xlsx_xml as x
from sheetsync.core.report_layout import HEADER_ROWS, ChartAt, Shown, Style, layout, to_prune
from sheetsync.core.reporting import Job, Report

HEADER_FILL = "FFDDEBF7"
FONTS: dict[Style, dict[str, Any]] = {"title": {"bold": True, "size": 14},
                                      "heading": {"bold": True, "size": 12},
                                      "note": {"italic": True}, "header": {"bold": True},
                                      "number header": {"bold": True}}
NUMBER_FORMATS: dict[Shown, str] = {"percent": "0%", "hours": "0.0", "count": "0"}
#: The page setup of a report tab: landscape, as wide as the page, as many pages long as it
#: takes (`fitToHeight="0"`); `fitToPage` in the sheet's properties switches the fitting on.
PAGE_SETUP = '<pageSetup orientation="landscape" fitToWidth="1" fitToHeight="0"/>'


def put(package: Package, report: Report, tab: str) -> None:
    """Write `report` into `tab`, replacing whatever the tab held."""
    laid = layout(report)
    styles = package.styles()
    looks: dict[tuple[Style, Shown], int] = {}
    rows: dict[int, dict[int, sheet.CellEdit]] = {}
    for placed in laid.cells:
        key = (placed.style, placed.shown)
        if key != (None, None) and key not in looks:
            looks[key] = _look(styles, *key)
        rows.setdefault(placed.row, {})[placed.column] = sheet.CellEdit(placed.value,
                                                                        looks.get(key))
    part = _replace_sheet(package, tab)
    package.put(package.workbook, parts.with_print_titles(
        package.read(package.workbook) or b"", tab, HEADER_ROWS))
    drawing = _charts(package, part, tab, laid.charts) if laid.charts else None
    package.put(part, sheet_xml(rows, sorted(laid.widths.items()), drawing, printed=True))


def _look(styles: parts.Styles, style: Style, shown: Shown) -> int:
    """The cell format of a report cell: its font and fill, and how its number is shown."""
    return styles.style(
        styles.font(**FONTS[style]) if style in FONTS else None,
        styles.solid_fill(HEADER_FILL) if style in ("header", "number header") else None,
        styles.number_format(NUMBER_FORMATS[shown]) if shown in NUMBER_FORMATS else None,
        "right" if shown == "unknown" or style == "number header" else None)


def put_sheet(package: Package, tab: str, values: Sequence[Sequence[Any]],
              progress: Callable[[int, int], None] = lambda done, total: None) -> None:
    """A new tab holding `values` (setup's, with its first row as a bold header); `progress`
    hears (rows laid out, rows in all, the header not counted) as the part is made."""
    styles = package.styles()
    bold = styles.style(styles.font(bold=True))
    rows = {number: {column: sheet.CellEdit(value, bold if number == 1 else None)
                     for column, value in enumerate(row, start=1)
                     if value is not None and value != ""}
            for number, row in enumerate(values, start=1)}
    package.put(_replace_sheet(package, tab), sheet_xml(rows, [], None, progress=progress))


def sheet_xml(rows: dict[int, dict[int, sheet.CellEdit]], widths: Sequence[tuple[int, int]],
              drawing: str | None, printed: bool = False,
              progress: Callable[[int, int], None] = lambda done, total: None) -> bytes:
    """A whole worksheet part of these cells, column widths and drawing; `printed`: a report
    tab's, its title rows frozen and its page set up (elements in CT_Worksheet's order);
    `progress` counts the rows after the first as each is laid out."""
    cells = [(r, c) for r, columns in rows.items() for c in columns]
    ref = x.area_text(min(r for r, _ in cells), min(c for _, c in cells),
                      max(r for r, _ in cells), max(c for _, c in cells)) if cells else "A1"
    cols = "".join(f'<col min="{c}" max="{c}" width="{w}" customWidth="1"/>'
                   for c, w in widths)
    laid = []
    for done, number in enumerate(sorted(rows)):
        laid.append(sheet.rewrite_row(None, number, rows[number], lambda s, _: s))
        if done and (done % 500 == 0 or done == len(rows) - 1):
            progress(done, len(rows) - 1)
    body = b"".join(laid)
    top = f"A{HEADER_ROWS + 1}"
    view = (f'<sheetView workbookViewId="0"><pane ySplit="{HEADER_ROWS}" topLeftCell="{top}" '
            f'activePane="bottomLeft" state="frozen"/><selection pane="bottomLeft" '
            f'activeCell="{top}" sqref="{top}"/></sheetView>') if printed else \
        '<sheetView workbookViewId="0"/>'
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet '
            f'xmlns="{parts.MAIN}" xmlns:r="{parts.REL}">'
            + ('<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>' if printed else "")
            + f'<dimension ref="{ref}"/><sheetViews>{view}</sheetViews>'
            '<sheetFormatPr defaultRowHeight="15"/>'
            + (f"<cols>{cols}</cols>" if cols else "") + "<sheetData>").encode() + body + \
        ('</sheetData><pageMargins left="0.75" right="0.75" top="1" bottom="1" header="0.5" '
         'footer="0.5"/>' + (PAGE_SETUP if printed else "") +
         (f'<drawing r:id="{drawing}"/>' if drawing else "") + "</worksheet>").encode()


def _replace_sheet(package: Package, tab: str) -> str:
    """The part for `tab`: its own, emptied of its drawing and charts, or a new one listed
    in the workbook, its relationships, the content types and docProps/app.xml."""
    found = package.sheet_parts()
    if tab in found:
        part = found[tab]
        package.drop(_owned(package, part))
        package.remove(parts.rels_of(part))
        return part
    part = package.free_name("xl/worksheets/sheet{}.xml")
    rid = package.link(package.workbook, parts.WORKSHEET, part)
    package.put(package.workbook, parts.with_sheet(package.read(package.workbook) or b"", tab,
                                                   rid))
    package.content_type(part, parts.WORKSHEET_TYPE)
    _titles(package)
    return part


def _owned(package: Package, part: str) -> set[str]:
    """The drawings and charts a sheet links to (a report tab's own, removed with it)."""
    drawings = set(package.related(part, parts.DRAWING))
    charts = {c for d in drawings for c in package.related(d, parts.CHART)}
    return drawings | charts | {parts.rels_of(p) for p in drawings | charts
                                if package.exists(parts.rels_of(p))}


def _charts(package: Package, part: str, tab: str, charts: Sequence[ChartAt]) -> str:
    """The drawing of the report's charts, linked from its sheet; its relationship ID."""
    holder = _Book().active  # the tab's name, for the charts' references
    holder.title = tab
    drawing = SpreadsheetDrawing()
    for at in charts:
        chart = _chart(holder, at)
        name = package.free_name("xl/charts/chart{}.xml")
        chart._id = int(name.removeprefix("xl/charts/chart").removesuffix(".xml"))
        chart.anchor = f"{x.column_letter(at.column)}{at.row}"
        drawing.charts.append(chart)
        package.put(name, tostring(chart._write()))
        package.content_type(name, parts.CHART_TYPE)
    name = package.free_name("xl/drawings/drawing{}.xml")
    package.put(name, tostring(drawing._write()))
    package.put(parts.rels_of(name), tostring(drawing._write_rels()))
    package.content_type(name, parts.DRAWING_TYPE)
    return package.link(part, parts.DRAWING, name)


def _chart(sheet_: Any, at: ChartAt) -> Any:
    chart = LineChart() if at.kind == "line" else BarChart()
    chart.title = at.title
    chart.height, chart.width = 7.5, 15
    data = Reference(sheet_, min_col=2, max_col=min(at.width, 3) if at.kind == "line" else 2,
                     min_row=at.header, max_row=at.last)
    chart.add_data(data, titles_from_data=True)
    chart.set_categories(Reference(sheet_, min_col=1, min_row=at.header + 1, max_row=at.last))
    for series in chart.series if at.kind == "line" else ():
        series.smooth = False  # <c:smooth val="0"/>: a count never curves below zero
    return chart


def prune(package: Package, job: Job, keep: int) -> list[str]:
    """Remove the job's oldest period tabs beyond `keep`, with their parts; their names."""
    found = package.sheet_parts()
    gone = to_prune(list(found), job, keep)
    for name in gone:
        part = found[name]
        rels = parts.rels_of(package.workbook)
        target = {parts.resolve(package.workbook, r.target): r.id
                  for r in parts.relationships(package.read(rels))}
        package.put(package.workbook, parts.without_sheet(package.read(package.workbook)
                                                          or b"", name))
        rid = target.get(part)
        package.put(rels, parts.without_relationships(package.read(rels) or b"",
                                                      lambda r: r.id == rid))
        package.drop(_owned(package, part) | {part})
        package.remove(parts.rels_of(part))
    if gone:
        _titles(package)
    return gone


def _titles(package: Package) -> None:
    """docProps/app.xml's list of sheet titles, as the workbook's is now."""
    app = package.read("docProps/app.xml")
    if app is not None:
        names = [s.name for s in parts.sheets(package.read(package.workbook) or b"")]
        titled = parts.with_titles(app, names)
        if titled != app:
            package.put("docProps/app.xml", titled)
