"""Where a report's title, figures, tables and charts go on a tab: plain data that every
backend renders (the workbook's sheet parts, batchUpdate requests for Google Sheets), so both
show the same report the same way: each number with its number format, an unknown as one
marker, columns as wide as their values, the title rows frozen and printed on every page."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from sheetsync.core.reporting import (TAB_PREFIX, UNKNOWN, Chart, Hours, Job, Percent, Report,
                                      Table)

#: The tabs sheetsync writes: period tabs ("Weekly 2026-W47") and the rolling ones.
ROLLING = {"morning": "Morning Review", "daily": "Daily Summary", "weekly": "Weekly Report",
           "monthly": "Monthly Analysis"}
_PERIOD_TAB = re.compile(r"^(?:(Morning|Daily) \d{4}-\d{2}-\d{2}|(Weekly) \d{4}-W\d{2}|"
                         r"(Monthly) \d{4}-\d{2})$")
CHART_EVERY = 18  # rows between charts stacked beside the tables
HEADER_ROWS = 2  # the title and when it was written: frozen, and repeated on printed pages
NARROWEST, WIDEST = 8, 60  # a column's width in characters, padding aside
PADDING = 3

#: "number header": the header of a column of numbers, aligned with them (to the right).
Style = Literal["title", "heading", "note", "header", "number header"] | None
#: How a value cell shows its number: a share as 25%, hours with one decimal, a count as a
#: whole number; "unknown" is the marker of a value that is not known, aligned as numbers are.
Shown = Literal["percent", "hours", "count", "unknown"] | None


@dataclass(frozen=True, slots=True)
class Placed:
    """One cell of a report tab: 1-based row and column, its value and how it looks."""

    row: int
    column: int
    value: Any
    style: Style = None
    shown: Shown = None


@dataclass(frozen=True, slots=True)
class ChartAt:
    """A chart of the table at rows `header`..`last` (first column as categories), its
    top-left corner at (`row`, `column`)."""

    kind: Literal["bar", "line"]
    title: str
    header: int
    last: int
    width: int
    row: int
    column: int


@dataclass(frozen=True)
class Layout:
    cells: list[Placed]
    widths: dict[int, int]  # column -> its width in characters: its widest value, padded
    charts: list[ChartAt]

    @property
    def rows(self) -> int:
        return max([c.row for c in self.cells] + [c.row + CHART_EVERY for c in self.charts])

    @property
    def columns(self) -> int:
        return max([c.column for c in self.cells] + [c.column + 7 for c in self.charts])


def is_report_tab(name: str) -> bool:
    return bool(_PERIOD_TAB.match(name)) or name in ROLLING.values()


def layout(report: Report) -> Layout:
    """The report as cells and charts: the title, when it was written, the figures, then
    each table under its heading, the charts stacked to the right of the tables."""
    when = report.generated_at
    cells = [Placed(1, 1, report.title, "title"),
             Placed(2, 1, f"Written by sheetsync at {when:%Y-%m-%d %H:%M} ({when.tzinfo}); "
                          f"for {report.period.start:%Y-%m-%d} to "
                          f"{report.period.end:%Y-%m-%d} (exclusive)")]
    row = 4
    placed: dict[str, tuple[int, int, int]] = {}  # table title -> header row, last row, width
    widths: dict[int, int] = {}
    for table in [Table("Figures", ("Figure", "Value"), list(report.figures)), *report.tables]:
        row = _table(cells, table, row, widths, placed) + 1
    anchor = max(widths, default=1) + 2
    charts = [ChartAt(spec.kind, spec.title, *placed[spec.table], row=4 + i * CHART_EVERY,
                      column=anchor)
              for i, spec in enumerate(drawn(report))]
    return Layout(cells, {column: min(max(width, NARROWEST), WIDEST) + PADDING
                          for column, width in widths.items()}, charts)


def drawn(report: Report) -> list[Chart]:
    """The report's charts that have something to draw (their table has rows): the ones a
    tab holds, and the ones the CLI counts."""
    return [c for c in report.charts if any(t.title == c.table and t.rows
                                            for t in report.tables)]


def _table(cells: list[Placed], table: Table, row: int, widths: dict[int, int],
           placed: dict[str, tuple[int, int, int]]) -> int:
    """Lay out one table from `row`; returns the row after it."""
    cells.append(Placed(row, 1, table.title, "heading"))
    row += 1
    if table.note or not table.rows:
        cells.append(Placed(row, 1, table.note if table.rows else (
            table.note + "; none" if table.note else "none"), "note"))
        row += 1
    if not table.rows:
        return row
    header_row = row
    body = [_value_cell(header_row + i, column, value)
            for i, values in enumerate(table.rows, start=1)
            for column, value in enumerate(values, start=1)]
    numeric = {c.column for c in body if _number(c)} - {
        c.column for c in body if not _number(c) and c.value != ""}  # (a blank: neither)
    for column, name in enumerate(table.columns, start=1):
        cells.append(Placed(row, column, name,
                            "number header" if column in numeric else "header"))
        widths[column] = max(widths.get(column, 0), len(name))
    for cell in body:
        cells.append(cell)
        widths[cell.column] = max(widths.get(cell.column, 0), len(str(cell.value)))
    row = header_row + len(table.rows)
    placed[table.title] = (header_row, row, len(table.columns))
    return row + 1


def _number(cell: Placed) -> bool:
    return cell.shown is not None or (isinstance(cell.value, (int, float))
                                      and not isinstance(cell.value, bool))


def _value_cell(row: int, column: int, value: Any) -> Placed:
    """A table's value: a number stays a number, shown by its kind; text as it is; None (and
    NaN) as the unknown marker."""
    if value is None or (isinstance(value, float) and value != value):
        return Placed(row, column, UNKNOWN, shown="unknown")
    if isinstance(value, Percent):
        return Placed(row, column, value, shown="percent")
    if isinstance(value, Hours):
        return Placed(row, column, value, shown="hours")
    if isinstance(value, int) and not isinstance(value, bool):
        return Placed(row, column, value, shown="count")
    return Placed(row, column, value if isinstance(value, (bool, float, str)) else str(value))


def to_prune(names: Iterable[str], job: Job, keep: int) -> list[str]:
    """The job's oldest period tabs beyond `keep`, of these tab names."""
    prefix = TAB_PREFIX[job]
    mine = sorted(name for name in names
                  if _PERIOD_TAB.match(name) and name.startswith(prefix + " "))
    return mine[:-keep] if keep > 0 else mine
