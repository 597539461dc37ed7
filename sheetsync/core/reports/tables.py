"""The tables the report jobs share, from ticket facts (pandas)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from sheetsync.core.kpis import between, not_placed, placed
from sheetsync.core.reporting import Hours, Percent, Period, Table, days

PRIORITY_RANK = {"high": 0, "urgent": 0, "medium": 1, "low": 2}


def by_priority_then_age(frame: pd.DataFrame) -> pd.DataFrame:
    """High before Medium before Low before none; oldest first within each (an unknown
    Timestamp last); the order worked out on two arrays, then the rows taken once."""
    rank = frame["priority"].str.lower().map(PRIORITY_RANK).fillna(3).to_numpy()
    ticks = frame["reported_at"].array.asi8
    unknown = frame["reported_at"].isna().to_numpy()
    return frame.iloc[np.lexsort((ticks, unknown, rank))]


def ticket_rows(frame: pd.DataFrame, at: datetime, brief: int = 60) -> list[tuple[Any, ...]]:
    """Ticket, reported, age in hours (one decimal), priority, type, seller, assignee,
    description. A Timestamp later than `at` has no age; its Reported says it is in the
    future."""
    rows = []
    for ticket, reported, priority, kind, seller, assignee, description in zip(
            frame.index, frame["reported_at"], frame["priority"], frame["type"],
            frame["seller_name"], frame["assignee"], frame["description"]):
        age = (pd.Timestamp(at) - reported).total_seconds() / 3600 \
            if pd.notna(reported) else None
        future = age is not None and age < 0
        rows.append((ticket, _when(reported, at) + (FUTURE if future else ""),
                     None if age is None or future else hours(age), _text(priority),
                     _text(kind), _text(seller), _text(assignee), _cut(description, brief)))
    return rows


#: The columns a ticket list shows; a report narrows its frame to what it reads before taking
#: subsets of it (the facts frame is wide, and every subset copies each column it holds).
LISTED = ("reported_at", "priority", "type", "seller_name", "assignee", "owner", "description")
FUTURE = " (in the future)"
TICKET_COLUMNS = ("Ticket", "Reported", "Age (h)", "Priority", "Type", "Seller", "Assigned to",
                  "Description")


NOBODY = "(nobody assigned)"


def counts(values: pd.Series, label: str, total_label: str = "Tickets"
           ) -> Table:
    """A count of each value, most first; a blank counts as "(blank)", so the counts add up
    to the tickets counted."""
    counted = values.fillna("(blank)").value_counts()
    return Table(label, (label.split(" by ")[-1].capitalize(), total_label),
                 [(str(k), int(v)) for k, v in counted.items()])


def hours(value: float | None) -> Hours | None:
    return None if value is None else Hours(round(value, 1))


def percent(value: float | None) -> Percent | None:
    return None if value is None else Percent(value)


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
    """Tickets reported and resolved each day of the period (a resolution from before
    adoption on the day its whole interval lies in; see `within_no_day`)."""
    rows = [(day.label, int(between(facts["reported_at"], day.start, day.end).sum()),
             int(placed(facts, "resolved", day.start, day.end).sum())) for day in days(period)]
    return Table("Daily volume", ("Day", "Reported", "Resolved"), rows)


def within_no_day(facts: pd.DataFrame, event: str, period: Period) -> int:
    """Events from before adoption placed in the period but in none of its days: what a
    period's count holds beyond the sum of its days."""
    inside = placed(facts, event, period.start, period.end)
    for day in days(period):
        inside &= ~placed(facts, event, day.start, day.end)
    return int(inside.sum())


def unplaced_figures(facts: pd.DataFrame, period: Period, events: tuple[str, ...]
                     ) -> list[tuple[str, Any]]:
    """The figures saying how many events from before adoption the period's counts could not
    place ("resolved before adoption, not placed: N"); only those that are not zero."""
    figures: list[tuple[str, Any]] = []
    for event in events:
        outside = int(not_placed(facts, event, period.start, period.end).sum())
        if outside:
            figures.append((f"{event.capitalize()} before adoption, not placed", outside))
        if period.job in ("weekly", "monthly") and (inner := within_no_day(facts, event,
                                                                             period)):
            figures.append((f"{event.capitalize()} before adoption, in no single day", inner))
    return figures


def by_owner(frame: pd.DataFrame, label: str) -> Table:
    """Tickets per owner (the first person in Assigned To), nobody's too, adding up to the
    tickets counted."""
    return counts(frame["owner"].fillna(NOBODY), label)
