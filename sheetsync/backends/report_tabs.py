"""Reports as workbook tabs (openpyxl): a title, the figures, the tables and their charts.

Everything is written as a value: text from a row is set as text, so nothing becomes a
formula. A tab is rewritten whole on a re-run (never appended to), and the job's oldest
period tabs beyond the configured number are removed, so a tracker never fills with tabs.
"""

from __future__ import annotations

import re
from typing import Any

from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from sheetsync.reporting import TAB_PREFIX, Job, Report, Table

#: The tabs sheetsync writes: period tabs ("Weekly 2026-W47") and the rolling ones.
ROLLING = {"morning": "Morning Review", "daily": "Daily Summary", "weekly": "Weekly Report",
           "monthly": "Monthly Analysis"}
_PERIOD_TAB = re.compile(r"^(?:(Morning|Daily) \d{4}-\d{2}-\d{2}|(Weekly) \d{4}-W\d{2}|"
                         r"(Monthly) \d{4}-\d{2})$")
HEADER_FILL = PatternFill("solid", start_color="DDEBF7")
CHART_EVERY = 18  # rows between charts stacked beside the tables


def is_report_tab(name: str) -> bool:
    return bool(_PERIOD_TAB.match(name)) or name in ROLLING.values()


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
    title = sheet.cell(row=1, column=1)
    set_value(title, report.title)
    title.font = Font(bold=True, size=14)
    when = report.generated_at
    set_value(sheet.cell(row=2, column=1),
              f"Written by sheetsync at {when:%Y-%m-%d %H:%M} ({when.tzinfo}); for "
              f"{report.period.start:%Y-%m-%d} to {report.period.end:%Y-%m-%d} (exclusive)")
    row = 4
    placed: dict[str, tuple[int, int, int]] = {}  # table title -> header row, last row, width
    figures = Table("Figures", ("Figure", "Value"), list(report.figures))
    widths: dict[int, int] = {}
    for table in [figures, *report.tables]:
        row = _table(sheet, table, row, widths, placed) + 1
    for column, width in widths.items():
        sheet.column_dimensions[get_column_letter(column)].width = min(max(width, 8), 60) + 2
    anchor_column = get_column_letter(max(widths, default=1) + 2)
    for i, spec in enumerate(report.charts):
        if spec.table in placed and placed[spec.table][1] > placed[spec.table][0]:
            sheet.add_chart(_chart(sheet, spec.kind, spec.title, *placed[spec.table]),
                            f"{anchor_column}{4 + i * CHART_EVERY}")


def _table(sheet: Any, table: Table, row: int, widths: dict[int, int],
           placed: dict[str, tuple[int, int, int]]) -> int:
    """Write one table from `row`; returns the row after it."""
    heading = sheet.cell(row=row, column=1)
    set_value(heading, table.title)
    heading.font = Font(bold=True, size=12)
    row += 1
    if table.note or not table.rows:
        note = sheet.cell(row=row, column=1)
        set_value(note, table.note if table.rows else (table.note + "; none" if table.note
                                                       else "none"))
        note.font = Font(italic=True)
        row += 1
    if not table.rows:
        return row
    header_row = row
    for column, name in enumerate(table.columns, start=1):
        cell = sheet.cell(row=row, column=column)
        set_value(cell, name)
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        widths[column] = max(widths.get(column, 0), len(name))
    for values in table.rows:
        row += 1
        for column, value in enumerate(values, start=1):
            set_value(sheet.cell(row=row, column=column), _plain(value))
            widths[column] = max(widths.get(column, 0), len(str(value or "")))
    placed[table.title] = (header_row, row, len(table.columns))
    return row + 1


def _chart(sheet: Any, kind: str, title: str, header: int, last: int, width: int) -> Any:
    chart = LineChart() if kind == "line" else BarChart()
    chart.title = title
    chart.height, chart.width = 7.5, 15
    data = Reference(sheet, min_col=2, max_col=min(width, 3) if kind == "line" else 2,
                     min_row=header, max_row=last)
    chart.add_data(data, titles_from_data=True)
    chart.set_categories(Reference(sheet, min_col=1, min_row=header + 1, max_row=last))
    return chart


def _plain(value: Any) -> Any:
    """Numbers and text as they are; None (and NaN) as an empty cell."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    return value if isinstance(value, (int, float, str)) else str(value)


def prune(book: Any, job: Job, keep: int) -> list[str]:
    """Remove the job's oldest period tabs beyond `keep`; returns their names."""
    prefix = TAB_PREFIX[job]
    mine = sorted(name for name in book.sheetnames
                  if _PERIOD_TAB.match(name) and name.startswith(prefix + " "))
    gone = mine[:-keep] if keep > 0 else mine
    for name in gone:
        book.remove(book[name])
    return gone
