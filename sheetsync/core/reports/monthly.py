"""The monthly analysis (1st of the month 09:00, for the previous month): recurring issues
that need permanent fixes, feature requests for the roadmap, sellers who need more training
or support, and the team's performance per person.

Pure: ticket facts + the month -> a Report. The team table counts each ticket once, under its
owner (the first person in Assigned To), so its columns add up to the month's figures; the
people named after the owner are shown beside, not counted.
"""

from __future__ import annotations

from datetime import datetime

import pandas as pd

from sheetsync.core.clusters import cluster
from sheetsync.core.kpis import between, median, placed, rate
from sheetsync.core.reports.tables import (NOBODY, counts, daily_volume, hours, percent,
                                           unplaced_figures)
from sheetsync.core.reporting import Chart, Period, Report, Table, headline

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
    resolved = facts[placed(facts, "resolved", period.start, period.end)]
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
        team(month, resolved),
        by_type, volume,
    ]
    figures = [("Reported", len(month)), ("Resolved", len(resolved)),
               ("Recurring issues", len(recurring)), ("Feature requests", len(requests)),
               *unplaced_figures(facts, period, ("resolved",))]
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


def team(month: pd.DataFrame, resolved: pd.DataFrame) -> Table:
    """Per owner: the month's tickets handled (reported this month) and resolved (resolved
    this month), median resolution and first-contact resolution of those resolved, the
    escalation rate of those handled; and the tickets they were named on after the owner."""
    handled_by = month["owner"].fillna(NOBODY)
    resolved_by = resolved["owner"].fillna(NOBODY)
    helped = month["helpers"].explode().dropna().value_counts()
    rows = []
    for person in sorted(set(handled_by) | set(resolved_by), key=lambda p: (p == NOBODY, p)):
        mine = month[handled_by == person]
        done = resolved[resolved_by == person]
        known = done[done["resolution_h"].notna()]  # first contact is known for these
        rows.append((person, len(mine), len(done), hours(median(known["resolution_h"])),
                     percent(rate(int(mine["ever_escalated"].sum()), len(mine))),
                     percent(rate(int(known["first_contact"].sum()), len(known))),
                     int(helped.get(person, 0))))
    return Table("Team performance", ("Owner", "Handled", "Resolved",
                                      "Median resolution (h)", "Escalation rate",
                                      "First-contact resolution", "Also named on"), rows,
                 note="each ticket once, under the first person in Assigned To; "
                      "Also named on: the month's tickets naming them after the owner")
