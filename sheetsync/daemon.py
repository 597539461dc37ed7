"""`sheetsync run`: a sync cycle every interval until SIGINT or SIGTERM, and each report when
it falls due (a report missed while the daemon was down runs once when it is back).

A signal stops the loop after the cycle in progress; a fault in one cycle (the workbook
missing, locked or unreadable for a moment) is logged and the next cycle tries again.
"""

from __future__ import annotations

import logging
import signal
import sqlite3
import threading
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta, timezone
from types import FrameType
from typing import Any

from sheetsync import logs
from sheetsync.backends import open_backend
from sheetsync.config import Config
from sheetsync.dispatch import Sinks, open_sinks
from sheetsync.errors import SheetsyncError
from sheetsync.jobs.reports import Written, run_due
from sheetsync.jobs.sync import CycleReport, run_sync
from sheetsync.state import StateStore


def run_daemon(config: Config, *, once: bool = False,
               now: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
               stop: threading.Event | None = None,
               environ: Mapping[str, str] | None = None) -> int:
    """Run cycles until stopped; returns the exit code (0 after a clean stop).

    The sinks (Slack when its token is in `environ`) are opened once, so a channel name is
    looked up once per start, not every cycle.
    """
    sinks = open_sinks(config, environ, echo=lambda line: logs.event("outbox", line=line))
    stop = stop or threading.Event()
    previous = _install_stop_handlers(stop)
    interval = config.settings.sync.interval_seconds
    logs.event("started", tracker=str(config.workbook_path), interval_seconds=interval)
    sinks.start()
    backend = open_backend(config)
    seen: object = None  # the tracker as the last completed cycle left it
    try:
        while not stop.is_set():
            try:
                stamp = backend.probe()
                if stamp is None or stamp != seen or _owed(config, sinks, now()):
                    report = run_sync(config, now(), sinks=sinks)
                    # A skipped write (the file was open elsewhere) is owed: the next tick
                    # retries even if the file itself has not changed.
                    seen = backend.probe() if report.write_skipped is None else None
                    _log_cycle(report)
                # else: unchanged, nothing owed: no read at all
                if run_due(config, now(), sinks, _log_report):
                    seen = backend.probe()  # the report tabs changed the file, not a person
            except (SheetsyncError, OSError, sqlite3.OperationalError) as exc:
                logs.event("cycle failed", logging.ERROR, error=str(exc))
                if once:
                    return getattr(exc, "exit_code", 1)
            if once:
                break
            stop.wait(interval)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    logs.event("stopped")
    return 0


def _log_report(written: Written) -> None:
    report = written.report
    if written.skipped is None:
        logs.event("report", job=report.period.job, period=report.period.label,
                   tab=written.tab, tables=len(report.tables), charts=len(report.charts))
    else:
        logs.event("report skipped", logging.WARNING, job=report.period.job,
                   period=report.period.label, reason=written.skipped)


def _owed(config: Config, sinks: Sinks, now: datetime) -> bool:
    """Whether a cycle is owed though the tracker has not changed: an effect still to
    deliver, or ClickUp's tasks due to be asked about."""
    with StateStore(config.state_path) as store:
        if store.effects("pending"):
            return True
        last = store.tasks_polled_at
    return sinks.tasks is not None and (
        last is None or now - last >= timedelta(minutes=config.settings.clickup.poll_minutes))


def _log_cycle(report: CycleReport) -> None:
    logs.event("cycle", rows=report.rows, new_tickets=report.new_tickets,
               transitions=len(report.transitions), findings=report.findings,
               effects=len(report.planned), delivered=report.delivered,
               written=len(report.writes), duration_ms=round(report.seconds * 1000),
               **{f"{stage}_ms": round(spent * 1000) for stage, spent in report.timings.items()},
               **({"adopted": True} if report.adopted else {}))
    if report.write_skipped:
        logs.event("write skipped", logging.WARNING, reason=report.write_skipped)


def _install_stop_handlers(stop: threading.Event) -> dict[int, Any]:
    """SIGINT and SIGTERM set `stop`; the cycle in progress finishes first."""
    if threading.current_thread() is not threading.main_thread():
        return {}

    def handle(signum: int, frame: FrameType | None) -> None:
        logs.event("stopping", signal=signal.Signals(signum).name)
        stop.set()

    return {sig: signal.signal(sig, handle) for sig in (signal.SIGINT, signal.SIGTERM)}
