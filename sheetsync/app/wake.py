"""When the daemon wakes for its scheduled jobs: a `schedule` job at each report time, in the
team's timezone, so the wait between two cycles ends at 09:00 and 18:00 exactly instead of
at the next interval tick.

A wake only asks: what is due, and that it runs once, stays the pure catch-up rule's
(`core.schedule.due`), which the tick that follows a wake consults like any other.
"""

from __future__ import annotations

import pytz
import schedule

from sheetsync.config import Config


class Wakes:
    """The moments the daemon wakes at: each report job's time, on its days (the weekly
    report's Mondays; every day for the others, the monthly one's 1st being the rule's to
    find)."""

    def __init__(self, config: Config) -> None:
        reports = config.settings.reports
        zone = pytz.timezone(config.settings.timezone)
        self.scheduler = schedule.Scheduler()
        moments = {("monday" if job == "weekly" else "day", getattr(reports, f"{job}_at"))
                   for job in reports.jobs}
        for day, at in sorted(moments):
            every = self.scheduler.every()
            (every.monday if day == "monday" else every.day).at(at, zone).do(_wake)

    def wait(self, interval: float) -> float:
        """How long to sleep before the next tick: the interval, or less when one of the
        moments comes first (a moment just passed is moved on to its next day)."""
        self.scheduler.run_pending()
        left = self.scheduler.idle_seconds
        return interval if left is None else min(interval, max(left, 0.0))


def _wake() -> None:
    """What a scheduled moment runs: nothing but the wake; the tick after it decides."""
