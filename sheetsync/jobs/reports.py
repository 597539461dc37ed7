"""Running a report: read the tracker and its history, build the job's report, write its tab,
post its digest, record the run. The thin writer around the pure jobs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sheetsync.core import kpis
from sheetsync.backends import TrackerBackend, open_backend
from sheetsync.core.report_layout import ROLLING
from sheetsync.config import Config
from sheetsync.integrations.dispatch import Sinks, hand_off
from sheetsync.core.effects import Effect
from sheetsync.core.reports import daily, monthly, morning, weekly
from sheetsync.jobs.reminders import working_calendar
from sheetsync.core.schedule import due
from sheetsync.core.reminders import quiet_until
from sheetsync.core.reporting import Job, Period, Report, before
from sheetsync.core.rules import SLACK_DIGEST
from sheetsync.schema import Sheet, bind
from sheetsync.state import Lease, StateStore, open_state
from sheetsync.core.transitions import TICKET

HISTORY_FIELDS = (TICKET, "status", "assignee", "escalated", "resolved")


@dataclass(frozen=True)
class Written:
    """A report run: the report, its tab, and why it was not written (None when it was)."""

    report: Report
    tab: str
    skipped: str | None


def build(config: Config, period: Period, at: datetime, store: StateStore, sheet: Sheet
          ) -> Report:
    """The job's report for `period` as the tracker (`sheet`) and its history stand."""
    adopted = store.adopted_at
    facts = kpis.facts(kpis.ticket_frame(sheet, config.timezone),
                       kpis.history_frame(store.all_transitions(HISTORY_FIELDS)),
                       datetime.fromisoformat(adopted) if adopted else None,
                       config.schema.waiting, working_calendar(config), config.timezone)
    target = float(config.settings.reports.first_response_hours)
    builders: dict[str, Callable[[], Report]] = {
        "morning": lambda: morning.build(facts, period, at, target),
        "daily": lambda: daily.build(facts, period, at),
        "weekly": lambda: weekly.build(facts, period, at, target),
        "monthly": lambda: monthly.build(facts, period, at),
    }
    return builders[period.job]()


#: A report run's steps, in order, as `run_report` reports its progress.
STEPS = ("reading the tracker", "working out the figures", "writing the tab",
         "sending the digest")


def run_report(config: Config, period: Period, at: datetime, store: StateStore,
               sinks: Sinks | None, backend: TrackerBackend | None = None,
               progress: Callable[[str, int, int], None] = lambda what, done, total: None
               ) -> Written:
    """Build and write one report; its digest is planned and sent, the run recorded.
    `progress` hears each of the STEPS as it starts: (step, steps done, len(STEPS))."""
    settings = config.settings.reports
    progress(STEPS[0], 0, len(STEPS))
    backend = backend or open_backend(config)
    # One read: the report is built from it, and the write checks the file is as it was.
    sheet = bind(backend.read(), config.schema)
    progress(STEPS[1], 1, len(STEPS))
    report = build(config, period, at, store, sheet)
    rolling = settings.tabs == "rolling"
    tab = ROLLING[period.job] if rolling else period.tab
    adopted = datetime.fromisoformat(store.adopted_at) if store.adopted_at else None
    if adopted is not None and before(period, adopted):
        since = adopted.astimezone(config.timezone).strftime("%Y-%m-%d %H:%M")
        return Written(report, tab, f"{period.label} lies wholly before sheetsync adopted the "
                                    f"tracker ({since}), so it knows nothing of it")
    progress(STEPS[2], 2, len(STEPS))
    skipped = backend.write_report(report, tab, None if rolling else
                                   getattr(settings.keep, period.job))
    if skipped is not None:
        return Written(report, tab, skipped)
    wanted = {"weekly": settings.weekly_digest, "monthly": settings.monthly_digest}.get(
        period.job, settings.digests)
    progress(STEPS[3], 3, len(STEPS))
    if report.digest and wanted and store.adopted_at is not None:
        quiet = config.settings.reminders
        until = quiet_until(at.astimezone(config.timezone), quiet.quiet_hours, quiet.quiet_days)
        store.add_effects([Effect(f"{SLACK_DIGEST}:{period.job}:{period.label}", SLACK_DIGEST,
                                  None, {"text": report.digest, "tab": tab,
                                         **_tab_link(backend, tab),
                                         **({"not_before": until.isoformat()} if until else {})})],
                          at)
        if sinks is not None:
            hand_off(store, sinks, at)
    store.record_job(period.job, period.label, at, datetime.now(at.tzinfo))
    return Written(report, tab, None)


def _tab_link(backend: TrackerBackend, tab: str) -> dict[str, str]:
    """Where the digest links to: the tab on Google Sheets (a local workbook has no address;
    the digest names the tab instead)."""
    link = backend.tab_link(tab)
    return {"tab_url": link} if link else {}


def run_due(config: Config, now: datetime, sinks: Sinks | None,
            log: Callable[..., Any], backend: TrackerBackend | None = None,
            lease: Lease | None = None) -> list[Written]:
    """Every report due now (at most one per job: its most recent missed period)."""
    settings = config.settings.reports
    local = now.astimezone(config.timezone)
    times: dict[Job, str] = {"morning": settings.morning_at, "daily": settings.daily_at,
             "weekly": settings.weekly_at, "monthly": settings.monthly_at}
    written = []
    with open_state(config, lease=lease) as store:  # its digests fenced by the lease
        adopted = store.adopted_at
        for period, moment in due(local, times, settings.jobs, store.job_runs(),
                                  datetime.fromisoformat(adopted) if adopted else None):
            result = run_report(config, period, max(moment, local) if period.job in (
                "morning", "daily") else local, store, sinks, backend)
            log(result)
            written.append(result)
    return written
