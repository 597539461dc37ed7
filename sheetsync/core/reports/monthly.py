"""The monthly analysis (1st of the month 09:00, for the previous month): recurring issues
that need permanent fixes, feature requests for the roadmap, sellers who need more training
or support, and the team's performance per person.

Pure: ticket facts + the month -> a Report.
"""

from __future__ import annotations

from datetime import datetime

import pandas as pd

from sheetsync.core.clusters import cluster
from sheetsync.core.kpis import between, median, rate
from sheetsync.core.reports.tables import counts, daily_volume, hours, percent
from sheetsync.core.reporting import Chart, Period, Report, Table, headline
from sheetsync.core.values import split_people

FEATURE = "feature request"
HELP = "help"
TRAINING_HELP = 3  # Help tickets in a month that suggest a seller needs training
TRAINING_REPEATS = 2
EXAMPLES = 3


def build(facts: pd.DataFrame, period: Period, at: datetime) -> Report:
    month = facts[between(facts["reported_at"], period.start, period.end)]
    kind = month["type"].str.lower()
    issues = month[kind.ne(FEATURE).fillna(True)]
    requests = month[kind.eq(FEATURE).fillna(False)]
    recurring = cluster(list(issues.index), list(issues["description"]), list(issues["seller"]))
    asked = cluster(list(requests.index), list(requests["description"]),
                    list(requests["seller"]), minimum=1)
    by_type = counts(month["type"], "Issues by type")
    volume = daily_volume(facts, period)
    tables = [
        Table("Recurring issues that need permanent fixes",
              ("Issue", "Tickets", "Sellers", "Examples"),
              [(c.label, len(c.tickets), c.sellers, ", ".join(c.tickets[:EXAMPLES]))
               for c in recurring], note="similar descriptions, three tickets or more"),
        Table("Feature requests for the roadmap", ("Request", "Sellers asking", "Tickets",
                                                   "Examples"),
              [(c.label, c.sellers, len(c.tickets), ", ".join(c.tickets[:EXAMPLES]))
               for c in sorted(asked, key=lambda c: (-c.sellers, c.label))]),
        training(month),
        team(month),
        by_type, volume,
    ]
    figures = [("Reported", len(month)),
               ("Resolved", int(between(facts["resolved_at"], period.start, period.end).sum())),
               ("Recurring issues", len(recurring)), ("Feature requests", len(requests))]
    return Report(period, at, figures, tables, [Chart("bar", "Issues by type", by_type.title),
                                                Chart("line", "Daily volume", volume.title)],
                  headline(f"Monthly analysis {period.label}", figures))


def training(month: pd.DataFrame) -> Table:
    """Sellers with many Help tickets or repeat issues this month."""
    known = month[month["seller"].notna()]
    rows = []
    for seller, tickets in known.groupby("seller"):
        helps = int(tickets["type"].str.lower().eq(HELP).sum())
        repeats = int(tickets["repeat"].sum())
        if helps >= TRAINING_HELP or repeats >= TRAINING_REPEATS:
            name = tickets["seller_name"].dropna()
            rows.append((str(name.iloc[0]) if len(name) else str(seller), helps, repeats,
                         len(tickets)))
    rows.sort(key=lambda r: (-r[1] - r[2], r[0]))
    return Table("Sellers needing more training or support",
                 ("Seller", "Help tickets", "Repeat issues", "Tickets"), rows,
                 note=f"{TRAINING_HELP}+ Help tickets or {TRAINING_REPEATS}+ repeat issues")


def team(month: pd.DataFrame) -> Table:
    """Per person in Assigned To: handled, resolved, median resolution, escalation and
    first-contact resolution rates."""
    people = month["assignee"].dropna().map(split_people).explode().dropna()
    rows = []
    for person in sorted(set(people)):
        mine = month.loc[people[people == person].index.unique()]
        resolved = mine[mine["ever_resolved"]]
        known = resolved[resolved["resolution_h"].notna()]  # first contact is known for these
        rows.append((person, len(mine), len(resolved), hours(median(known["resolution_h"])),
                     percent(rate(int(mine["ever_escalated"].sum()), len(mine))),
                     percent(rate(int(known["first_contact"].sum()), len(known)))))
    return Table("Team performance", ("Assigned to", "Handled", "Resolved",
                                      "Median resolution (h)", "Escalation rate",
                                      "First-contact resolution"), rows)
