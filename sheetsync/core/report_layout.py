"""Where a report's title, figures, tables and charts go on a tab: plain data that every
backend renders (openpyxl for the workbook, batchUpdate requests for Google Sheets), so both
show the same report the same way."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from sheetsync.core.reporting import TAB_PREFIX, Job, Report, Table

#: The tabs sheetsync writes: period tabs ("Weekly 2026-W47") and the rolling ones.
ROLLING = {"morning": "Morning Review", "daily": "Daily Summary", "weekly": "Weekly Report",
           "monthly": "Monthly Analysis"}
_PERIOD_TAB = re.compile(r"^(?:(Morning|Daily) \d{4}-\d{2}-\d{2}|(Weekly) \d{4}-W\d{2}|"
                         r"(Monthly) \d{4}-\d{2})$")
CHART_EVERY = 18  # rows between charts stacked beside the tables

Style = Literal["title", "heading", "note", "header"] | None


@dataclass(frozen=True, slots=True)
class Placed:
    """One cell of a report tab: 1-based row and column, its value and how it looks."""

    row: int
    column: int
    value: Any
    style: Style = None


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
    widths: dict[int, int]  # column -> characters of its widest value
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
              for i, spec in enumerate(report.charts)
              if spec.table in placed and placed[spec.table][1] > placed[spec.table][0]]
    return Layout(cells, widths, charts)


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
    for column, name in enumerate(table.columns, start=1):
        cells.append(Placed(row, column, name, "header"))
        widths[column] = max(widths.get(column, 0), len(name))
    for values in table.rows:
        row += 1
        for column, value in enumerate(values, start=1):
            cells.append(Placed(row, column, plain(value)))
            widths[column] = max(widths.get(column, 0), len(str(value or "")))
    placed[table.title] = (header_row, row, len(table.columns))
    return row + 1


def plain(value: Any) -> Any:
    """Numbers and text as they are; None (and NaN) as an empty cell."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    return value if isinstance(value, (int, float, str)) else str(value)


def to_prune(names: Iterable[str], job: Job, keep: int) -> list[str]:
    """The job's oldest period tabs beyond `keep`, of these tab names."""
    prefix = TAB_PREFIX[job]
    mine = sorted(name for name in names
                  if _PERIOD_TAB.match(name) and name.startswith(prefix + " "))
    return mine[:-keep] if keep > 0 else mine
