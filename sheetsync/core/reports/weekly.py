"""The weekly report (Monday 09:00, for the previous ISO week): the KPIs a support lead is
judged by, and recommendations that cite the numbers behind them.

Pure: ticket facts + the week + the first-response target -> a Report.
"""

from __future__ import annotations

from datetime import datetime

import pandas as pd

from sheetsync.core.clusters import cluster
from sheetsync.core.kpis import between, mean, median, rate
from sheetsync.core.reports.tables import daily_volume, hours, percent
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
    resolved = facts[between(facts["resolved_at"], period.start, period.end)]
    known = resolved["resolution_h"].dropna()
    fcr = int(resolved["first_contact"].sum())
    repeats = int(this["repeat"].sum())
    breaches = breached(this, at, target_hours)
    figures = [
        ("Total reported", len(this)),
        ("Resolved", len(resolved)),
        ("Average resolution time (h)", hours(mean(known))),
        ("Median resolution time (h)", hours(median(known))),
        ("Median first response (h)", hours(median(this["first_response_h"]))),
        ("First-contact resolution rate", percent(rate(fcr, len(resolved)))),
        ("Repeat-issue rate", percent(rate(repeats, len(this)))),
        (f"First-response target ({target_hours:g} h) breaches", len(breaches)),
    ]
    if this["rating"].notna().any():  # the preset records the user's feedback
        figures.append(("Average satisfaction (of 5)", round(float(this["rating"].mean()), 1)))
    types = type_change(this, last)
    volume = daily_volume(facts, period)
    advice = recommendations(this, last, resolved, fcr, repeats, breaches, target_hours)
    tables = [types, volume, Table("Recommendations", ("Recommendation",),
                                   [(a,) for a in advice])]
    return Report(period, at, figures, tables,
                  [Chart("bar", "Issues by type", types.title),
                   Chart("line", "Daily volume", volume.title)],
                  headline(f"Weekly report {period.label}", [
                      figures[0], figures[1], figures[3], figures[4], figures[7]]))


def breached(frame: pd.DataFrame, at: datetime, target_hours: float) -> pd.DataFrame:
    """Tickets whose first response came later than the target, or has not come and is late."""
    late = frame["first_response_h"] > target_hours
    age = (pd.Timestamp(at) - frame["reported_at"]).dt.total_seconds() / 3600
    waiting = frame["first_response_h"].isna() & frame["first_response_at"].isna() & \
        ~frame["adopted"] & (age > target_hours)
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
                    fcr: int, repeats: int, breaches: pd.DataFrame,
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
    if len(resolved) >= 5 and fcr / len(resolved) < FCR_TARGET:
        advice.append(f"First-contact resolution was {fcr / len(resolved) * 100:.0f}% ({fcr} of "
                      f"{len(resolved)} resolved); look at what the escalated and waiting "
                      "tickets lacked at first contact.")
    if len(breaches):
        advice.append(f"{len(breaches)} ticket{'s' if len(breaches) != 1 else ''} waited over "
                      f"{target_hours:g} h for a first response; check cover at the hours "
                      "they arrived.")
    if len(this) and repeats >= 2 and repeats / len(this) >= REPEAT_TARGET:
        advice.append(f"{repeats / len(this) * 100:.0f}% of tickets were repeat issues "
                      f"({repeats} of {len(this)}); check back with sellers after resolving.")
    known = resolved["resolution_h"].dropna()
    if len(known) >= 5 and float(known.median()) > RESOLUTION_TARGET_H:
        advice.append(f"Median resolution took {float(known.median()):.0f} h "
                      f"({len(known)} tickets); the oldest open issues need an owner.")
    return advice or ["Nothing stands out: the week's figures are within their targets."]
