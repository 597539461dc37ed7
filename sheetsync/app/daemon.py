"""`sheetsync run`: a sync cycle every interval until SIGINT or SIGTERM, and each report when
it falls due (a report missed while the daemon was down runs once when it is back).

Cycles hand their effects to couriers, one per destination, and go on: delivery never holds a
cycle up. Whatever a cycle meets (a cut answer, a damaged file, a bug), the daemon logs one
line, marks the tracker failing in /healthz, and tries again next interval.

A signal stops the loop after the cycle in progress (a second one says so again); a third
stops it at once, safely: the state's open transaction rolls back and each courier ends
after the send in progress is recorded. A fault in one cycle (the workbook missing, locked or
unreadable for a moment) is logged and the next cycle tries again. Between cycles the daemon
sleeps an interval, or less when a report's time comes first (app.wake); while nothing
changes it logs a heartbeat every log.heartbeat_minutes (app.heartbeat).
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta, timezone
from http.server import ThreadingHTTPServer
from types import FrameType
from typing import Any

from sheetsync.app import logs, metrics
from sheetsync.app.heartbeat import Heartbeat, changed_anything
from sheetsync.app.wake import Wakes
from sheetsync.backends import TrackerBackend, open_backend
from sheetsync.backends.file_locks import held_back
from sheetsync.config import Config
from sheetsync.integrations.couriers import Couriers
from sheetsync.integrations.dispatch import Sinks, open_sinks
from sheetsync.integrations.slack_socket import SlackSocket
from sheetsync.errors import InputError, SheetsyncError
from sheetsync.faults import one_line, state_fault
from sheetsync.jobs.reminders import run_reminders, run_sla
from sheetsync.jobs.reports import Written, run_due
from sheetsync.integrations.quota import Pool, Share
from sheetsync.jobs.sync import CycleMemory, CycleReport, run_sync
from sheetsync.state import Lease, LeaseLost, Standby, open_state


def run_daemon(config: Config, *, once: bool = False,
               now: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
               stop: threading.Event | None = None,
               environ: Mapping[str, str] | None = None,
               metrics_at: tuple[str, int] | None = None,
               backend: TrackerBackend | None = None,
               health: metrics.Health | None = None, pool: Pool | None = None,
               socket: SlackSocket | None = None) -> int:
    """Run cycles until stopped; returns the exit code (0 after a clean stop).

    The sinks (Slack when its token is in `environ`) are opened once, so a channel name is
    looked up once per start, not every cycle. With `metrics_at` (host, port), /healthz and
    /metrics are served while it runs. The backend is opened in the loop: a credential that
    cannot be loaded yet is a failed cycle, tried again each interval, not a dead daemon.
    Google's quota is shared through `pool`, and Slack's Socket Mode connection through
    `socket`, with the process's other trackers.
    """
    zone = logs.ZONE.set(config.timezone)  # this tracker's lines in its own zone
    try:
        return _run(config, once, now, stop, environ, metrics_at, backend, health, pool,
                    socket)
    finally:
        logs.ZONE.reset(zone)


def _run(config: Config, once: bool, now: Callable[[], datetime],
         stop: threading.Event | None, environ: Mapping[str, str] | None,
         metrics_at: tuple[str, int] | None, backend: TrackerBackend | None,
         health: metrics.Health | None, pool: Pool | None, socket: SlackSocket | None) -> int:
    """The loop of `run_daemon`."""
    sinks = open_sinks(config, environ, echo=lambda line: logs.event("outbox", line=line))
    interval = config.settings.sync.interval_seconds
    health = health or metrics.Health(interval)
    # Only the replica holding the lease runs cycles and sends; a standby takes over within
    # three intervals of the leader's last renewal.
    lease = Lease.for_this_process(3 * interval)
    # A run that goes on hands its effects to couriers, one per destination, and never waits
    # on delivery; a single cycle (--once) delivers before it ends.
    couriers = None if once else Couriers(config, sinks, lease=lease,
                                          on_progress=health.progressed)
    server = _serve(metrics_at, health)
    stop = stop or threading.Event()
    previous = _install_stop_handlers(stop)
    if server is None:
        logs.event("started", sheet=config.tracker_label, interval_seconds=interval)
    else:
        host, port = server.server_address[:2]
        logs.event("started", sheet=config.tracker_label, interval_seconds=interval,
                   metrics=f"http://{host!s}:{port}/metrics")
    sinks.start()
    seen: object = None  # the tracker as the last completed cycle left it
    memory = CycleMemory()  # what this tracker's last cycle hands the next
    # The buttons and /ticket (only with SLACK_APP_TOKEN): the process's connection, open
    # while it leads a tracker; a click's edit makes the memory of the tab out of date.
    socket = socket or SlackSocket(os.environ if environ is None else environ, now)
    edge = socket.desk(config, sinks, on_change=memory.forget,
                       backend=lambda: open_backend(config, environ, pool))
    full_read = timedelta(minutes=config.settings.sync.full_read_minutes)
    heartbeat, wakes = Heartbeat(config), Wakes(config)
    at_once = False  # a third signal: stop without the couriers' grace
    read_at: datetime | None = None
    held: str | None = None  # why the last read this tracker wanted was held back
    leading: bool | None = None  # None: not yet known
    try:
        while not stop.is_set():
            try:
                if not _lead(config, lease, leading):
                    leading, seen = False, None  # on taking over: read, whatever the probe
                    edge.follow(False)
                    health.succeeded()
                    if once:
                        break
                    stop.wait(interval)
                    continue
                leading = True
                edge.follow(not once)
                backend = backend or open_backend(config, environ, pool)
                stamp = backend.probe()
                due = stamp is None or stamp != seen or read_at is None
                if not due and read_at is not None:
                    at = now()  # unchanged: a cycle only for a safety read or what is owed
                    due = at - read_at >= full_read or _owed(config, sinks, at)
                share = backend.reads()
                if share is not None:  # Google's quota: this tracker's turn among the fleet
                    due, held = _turn(config, share, now(), due, read_at, held)
                report = None
                if due:
                    read_at = now()
                    try:
                        with edge.lock:  # never while a click edits the tracker
                            report = run_sync(config, read_at, sinks=sinks, backend=backend,
                                              lease=lease, memory=memory)
                    finally:
                        if share is not None:
                            share.finished()
                    # A skipped write (the file was open elsewhere) is owed: the next tick
                    # retries even if the file itself has not changed.
                    seen = backend.settled(stamp) if report.write_skipped is None else None
                    health.wrote(report.write_skipped)
                    _log_cycle(report)
                    _observe(config, report)
                # else: unchanged, nothing owed: no read at all, and all is well
                health.succeeded()
                reported = run_due(config, now(), sinks, _log_report, backend, lease)
                if reported:
                    seen = backend.settled(seen)  # the report tabs changed it, not a person
                # On the clock, no read of the tracker; sent only while this replica leads.
                run_reminders(config, now(), sinks, lease)
                run_sla(config, at := now(), sinks, lease)
                health.held(held_back(config, at))  # a person's lock file, held too long
                heartbeat.tick(at, read=report is not None, changed=bool(reported) or (
                    report is not None and changed_anything(report)))
                if couriers is not None:  # what a person retried, or an earlier run left
                    with open_state(config) as store:
                        couriers.wake(store, at)
            except (Standby, LeaseLost) as exc:  # another replica took over meanwhile
                logs.event("standby", logging.WARNING, reason=str(exc))
                leading = False
                edge.follow(False)
            except Exception as exc:  # a fault the next interval may not have: never the end
                said = _fault(exc)
                logs.event("cycle failed", logging.ERROR, error=said)
                metrics.of(metrics.CYCLES, "failed").inc()
                health.failed(said)
                if once:
                    return getattr(exc, "exit_code", 1)
            if once:
                break
            stop.wait(wakes.wait(interval))
    except KeyboardInterrupt:
        at_once = True
        raise
    finally:
        edge.close()
        if couriers is not None:
            couriers.stop(grace=0.0 if at_once else 5.0)
        if leading:
            _release(config, lease)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if server is not None:
            server.shutdown()
            server.server_close()
    logs.event("stopped")
    return 0


def run_fleet(configs: Sequence[Config], *, once: bool = False,
              now: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
              stop: threading.Event | None = None,
              environ: Mapping[str, str] | None = None,
              metrics_at: tuple[str, int] | None = None, pool: Pool | None = None) -> int:
    """Several trackers in one process ([[trackers]]), each in a thread of its own with its
    own backend, sinks, state, lease and schedule (Google's quota shared through one `pool`
    per process): one tracker's broken credential or unreachable service stops none of the
    others. /healthz is 200 while every tracker is healthy and names each; /metrics labels
    every figure with its tracker. Slack's Socket Mode is one connection for all of them
    (one app token: Slack would spread a tracker's clicks over every connection)."""
    stop = stop or threading.Event()
    pool = pool or Pool()  # one budget per Google credential and project, for all of them
    socket = SlackSocket(os.environ if environ is None else environ, now, fleet=True)
    healths = {c.name: metrics.Health(c.settings.sync.interval_seconds) for c in configs}
    server = _serve(metrics_at, metrics.Fleet(healths))
    previous = _install_stop_handlers(stop)
    if server is not None:
        host, port = server.server_address[:2]
        logs.event("serving", trackers=[c.name for c in configs],
                   metrics=f"http://{host!s}:{port}/metrics")
    codes: dict[str, int] = {}

    def serve_one(config: Config) -> None:
        logs.TRACKER.set(config.name)
        try:
            codes[config.name] = run_daemon(config, once=once, now=now, stop=stop,
                                            environ=environ, health=healths[config.name],
                                            pool=pool, socket=socket)
        except SheetsyncError as exc:  # its config cannot run (a token without settings)
            logs.event("tracker stopped", logging.ERROR, error=str(exc))
            healths[config.name].failed(str(exc))
            codes[config.name] = exc.exit_code

    # Daemon threads: a third signal ends the process without waiting for their cycles
    # (each tracker's state is committed whole or not at all).
    threads = [threading.Thread(target=serve_one, args=(c,), name=f"sheetsync-{c.name}",
                                daemon=True) for c in configs]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            while thread.is_alive():
                thread.join(timeout=0.5)  # the main thread stays free for SIGTERM
    finally:
        socket.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if server is not None:
            server.shutdown()
            server.server_close()
    return max(codes.values(), default=0)


def _serve(at: tuple[str, int] | None, health: metrics.Health | metrics.Fleet
           ) -> ThreadingHTTPServer | None:
    """/healthz and /metrics on (host, port), when asked for."""
    if at is None:
        return None
    try:
        return metrics.serve(*at, health)
    except OSError as exc:  # the port is taken, or the address is not this machine's
        raise InputError(f"--metrics-port {at[1]}: cannot serve on {at[0]} "
                         f"({exc.strerror or exc})") from None


def _turn(config: Config, share: Share, at: datetime, wanted: bool, read_at: datetime | None,
          held: str | None) -> tuple[bool, str | None]:
    """Whether the tracker reads this tick, as the shared quota budget decides, and why a
    read it wanted is held back (logged, and kept for `status`, when that starts or ends)."""
    decision = share.decide(at.timestamp(), changed=wanted,
                            read_at=read_at.timestamp() if read_at is not None else None)
    now_held = decision.held if wanted and not decision.read else None
    if now_held is not None and held is None:
        logs.event("read held back", logging.WARNING, reason=now_held)
    if (now_held is None) != (held is None):
        with open_state(config) as store:
            store.note_held_read(at if now_held is not None else None, now_held)
    return decision.read, now_held


def _fault(exc: Exception) -> str:
    """A failed cycle in one line: sheetsync's own words, or an unexpected fault masked, with
    its traceback at debug level."""
    if isinstance(exc, SheetsyncError):
        return str(exc)
    if (said := state_fault(exc, "the state")) is not None:
        return str(said)
    logs.debug_traceback("cycle failed", exc)
    return f"unexpected {one_line(exc)}; trying again next interval"


def _lead(config: Config, lease: Lease, leading: bool | None) -> bool:
    """Take or renew the lease; whether this replica leads. Says so when that changes."""
    with open_state(config, lease=lease) as store:
        holds, holder, left = store.hold_lease()
    if holds and leading is False:  # a standby takes over (a lone daemon just runs)
        logs.event("leading", holder=lease.holder, lease_seconds=lease.seconds)
    elif not holds and leading is not False:
        logs.event("standby", leader=holder, seconds_left=round(left, 1))
    return holds


def _release(config: Config, lease: Lease) -> None:
    """A clean stop hands the lease on at once instead of making a standby wait it out."""
    try:
        with open_state(config, lease=lease) as store:
            store.release_lease()
    except Exception:  # noqa: BLE001 - whatever stops the release, the lease expires by itself
        pass


def _observe(config: Config, report: CycleReport) -> None:
    """The cycle's figures, and the outbox as it stands, for /metrics."""
    metrics.observe_cycle(report.seconds, report.rows, report.findings_by_code,
                          Counter(t.field for t in report.transitions))
    with open_state(config) as store:
        metrics.observe_effects(store.effect_counts())


def _log_report(written: Written) -> None:
    report = written.report
    if written.skipped is None:
        metrics.of(metrics.REPORT_RUNS, report.period.job).inc()
        metrics.of(metrics.REPORT_LAST_SUCCESS, report.period.job).set(
            time.time())
        logs.event("report", job=report.period.job, period=report.period.label,
                   tab=written.tab, tables=len(report.tables), charts=len(report.charts))
    elif _SKIPPED.get((logs.TRACKER.get(), report.period.job)) != written.skipped:  # once
        logs.event("report skipped", logging.WARNING, job=report.period.job,
                   period=report.period.label, reason=written.skipped)
    if written.skipped is None:
        _SKIPPED.pop((logs.TRACKER.get(), report.period.job), None)
    else:
        _SKIPPED[(logs.TRACKER.get(), report.period.job)] = written.skipped


_SKIPPED: dict[tuple[str, str], str] = {}  # why each tracker's job's report was last not
# written, in this process


def _owed(config: Config, sinks: Sinks, now: datetime) -> bool:
    """Whether a cycle is owed though the tracker has not changed: an effect still to deliver
    (when no courier delivers it), a task created and not yet written into its row, or
    ClickUp's tasks due to be asked about."""
    with open_state(config) as store:
        if store.unlinked_tasks(now) or (sinks.couriers is None and store.effects("pending")):
            return True
        last = store.tasks_polled_at
    return sinks.tasks is not None and (
        last is None or now - last >= timedelta(minutes=config.settings.clickup.poll_minutes))


def _log_cycle(report: CycleReport) -> None:
    logs.event("cycle", rows=report.rows, redone=report.redone, new_tickets=report.new_tickets,
               transitions=len(report.transitions), findings=report.findings,
               effects=len(report.planned),
               written=0 if report.write_skipped else len(report.writes), duration_ms=round(report.seconds * 1000),
               **{f"{stage}_ms": round(spent * 1000) for stage, spent in report.timings.items()},
               **({"adopted": True} if report.adopted else {}))
    if report.write_skipped:
        logs.event("write skipped", logging.WARNING, reason=report.write_skipped)


def _install_stop_handlers(stop: threading.Event) -> dict[int, Any]:
    """SIGINT and SIGTERM set `stop`; the cycle in progress finishes first. A second says
    so; a third stops at once (KeyboardInterrupt: the open transaction rolls back)."""
    if threading.current_thread() is not threading.main_thread():
        return {}
    signals = [0]

    def handle(signum: int, frame: FrameType | None) -> None:
        signals[0] += 1
        name = signal.Signals(signum).name
        if signals[0] == 1:
            logs.event("stopping", signal=name)
            stop.set()
        elif signals[0] == 2:
            logs.event("stopping: finishing the cycle in progress", signal=name,
                       hint="once more stops at once")
        else:
            logs.event("stopping at once", logging.WARNING, signal=name)
            raise KeyboardInterrupt

    return {sig: signal.signal(sig, handle) for sig in (signal.SIGINT, signal.SIGTERM)}
