"""Builders for tracker tabs in tests: plain values in, bound sheets or workbook files out."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import openpyxl
import pytest

from sheetsync.config import Config
from sheetsync.schema import PRESETS, Schema, Sheet, bind
from sheetsync.core.table import Grid
from sheetsync.validators import CheckContext, Finding, check

KOLKATA = ZoneInfo("Asia/Kolkata")
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=KOLKATA)
CONTEXT = CheckContext(now=NOW, timezone=KOLKATA, phone_region="IN")

#: The Seller Support Tracker Guide's own example entry, word for word.
GUIDE_EXAMPLE: dict[str, Any] = {
    "WhatsApp Number": "+919876543210",
    "Seller Name": "Sharma General Store",
    "Issue Type": "Bug",
    "Description": 'Unable to update stock for Rice product. Command "Update Rice stock to 50" '
                   'returns error "Product not found" even though Rice exists in inventory.',
    "Status": "Resolved",
    "Assigned To": "Priya (Support), Rahul (Tech)",
    "Resolution Summary": "Technical team found issue with product name case sensitivity. "
                          "Fixed in backend. Advised seller to try again and confirmed working "
                          "at 15:30.",
    "Timestamp": "2023-06-15 10:25",
}

#: The SayPro interaction log template's sample entry, with its N/A and durations.
SAYPRO_SAMPLE: dict[str, Any] = {
    "Interaction ID": "INT-001234",
    "Date and Time of Interaction": "2026-11-20 10:00",
    "User ID/Username": "user12345",
    "User Contact Information": "user12345@example.com",
    "Issue/Request Description": "Unable to log into the account. Password reset not working.",
    "Category of Issue/Request": "Account-related",
    "Urgency Level": "High",
    "Assigned Support Agent": "Sarah L.",
    "Support Interaction Method": "Live chat",
    "Initial Response Time": "30 minutes",
    "Resolution Time": "2 hours",
    "Resolution Provided": "User's account was unlocked after verifying identity via security "
                           "questions.",
    "Additional Actions Taken": "None",
    "Feedback from User": "User expressed satisfaction with resolution.",
    "Follow-up Required": "No",
    "Follow-up Date": "N/A",
    "Final Outcome": "Resolved and closed",
}


def grid(header: Sequence[Any], rows: Sequence[Sequence[Any]], tab: str = "Tracker",
         first_row: int = 1) -> Grid:
    return Grid(tab=tab, rows=(tuple(header), *map(tuple, rows)), first_row=first_row)


def sheet_of(rows: Sequence[Mapping[str, Any]], schema: Schema | str = "seller-support") -> Sheet:
    """Bind rows given as {header: value}; the header is the union of their keys, in order."""
    schema = PRESETS[schema] if isinstance(schema, str) else schema
    header: list[str] = []
    for row in rows:
        header += [h for h in row if h not in header]
    return bind(grid(header, [[row.get(h) for h in header] for row in rows]), schema)


def findings_for(rows: Sequence[Mapping[str, Any]], schema: Schema | str = "seller-support",
                 context: CheckContext = CONTEXT) -> list[Finding]:
    return check(sheet_of(rows, schema), context)


def codes(findings: Sequence[Finding]) -> list[tuple[str, str]]:
    return [(f.column, f.code) for f in findings]


def write_workbook(path: Path, header: Sequence[Any], rows: Sequence[Sequence[Any]],
                   tab: str = "Tracker", extra_tabs: Sequence[str] = ()) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = tab
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    for name in extra_tabs:
        book.create_sheet(name)
    book.save(path)
    return path


def edit(config: Config, seller: str, **values: str) -> None:
    """Change the cells of `seller`'s row in a config's workbook, as a person would."""
    book = openpyxl.load_workbook(config.workbook_path)
    sheet = book[config.settings.tracker.tab]
    header = [c.value for c in sheet[1]]
    for row in sheet.iter_rows(min_row=2):
        if row[header.index("Seller Name")].value == seller:
            for column, value in values.items():
                row[header.index(column)].value = value
    book.save(config.workbook_path)


class Clock:
    """Seconds since the epoch that move only when someone sleeps: pacing without waiting."""

    def __init__(self, start: datetime) -> None:
        self.now = start.timestamp()
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


class Ticks(threading.Event):
    """A stop event whose waits return at once, running `between` at each, until `limit`."""

    def __init__(self, limit: int, between: Callable[[int], None] = lambda tick: None) -> None:
        super().__init__()
        self.ticks, self.limit, self.between = 0, limit, between

    def wait(self, timeout: float | None = None) -> bool:
        self.ticks += 1
        self.between(self.ticks)
        if self.ticks >= self.limit:
            self.set()
        return self.is_set()


class Killed(BaseException):
    """The process dying mid-step, in-process (a BaseException, as nothing catches it)."""


@contextmanager
def killed_after_the_outbox_takes_one() -> Iterator[None]:
    """The outbox appends an effect, then the process dies before recording it as sent."""
    from sheetsync.integrations.outbox import LocalOutbox

    real = LocalOutbox._append

    def append_then_die(self: LocalOutbox, effect: Any) -> None:
        real(self, effect)
        raise Killed

    LocalOutbox._append = append_then_die  # type: ignore[method-assign]
    try:
        with pytest.raises(Killed):
            yield
    finally:
        LocalOutbox._append = real  # type: ignore[method-assign]


def stored_entries(path: Path) -> dict[str, bytes]:
    """Each zip entry's compressed bytes exactly as stored in the file (what a raw copy keeps;
    the CRC is inside them in effect: equal bytes, equal content)."""
    import struct
    import zipfile

    out = {}
    with zipfile.ZipFile(path) as archive, path.open("rb") as raw:
        for info in archive.infolist():
            raw.seek(info.header_offset + 26)
            skip = sum(struct.unpack("<HH", raw.read(4)))
            raw.seek(info.header_offset + 30 + skip)
            out[info.filename] = raw.read(info.compress_size)
    return out
