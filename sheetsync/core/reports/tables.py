"""The tables the report jobs share, from ticket facts (pandas)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pandas as pd

from sheetsync.core.reporting import Period, Table

PRIORITY_RANK = {"high": 0, "urgent": 0, "medium": 1, "low": 2}


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
