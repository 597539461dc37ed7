"""Spreadsheet adapters: where a tracker's tab is read from and written to.

The local workbook (openpyxl and calamine) and Google Sheets (gspread), behind one protocol.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Protocol

from sheetsync.config import Config
from sheetsync.core.table import Grid

if TYPE_CHECKING:
    from sheetsync.core.cells import CellMark, CellWrite
    from sheetsync.integrations.quota import Pool, Share
    from sheetsync.core.setup import Changes, TrackerSetup
    from sheetsync.core.reporting import Report


class TrackerBackend(Protocol):
    """What the core needs from wherever the tracker lives."""

    def read(self) -> Grid: ...

    def read_tab(self, tab: str, missing_ok: bool = False) -> Grid:
        """Another tab of the same tracker (the archive)."""
        ...

    def probe(self) -> object | None:
        """A cheap token that changes when the tracker does; None when it cannot tell."""
        ...

    def settled(self, before: object | None) -> object | None:
        """The probe token to remember after a completed cycle whose probe said `before`."""
        ...

    def row_link(self, row: int) -> str | None:
        """A link that opens the tracker at this row, where the backend has one."""
        ...

    def tab_link(self, tab: str) -> str | None:
        """A link that opens one of the spreadsheet's tabs, where the backend has one."""
        ...

    def save_blockers(self) -> list[str]:
        """Why this tracker must never be saved over (empty when it may be)."""
        ...

    def reads(self) -> Share | None:
        """The quota budgets this tracker's reads share with others of the process (None:
        reading costs no quota, as a local workbook's)."""
        ...

    def write(self, header_row: int, cells: Sequence[CellWrite],
              marks: Sequence[CellMark] = ()) -> str | None:
        """Write cells sheetsync owns and its marks; None when written, else why not."""
        ...

    def setup(self, plan: TrackerSetup, progress: Callable[[int, int], None]) -> Changes:
        """Prepare the tracker (`sheetsync setup`); adds nothing already there."""
        ...

    def remove_setup(self, plan: TrackerSetup) -> Changes:
        """Take back what setup and the daemon added (`sheetsync setup --remove`)."""
        ...

    def write_report(self, report: Report, tab: str, keep: int | None) -> str | None:
        """Write a report into its own tab; None when written, else why not."""
        ...


def open_backend(config: Config, environ: Mapping[str, str] | None = None,
                 pool: Pool | None = None) -> TrackerBackend:
    """The backend the config names (Google's credentials from `environ`; its quota shared
    through `pool` with the process's other trackers)."""
    if config.settings.tracker.backend == "google":
        from sheetsync.backends.google import GoogleSheet

        return GoogleSheet(config, environ=environ, pool=pool)
    from sheetsync.backends.workbook import Workbook

    return Workbook(config.workbook_path, config.settings.tracker.tab)
