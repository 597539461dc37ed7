"""`sheetsync check`: read the tracker, bind it to the schema, report every invalid cell."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sheetsync.backends import open_backend
from sheetsync.config import Config
from sheetsync.schema import bind
from sheetsync.validators import CheckContext, Finding, check


@dataclass(frozen=True)
class CheckReport:
    """What a check found, and what the person should know about the tracker it read."""

    where: str  # "tracker.xlsx, tab Tracker"
    rows_checked: int
    findings: list[Finding]
    unknown_columns: tuple[str, ...]
    save_blockers: list[str]  # why sheetsync will never save over this workbook


def run_check(config: Config, now: datetime) -> CheckReport:
    """Check the configured tracker; changes nothing."""
    backend = open_backend(config)
    sheet = bind(backend.read(), config.schema)
    context = CheckContext(now=now.astimezone(config.timezone), timezone=config.timezone,
                           phone_region=config.settings.phone_region)
    return CheckReport(
        where=(f"spreadsheet {config.settings.tracker.spreadsheet_id}"
               if config.settings.tracker.backend == "google"
               else _shown(config.workbook_path)) + f', tab "{sheet.binding.tab}"',
        rows_checked=len(sheet.numbers),
        findings=check(sheet, context),
        unknown_columns=sheet.binding.unknown,
        save_blockers=backend.save_blockers(),
    )


def _shown(path: Path) -> str:
    """A path as the person would type it: relative to the working directory when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
