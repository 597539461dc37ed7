"""Reports as plain data: a period, figures, tables and the charts drawn from them.

Pure. The jobs build a `Report`; each backend renders it (openpyxl for the workbook), so the
numbers are computed once and shown the same everywhere.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

import pandas as pd

Job = Literal["morning", "daily", "weekly", "monthly"]
JOBS: tuple[Job, ...] = ("morning", "daily", "weekly", "monthly")
TITLES = {"morning": "Morning review", "daily": "Daily summary", "weekly": "Weekly report",
          "monthly": "Monthly analysis"}
TAB_PREFIX = {"morning": "Morning", "daily": "Daily", "weekly": "Weekly", "monthly": "Monthly"}
PRIORITY_RANK = {"high": 0, "urgent": 0, "medium": 1, "low": 2}


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
    digest: str = ""  # the short Slack digest (morning and daily)

    @property
    def title(self) -> str:
        return f"{TITLES[self.period.job]} {self.period.label}"


# --- helpers the jobs share ---------------------------------------------------------------

def by_priority_then_age(frame: pd.DataFrame) -> pd.DataFrame:
    """High before Medium before Low before none; oldest first within each."""
    rank = frame["priority"].str.lower().map(PRIORITY_RANK).fillna(3)
    return frame.assign(_rank=rank).sort_values(["_rank", "reported_at"],
                                                kind="stable").drop(columns="_rank")


def ticket_rows(frame: pd.DataFrame, at: datetime, brief: int = 60) -> list[tuple[Any, ...]]:
    """Ticket, reported, age in hours, priority, type, seller, assignee, description."""
    rows = []
    for ticket, row in frame.iterrows():
        age = (pd.Timestamp(at) - row["reported_at"]).total_seconds() / 3600 \
            if pd.notna(row["reported_at"]) else None
        rows.append((ticket, _when(row["reported_at"], at), None if age is None else round(age),
                     _text(row["priority"]), _text(row["type"]), _text(row["seller_name"]),
                     _text(row["assignee"]), _cut(row["description"], brief)))
    return rows


TICKET_COLUMNS = ("Ticket", "Reported", "Age (h)", "Priority", "Type", "Seller", "Assigned to",
                  "Description")


def counts(values: pd.Series, label: str, total_label: str = "Tickets"
           ) -> Table:
    """A count of each value, most first."""
    counted = values.fillna("(blank)").value_counts()
    return Table(label, (label.split(" by ")[-1].capitalize(), total_label),
                 [(str(k), int(v)) for k, v in counted.items()])


def hours(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def percent(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 100:.0f}%"


def _when(moment: Any, at: datetime) -> str:
    if pd.isna(moment):
        return ""
    return str(pd.Timestamp(moment).tz_convert(at.tzinfo).strftime("%Y-%m-%d %H:%M"))


def _text(value: Any) -> str:
    return "" if value is None or (isinstance(value, float) and value != value) else str(value)


def _cut(text: Any, length: int) -> str:
    if not isinstance(text, str):
        return ""
    return text if len(text) <= length else text[:length - 1].rstrip() + "…"


def daily_volume(facts: pd.DataFrame, period: Period) -> Table:
    """Tickets reported and resolved each day of the period."""
    days = pd.date_range(period.start, period.end, freq="D", inclusive="left")
    tz = period.start.tzinfo
    reported = facts["reported_at"].dropna().dt.tz_convert(tz).dt.date.value_counts()
    resolved = facts["resolved_at"].dropna().dt.tz_convert(tz).dt.date.value_counts()
    return Table("Daily volume", ("Day", "Reported", "Resolved"),
                 [(day.date().isoformat(), int(reported.get(day.date(), 0)),
                   int(resolved.get(day.date(), 0))) for day in days])
