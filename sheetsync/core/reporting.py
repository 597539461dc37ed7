"""Reports as plain data: a period, figures, tables and the charts drawn from them.

Pure. The jobs build a `Report` (their shared table helpers are in `core/reports/tables.py`);
each backend renders it (report_layout.py places it), so the numbers are computed once and
shown the same everywhere. A value is a number where it is one: a share is a `Percent` and a
time in hours an `Hours` (floats that say how they are shown, so a tab gives them a number
format and a digest prints them as a person reads them), a count an int, and an unknown figure
None (shown as `UNKNOWN`, one marker everywhere).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

Job = Literal["morning", "daily", "weekly", "monthly"]
JOBS: tuple[Job, ...] = ("morning", "daily", "weekly", "monthly")
TITLES = {"morning": "Morning review", "daily": "Daily summary", "weekly": "Weekly report",
          "monthly": "Monthly analysis"}
TAB_PREFIX = {"morning": "Morning", "daily": "Daily", "weekly": "Weekly", "monthly": "Monthly"}
UNKNOWN = "n/a"  # how a tab, a digest and the CLI show a figure that is not known


class Percent(float):
    """A share (0.25), stored as the number and shown as 25%."""

    __slots__ = ()

    def __str__(self) -> str:
        return f"{self * 100:.0f}%"


class Hours(float):
    """A time in hours, stored as the number and shown with one decimal (24.5)."""

    __slots__ = ()

    def __str__(self) -> str:
        return f"{self:.1f}"


@dataclass(frozen=True, order=True)
class Period:
    """The day, ISO week or month a report is for, in the configured timezone."""

    job: Job
    start: datetime  # inclusive
    end: datetime  # exclusive
    label: str  # 2026-11-23, 2026-W47, 2026-11

    @property
    def tab(self) -> str:
        return f"{TAB_PREFIX[self.job]} {self.label}"

    def previous(self) -> Period:
        return period_containing(self.job, self.start - timedelta(seconds=1))


def period_containing(job: Job, moment: datetime) -> Period:
    """The period of `job` that holds `moment` (an aware time in the configured timezone)."""
    tz = moment.tzinfo
    day = moment.date()
    if job in ("morning", "daily"):
        first, last = day, day + timedelta(days=1)
        label = day.isoformat()
    elif job == "weekly":
        first = day - timedelta(days=day.weekday())
        last = first + timedelta(days=7)
        year, week, _ = first.isocalendar()
        label = f"{year}-W{week:02d}"
    else:
        first = day.replace(day=1)
        last = (first + timedelta(days=32)).replace(day=1)
        label = first.strftime("%Y-%m")
    return Period(job, _at(first, tz), _at(last, tz), label)


def days(period: Period) -> list[Period]:
    """The days a period is made of, each a day in the configured timezone (23 or 25 hours
    long where daylight saving starts or ends)."""
    found, moment = [], period.start
    while moment < period.end:
        found.append(period_containing("daily", moment))
        moment = found[-1].end
    return found


def before(period: Period, adopted_at: datetime | None) -> bool:
    """Whether the period lies wholly before the adoption: sheetsync knows nothing of it."""
    return adopted_at is not None and period.end <= adopted_at


def period_for(job: Job, label: str, tz: ZoneInfo) -> Period:
    """The period a `--for` label names: 2026-11-23, 2026-W47 or 2026-11, as the job needs."""
    patterns = {"morning": (r"\d{4}-\d{2}-\d{2}", "YYYY-MM-DD"),
                "daily": (r"\d{4}-\d{2}-\d{2}", "YYYY-MM-DD"),
                "weekly": (r"(\d{4})-W(\d{2})", "YYYY-Www, such as 2026-W47"),
                "monthly": (r"\d{4}-\d{2}", "YYYY-MM")}
    pattern, shape = patterns[job]
    found = re.fullmatch(pattern, label.strip())
    try:
        if found is None:
            raise ValueError
        if job == "weekly":
            day = date.fromisocalendar(int(found.group(1)), int(found.group(2)), 1)
        elif job == "monthly":
            day = date.fromisoformat(label.strip() + "-01")
        else:
            day = date.fromisoformat(label.strip())
    except ValueError:
        raise ValueError(f'--for: a {job} report is for {shape}, got "{label}"') from None
    return period_containing(job, _at(day, tz))


def chosen_period(job: Job, label: str | None, now: datetime) -> Period:
    """The period a report is for: the one a `--for` label names, else (by default) today
    for the morning review and the daily summary, and the last complete week or month.
    `now` is aware, in the configured timezone."""
    if label:
        return period_for(job, label, now.tzinfo)  # type: ignore[arg-type]
    if job in ("morning", "daily"):
        return period_containing(job, now)
    return period_containing(job, now).previous()


def _at(day: date, tz: Any) -> datetime:
    return datetime.combine(day, time(0), tzinfo=tz)


@dataclass(frozen=True)
class Table:
    """A titled table: the header and the rows, values only."""

    title: str
    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]]
    note: str = ""  # shown under the title (what the table holds, when it is empty)


@dataclass(frozen=True)
class Chart:
    """A chart of one table: its first column as categories, the others as series."""

    kind: Literal["bar", "line"]
    title: str
    table: str  # the table's title


@dataclass(frozen=True)
class Report:
    """One job's report for one period."""

    period: Period
    generated_at: datetime
    figures: list[tuple[str, Any]]
    tables: list[Table]
    charts: list[Chart] = field(default_factory=list)
    digest: str = ""  # the short Slack digest

    @property
    def title(self) -> str:
        return f"{TITLES[self.period.job]} {self.period.label}"


def headline(title: str, figures: Sequence[tuple[str, Any]]) -> str:
    """A report's digest from its headline figures: `Weekly report 2026-W47: Total reported
    42; Resolved 35; ...` (an unknown figure as "n/a")."""
    shown = "; ".join(f"{name} {UNKNOWN if value is None else value}" for name, value in figures)
    return f"{title}: {shown}."
