"""Health and Prometheus metrics for `sheetsync run --metrics-port`.

`/healthz` answers 200 while the daemon makes progress (a cycle completed, an effect delivered
or held) within max(3 intervals, 60 s) and its cycles are not failing for that long, and 503
with the reason otherwise (for a container's HEALTHCHECK or a load balancer); `/metrics`
is the Prometheus text format (prometheus-client). The server binds to 127.0.0.1 unless told
otherwise, and serves nothing else.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

from sheetsync.app import logs
from sheetsync.core.write_failing import FIX, WriteFailing, describe, is_stuck
from sheetsync.app.logs import TRACKER

REGISTRY = CollectorRegistry()
# Every metric is labelled with the tracker it is about (logs.TRACKER: "" for a process
# serving one tracker), so one process serving several keeps their figures apart.
CYCLES = Counter("sheetsync_cycles", "Sync cycles, by outcome (ok or failed).",
                 ["tracker", "outcome"], registry=REGISTRY)
CYCLE_SECONDS = Histogram("sheetsync_cycle_duration_seconds", "How long a sync cycle took.",
                          ["tracker"], buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120),
                          registry=REGISTRY)
ROWS = Gauge("sheetsync_rows", "Ticket rows in the tracker at the last cycle.", ["tracker"],
             registry=REGISTRY)
FINDINGS = Gauge("sheetsync_findings", "Invalid cells at the last cycle, by finding code.",
                 ["tracker", "code"], registry=REGISTRY)
TRANSITIONS = Counter("sheetsync_transitions", "Transitions observed, by field.",
                      ["tracker", "field"], registry=REGISTRY)
EFFECTS = Gauge("sheetsync_effects", "Effects in the outbox, by kind and status.",
                ["tracker", "kind", "status"], registry=REGISTRY)
API_REQUESTS = Counter("sheetsync_api_requests", "Requests to a service's API.",
                       ["tracker", "service"], registry=REGISTRY)
API_RATE_LIMITED = Counter("sheetsync_api_rate_limited", "429 answers from a service's API.",
                           ["tracker", "service"], registry=REGISTRY)
REPORT_RUNS = Counter("sheetsync_report_runs", "Scheduled reports written, by job.",
                      ["tracker", "job"], registry=REGISTRY)
REPORT_LAST_SUCCESS = Gauge("sheetsync_report_last_success_timestamp_seconds",
                            "When each job's report was last written (Unix time).",
                            ["tracker", "job"], registry=REGISTRY)
QUEUE_DEPTH = Gauge("sheetsync_queue_depth", "Effects pending, by destination (a Slack "
                    "channel, a ClickUp list, the outbox).", ["tracker", "destination"],
                    registry=REGISTRY)
QUEUE_OLDEST = Gauge("sheetsync_queue_oldest_seconds", "How long the oldest pending effect of "
                     "each destination has waited.", ["tracker", "destination"],
                     registry=REGISTRY)
_SET: dict[tuple[Gauge, str], set[tuple[str, ...]]] = {}  # gauge children set, by tracker


def of(metric: Any, *labels: str) -> Any:
    """The metric's child for the current tracker and these labels."""
    return metric.labels(TRACKER.get(), *labels)


def _replace(gauge: Gauge, values: Mapping[tuple[str, ...], float]) -> None:
    """Set this tracker's children of a gauge to `values`, removing its others (another
    tracker's stay)."""
    tracker = TRACKER.get()
    key = (gauge, tracker)
    for gone in _SET.get(key, set()) - set(values):
        gauge.remove(tracker, *gone)
    for labels, value in values.items():
        gauge.labels(tracker, *labels).set(value)
    _SET[key] = set(values)


@dataclass
class Health:
    """Whether the daemon is doing its work: it made progress recently and is not failing.

    Progress is a completed cycle (an idle tick that finds nothing changed included), an
    effect delivered or held for a person, or an adoption that advanced. Healthy while some
    progress is younger than max(3 intervals, 60 s) and the cycles have not been failing for
    that long; unhealthy when stuck (no progress) or failing.
    """

    interval: float
    clock: Callable[[], float] = time.time
    last_success: float | None = None  # the last progress of any kind
    last_error: str | None = None
    failing_since: float | None = None  # the first of the cycles failing since the last good
    not_written: tuple[float, int, str] | None = None  # skipped writes: since, cycles, why
    held_back: str | None = None  # the lock file holding writes back too long, said
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def window(self) -> float:
        return max(3 * self.interval, 60.0)

    def succeeded(self) -> None:
        """A cycle completed."""
        with self._lock:
            self.last_success, self.last_error = self.clock(), None
            self.failing_since = None

    def progressed(self) -> None:
        """Progress outside a cycle: an effect delivered or held, an adoption advanced."""
        with self._lock:
            self.last_success = self.clock()

    def wrote(self, skipped: str | None) -> None:
        """How a cycle's write of the tracker went (None: written, or nothing to write)."""
        with self._lock:
            if skipped is None:
                self.not_written = None
            else:
                since, cycles, _ = self.not_written or (self.clock(), 0, "")
                self.not_written = (since, cycles + 1, skipped)

    def held(self, line: str | None) -> None:
        """The lock file that has held the tracker's writes back for tracker.lock_wait_minutes
        (its owner and the fix), or None."""
        with self._lock:
            self.held_back = line

    def failed(self, error: str) -> None:
        with self._lock:
            self.last_error = error
            if self.failing_since is None:
                self.failing_since = self.clock()

    def status(self) -> tuple[int, str]:
        with self._lock:
            last, error, failing = self.last_success, self.last_error, self.failing_since
            not_written, held_back = self.not_written, self.held_back
        limit, now = self.window, self.clock()
        if held_back is not None:
            return 503, held_back
        if not_written is not None:
            since, cycles, why = not_written
            at = datetime.fromtimestamp(now, timezone.utc)
            failing_write = WriteFailing(datetime.fromtimestamp(since, timezone.utc), cycles, why)
            if is_stuck(failing_write, at):
                return 503, f"{describe(failing_write, at)}; {FIX}"
        if failing is not None and now - failing > limit:
            return 503, (f"cycles have failed for {now - failing:.0f} s (more than {limit:.0f}"
                         f" s); last error: {error}")
        if last is None:
            return 503, "no successful cycle yet" + (f"; last error: {error}" if error else "")
        age = now - last
        if age > limit:
            return 503, (f"no progress for {age:.0f} s (no cycle completed, no effect delivered"
                         f" in max(3 intervals, 60 s) = {limit:.0f} s)" +
                         (f"; last error: {error}" if error else ""))
        return 200, f"ok: the last progress was {age:.0f} s ago"


@dataclass
class Fleet:
    """The health of several trackers served by one process: healthy while all are."""

    healths: Mapping[str, Health]

    def status(self) -> tuple[int, str]:
        found = {name: health.status() for name, health in self.healths.items()}
        worst = max(status for status, _ in found.values())
        return worst, "\n".join(f"{name}: {reason}" for name, (_, reason) in found.items())


def respond(path: str, health: Health | Fleet) -> tuple[int, str, bytes]:
    """Status, content type and body for a request path."""
    if path.split("?")[0] == "/healthz":
        status, reason = health.status()
        return status, "text/plain; charset=utf-8", (reason + "\n").encode()
    if path.split("?")[0] == "/metrics":
        return 200, CONTENT_TYPE_LATEST, generate_latest(REGISTRY)
    return 404, "text/plain; charset=utf-8", b"sheetsync serves /healthz and /metrics\n"


def serve(host: str, port: int, health: Health | Fleet) -> ThreadingHTTPServer:
    """Serve /healthz and /metrics from a background thread; `shutdown()` stops it."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (the stdlib's name)
            status, kind, body = respond(self.path, health)
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # scrapes every few seconds are not news

    class Server(ThreadingHTTPServer):
        daemon_threads = True

        def handle_error(self, request: Any, client_address: Any) -> None:
            """A scraper that hung up mid-answer, or a fault answering it: one debug line,
            never a traceback on stderr, and the server goes on."""
            error = sys.exc_info()[1]
            logs.event("metrics request failed", logging.DEBUG,
                       error=f"{type(error).__name__}: {error}")

    server = Server((host, port), Handler)
    threading.Thread(target=server.serve_forever, name="sheetsync-metrics",
                     daemon=True).start()
    return server


def observe_cycle(seconds: float, rows: int, findings: Mapping[str, int],
                  transitions: Mapping[str, int]) -> None:
    """Record one completed cycle."""
    of(CYCLES, "ok").inc()
    of(CYCLE_SECONDS).observe(seconds)
    of(ROWS).set(rows)
    _replace(FINDINGS, {(code,): count for code, count in findings.items()})
    for name, count in transitions.items():
        of(TRANSITIONS, name).inc(count)


def observe_queues(depth: Mapping[tuple[str, ...], float],
                   oldest: Mapping[tuple[str, ...], float]) -> None:
    """Each destination's queue: how many effects wait, and for how long the oldest has."""
    _replace(QUEUE_DEPTH, depth)
    _replace(QUEUE_OLDEST, oldest)


def observe_effects(counts: Mapping[tuple[str, str], int]) -> None:
    """The outbox as it stands: effects by kind and status."""
    _replace(EFFECTS, {(kind, status): count for (kind, status), count in counts.items()})
