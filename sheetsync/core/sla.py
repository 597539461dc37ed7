"""SLA timers: when a ticket's first response and resolution are due, in calendar time or in
working hours, and the warnings and breach alerts that follow, once each per ticket.

Pure. A target is hours per priority (the SayPro documents ask a first response within 24 h).
With a working-hours calendar (days, hours, holidays, in the configured timezone) only
working time counts: a ticket reported on Friday evening with an 8-hour target is due on
Monday. The clock starts when sheetsync first saw the ticket and stops at its first response
(a change away from its first status, or its first assignment) or its resolution.

A deadline that passed while no daemon ran is alerted once when one runs again, marked late,
whether the ticket is still waiting or its response or resolution was first seen after the
deadline; more late alerts at once than `sla.late_alerts_max` go as one summary message.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from hashlib import blake2b

from sheetsync.core.effects import Effect
from sheetsync.core.rules import SLACK_SLA

FIRST_RESPONSE, RESOLUTION = "first response", "resolution"


@dataclass(frozen=True)
class Calendar:
    """Working hours: these weekdays (0 Monday), from `opens` to `closes`, except holidays."""

    days: frozenset[int] = frozenset(range(5))
    opens: time = time(9, 0)
    closes: time = time(18, 0)
    holidays: frozenset[date] = field(default_factory=frozenset)

    def working(self, day: date) -> bool:
        return day.weekday() in self.days and day not in self.holidays


def due(start: datetime, hours: float, calendar: Calendar | None) -> datetime:
    """When `hours` of (working) time after `start` have passed; `start` is timezone-aware."""
    if calendar is None:
        return start + timedelta(hours=hours)
    left = timedelta(hours=hours)
    day = start.date()
    moment = start
    for _ in range(3660):  # ten years of days: any real target ends well before
        if calendar.working(day):
            opens = datetime.combine(day, calendar.opens, tzinfo=start.tzinfo)
            closes = datetime.combine(day, calendar.closes, tzinfo=start.tzinfo)
            begin = max(moment, opens)
            if begin < closes:
                if begin + left <= closes:
                    return begin + left
                left -= closes - begin
        day += timedelta(days=1)
        moment = datetime.combine(day, time(0), tzinfo=start.tzinfo)
    raise ValueError("the working-hours calendar has no working time")


def working_hours(start: datetime, end: datetime, calendar: Calendar | None) -> float:
    """The (working) hours from `start` to `end`: what `due` counts, the other way round."""
    if end <= start:
        return 0.0
    if calendar is None:
        return (end - start).total_seconds() / 3600
    total = timedelta()
    day = start.astimezone(start.tzinfo).date()
    end = end.astimezone(start.tzinfo)
    while day <= end.date():
        if calendar.working(day):
            opens = datetime.combine(day, calendar.opens, tzinfo=start.tzinfo)
            closes = datetime.combine(day, calendar.closes, tzinfo=start.tzinfo)
            begin, finish = max(start, opens), min(end, closes)
            if finish > begin:
                total += finish - begin
        day += timedelta(days=1)
    return total.total_seconds() / 3600


@dataclass(frozen=True)
class Clock:
    """A ticket's SLA clock as the state store knows it."""

    ticket_id: str
    priority: str | None
    assignee: str | None
    started: datetime  # when sheetsync first saw it
    responded: datetime | None  # when its first response was first seen; None: not yet
    resolved: datetime | None  # when it was first seen resolved; None: not yet


def alerts(clocks: Sequence[Clock], targets: Mapping[str, Mapping[str, float]],
           now: datetime, warn_before: timedelta, calendar: Calendar | None,
           late_after: timedelta = timedelta.max) -> list[Effect]:
    """The warnings (within `warn_before` of a deadline) and breaches due now, keyed so each
    is sent once per ticket and target. `targets`: target -> priority (or "default") -> h.

    A breach is a deadline passed with no stop, or a stop first seen after the deadline (a
    daemon that ran then alerted it at the deadline, under the same key). One alerted more
    than `late_after` after its deadline is marked late: no daemon ran to see it in time.
    """
    found = []
    for clock in clocks:
        for target, stopped in ((FIRST_RESPONSE, clock.responded),
                                (RESOLUTION, clock.resolved)):
            per_priority = targets.get(target) or {}
            hours = per_priority.get(clock.priority or "", per_priority.get("default"))
            if hours is None:
                continue
            deadline = due(clock.started, hours, calendar)
            if stopped is not None and stopped <= deadline:
                continue
            if stopped is not None or now >= deadline:
                late = now - deadline > late_after
                seen = "" if stopped is None else \
                    f"; seen {stopped.astimezone(deadline.tzinfo):%Y-%m-%d %H:%M}"
                kind, text = "breach", (f"{clock.ticket_id} missed its {hours:g} h {target} "
                                        f"target (due {deadline:%Y-%m-%d %H:%M}{seen})"
                                        + (" [late: no daemon ran then]" if late else ""))
            elif now >= deadline - warn_before:
                late, kind, text = False, "warning", (
                    f"{clock.ticket_id}: {target} due by {deadline:%Y-%m-%d %H:%M} "
                    f"({hours:g} h target)")
            else:
                continue
            who = f" ({clock.assignee})" if clock.assignee else " (nobody assigned)"
            found.append(Effect(f"{SLACK_SLA}:{target.replace(' ', '-')}:{kind}:"
                                f"{clock.ticket_id}", SLACK_SLA, clock.ticket_id,
                                {"text": text + who, "target": target, "alert": kind,
                                 "assignee": clock.assignee,
                                 **({"late": True} if late else {})}))
    return found


def fold_late(fresh: Sequence[Effect], most: int) -> list[Effect]:
    """The alerts to plan: as they are, unless more than `most` of them are late, when those
    go as one summary message and each is kept, not sent, naming the summary (so none is sent
    again, and `sheetsync outbox retry` can still send one alone)."""
    late = [e for e in fresh if e.payload.get("late")]
    if len(late) <= most:
        return list(fresh)
    keys = "\n".join(sorted(e.key for e in late))
    key = f"{SLACK_SLA}:late-summary:{blake2b(keys.encode(), digest_size=8).hexdigest()}"
    tickets = sorted({e.ticket_id for e in late if e.ticket_id})
    counts = {target: sum(1 for e in late if e.payload.get("target") == target)
              for target in (FIRST_RESPONSE, RESOLUTION)}
    shown = ", ".join(tickets[:10]) + (f" and {len(tickets) - 10} more" if len(tickets) > 10
                                       else "")
    summary = Effect(key, SLACK_SLA, None, {
        "text": f"{len(late)} SLA deadlines passed while no daemon ran (late alerts): "
                f"{counts[FIRST_RESPONSE]} first response, {counts[RESOLUTION]} resolution; "
                f"{shown}", "alert": "late-summary", "late": True, "tickets": tickets,
        "assignee": None})
    folded = [Effect(e.key, e.kind, e.ticket_id, e.payload, status="cancelled",
                     last_error=f"sent as part of the summary {key}") for e in late]
    return [e for e in fresh if not e.payload.get("late")] + [summary, *folded]
