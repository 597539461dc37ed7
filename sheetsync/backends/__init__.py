"""Spreadsheet adapters: where a tracker's tab is read from and written to.

Today the local workbook (openpyxl); Google Sheets joins behind the same `read() -> Grid`.
"""

from __future__ import annotations

from typing import Protocol

from sheetsync.config import Config
from sheetsync.table import Grid


class TrackerBackend(Protocol):
    """What the core needs from wherever the tracker lives."""

    def read(self) -> Grid: ...

    def save_blockers(self) -> list[str]:
        """Why this tracker must never be saved over (empty when it may be)."""
        ...


def open_backend(config: Config) -> TrackerBackend:
    """The backend the config names."""
    from sheetsync.backends.workbook import Workbook

    return Workbook(config.workbook_path, config.settings.tracker.tab)
