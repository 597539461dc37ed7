"""The 18:00 daily summary: what the day brought and what tomorrow starts with.

Pure: ticket facts + the day -> a Report. Today's new, resolved and escalated counts; open
issues not updated today; priority issues for tomorrow (High first, then the oldest); new
issues by type and open issues by owner (the first person in Assigned To). A resolution or
escalation from before adoption counts on the day its whole interval lies in; one that may or
may not have been today is counted as "not placed".
"""

from __future__ import annotations

from datetime import datetime

import pandas as pd

from sheetsync.core.kpis import between, placed
from sheetsync.core.reports.tables import (LISTED, TICKET_COLUMNS, by_owner, by_priority_then_age,
                                           counts, ticket_rows, unplaced_figures)
from sheetsync.core.reporting import Chart, Period, Report, Table

TOMORROW = 10  # priority issues listed for tomorrow


def build(facts: pd.DataFrame, period: Period, at: datetime) -> Report:
    """The summary of `period`'s day."""
    start, end = period.start, period.end
    resolved = int(placed(facts, "resolved", start, end).sum())
    escalated = int(placed(facts, "escalated", start, end).sum())
    unplaced = unplaced_figures(facts, period, ("resolved", "escalated"))
    facts = facts[[*LISTED, "resolved", "last_change"]]
    new = facts[between(facts["reported_at"], start, end)]
    open_ = facts[~facts["resolved"] & (facts["reported_at"] < pd.Timestamp(end))]
    quiet = open_[open_["last_change"].isna() | (open_["last_change"] < pd.Timestamp(start))]
    quiet = quiet[~quiet.index.isin(new.index)]
    tomorrow = by_priority_then_age(open_).head(TOMORROW)
    by_type = counts(new["type"], "New today by type")
    by_assignee = by_owner(open_, "Open issues by owner")
    tables = [
        Table("Open issues not updated today", TICKET_COLUMNS,
              ticket_rows(by_priority_then_age(quiet), at)),
        Table("Priority issues for tomorrow", TICKET_COLUMNS, ticket_rows(tomorrow, at),
              note="open issues, High priority first, then the oldest"),
        by_type, by_assignee,
    ]
    figures = [("New today", len(new)), ("Resolved today", resolved),
               ("Escalated today", escalated), ("Open", len(open_)),
               ("Open and not updated today", len(quiet)), *unplaced]
    return Report(period, at, figures, tables, [Chart("bar", by_type.title, by_type.title)],
                  digest(period, dict(figures)))


def digest(period: Period, figures: dict[str, int]) -> str:
    """The one-line digest, from the tab's own figures."""
    unplaced = "".join(f"; {n} {name.lower()}" for name, n in figures.items()
                       if "before adoption" in name)
    return (f"Daily summary {period.label}: {figures['New today']} new, "
            f"{figures['Resolved today']} resolved, {figures['Escalated today']} escalated; "
            f"{figures['Open']} open, {figures['Open and not updated today']} not updated "
            f"today{unplaced}.")
