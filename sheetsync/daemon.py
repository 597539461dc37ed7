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
import time
from collections import Counter
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta, timezone
from types import FrameType
from typing import Any

from sheetsync import logs, metrics
from sheetsync.backends import TrackerBackend, open_backend
from sheetsync.config import Config
from sheetsync.dispatch import Sinks, open_sinks
from sheetsync.errors import InputError, SheetsyncError
from sheetsync.jobs.reminders import run_reminders, run_sla
from sheetsync.jobs.reports import Written, run_due
from sheetsync.jobs.sync import CycleReport, run_sync
from sheetsync.state import StateStore


def run_daemon(config: Config, *, once: bool = False,
               now: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
               stop: threading.Event | None = None,
               environ: Mapping[str, str] | None = None,
               metrics_at: tuple[str, int] | None = None,
               backend: TrackerBackend | None = None) -> int:
    """Run cycles until stopped; returns the exit code (0 after a clean stop).

    The sinks (Slack when its token is in `environ`) are opened once, so a channel name is
    looked up once per start, not every cycle. With `metrics_at` (host, port), /healthz and
    /metrics are served while it runs.
    """
    sinks = open_sinks(config, environ, echo=lambda line: logs.event("outbox", line=line))
    interval = config.settings.sync.interval_seconds
    health = metrics.Health(interval)
    try:
        server = metrics.serve(*metrics_at, health) if metrics_at else None
    except OSError as exc:  # the port is taken, or the address is not this machine's
        raise InputError(f"--metrics-port {metrics_at[1] if metrics_at else ''}: cannot serve "
                         f"on {metrics_at[0] if metrics_at else ''} ({exc.strerror or exc})"
                         ) from None
    stop = stop or threading.Event()
    previous = _install_stop_handlers(stop)
    if server is None:
        logs.event("started", tracker=config.tracker_label, interval_seconds=interval)
    else:
        host, port = server.server_address[:2]
        logs.event("started", tracker=config.tracker_label, interval_seconds=interval,
                   metrics=f"http://{host!s}:{port}/metrics")
    sinks.start()
    backend = backend or open_backend(config, environ)
    seen: object = None  # the tracker as the last completed cycle left it
    full_read = timedelta(minutes=config.settings.sync.full_read_minutes)
    read_at: datetime | None = None
    try:
        while not stop.is_set():
            try:
                stamp = backend.probe()
                due = stamp is None or stamp != seen or read_at is None
                if not due and read_at is not None:
                    at = now()  # unchanged: a cycle only for a safety read or what is owed
                    due = at - read_at >= full_read or _owed(config, sinks, at)
                if due:
                    read_at = now()
                    report = run_sync(config, read_at, sinks=sinks, backend=backend)
                    # A skipped write (the file was open elsewhere) is owed: the next tick
                    # retries even if the file itself has not changed.
                    seen = backend.settled(stamp) if report.write_skipped is None else None
                    _log_cycle(report)
                    _observe(config, report)
                # else: unchanged, nothing owed: no read at all, and all is well
                health.succeeded()
                if run_due(config, now(), sinks, _log_report, backend):
                    seen = backend.settled(seen)  # the report tabs changed it, not a person
                run_reminders(config, now(), sinks)  # on the clock: no read of the tracker
                run_sla(config, now(), sinks)
            except (SheetsyncError, OSError, sqlite3.OperationalError) as exc:
                logs.event("cycle failed", logging.ERROR, error=str(exc))
                metrics.CYCLES.labels("failed").inc()
                health.failed(str(exc))
                if once:
                    return getattr(exc, "exit_code", 1)
            if once:
                break
            stop.wait(interval)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if server is not None:
            server.shutdown()
            server.server_close()
    logs.event("stopped")
    return 0


def _observe(config: Config, report: CycleReport) -> None:
    """The cycle's figures, and the outbox as it stands, for /metrics."""
    metrics.observe_cycle(report.seconds, report.rows, report.findings_by_code,
                          Counter(t.field for t in report.transitions))
    with StateStore(config.state_path) as store:
        metrics.observe_effects(store.effect_counts())


def _log_report(written: Written) -> None:
    report = written.report
    if written.skipped is None:
        metrics.REPORT_RUNS.labels(report.period.job).inc()
        metrics.REPORT_LAST_SUCCESS.labels(report.period.job).set(time.time())
        logs.event("report", job=report.period.job, period=report.period.label,
                   tab=written.tab, tables=len(report.tables), charts=len(report.charts))
    elif _SKIPPED.get(report.period.job) != written.skipped:  # once, not every tick
        logs.event("report skipped", logging.WARNING, job=report.period.job,
                   period=report.period.label, reason=written.skipped)
    if written.skipped is None:
        _SKIPPED.pop(report.period.job, None)
    else:
        _SKIPPED[report.period.job] = written.skipped


_SKIPPED: dict[str, str] = {}  # why each job's report was last not written, in this process


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
