"""A tracker in the fake Google Sheets, and sheetsync configured for it, for the Google tests.

The tracker holds the demo's tickets (the same rows the workbook tests use), so a test can
show the two backends do the same thing with the same sheet.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import openpyxl
from google.oauth2.credentials import Credentials

from sheetsync.backends.google import GoogleSheet
from sheetsync.backends.google_http import GoogleHTTPClient
from sheetsync.config import Config, load_config
from sheetsync.app.demo import make_demo
from tests.fake_google import SPREADSHEET_ID, TOKEN, FakeSheets
from tests.helpers import Clock

NOW = datetime(2026, 11, 23, 6, 30, tzinfo=timezone.utc)
CONFIG = f'''preset = "{{preset}}"
timezone = "Asia/Kolkata"
phone_region = "IN"

[tracker]
backend = "google"
spreadsheet_id = "{SPREADSHEET_ID}"
tab = "Tracker"
'''


@dataclass
class GoogleTracker:
    """The fake service, the config, and a backend talking to the fake on an injected clock."""

    fake: FakeSheets
    config: Config
    clock: Clock
    folder: Path

    def backend(self, **options: Any) -> GoogleSheet:
        client = GoogleHTTPClient(Credentials(token=TOKEN), clock=self.clock,
                                  sleep=self.clock.sleep, jitter=lambda: 0.5, **options)
        return GoogleSheet(self.config, client, clock=self.clock)

    def rows(self) -> list[dict[str, Any]]:
        """The tracker's rows as {header: value}, as a person sees them."""
        values = self.fake.values("Tracker")
        return [dict(zip(values[0], row)) for row in values[1:]]

    def column(self, header: str) -> str:
        return self.fake.column_of("Tracker", header)


def demo_rows(folder: Path, preset: str = "seller-support") -> list[list[Any]]:
    """The demo tracker's header and rows, as the local demo workbook holds them."""
    made = make_demo(folder, preset, "Asia/Kolkata", "IN", NOW)
    sheet = openpyxl.load_workbook(made.workbook_path)["Tracker"]
    return [[c.value if c.value is not None else "" for c in row] for row in sheet.iter_rows()]


def google_tracker(folder: Path, rows: list[list[Any]] | None = None,
                   preset: str = "seller-support", extra: str = "",
                   tab: str = "Tracker") -> Iterator[GoogleTracker]:
    """A fake Google tracker holding `rows` (the demo's by default) in `tab` (the config's
    tab is always "Tracker"), the fake installed."""
    clock = Clock(NOW)
    fake = FakeSheets(clock=clock)
    rows = demo_rows(folder / "local", preset) if rows is None else rows
    fake.add_spreadsheet(SPREADSHEET_ID, {tab: rows})
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "sheetsync.toml").write_text(CONFIG.format(preset=preset) + extra,
                                            encoding="utf-8")
    config = load_config(folder / "sheetsync.toml", environ={})
    with fake.installed():
        yield GoogleTracker(fake, config, clock, folder)
    assert fake.violations == [], fake.violations
