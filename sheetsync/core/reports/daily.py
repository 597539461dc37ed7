"""The 18:00 daily summary: what the day brought and what tomorrow starts with.

Pure: ticket facts + the day -> a Report. Today's new, resolved and escalated counts; open
issues not updated today; priority issues for tomorrow (High first, then the oldest); new
issues by type and open issues by assignee.
"""

from __future__ import annotations

from datetime import datetime

import pandas as pd

from sheetsync.core.kpis import between
from sheetsync.core.reports.tables import TICKET_COLUMNS, by_priority_then_age, counts, ticket_rows
from sheetsync.core.reporting import Chart, Period, Report, Table
from sheetsync.core.values import split_people

TOMORROW = 10  # priority issues listed for tomorrow


def build(facts: pd.DataFrame, period: Period, at: datetime) -> Report:
    """The summary of `period`'s day."""
    start, end = period.start, period.end
    new = facts[between(facts["reported_at"], start, end)]
    resolved = facts[between(facts["resolved_at"], start, end)]
    escalated = facts[between(facts["escalated_at"], start, end)]
    open_ = facts[~facts["resolved"] & (facts["reported_at"] < pd.Timestamp(end))]
    quiet = open_[open_["last_change"].isna() | (open_["last_change"] < pd.Timestamp(start))]
    quiet = quiet[~quiet.index.isin(new.index)]
    tomorrow = by_priority_then_age(open_).head(TOMORROW)
    by_type = counts(new["type"], "New today by type")
    people = open_["assignee"].dropna().map(split_people).explode()
    by_assignee = counts(pd.concat([people, pd.Series([None] * int(open_["assignee"].isna()
                                                                  .sum()), dtype=object)]),
                         "Open issues by assignee")
    tables = [
        Table("Open issues not updated today", TICKET_COLUMNS,
              ticket_rows(by_priority_then_age(quiet), at)),
        Table("Priority issues for tomorrow", TICKET_COLUMNS, ticket_rows(tomorrow, at),
              note="open issues, High priority first, then the oldest"),
        by_type, by_assignee,
    ]
    figures = [("New today", len(new)), ("Resolved today", len(resolved)),
               ("Escalated today", len(escalated)), ("Open", len(open_)),
               ("Open and not updated today", len(quiet))]
    digest = (f"Daily summary {period.label}: {len(new)} new, {len(resolved)} resolved, "
              f"{len(escalated)} escalated; {len(open_)} open, {len(quiet)} not updated today.")
    return Report(period, at, figures, tables, [Chart("bar", by_type.title, by_type.title)],
                  digest)
