"""The Google Sheets backend's cost: API requests, bytes, time and memory per cycle, and its
share of Google's per-user quota, against the stateful fake Sheets + Drive (tests/fake_google.py).

Why: Google allows 60 read and 60 write requests per minute per user (a service account is
one user), so what a poller spends per tick decides how often it may poll; and a tracker of
100,000 rows must not cost seconds of CPU or gigabytes of memory per cycle. The targets (the
Google backend's issue): an idle tick costs no Sheets request; a changed cycle costs one full
read, plus one narrow read and one write when it writes; a 100k-row changed cycle takes under
2 s of sheetsync's own work and under 400 MB peak RSS (what the daemon holds between cycles
included), an adoption under 600 MB (each printed beside its figure before the memory work);
the daemon stays under a third of the per-user quota at a 10 s poll interval.

Seeded seller-support trackers (the preset's columns as a person keeps them, before sheetsync
adds Ticket ID, Sync Notes and Suggested Priority; varied sellers, one in ten named in
Devanagari, statuses and issue types, 2% of descriptions ending in an emoji, timestamps as
real date-time cells, about 10% bad phone numbers and a few other mistakes so there are
findings; the fake sends non-ASCII text raw, as Google does), each size in its own process,
measured tick by tick as the daemon runs
them (Drive's version probe, then a cycle if it moved):

- adoption: the first cycle (IDs, Sync Notes and suggestions for every row);
- after its write: the cycle the daemon's own write causes (the fixed point: one read, no
  write);
- idle tick: nothing changed (the probe only);
- 10 edits, 1,000 edits: a person's edits (statuses, assignees, priorities, phone numbers
  broken and fixed) since the last tick, each followed by the tick after its write.

Per tick: requests by kind as the fake counted them, JSON bytes sent and received (request
bodies and response contents, as the fake's `exchanges` would hold them), wall time split into
sheetsync's own work (also by the cycle's stages) and the fake's, the process's resident
memory before the tick and its peak during it. The fake runs in a process of its own, forked
before sheetsync is imported, so the tick's peak RSS is sheetsync's alone (the fake's 100k-row
grid is over 500 MB by itself), and its time is measured inside `FakeSheets.handle`; "pipe" is
the hand-over between the two processes (a stand-in for the network, not sheetsync's work).
The fake checks every body against Google's discovery documents.

Quota: the real daemon loop (`run_daemon`, sync.interval_seconds = 10) on an injected clock,
a person editing every 10 s (every tick changed, and every edit one that sheetsync writes
for: a phone number broken, then fixed) and then once a minute; requests per minute from the
fake, against 60/min per kind. Beside each, a naive poller's cost from first principles (the
alternative a team writes with gspread alone): one values.batchGet every tick, and gspread's
per-cell update_cell / update_note, one write request per cell value or note it changes
(counted from the cells sheetsync's own batchUpdates carried).

    pip install -e '.[dev]' && python bench/google.py [--rows 10000 100000] [--quota-rows 1000]

The 100k tracker takes a few minutes, nearly all of it in the fake (it deep-copies the whole
spreadsheet for every batchUpdate and validates every body), so only 10k runs by default.
"""

from __future__ import annotations

import argparse
import gc
import json
import logging
import multiprocessing
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import requests
from requests.structures import CaseInsensitiveDict

ROOT = Path(__file__).resolve().parent.parent
# This file is named google.py: its folder, first on the path when it runs as a script, would
# hide the google namespace package (google.auth, google.oauth2) wherever it stood on the path.
sys.path[:] = [str(ROOT), *(p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench")]

NOW = datetime(2026, 11, 23, 6, 30, tzinfo=timezone.utc)  # 12:00 in Kolkata, as the tests
HEADER = ["WhatsApp Number", "Seller Name", "Issue Type", "Description", "Status",
          "Assigned To", "Resolution Summary", "Timestamp", "Priority", "Escalation Level",
          "ClickUp Task ID"]  # the seller-support preset's columns a person fills in
GOOGLE_HOSTS = ("sheets.googleapis.com", "www.googleapis.com")
TOKEN_HOST = "oauth2.googleapis.com"
SHEETS_READS = ("spreadsheets.get", "spreadsheets.getByDataFilter", "values.batchGet")
SHEETS_WRITES = ("batchUpdate", "values.batchUpdate")
QUOTA = 60  # requests per minute per user, reads and writes each
#: The 100k-row ticks' peak RSS (MB) before the memory work (texts interned at the read, the
#: last read's rows kept, the narrow read parsed small), as this script measured them then;
#: and the targets (the Google backend's issue, part 4).
PEAK_BEFORE = {"adoption": 863, "10 edits": 439, "1,000 edits": 768}
PEAK_TARGET = {"adoption": 600, "10 edits": 400, "1,000 edits": 400}
INTERVAL = 10  # seconds: the poll interval of the quota runs
CONFIG = """preset = "seller-support"
timezone = "Asia/Kolkata"
phone_region = "IN"

[tracker]
backend = "google"
spreadsheet_id = "{spreadsheet_id}"
tab = "Tracker"

[sync]
interval_seconds = {interval}
"""
TICKS: list[tuple[str, int]] = [  # (what the tick is, edits a person made before it)
    ("adoption", 0), ("after its write", 0), ("idle tick", 0), ("10 edits", 10),
    ("after its write", 0), ("1,000 edits", 1000), ("after its write", 0)]


# --- the tracker -------------------------------------------------------------------------------


@dataclass
class Tracker:
    """The rows of a seeded tracker (header first) and what a person may change in them."""

    rows: list[list[Any]]
    nationals: list[str]  # each data row's seller's national number (index 0: row 2)
    broken: set[int] = field(default_factory=set)  # sheet rows whose phone is wrong


def generate(count: int, seed: int) -> Tracker:
    """`count` tickets: about 10% with a bad phone number, a few with another mistake."""
    from bench.validate import ISSUE_TYPES, PEOPLE, PHRASES, PRODUCTS, TECH

    rng = random.Random(seed)
    # Sellers report many tickets each; one in ten keeps their shop's name in Devanagari.
    sellers = [(f"विक्रेता {i:05d} स्टोर" if i % 10 == 0 else f"Seller {i:05d} Store",
                f"{rng.choice('6789')}{rng.randrange(10**8, 10**9)}")
               for i in range(max(count // 20, 50))]
    local_now = NOW.astimezone(timezone(timedelta(hours=5, minutes=30))).replace(tzinfo=None)
    tracker = Tracker([list(HEADER)], [])
    statuses = ["Pending", "In Progress", "Resolved", "Escalated", "Awaiting Seller Response"]
    for n in range(count):
        name, national = rng.choice(sellers)
        status = rng.choices(statuses, [20, 15, 50, 5, 10])[0]
        escalated = status == "Escalated"
        phone = f"+91{national}"
        mistake = rng.random()
        if mistake < 0.04:
            phone = national  # no country code
        elif mistake < 0.07:
            phone = f"+91 {national[:5]} {national[5:]}"
        elif mistake < 0.09:
            phone = f"+91{national}{rng.randrange(10)}"  # one digit too many
        elif mistake < 0.10:
            phone = f"+91{national[:5]}"
        if phone != f"+91{national}":
            tracker.broken.add(n + 2)
        issue = "Bugg" if 0.10 <= mistake < 0.11 else rng.choice(ISSUE_TYPES)
        if 0.11 <= mistake < 0.13:
            status = status.lower()
        tracker.rows.append([
            phone, "" if 0.13 <= mistake < 0.14 else name, issue,
            rng.choice(PHRASES).format(p=rng.choice(PRODUCTS)) + (
                " 🙏" if rng.random() < 0.02 else ""), status,  # a few with an emoji
            f"{rng.choice(PEOPLE)}, {rng.choice(TECH)}" if escalated else
            "" if status == "Pending" and rng.random() < 0.3 else rng.choice(PEOPLE),
            "Fixed and confirmed with the seller." if status == "Resolved" else "",
            local_now - timedelta(minutes=rng.randrange(1, 60 * 24 * 365)),  # a date-time cell
            rng.choice(["High", "Medium", "Low"]),
            rng.choice(["L1", "L2", "L3"]) if escalated else "", ""])
        tracker.nationals.append(national)
    return tracker


class Person:
    """Someone editing the tracker in the fake between the daemon's ticks."""

    def __init__(self, fake: Any, tracker: Tracker, seed: int) -> None:
        self.fake, self.tracker = fake, tracker
        self.rng = random.Random(seed + 1)
        self.last = len(tracker.rows)  # the last ticket row
        self.column = {h: fake.column_of("Tracker", h) for h in
                       ("WhatsApp Number", "Status", "Assigned To", "Priority")}
        self.toggled: int | None = None

    def edits(self, count: int) -> None:
        """`count` edits of the kinds people make: statuses, assignees, priorities, a phone
        number mistyped or corrected."""
        from bench.validate import PEOPLE

        for _ in range(count):
            row = self.rng.randrange(2, self.last + 1)
            kind = self.rng.choices(["status", "assignee", "priority", "break", "fix"],
                                    [40, 15, 10, 15, 20])[0]
            if kind == "status":
                now = self.fake.value("Tracker", row, self.column["Status"])
                self.fake.edit("Tracker", row, self.column["Status"], self.rng.choice(
                    [s for s in ("Pending", "In Progress", "Resolved", "Awaiting Seller Response")
                     if s != now]))
            elif kind == "assignee":
                self.fake.edit("Tracker", row, self.column["Assigned To"],
                               self.rng.choice(PEOPLE))
            elif kind == "priority":
                self.fake.edit("Tracker", row, self.column["Priority"],
                               self.rng.choice(["High", "Medium", "Low"]))
            elif kind == "fix" and self.tracker.broken:
                self.phone(self.rng.choice(sorted(self.tracker.broken)), broken=False)
            else:
                self.phone(row, broken=True)

    def toggle(self) -> None:
        """An edit sheetsync always writes for: break a phone number, or fix the one broken."""
        if self.toggled is None:
            row = self.rng.randrange(2, self.last + 1)
            while row in self.tracker.broken:
                row = self.rng.randrange(2, self.last + 1)
            self.phone(row, broken=True)
            self.toggled = row
        else:
            self.phone(self.toggled, broken=False)
            self.toggled = None

    def phone(self, row: int, broken: bool) -> None:
        national = self.tracker.nationals[row - 2]
        self.fake.edit("Tracker", row, self.column["WhatsApp Number"],
                       national if broken else f"+91{national}")
        (self.tracker.broken.add if broken else self.tracker.broken.discard)(row)


# --- the fake, in a process of its own --------------------------------------------------------


def _peak_mb(field_name: str = "VmHWM") -> float:
    """This process's peak (or current, VmRSS) resident memory in MB."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field_name + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _reset_peak() -> bool:
    """Start this process's peak RSS afresh (Linux: clear_refs 5); False when it cannot."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def _cells_written(body: Mapping[str, Any]) -> tuple[int, int]:
    """The cell values and the notes a batchUpdate body sets (or clears), one by one."""
    values = notes = 0
    for request in body.get("requests", ()):
        update = request.get("updateCells")
        if update is None:
            continue
        cells = sum(len(row.get("values", ())) for row in update.get("rows", ()))
        if "note" in update.get("fields", ""):
            notes += cells
        else:
            values += cells
    return values, notes


def serve(conn: Connection, rows: int, seed: int) -> None:
    """The fake Sheets + Drive holding a seeded tracker, answering over `conn`."""
    from tests.fake_google import SPREADSHEET_ID, TOKEN, FakeSheets

    clock = [NOW.timestamp()]
    fake = FakeSheets(clock=lambda: clock[0])
    started = time.perf_counter()
    tracker = generate(rows, seed)
    fake.add_spreadsheet(SPREADSHEET_ID, {"Tracker": tracker.rows})
    person = Person(fake, tracker, seed)
    tracker.rows = []  # the fake has them
    gc.collect()
    conn.send({"spreadsheet_id": SPREADSHEET_ID, "token": TOKEN,
               "build_s": time.perf_counter() - started, "rss_mb": _peak_mb("VmRSS")})
    while True:
        message = conn.recv()
        if message[0] == "http":
            _, method, url, headers, body, clock[0] = message
            request = requests.PreparedRequest()
            request.method, request.url, request.body = method, url, body
            request.headers = CaseInsensitiveDict(headers)
            started = time.perf_counter()
            try:
                response = fake.handle(request)
            except Exception as exc:  # a violation (AssertionError) or a fault
                conn.send(("raise", exc, time.perf_counter() - started))
                continue
            spent = time.perf_counter() - started
            operation, sent = fake.calls[-1] if fake.calls else ("?", {})
            fake.calls.clear()  # counted here; an adoption's bodies are not kept
            conn.send(("ok", response.status_code, dict(response.headers), response.content,
                       response.reason, spent, operation,
                       _cells_written(sent) if operation == "batchUpdate" else (0, 0)))
        elif message[0] == "edits":
            person.edits(message[1])
            conn.send(("ok",))
        elif message[0] == "toggle":
            clock[0] = message[1]
            person.toggle()
            conn.send(("ok",))
        elif message[0] == "stop":
            conn.send(("ok", {"peak_rss_mb": _peak_mb(), "violations": fake.violations,
                              "rate_limited": fake.rate_limited}))
            return


@dataclass
class Traffic:
    """What crossed the transport: requests by kind as the fake counted them, bytes, time."""

    requests: Counter[str] = field(default_factory=Counter)
    sent: int = 0  # request body bytes
    received: int = 0  # response content bytes
    round_trip: float = 0.0  # seconds from handing a request over to having its answer
    in_fake: float = 0.0  # seconds inside FakeSheets.handle
    value_cells: int = 0  # cells set by sheetsync's batchUpdates (a naive poller: a write each)
    note_cells: int = 0
    log: list[tuple[float, str, int]] = field(default_factory=list)  # (clock, kind, cells)


class Remote:
    """The fake in a forked process, mounted at requests' transport in this one (as
    FakeSheets.installed() does in-process): nothing reaches the network."""

    def __init__(self, rows: int, seed: int) -> None:
        context = multiprocessing.get_context("fork")
        self.conn, child = context.Pipe()
        self.process = context.Process(target=serve, args=(child, rows, seed), daemon=True)
        self.process.start()
        self.hello: dict[str, Any] = self.conn.recv()
        self.traffic = Traffic()
        self.clock: Callable[[], float] = time.time

    @contextmanager
    def installed(self) -> Iterator[Remote]:
        from tests.transport import mounted

        def answer(host: str | None, request: requests.PreparedRequest) -> requests.Response:
            if host not in GOOGLE_HOSTS:
                raise AssertionError(f"a request to {host} in a benchmark of the fake Google")
            return self.exchange(request)

        with mounted(answer):
            yield self

    def exchange(self, request: requests.PreparedRequest) -> requests.Response:
        raw = request.body
        body = raw.encode() if isinstance(raw, str) else raw if isinstance(raw, bytes) else b""
        started = time.perf_counter()
        self.conn.send(("http", request.method, request.url, dict(request.headers),
                        body or None, self.clock()))
        answer = self.conn.recv()
        traffic = self.traffic
        traffic.round_trip += time.perf_counter() - started
        traffic.in_fake += answer[2] if answer[0] == "raise" else answer[5]
        if answer[0] == "raise":
            raise answer[1]
        _, status, headers, content, reason, _, operation, (values, notes) = answer
        traffic.requests[operation] += 1
        traffic.sent += len(body)
        traffic.received += len(content)
        traffic.value_cells += values
        traffic.note_cells += notes
        traffic.log.append((self.clock(), operation, values + notes))
        response = requests.Response()
        response.status_code, response._content, response.reason = status, content, reason
        response.headers = CaseInsensitiveDict(headers)
        response.url, response.request, response.encoding = request.url or "", request, "utf-8"
        return response

    def command(self, *message: Any) -> Any:
        self.conn.send(message)
        return self.conn.recv()

    def stop(self) -> dict[str, Any]:
        answer: dict[str, Any] = self.command("stop")[1]
        self.process.join(timeout=10)
        return answer


# --- the workers --------------------------------------------------------------------------------


class Warnings(logging.Handler):
    """sheetsync's warnings and errors while it runs (a failed cycle must not pass unseen)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.seen: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        fields = getattr(record, "fields", {})
        self.seen.append(f"{record.getMessage()} {fields}")


def _config(folder: Path, spreadsheet_id: str, interval: int) -> Any:
    from sheetsync.config import load_config

    (folder / "sheetsync.toml").write_text(
        CONFIG.format(spreadsheet_id=spreadsheet_id, interval=interval), encoding="utf-8")
    return load_config(folder / "sheetsync.toml", environ={})


def _sheets(traffic: Traffic) -> tuple[int, int]:
    return (sum(traffic.requests[k] for k in SHEETS_READS),
            sum(traffic.requests[k] for k in SHEETS_WRITES))


def _waiting(remote: Remote, waited: dict[str, float], stage: str, method: Callable[..., Any]
             ) -> Callable[..., Any]:
    """`method`, adding the time its requests spent in round trips to the fake to `waited`."""
    def call(*args: Any, **kwargs: Any) -> Any:
        before = remote.traffic.round_trip
        try:
            return method(*args, **kwargs)
        finally:
            waited[stage] = waited.get(stage, 0.0) + remote.traffic.round_trip - before

    return call


STAGES = ("read", "detect", "core", "state", "write")  # the cycle's, as its report times them


def cycles(rows: int, seed: int) -> dict[str, Any]:
    """Each tick of TICKS on a tracker of `rows`, as the daemon runs it; this process is
    sheetsync's only (the fake is forked off first)."""
    remote = Remote(rows, seed)
    from google.oauth2.credentials import Credentials

    from sheetsync.backends.google import GoogleSheet
    from sheetsync.backends.google_http import GoogleHTTPClient
    from sheetsync.integrations.dispatch import open_sinks
    from sheetsync.jobs.sync import CycleMemory, run_sync

    warnings = Warnings()
    logging.getLogger("sheetsync").addHandler(warnings)
    folder = Path(tempfile.mkdtemp(prefix="bench-google-"))
    config = _config(folder, remote.hello["spreadsheet_id"], 30)
    ticks: list[dict[str, Any]] = []
    with remote.installed():
        backend = GoogleSheet(config, GoogleHTTPClient(
            Credentials(token=remote.hello["token"]),  # type: ignore[no-untyped-call]
            per_minute=config.settings.tracker.requests_per_minute))
        sinks = open_sinks(config, {})
        waited: dict[str, float] = {}  # round trips inside the backend's read and write
        for stage in ("read", "write"):
            setattr(backend, stage, _waiting(remote, waited, stage, getattr(backend, stage)))
        baseline = _peak_mb("VmRSS")
        seen: object = None
        memory = CycleMemory()  # the daemon's, for this tracker
        for i, (name, edits) in enumerate(TICKS):
            if edits:
                remote.command("edits", edits)
            gc.collect()
            remote.traffic = Traffic()
            waited.clear()
            held = _peak_mb("VmRSS")  # what the daemon holds between ticks
            resettable = _reset_peak()
            started = time.perf_counter()
            stamp = backend.probe()  # the daemon's tick: the probe, then a cycle if it moved
            report = None
            if stamp is None or stamp != seen:
                report = run_sync(config, NOW + timedelta(seconds=30 * i), sinks=sinks,
                                  backend=backend, memory=memory)
                seen = backend.settled(stamp) if report.write_skipped is None else None
            total = time.perf_counter() - started
            traffic = remote.traffic
            ticks.append({
                "tick": name, "requests": dict(traffic.requests), "sent": traffic.sent,
                "received": traffic.received, "total_s": total,
                "sheetsync_s": total - traffic.round_trip, "fake_s": traffic.in_fake,
                "pipe_s": traffic.round_trip - traffic.in_fake,
                "peak_rss_mb": _peak_mb() if resettable else None, "held_rss_mb": held,
                "value_cells": traffic.value_cells, "note_cells": traffic.note_cells,
                "cycle": report is not None, "stages": {  # sheetsync's own, by stage
                    stage: spent - waited.get(stage, 0.0)
                    for stage, spent in report.timings.items()
                } if report else {},
                "findings": report.findings if report else None,
                "transitions": len(report.transitions) if report else None,
                "skipped": report.write_skipped if report else None})
    fake = remote.stop()
    return {"rows": rows, "ticks": ticks, "baseline_rss_mb": baseline,
            "peak_reset": _reset_peak(), "fake_build_s": remote.hello["build_s"],
            "fake_rss_mb": fake["peak_rss_mb"], "violations": fake["violations"],
            "warnings": warnings.seen}


def quota(rows: int, seed: int, every: int, minutes: int) -> dict[str, Any]:
    """The daemon loop at a 10 s interval, a person editing every `every` ticks, on an
    injected clock; requests per minute over `minutes` after a minute's warm-up."""
    remote = Remote(rows, seed)
    from google.oauth2.credentials import Credentials

    from sheetsync.backends.google import GoogleSheet
    from sheetsync.backends.google_http import GoogleHTTPClient
    from sheetsync.app.daemon import run_daemon
    from tests.helpers import Clock, Ticks

    warnings = Warnings()
    logging.getLogger("sheetsync").addHandler(warnings)
    folder = Path(tempfile.mkdtemp(prefix="bench-google-quota-"))
    config = _config(folder, remote.hello["spreadsheet_id"], INTERVAL)
    interval = config.settings.sync.interval_seconds
    clock = Clock(NOW)
    remote.clock = clock
    warmup = 60 // interval  # adoption and the read after it
    measured = minutes * 60 // interval

    def between(tick: int) -> None:  # the wait after tick `tick`: time passes, a person edits
        clock.now += interval
        if tick >= warmup and (tick - warmup) % every == 0:
            remote.command("toggle", clock.now)

    with remote.installed():
        client = GoogleHTTPClient(Credentials(token=remote.hello["token"]),  # type: ignore[no-untyped-call]
                                  clock=clock, sleep=clock.sleep, jitter=lambda: 0.5,
                                  per_minute=config.settings.tracker.requests_per_minute)
        backend = GoogleSheet(config, client, clock=clock)
        code = run_daemon(config, stop=Ticks(warmup + measured, between),
                          now=lambda: datetime.fromtimestamp(clock.now, timezone.utc),
                          environ={}, backend=backend)
    fake = remote.stop()
    start = NOW.timestamp() + warmup * interval
    log = [(at, kind, cells) for at, kind, cells in remote.traffic.log
           if start <= at < start + minutes * 60]

    def busiest(kinds: tuple[str, ...]) -> int:
        times = sorted(at for at, kind, _ in log if kind in kinds)
        return max((sum(1 for t in times[i:] if t < at + 60) for i, at in enumerate(times)),
                   default=0)

    return {"every_s": every * interval, "minutes": minutes, "exit": code,
            "reads": sum(1 for _, k, _ in log if k in SHEETS_READS) / minutes,
            "writes": sum(1 for _, k, _ in log if k in SHEETS_WRITES) / minutes,
            "drive": sum(1 for _, k, _ in log if k == "files.get") / minutes,
            "busiest_reads": busiest(SHEETS_READS), "busiest_writes": busiest(SHEETS_WRITES),
            "cells": sum(c for _, _, c in log) / minutes, "by_kind": dict(Counter(
                k for _, k, _ in log)), "slept": sum(clock.slept), "violations":
            fake["violations"], "rate_limited": fake["rate_limited"],
            "warnings": warnings.seen}


# --- the report ----------------------------------------------------------------------------------


def run(*args: str) -> dict[str, Any]:
    out = subprocess.run([sys.executable, __file__, "--worker", *args], capture_output=True,
                         text=True)
    if out.returncode != 0:
        sys.exit(f"worker {' '.join(args)} failed:\n{out.stderr}")
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def _kb(n: int) -> str:
    return f"{n / 1024:,.0f}" if n >= 10 * 1024 else f"{n / 1024:,.1f}"


def _pct(per_minute: float) -> str:
    return f"{per_minute:5.1f} ({per_minute / QUOTA:4.0%})"


def report_cycles(results: list[dict[str, Any]]) -> None:
    print("\nRequests per tick, counted by the fake (a tick: the Drive probe, then a cycle if "
          "the version moved)")
    print(f"{'rows':>8}  {'tick':<16} {'files.get':>9} {'s.get':>6} {'byFilter':>8} "
          f"{'batchGet':>8} {'batchUpd':>8} {'v.batchUpd':>10} {'Sheets r/w':>10}  {'sent KB':>8} "
          f"{'recv KB':>8}  {'cells written':>13}  notes")
    for result in results:
        for t in result["ticks"]:
            r = Counter(t["requests"])
            reads, writes = sum(r[k] for k in SHEETS_READS), sum(r[k] for k in SHEETS_WRITES)
            notes = "no cycle" if not t["cycle"] else \
                f"{t['findings']:,} findings, {t['transitions']:,} transitions" + (
                    f", write skipped: {t['skipped']}" if t["skipped"] else "")
            print(f"{result['rows']:>8,}  {t['tick']:<16} {r['files.get']:>9} "
                  f"{r['spreadsheets.get']:>6} {r['spreadsheets.getByDataFilter']:>8} "
                  f"{r['values.batchGet']:>8} {r['batchUpdate']:>8} "
                  f"{r['values.batchUpdate']:>10} {f'{reads}/{writes}':>10}  "
                  f"{_kb(t['sent']):>8} {_kb(t['received']):>8}  "
                  f"{t['value_cells'] + t['note_cells']:>13,}  {notes}")
    print("\nTime and memory per tick (sheetsync = the tick's wall time less the round trips "
          "to the fake; fake = inside FakeSheets.handle; pipe = between the two processes; "
          "RSS before = what sheetsync's process holds between ticks)")
    print(f"{'rows':>8}  {'tick':<16} {'total s':>8} {'sheetsync s':>11} {'fake s':>7} "
          f"{'pipe s':>7}  {'RSS before':>10} {'peak RSS MB':>11}  sheetsync's s by stage: "
          + " ".join(f"{s:>6}" for s in STAGES))
    for result in results:
        for t in result["ticks"]:
            rss = f"{t['peak_rss_mb']:.0f}" if t["peak_rss_mb"] is not None else "n/a"
            stages = " ".join(f"{t['stages'][s]:6.3f}" if s in t["stages"] else f"{'':>6}"
                              for s in STAGES)
            print(f"{result['rows']:>8,}  {t['tick']:<16} {t['total_s']:>8.3f} "
                  f"{t['sheetsync_s']:>11.3f} {t['fake_s']:>7.3f} {t['pipe_s']:>7.3f}  "
                  f"{t['held_rss_mb']:>10.0f} {rss:>11}  {'':23}{stages}")
        print(f"{'':>8}  (sheetsync's process before the first tick: "
              f"{result['baseline_rss_mb']:.0f} MB; the fake's own process: built in "
              f"{result['fake_build_s']:.1f} s, peak {result['fake_rss_mb']:.0f} MB)")


def report_quota(runs: list[dict[str, Any]], rows: int) -> None:
    print(f"\nQuota share: run_daemon at sync.interval_seconds = {INTERVAL}, injected clock, "
          f"{rows:,}-row tracker (the counts do not depend on its size); Google allows "
          f"{QUOTA}/min per user for reads and for writes")
    print(f"{'person edits':<14} {'minutes':>7}  {'reads/min':>12} {'writes/min':>12} "
          f"{'busiest 60 s r/w':>16} {'Drive/min':>9} {'429s':>4}  | naive poller: "
          f"{'reads/min':>12} {'writes/min':>12}")
    for q in runs:
        naive_reads = 60 / INTERVAL
        print(f"{'every ' + str(q['every_s']) + ' s':<14} {q['minutes']:>7}  "
              f"{_pct(q['reads']):>12} {_pct(q['writes']):>12} "
              f"{str(q['busiest_reads']) + '/' + str(q['busiest_writes']):>16} "
              f"{q['drive']:>9.1f} {q['rate_limited']:>4}  | {'':13} "
              f"{_pct(naive_reads):>12} {_pct(q['cells']):>12}")


def report_naive(results: list[dict[str, Any]]) -> None:
    print("\nAgainst a naive poller (gspread alone): one values.batchGet "
          "every tick, and gspread's update_cell / update_note, one write request per cell "
          "value or note; at 60 writes/min")
    print(f"{'rows':>8}  {'tick':<16} {'sheetsync reads':>15} {'writes':>6}  | "
          f"{'naive reads':>11} {'writes':>8} {'its writes take':>16}")
    for result in results:
        for t in result["ticks"]:
            reads, writes = _sheets(Traffic(Counter(t["requests"])))
            cells = t["value_cells"] + t["note_cells"]
            minutes = cells / QUOTA
            took = "" if not cells else f"{cells} s" if cells < QUOTA else \
                f"{minutes:,.1f} min" if minutes < 120 else f"{minutes / 60:,.1f} h"
            print(f"{result['rows']:>8,}  {t['tick']:<16} {reads:>15} {writes:>6}  | "
                  f"{1:>11} {cells:>8,} {took:>16}")


def report_targets(results: list[dict[str, Any]], quota_runs: list[dict[str, Any]]) -> None:
    print("\nTargets")
    checks: list[tuple[str, bool]] = []
    for result in results:
        rows = result["rows"]
        for t in result["ticks"]:
            r = Counter(t["requests"])
            reads, writes = _sheets(Traffic(r))
            if rows >= 100_000 and t["tick"] in PEAK_TARGET:
                peak, target = t["peak_rss_mb"], PEAK_TARGET[t["tick"]]
                checks.append((f"{rows:,} rows, {t['tick']}: peak RSS under {target} MB (got "
                               f"{peak if peak is None else round(peak)} MB; before: "
                               f"{PEAK_BEFORE[t['tick']]} MB)",
                               peak is not None and peak < target))
            if t["tick"] == "idle tick":
                checks.append((f"{rows:,} rows, idle tick: 0 Sheets requests (got {reads + writes})",
                               reads + writes == 0))
            elif t["tick"] == "after its write":
                checks.append((f"{rows:,} rows, after its write: 1 read, no write (got "
                               f"{reads}/{writes})", (reads, writes) == (1, 0)))
            elif t["tick"].endswith("edits"):
                wanted = {"values.batchGet": 1, "spreadsheets.getByDataFilter": 1,
                          "batchUpdate": 1} if writes else {"values.batchGet": 1}
                got = {k: v for k, v in r.items() if k != "files.get"}
                checks.append((f"{rows:,} rows, {t['tick']}: one full read, one narrow read, "
                               f"one write (got {got})", got == wanted))
                if rows >= 100_000:
                    checks.append((f"{rows:,} rows, {t['tick']}: sheetsync's work under 2 s "
                                   f"(got {t['sheetsync_s']:.2f} s)", t["sheetsync_s"] < 2))
        if result["violations"] or result["warnings"]:
            checks.append((f"{rows:,} rows: no violation or warning (got "
                           f"{result['violations'] + result['warnings']})", False))
    for q in quota_runs:
        checks.append((f"edits every {q['every_s']} s: under a third of the quota (reads "
                       f"{q['reads']:.1f}/min, writes {q['writes']:.1f}/min, busiest 60 s "
                       f"{q['busiest_reads']}/{q['busiest_writes']})",
                       max(q["reads"], q["writes"], q["busiest_reads"], q["busiest_writes"])
                       < QUOTA / 3 and not q["violations"] and not q["warnings"]
                       and q["rate_limited"] == 0))
    for text, met in checks:
        print(f"  {'met   ' if met else 'MISSED'}  {text}")
    if not any(r["rows"] >= 100_000 for r in results):
        print("  (the 100k-row targets: run with --rows 10000 100000)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[10_000],
                        help="tracker sizes (each in its own process); 100000 takes minutes")
    parser.add_argument("--quota-rows", type=int, default=1_000,
                        help="the tracker of the quota runs (requests do not depend on it)")
    parser.add_argument("--quota-minutes", type=int, nargs=2, default=[5, 10],
                        metavar=("EVERY_TICK", "EVERY_MINUTE"),
                        help="simulated minutes measured with edits every tick, every minute")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        kind, *rest = args.worker
        result = cycles(int(rest[0]), args.seed) if kind == "cycles" else \
            quota(int(rest[0]), args.seed, int(rest[1]), int(rest[2]))
        print(json.dumps(result))
        return
    started = time.perf_counter()
    print(f"Google Sheets backend against the fake Sheets + Drive, trackers of "
          f"{', '.join(f'{r:,}' for r in args.rows)} rows (seed {args.seed})")
    results = [run("cycles", str(rows)) for rows in args.rows]
    quota_runs = [run("quota", str(args.quota_rows), str(every), str(minutes))
                  for every, minutes in zip((1, 60 // INTERVAL), args.quota_minutes)]
    report_cycles(results)
    report_quota(quota_runs, args.quota_rows)
    report_naive(results)
    report_targets(results, quota_runs)
    print(f"\nThe run took {time.perf_counter() - started:.0f} s.")


if __name__ == "__main__":
    main()
