"""Reports as workbook tabs (openpyxl): the layout of report_layout.py, rendered.

Everything is written as a value: text from a row is set as text, so nothing becomes a
formula. A tab is rewritten whole on a re-run (never appended to), and the job's oldest
period tabs beyond the configured number are removed, so a tracker never fills with tabs.
"""

from __future__ import annotations

from typing import Any

from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from sheetsync.core.report_layout import ChartAt, layout, to_prune
from sheetsync.core.reporting import Job, Report

HEADER_FILL = PatternFill("solid", start_color="DDEBF7")
FONTS = {"title": Font(bold=True, size=14), "heading": Font(bold=True, size=12),
         "note": Font(italic=True), "header": Font(bold=True)}


def set_value(cell: Any, value: Any) -> None:
    """A value as a value: text stays text (openpyxl would read "=..." as a formula)."""
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"


def render(book: Any, report: Report, tab: str) -> None:
    """Write `report` into `tab`, replacing whatever the tab held."""
    if tab in book.sheetnames:
        position = book.sheetnames.index(tab)
        book.remove(book[tab])
        sheet = book.create_sheet(tab, position)
    else:
        sheet = book.create_sheet(tab)
    laid = layout(report)
    for placed in laid.cells:
        cell = sheet.cell(row=placed.row, column=placed.column)
        set_value(cell, placed.value)
        if placed.style is not None:
            cell.font = FONTS[placed.style]
        if placed.style == "header":
            cell.fill = HEADER_FILL
    for column, width in laid.widths.items():
        sheet.column_dimensions[get_column_letter(column)].width = min(max(width, 8), 60) + 2
    for chart in laid.charts:
        sheet.add_chart(_chart(sheet, chart), f"{get_column_letter(chart.column)}{chart.row}")


def _chart(sheet: Any, at: ChartAt) -> Any:
    chart = LineChart() if at.kind == "line" else BarChart()
    chart.title = at.title
    chart.height, chart.width = 7.5, 15
    data = Reference(sheet, min_col=2, max_col=min(at.width, 3) if at.kind == "line" else 2,
                     min_row=at.header, max_row=at.last)
    chart.add_data(data, titles_from_data=True)
    chart.set_categories(Reference(sheet, min_col=1, min_row=at.header + 1, max_row=at.last))
    return chart


def prune(book: Any, job: Job, keep: int) -> list[str]:
    """Remove the job's oldest period tabs beyond `keep`; returns their names."""
    gone = to_prune(book.sheetnames, job, keep)
    for name in gone:
        book.remove(book[name])
    return gone
