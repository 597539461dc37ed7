"""Every report agrees with itself and with the others, over random histories, on both presets.

A history is simulated as the daemon would have seen it: tickets typed in (some dated in the
future, some entered long after their Timestamp), assigned, escalated, resolved and reopened
at random moments; sheetsync adopts the tracker at a random moment and then runs a cycle every
three hours except during downtime, each cycle recording what changed since the last one
(the real `tracked_fields` and `diff`). The reports are built from that (no daemon, no I/O)
in a timezone with daylight saving, across its change of clocks.

The checks name which figures are additive (ADDITIVE): a week's and a month's are the sums of
their days'. Every count equals the sum of its breakdown; the resolved counts, and the median
built from the same tickets, equal those worked out here from the simulated truth by the
docs' definition (a resolution before adoption lies between the Timestamp and the
adoption); unknown first responses are never at risk; the digest says what the tab says.
"""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sheetsync.core import kpis
from sheetsync.core.reporting import Period, Report, days, period_containing
from sheetsync.core.reports import daily, monthly, morning, weekly
from sheetsync.core.tickets import Ticket, tracked_fields
from sheetsync.core.transitions import diff, next_snapshot
from tests.helpers import sheet_of

settings.register_profile(
    "report-invariants", max_examples=50, deadline=None, derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

#: Figures that add up across periods: the daily figure summed over a week's or month's days
#: gives the weekly or monthly one (a resolution placed in the period but in none of its days
#: is its own figure). Everything else (rates, averages, medians, Open) is not additive.
ADDITIVE = {"weekly": {"New today": "Total reported", "Resolved today": "Resolved"},
            "monthly": {"New today": "Reported", "Resolved today": "Resolved"}}
IN_NO_DAY = "Resolved before adoption, in no single day"
NOT_PLACED = "Resolved before adoption, not placed"

ZONES = ("Europe/London", "America/New_York")  # clocks go back on Oct 25 and Nov 1, 2026
START = datetime(2026, 10, 19, 0, 0)  # a Monday; three weeks, across October and November
HOURS = 21 * 24
CYCLE = timedelta(hours=3)
TARGET = 24.0
PEOPLE = {"seller-support": ("Priya (Support)", "Priya (Support), Rahul (Tech)", "Arjun (Support)"),
          "saypro-interaction-log": ("Sarah L.", "Sipho N.", "Sarah L., Sipho N.")}
KINDS = ("assign", "progress", "escalate", "wait", "resolve", "reopen")


@dataclass(frozen=True)
class Simulated:
    ticket: str
    reported: datetime  # the Timestamp typed
    entered: datetime  # when the row was typed in
    events: tuple[tuple[datetime, str, str | None], ...]  # (when, kind, person)
    typed_resolution_h: float | None  # SayPro's Resolution Time, where typed


def state(t: Simulated, at: datetime) -> dict[str, Any]:
    """The ticket's status, assignee and escalation as they stood at `at`."""
    now: dict[str, Any] = {"status": "pending", "assignee": None, "escalated": False}
    for when, kind, person in t.events:
        if when > at:
            break
        if kind == "assign":
            now["assignee"] = person
        elif kind == "escalate":
            now.update(status="escalated", escalated=True)
        elif kind == "reopen":
            now["status"] = "progress"
        else:
            now["status"] = kind if kind != "progress" else "progress"
    return now


def row(preset: str, t: Simulated, s: dict[str, Any], tz: ZoneInfo) -> dict[str, Any]:
    stamp = t.reported.astimezone(tz).strftime("%Y-%m-%d %H:%M")
    if preset == "seller-support":
        status = {"pending": "Pending", "progress": "In Progress", "escalated": "Escalated",
                  "wait": "Awaiting Seller Response", "resolve": "Resolved"}[s["status"]]
        return {"Ticket ID": t.ticket, "WhatsApp Number": "+919800000001",
                "Seller Name": "Asha Stores", "Issue Type": ("Bug", "Help")[len(t.events) % 2],
                "Description": "Product not found.", "Status": status,
                "Assigned To": s["assignee"] or "", "Resolution Summary": "Done.",
                "Timestamp": stamp}
    outcome = {"pending": "", "progress": "Pending further investigation",
               "escalated": "Pending further investigation",
               "wait": "User did not respond to follow-up",
               "resolve": "Resolved and closed"}[s["status"]]
    typed = t.typed_resolution_h if s["status"] == "resolve" else None
    return {"Interaction ID": t.ticket, "Date and Time of Interaction": stamp,
            "User ID/Username": "user1", "User Contact Information": "a@example.com",
            "Issue/Request Description": "Cannot log in.",
            "Category of Issue/Request": ("Technical", "General inquiry")[len(t.events) % 2],
            "Urgency Level": "High", "Assigned Support Agent": s["assignee"] or "",
            "Additional Actions Taken": "Escalated to L2." if s["escalated"] else "",
            "Resolution Provided": "Reset the password.",
            "Resolution Time": f"{typed:g} hours" if typed else "",
            "Feedback from User": ("★★★★☆", "Thanks!", "")[len(t.events) % 3],
            "Final Outcome": outcome}


@st.composite
def histories(draw: st.DrawFn) -> dict[str, Any]:
    preset = draw(st.sampled_from(sorted(PEOPLE)))
    tz = ZoneInfo(draw(st.sampled_from(ZONES)))
    start = START.replace(tzinfo=tz)
    tickets = []
    for n in range(draw(st.integers(1, 12))):
        reported = start + timedelta(hours=draw(st.integers(0, HOURS)), minutes=17 * n)
        entered = reported + timedelta(hours=draw(st.sampled_from([0, 0, 1, 30, -40])))
        moment, events = entered, []
        for _ in range(draw(st.integers(0, 4))):
            moment += timedelta(hours=draw(st.sampled_from([0, 1, 5, 20, 50])))
            kind = draw(st.sampled_from(KINDS))
            events.append((moment, kind, draw(st.sampled_from(PEOPLE[preset]))))
        typed = draw(st.sampled_from([None, 2.0])) if preset != "seller-support" else None
        tickets.append(Simulated(f"INT-{n + 1:06d}", reported, max(entered, start), tuple(events),
                                 typed))
    adopted = start + timedelta(hours=draw(st.integers(0, HOURS - 24)), minutes=7)
    down = [(adopted + timedelta(hours=draw(st.integers(1, 200))),
             timedelta(hours=draw(st.integers(6, 96)))) for _ in range(draw(st.integers(0, 2)))]
    return {"preset": preset, "tz": tz, "tickets": tickets, "adopted": adopted, "down": down}


def simulate(h: dict[str, Any]) -> tuple[pd.DataFrame, datetime, dict[str, datetime]]:
    """The facts the reports get (rows as they stand at the end, the history the cycles
    recorded), the time the reports are made, and when each ticket was first seen resolved."""
    preset, tz, tickets = h["preset"], h["tz"], h["tickets"]
    end = START.replace(tzinfo=tz) + timedelta(hours=HOURS + 30)
    cycles, moment = [], h["adopted"]
    while moment <= end:
        if not any(a <= moment < a + span for a, span in h["down"]):
            cycles.append(moment)
        moment += CYCLE
    cycles.append(end)
    # Each distinct row bound once: the real fields, as the daemon reads them.
    states = {(t.ticket, at): state(t, at) for t in tickets for at in cycles if t.entered <= at}
    keys = list(dict.fromkeys((tid, tuple(sorted(s.items()))) for (tid, _), s in states.items()))
    by_id = {t.ticket: t for t in tickets}
    fields = dict(zip(keys, tracked_fields(sheet_of(
        [row(preset, by_id[tid], dict(s), tz) for tid, s in keys], preset)))) if keys else {}
    snapshot: dict[str, Any] = {}
    history: list[tuple[str, str, str | None, str | None, str]] = []
    first_resolved: dict[str, datetime] = {}
    for at in cycles:
        current = [Ticket(t.ticket, i, fields[(t.ticket, tuple(sorted(states[(t.ticket, at)]
                                                                     .items())))], "")
                   for i, t in enumerate(tickets) if t.entered <= at]
        for change in diff(snapshot, current):
            history.append((change.ticket_id, change.field, change.before, change.after,
                            at.isoformat()))
        for ticket in current:
            if ticket.fields.get("resolved") == "yes":
                first_resolved.setdefault(ticket.ticket_id, at)
        snapshot = next_snapshot(snapshot, current)
    sheet = sheet_of([row(preset, t, state(t, end), tz) for t in tickets], preset)
    facts = kpis.facts(kpis.ticket_frame(sheet, tz), kpis.history_frame(history), h["adopted"],
                       sheet.schema.waiting, None, tz)
    return facts, end, first_resolved


def figures(report: Report) -> dict[str, Any]:
    return dict(report.figures)


def table(report: Report, title: str) -> list[tuple[Any, ...]]:
    return next(t.rows for t in report.tables if t.title == title)


def resolved_in(h: dict[str, Any], first: dict[str, datetime], period: Period,
                facts: pd.DataFrame) -> tuple[set[str], int]:
    """By the docs' definition, from the simulated truth: the tickets resolved in the period,
    and how many resolved before adoption it can not place."""
    adopted, inside, unplaced = h["adopted"], set(), 0
    for t in h["tickets"]:
        seen = first.get(t.ticket)
        if seen is None or t.ticket not in facts.index:
            continue
        if seen > adopted:  # sheetsync saw it resolved (or entered resolved) after adoption
            if period.start <= seen < period.end:
                inside.add(t.ticket)
            continue
        since = t.reported if t.reported <= adopted else None
        if t.typed_resolution_h and since is not None and \
                since + timedelta(hours=t.typed_resolution_h) <= adopted:
            exact = since + timedelta(hours=t.typed_resolution_h)
            if period.start <= exact < period.end:
                inside.add(t.ticket)
        elif since is not None and period.start <= since and adopted <= period.end:
            inside.add(t.ticket)
        elif adopted > period.start and (since is None or since < period.end):
            unplaced += 1
    return inside, unplaced


def check_digest(report: Report) -> None:
    """The digest's numbers are the tab's figures."""
    shown = figures(report)
    text = report.digest.split(": ", 1)[1].rstrip(".")
    if report.period.job in ("weekly", "monthly"):
        for part in text.split("; "):
            name, value = part.rsplit(" ", 1)
            assert value == ("n/a" if shown[name] is None else str(shown[name])), name
        return
    if report.period.job == "daily":
        found = re.fullmatch(r"(\d+) new, (\d+) resolved, (\d+) escalated; (\d+) open, (\d+) "
                             r"not updated today((?:; \d+ [a-z ,]+)*)", text)
        assert found, text
        names = ("New today", "Resolved today", "Escalated today", "Open",
                 "Open and not updated today")
        said = dict(zip(names, map(int, found.groups()[:5])))
        for part in filter(None, found.group(6).split("; ")):
            count, name = part.split(" ", 1)
            said[name[0].upper() + name[1:]] = int(count)
        assert said == shown
        return
    found = re.fullmatch(r"(\d+) new unassigned, (\d+) pending from before today, (\d+) open "
                         r"escalations?, (\d+) at risk of missing the [\d.]+ h first response"
                         r"(?:, (\d+) past it)?(?:, (\d+) dated in the future)?"
                         r"(?:, (\d+) follow-ups? due \((\d+) overdue\))?", text)
    assert found, text
    said = [int(n) if n is not None else None for n in found.groups()]
    assert said[:4] == [v for k, v in shown.items() if k in (
        "New issues with nobody assigned", "Pending since before today and not updated since",
        "Open escalations")] + [shown[f"At risk of missing the {TARGET:g} h first response"]]
    assert (said[4] or 0) == shown[morning.past_title(TARGET)]
    assert (said[5] or 0) == shown["Dated in the future"]
    if "Follow-ups due today" in shown:
        assert said[6:] == [shown["Follow-ups due today"], shown["Follow-ups overdue"]]


def check_breakdowns(report: Report, facts: pd.DataFrame) -> None:
    shown = figures(report)
    job = report.period.job
    if job == "daily":
        assert sum(r[1] for r in table(report, "New today by type")) == shown["New today"]
        assert sum(r[1] for r in table(report, "Open issues by owner")) == shown["Open"]
    elif job == "weekly":
        assert sum(r[1] for r in table(report, "Common issue categories")) == \
            shown["Total reported"]
    elif job == "monthly":
        team = table(report, "Team performance")
        assert sum(r[1] for r in team) == shown["Reported"]
        assert sum(r[2] for r in team) == shown["Resolved"]
        assert sum(r[1] for r in table(report, "Issues by type")) == shown["Reported"]
    if job in ("weekly", "monthly"):
        volume = table(report, "Daily volume")
        total = "Total reported" if job == "weekly" else "Reported"
        assert sum(r[1] for r in volume) == shown[total]
        assert sum(r[2] for r in volume) + shown.get(IN_NO_DAY, 0) == shown["Resolved"]
        assert [r[0] for r in volume] == [d.label for d in days(report.period)]
    if job == "morning":
        open_now = int((~facts["resolved"]).sum())
        assert sum(r[1] for r in table(report, "Open issues by type")) == open_now
        at_risk = table(report, f"At risk of missing the {TARGET:g} h first response")
        past = table(report, morning.past_title(TARGET))
        for ticket, _, age, *_ in at_risk:
            assert not facts.loc[ticket, "response_unknown"]  # unknown is never late
            assert TARGET * morning.AT_RISK <= age <= TARGET  # not late yet (to 0.1 h)
        for ticket, _, age, *_ in past:
            assert not facts.loc[ticket, "response_unknown"]
            assert age >= TARGET
        assert not {r[0] for r in at_risk} & {r[0] for r in past}
        for listed in report.tables:
            if listed.columns[:3] == ("Ticket", "Reported", "Age (h)"):
                assert all(r[2] is None or r[2] >= 0 for r in listed.rows)  # no negative age


@settings(settings.get_profile("report-invariants"))
@given(histories())
def test_every_report_agrees_with_itself_and_the_others(h: dict[str, Any]) -> None:
    facts, now, first = simulate(h)
    start = START.replace(tzinfo=h["tz"])
    window = days(Period("daily", start, now, ""))  # every day something can happen on
    dailies = {day.label: daily.build(facts, day, now) for day in window}
    for day in window:
        report = dailies[day.label]
        check_breakdowns(report, facts)
        check_digest(report)
        inside, unplaced = resolved_in(h, first, day, facts)
        shown = figures(report)
        assert (shown["Resolved today"], shown.get(NOT_PLACED, 0)) == (len(inside), unplaced)
    for day in window[6:9]:  # morning reviews (across a change of clocks), each at its 09:00
        report = morning.build(facts, period_containing("morning", day.start),
                               day.start + timedelta(hours=9), TARGET)
        check_breakdowns(report, facts)
        check_digest(report)
    periods = [period_containing("weekly", start + timedelta(days=7 * n)) for n in range(3)] + \
        [period_containing("monthly", start), period_containing("monthly", now)]
    for period in periods:
        big = weekly.build(facts, period, now, TARGET) if period.job == "weekly" else \
            monthly.build(facts, period, now)
        check_breakdowns(big, facts)
        check_digest(big)
        shown = figures(big)
        # The additive figures: the sum over the period's days (none outside the window has
        # any ticket), a resolution placed in the period but in none of its days added.
        for day_figure, period_figure in ADDITIVE[period.job].items():
            summed = sum(figures(dailies[d.label])[day_figure] for d in days(period)
                         if d.label in dailies)
            extra = shown.get(IN_NO_DAY, 0) if day_figure == "Resolved today" else 0
            assert summed + extra == shown[period_figure], (day_figure, period.label)
        inside, unplaced = resolved_in(h, first, period, facts)
        assert (shown["Resolved"], shown.get(NOT_PLACED, 0)) == (len(inside), unplaced)
        if period.job == "weekly":  # the median from the very tickets counted as resolved
            times = facts.loc[sorted(inside), "resolution_h"].dropna()
            assert shown["Median resolution time (h)"] == (
                round(statistics.median(times), 1) if len(times) else None)
