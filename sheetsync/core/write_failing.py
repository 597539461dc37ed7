"""A tracker sheetsync could not write: since when, for how many cycles in a row, and why;
and when that is long enough to tell a person (status, doctor, /healthz)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

CYCLES = 3  # writes skipped in a row ...
LASTING = timedelta(minutes=10)  # ... for at least this long: a person must look
FIX = ("close the tracker in Excel or LibreOffice (or stop what keeps saving it), or fix "
       "what the reason names; sheetsync tries again every cycle")


@dataclass(frozen=True, slots=True)
class WriteFailing:
    since: datetime  # the first skipped write of the run
    cycles: int
    reason: str  # the last one's


def after_write(previous: WriteFailing | None, skipped: str | None, at: datetime
                ) -> WriteFailing | None:
    """The run of skipped writes after a cycle whose write said `skipped` (None: written,
    or nothing to write: the run is over)."""
    if skipped is None:
        return None
    if previous is None:
        return WriteFailing(at, 1, skipped)
    return WriteFailing(previous.since, previous.cycles + 1, skipped)


def is_stuck(failing: WriteFailing | None, now: datetime) -> bool:
    return failing is not None and failing.cycles >= CYCLES and now - failing.since >= LASTING


def describe(failing: WriteFailing, now: datetime) -> str:
    """One line: how long, how many cycles, why."""
    minutes = int((now - failing.since).total_seconds() // 60)
    return (f"the tracker has not been written for {failing.cycles} cycles ({minutes} min): "
            f"{failing.reason}")
