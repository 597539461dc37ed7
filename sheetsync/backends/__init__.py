"""Spreadsheet adapters: where a tracker's tab is read from and written to.

Today the local workbook (openpyxl); Google Sheets joins behind the same `read() -> Grid`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

from sheetsync.config import Config
from sheetsync.table import Grid

if TYPE_CHECKING:
    from sheetsync.backends.workbook import CellMark, CellWrite
    from sheetsync.reporting import Report


class TrackerBackend(Protocol):
    """What the core needs from wherever the tracker lives."""

    def read(self) -> Grid: ...

    def read_tab(self, tab: str, missing_ok: bool = False) -> Grid:
        """Another tab of the same tracker (the archive)."""
        ...

    def probe(self) -> object | None:
        """A cheap token that changes when the tracker does; None when it cannot tell."""
        ...

    def save_blockers(self) -> list[str]:
        """Why this tracker must never be saved over (empty when it may be)."""
        ...

    def write(self, header_row: int, cells: Sequence[CellWrite],
              marks: Sequence[CellMark] = ()) -> str | None:
        """Write cells sheetsync owns and its marks; None when written, else why not."""
        ...

    def write_report(self, report: Report, tab: str, keep: int | None) -> str | None:
        """Write a report into its own tab; None when written, else why not."""
        ...


def open_backend(config: Config) -> TrackerBackend:
    """The backend the config names."""
    from sheetsync.backends.workbook import Workbook

    return Workbook(config.workbook_path, config.settings.tracker.tab)
