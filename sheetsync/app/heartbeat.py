"""The idle daemon's heartbeat: after `log.heartbeat_minutes` in which no cycle changed
anything, one info line saying how many cycles ran, that nothing changed, and when the next
report is due, so a daemon that has nothing to do does not look dead.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sheetsync.app import logs
from sheetsync.config import Config
from sheetsync.core.reporting import JOBS
from sheetsync.core.schedule import next_moment
from sheetsync.jobs.sync import CycleReport


class Heartbeat:
    """Counts the daemon's ticks since the last line (a heartbeat, or a change the cycle's
    own line showed) and logs the heartbeat when one is due."""

    def __init__(self, config: Config) -> None:
        self.config = config
        minutes = config.settings.log.heartbeat_minutes
        self.every = timedelta(minutes=minutes) if minutes else None  # None: switched off
        self.since: datetime | None = None  # the first tick starts the first window
        self.ticks = 0
        self.reads = 0

    def tick(self, at: datetime, *, read: bool, changed: bool) -> None:
        """One tick of the loop: whether it read the tracker, and changed anything (a
        cycle's or a report's own line then said so)."""
        if changed or self.since is None:
            self.since, self.ticks, self.reads = at, 0, 0
        if changed:
            return
        self.ticks += 1
        self.reads += read
        if self.every is None or at - self.since < self.every:
            return
        since = self.since.astimezone(self.config.timezone)
        logs.event("idle, nothing changed", since=f"{since:%Y-%m-%d %H:%M}",
                   cycles=self.ticks, reads=self.reads, next_report=self.next_report(at))
        self.since, self.ticks, self.reads = at, 0, 0

    def next_report(self, at: datetime) -> str:
        """The next report the schedule writes, as "job at YYYY-MM-DD HH:MM" (team's time)."""
        reports = self.config.settings.reports
        local = at.astimezone(self.config.timezone)
        upcoming = sorted((next_moment(job, getattr(reports, f"{job}_at"), local),
                           JOBS.index(job), job) for job in reports.jobs)
        if not upcoming:
            return "none (reports.jobs is empty)"
        moment, _, job = upcoming[0]
        return f"{job} at {moment:%Y-%m-%d %H:%M}"


def changed_anything(report: CycleReport) -> bool:
    """Whether a cycle changed anything a person would see: a ticket, a transition, an
    effect, or a cell written."""
    return bool(report.new_tickets or report.transitions or report.planned
                or (report.writes and report.write_skipped is None))
