"""The weekly report (Monday 09:00, for the previous ISO week): the KPIs a support lead is
judged by, and recommendations that cite the numbers behind them.

Pure: ticket facts + the week + the first-response target -> a Report. Resolved counts the
tickets placed in the week (see `kpis`); resolution times, the first-contact rate and their
median are worked out from those same tickets, where their resolution time is known.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pandas as pd

from sheetsync.core.clusters import cluster
from sheetsync.core.kpis import between, future_dated, mean, median, placed, rate
from sheetsync.core.reports.tables import daily_volume, hours, percent, unplaced_figures
from sheetsync.core.reporting import Chart, Period, Report, Table, headline

RISE = 0.25  # a type up this much week on week (with enough tickets) is worth a look
RISE_MINIMUM = 3
FCR_TARGET = 0.7
REPEAT_TARGET = 0.1
RESOLUTION_TARGET_H = 48.0


def build(facts: pd.DataFrame, period: Period, at: datetime, target_hours: float) -> Report:
    this = facts[between(facts["reported_at"], period.start, period.end)]
    before = period.previous()
    last = facts[between(facts["reported_at"], before.start, before.end)]
    resolved = facts[placed(facts, "resolved", period.start, period.end)]
    known = resolved["resolution_h"].dropna()
    fcr = int(resolved["first_contact"].sum())  # first contact is known where the time is
    repeats = int(this["repeat"].sum())
    breaches = breached(this, at, target_hours)
    figures = [
        ("Total reported", len(this)),
        ("Resolved", len(resolved)),
        ("Average resolution time (h)", hours(mean(known))),
        ("Median resolution time (h)", hours(median(known))),
        ("Median first response (h)", hours(median(this["first_response_h"]))),
        ("First-contact resolution rate", percent(rate(fcr, len(known)))),
        ("Repeat-issue rate", percent(rate(repeats, len(this)))),
        (f"First-response target ({target_hours:g} h) breaches", len(breaches)),
    ]
    figures += satisfaction(facts, this)
    figures += unplaced_figures(facts, period, ("resolved",))
    types = type_change(this, last)
    volume = daily_volume(facts, period)
    advice = recommendations(this, last, resolved, fcr, len(known), repeats, breaches,
                             target_hours)
    tables = [types, volume, Table("Recommendations", ("Recommendation",),
                                   [(a,) for a in advice])]
    return Report(period, at, figures, tables,
                  [Chart("bar", "Issues by type", types.title),
                   Chart("line", "Daily volume", volume.title)],
                  headline(f"Weekly report {period.label}", [
                      figures[0], figures[1], figures[3], figures[4], figures[7]]))


def satisfaction(facts: pd.DataFrame, this: pd.DataFrame) -> list[tuple[str, Any]]:
    """The average rating of the week's tickets, and how many gave feedback without one,
    where the tracker records feedback at all."""
    if not facts["feedback"].any():
        return []
    ratings = this["rating"].dropna()
    average = mean(ratings)
    return [("Average satisfaction (of 5)", None if average is None else round(average, 1)),
            ("Ratings", len(ratings)),
            ("Feedback without a rating", int((this["feedback"] & this["rating"].isna()).sum()))]


def breached(frame: pd.DataFrame, at: datetime, target_hours: float) -> pd.DataFrame:
    """Tickets whose first response came later than the target, or has not come and is late.
    Never one whose first response is unknown (answered before adoption)."""
    late = frame["first_response_h"] > target_hours
    age = (pd.Timestamp(at) - frame["reported_at"]).dt.total_seconds() / 3600
    waiting = frame["first_response_h"].isna() & frame["first_response_at"].isna() & \
        ~frame["response_unknown"] & ~future_dated(frame, at) & (age > target_hours)
    return frame[late | waiting]


def type_change(this: pd.DataFrame, last: pd.DataFrame) -> Table:
    now = this["type"].fillna("(blank)").value_counts()
    before = last["type"].fillna("(blank)").value_counts()
    rows = []
    for kind in now.index.union(before.index):
        n, m = int(now.get(kind, 0)), int(before.get(kind, 0))
        rows.append((str(kind), n, percent(rate(n, len(this))), m,
                     percent((n - m) / m) if m else ("new" if n else "")))
    rows.sort(key=lambda r: (-r[1], r[0]))
    return Table("Common issue categories", ("Type", "This week", "Share", "Week before",
                                             "Change"), rows)


def recommendations(this: pd.DataFrame, last: pd.DataFrame, resolved: pd.DataFrame,
                    fcr: int, known: int, repeats: int, breaches: pd.DataFrame,
                    target_hours: float) -> list[str]:
    """What to do about the week, each with the numbers that call for it."""
    advice = []
    now = this["type"].value_counts()
    before = last["type"].value_counts()
    for kind, n in now.items():
        m = int(before.get(kind, 0))
        if n >= RISE_MINIMUM and (m == 0 or (n - m) / m >= RISE):
            change = f"up {(n - m) / m * 100:.0f}% week on week ({n} vs {m})" if m else \
                f"{n} this week, none the week before"
            of_kind = this[this["type"] == kind]
            groups = cluster(list(of_kind.index), list(of_kind["description"]),
                             list(of_kind["seller"]), minimum=2)
            common = f'; {groups[0].sellers} sellers reported "{groups[0].label}"' \
                if groups and groups[0].sellers >= 2 else ""
            advice.append(f"{kind} tickets {change}{common}; consider a permanent fix.")
    if known >= 5 and fcr / known < FCR_TARGET:
        advice.append(f"First-contact resolution was {fcr / known * 100:.0f}% ({fcr} of "
                      f"{known} resolved); look at what the escalated and waiting "
                      "tickets lacked at first contact.")
    if len(breaches):
        advice.append(f"{len(breaches)} ticket{'s' if len(breaches) != 1 else ''} waited over "
                      f"{target_hours:g} h for a first response; check cover at the hours "
                      "they arrived.")
    if len(this) and repeats >= 2 and repeats / len(this) >= REPEAT_TARGET:
        advice.append(f"{repeats / len(this) * 100:.0f}% of tickets were repeat issues "
                      f"({repeats} of {len(this)}); check back with sellers after resolving.")
    times = resolved["resolution_h"].dropna()
    if len(times) >= 5 and float(times.median()) > RESOLUTION_TARGET_H:
        advice.append(f"Median resolution took {float(times.median()):.0f} h "
                      f"({len(times)} tickets); the oldest open issues need an owner.")
    return advice or ["Nothing stands out: the week's figures are within their targets."]
