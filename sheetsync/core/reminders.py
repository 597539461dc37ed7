"""Reminders on the clock rather than on edits: the guide's "Follow Up: check back with
sellers after marking issues as resolved", one per resolution, and the SayPro log's scheduled
follow-ups, one per Follow-up Date.

Pure. A ticket resolved `after` ago (two days by default) and still resolved gets one reminder
to its assignee, keyed by the resolution, so a ticket resolved again later gets another. A
resolution older than `after` plus a week is not reminded of (a daemon switched on long after
gets no flood). Quiet hours and days hold reminders back until they end.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, time, timedelta

from sheetsync.core.effects import Effect
from sheetsync.core.rules import SLACK_REMINDER

STALE = timedelta(days=7)  # past the reminder's time by more than this: not sent
DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def check_backs(resolutions: Mapping[str, tuple[datetime, int]],
                resolved: Mapping[str, str | None], now: datetime, after: timedelta
                ) -> list[Effect]:
    """The reminders due: `resolutions` holds each ticket's latest resolution (when, and which
    one it is); `resolved` the tickets still resolved now, with their assignee."""
    due = []
    for ticket, (when, number) in sorted(resolutions.items()):
        age = now - when
        if ticket in resolved and after <= age <= after + STALE:
            who = resolved[ticket]
            due.append(Effect(
                f"{SLACK_REMINDER}:check-back:{ticket}:{number}", SLACK_REMINDER, ticket,
                {"text": f"Check back with the seller of {ticket}, resolved {age.days} "
                         f"day{'s' if age.days != 1 else ''} ago: is it still fixed?"
                         + (f" ({who})" if who else ""), "assignee": who}))
    return due


def follow_ups(scheduled: Mapping[str, tuple[str, str | None]], today: date) -> list[Effect]:
    """One reminder per scheduled follow-up (ticket and date) once its day has come, for a
    week; a new date is a new reminder."""
    due = []
    for ticket, (day, who) in sorted(scheduled.items()):
        when = date.fromisoformat(day)
        if when <= today <= when + STALE:
            due.append(Effect(
                f"{SLACK_REMINDER}:follow-up:{ticket}:{day}", SLACK_REMINDER, ticket,
                {"text": f"Follow up on {ticket}: its Follow-up Date is {day}"
                         + (f" ({who})" if who else ""), "assignee": who}))
    return due


def quiet(now: datetime, hours: str, days: Sequence[str]) -> bool:
    """Whether `now` falls in the quiet hours ("20:00-08:00", across midnight too) or days."""
    if DAYS[now.weekday()] in {d.lower() for d in days}:
        return True
    if not hours:
        return False
    start, end = (time.fromisoformat(part.strip()) for part in hours.split("-"))
    clock = now.timetz().replace(tzinfo=None)
    return start <= clock < end if start <= end else clock >= start or clock < end


def quiet_until(now: datetime, hours: str, days: Sequence[str]) -> datetime | None:
    """When the quiet time `now` falls in ends (to the minute); None when `now` is not quiet."""
    if not quiet(now, hours, days):
        return None
    moment = now.replace(second=0, microsecond=0)
    for _ in range(8 * 24 * 60):  # a week of quiet days at most, by the minute
        moment += timedelta(minutes=1)
        if not quiet(moment, hours, days):
            return moment
    return None  # quiet all week: nothing would ever go; send now
