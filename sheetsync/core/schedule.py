"""Which report periods are due: a pure function of the time, the configured times and the
runs already recorded, so the daemon's loop, a catch-up after downtime and the tests all ask
the same question.

Each job has one scheduled moment per period: the morning review and the daily summary each
day at their time, for that day; the weekly report on Mondays, for the ISO week before; the
monthly analysis on the 1st, for the month before. A job is due for its most recent moment
that has passed, if that moment came after sheetsync adopted the tracker, the period does not
lie wholly before the adoption (sheetsync knows nothing of it) and it has no recorded run. So
three weeks of downtime end in one morning review, one daily summary, the last week and the
last month, not a flood; older periods stay available through `sheetsync report --for`.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime, time, timedelta

from sheetsync.core.reporting import Job, Period, before, period_containing


def scheduled_moment(job: Job, at: str, now: datetime) -> datetime:
    """The job's latest scheduled moment at or before `now` (in `now`'s timezone)."""
    clock = time.fromisoformat(at)
    day = now.date()
    for _ in range(40):  # a month and a bit back covers every job
        moment = datetime.combine(day, clock, tzinfo=now.tzinfo)
        on_its_day = job in ("morning", "daily") or (job == "weekly" and day.weekday() == 0) \
            or (job == "monthly" and day.day == 1)
        if on_its_day and moment <= now:
            return moment
        day -= timedelta(days=1)
    raise AssertionError("unreachable: every job has a moment within 40 days")


def next_moment(job: Job, at: str, now: datetime) -> datetime:
    """The job's next scheduled moment after `now` (wall-clock time: a DST change keeps 09:00)."""
    moment = scheduled_moment(job, at, now)
    if job == "monthly":
        first = (moment.date().replace(day=28) + timedelta(days=4)).replace(day=1)
        return datetime.combine(first, moment.timetz())
    return moment + timedelta(days=7 if job == "weekly" else 1)


def period_of_moment(job: Job, moment: datetime) -> Period:
    """The period a scheduled moment reports on: its day, or the week or month before it."""
    if job in ("morning", "daily"):
        return period_containing(job, moment)
    return period_containing(job, moment - timedelta(days=1))


def due(now: datetime, times: dict[Job, str], jobs: Sequence[Job],
        done: Collection[tuple[str, str]], adopted_at: datetime | None
        ) -> list[tuple[Period, datetime]]:
    """The (period, scheduled moment) of each job that is due now; `done` holds the
    recorded (job, period label) runs."""
    if adopted_at is None:
        return []  # nothing before adoption is caught up
    found = []
    for job in jobs:
        moment = scheduled_moment(job, times[job], now)
        period = period_of_moment(job, moment)
        if moment >= adopted_at and not before(period, adopted_at) \
                and (job, period.label) not in done:
            found.append((period, moment))
    return found
