"""A fleet in one process, and a standby taking over: what a server running sheetsync sees.

1. Fleet: 20 trackers of 10k rows (bench/validate.py's seeded trackers, local workbooks),
   one config of [[trackers]], one `run_fleet` process with the fake Slack at the HTTP
   transport for their escalations. The trackers are adopted first (timed apart); then, for
   the measured window, a person in another process edits 5 rows of every tracker (statuses,
   some escalations) round after round. Printed: cycles a minute sustained, the process's CPU
   share of one core, its peak RSS, cycle times, and the escalations Slack received.
2. Failover: two daemons on one tracker with the state in a throwaway PostgreSQL server
   (tests/postgres.py), interval 1 s (lease 3 s); the leader is SIGKILLed, and the time until
   the standby logs "leading" is measured, several times.
3. Google (`--google`): `run_fleet` with N Google trackers of 2k rows (bench/google.py's
   seeded rows) on one credential, against the fake Sheets + Drive in this process enforcing
   Google's quotas with 429s (60 a minute per user, 300 per project), interval 10 s; a person
   escalates a ticket in a few of them (one tracker in three, at most 5) every 20 s or so.
   With `--lag 180`, Drive's version moves only 3 minutes after an edit (the fake's lagging
   mode). Time is warped: whenever every tracker thread and the person are waiting, the clock
   jumps to the next wake-up, so an hour's schedule runs in minutes while every cycle still
   takes its real time. Printed: 429s, each edited tracker's edit-to-outbox p50/p95 (from the
   edit to the commit that puts the escalation in the state's outbox), Sheets reads and Drive probes a minute,
   CPU (seconds of CPU a minute of the schedule, i.e. the share of one core) and peak RSS
   (the fake's 100k cells included: it runs in this process).

    pip install -e '.[dev]' && python bench/fleet.py [--trackers 20] [--rows 10000]
        [--seconds 120] [--failovers 5]
    python bench/fleet.py --google [--trackers 50] [--rows 2000] [--minutes 10] [--lag 180]
        [--idle-reads false]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import datetime, timezone
from io import StringIO
from pathlib import Path
from typing import Any

import openpyxl

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from validate import generate  # noqa: E402  (the same seeded trackers)

NOW = datetime(2026, 11, 23, 6, 30, tzinfo=timezone.utc)


def make_fleet(folder: Path, trackers: int, rows: int) -> Path:
    """Workbooks of seeded tickets and one config naming them all."""
    entries = []
    for n in range(trackers):
        data, _ = generate(rows, seed=100 + n)
        book = openpyxl.Workbook(write_only=True)
        sheet = book.create_sheet("Tracker")
        for row in data:
            sheet.append(row)
        book.save(folder / f"t{n:02d}.xlsx")
        entries.append(f'[[trackers]]\nname = "t{n:02d}"\n[trackers.tracker]\n'
                       f'path = "t{n:02d}.xlsx"\n')
    (folder / "sheetsync.toml").write_text(
        'timezone = "Asia/Kolkata"\n\n[sync]\ninterval_seconds = 10\n\n'
        '[slack]\nchannel = "C0SELLERS1"\n\n[reports]\njobs = []\n\n' + "\n".join(entries))
    return folder / "sheetsync.toml"


def person(folder: Path, trackers: int, stop_after: float) -> None:
    """Another process: edits 5 rows of each tracker every 10 s (a round a sync interval),
    until time's up."""
    rng = random.Random(1)
    deadline = time.monotonic() + stop_after
    while time.monotonic() < deadline:
        started = time.monotonic()
        for n in range(trackers):
            path = folder / f"t{n:02d}.xlsx"
            book = openpyxl.load_workbook(path)
            sheet = book["Tracker"]
            header = [c.value for c in sheet[1]]
            status, assigned = header.index("Status") + 1, header.index("Assigned To") + 1
            for _ in range(5):
                row = rng.randrange(2, sheet.max_row + 1)
                value = rng.choice(["In Progress", "Resolved", "Escalated"])
                sheet.cell(row=row, column=status).value = value
                if value == "Escalated":
                    sheet.cell(row=row, column=assigned).value = "Priya (Support), Rahul (Tech)"
            book.save(path)
            if time.monotonic() >= deadline:
                return
        time.sleep(max(0.0, started + 10 - time.monotonic()))


def fleet(trackers: int, rows: int, seconds: float) -> dict[str, Any]:
    from sheetsync.app import logs
    from sheetsync.config import load_configs
    from sheetsync.app.daemon import run_fleet
    from sheetsync.integrations.dispatch import open_sinks
    from sheetsync.jobs.sync import run_sync
    from tests.fake_slack import TOKEN, FakeSlack

    with tempfile.TemporaryDirectory() as name, FakeSlack().installed() as slack:
        folder = Path(name)
        made = time.perf_counter()
        config = make_fleet(folder, trackers, rows)
        made = time.perf_counter() - made
        environ = {"SLACK_BOT_TOKEN": TOKEN}
        configs = load_configs(config, environ=environ)
        adopted = time.perf_counter()
        for c in configs:  # adoption: every row gets its ID, one save per tracker
            run_sync(c, NOW, sinks=open_sinks(c, environ))
        adopted = time.perf_counter() - adopted
        stream = StringIO()
        logs.setup("json", stream)
        editor = subprocess.Popen([sys.executable, __file__, "--person", str(folder),
                                   str(trackers), str(seconds)])
        stop = threading.Event()
        timer = threading.Timer(seconds, stop.set)
        before = resource.getrusage(resource.RUSAGE_SELF)
        started = time.perf_counter()
        timer.start()
        run_fleet(configs, stop=stop, environ=environ)
        wall = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_SELF)
        editor.wait()
        events = [json.loads(line) for line in stream.getvalue().splitlines()]
        cycles = [e for e in events if e["event"] == "cycle"]
        durations = sorted(e["duration_ms"] for e in cycles)
        return {
            "trackers": trackers, "rows": rows, "make_s": made, "adoption_s": adopted,
            "window_s": wall, "cycles": len(cycles),
            "cycles_per_min": len(cycles) / wall * 60,
            "trackers_cycled": len({e["tracker"] for e in cycles}),
            "cpu_share": (after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
            / wall,
            "peak_rss_mb": after.ru_maxrss / 1024,
            "cycle_ms_p50": statistics.median(durations) if durations else 0,
            "cycle_ms_p95": durations[int(len(durations) * 0.95)] if durations else 0,
            "failed": Counter(e["error"].split(": ", 1)[-1][:60] for e in events
                              if e["event"] == "cycle failed"),
            "escalations_posted": len(slack.messages),
            "by_tracker": dict(Counter(e["tracker"] for e in cycles)),
        }


def failovers(count: int) -> list[float]:
    """Seconds from the leader's SIGKILL to the standby's "leading", `count` times."""
    from sheetsync.app.demo import make_demo
    from tests.postgres import postgres_server

    server = postgres_server()
    url = next(server)
    taken = []
    try:
        for attempt in range(count):
            with tempfile.TemporaryDirectory() as name:
                made = make_demo(Path(name), "seller-support", "Asia/Kolkata", "IN", NOW)
                text = made.config_path.read_text().replace(
                    "[state]\n", f'[state]\nurl = "{url}"\nnamespace = "f{attempt}"\n')
                made.config_path.write_text(text.replace("interval_seconds = 30",
                                                         "interval_seconds = 1"))
                env = {**os.environ, "PYTHONPATH": str(ROOT)}

                def daemon(replica: str) -> subprocess.Popen[str]:
                    return subprocess.Popen(
                        [sys.executable, "-m", "sheetsync", "run", "--log-format", "json",
                         "--config", str(made.config_path)],
                        env={**env, "SHEETSYNC_REPLICA": replica}, stderr=subprocess.PIPE,
                        text=True)

                leader = daemon("a")
                wait_for(leader, "cycle")
                standby = daemon("b")
                wait_for(standby, "standby")
                time.sleep(random.uniform(0, 1))  # anywhere in the leader's interval
                leader.send_signal(signal.SIGKILL)
                killed = time.monotonic()
                wait_for(standby, "leading")
                taken.append(time.monotonic() - killed)
                standby.send_signal(signal.SIGTERM)
                for process in (leader, standby):
                    process.wait(timeout=30)
                    assert process.stderr is not None
                    process.stderr.close()
    finally:
        server.close()
    return taken


def wait_for(process: subprocess.Popen[str], event: str) -> None:
    assert process.stderr is not None
    while line := process.stderr.readline():
        if json.loads(line)["event"] == event:
            return
    raise RuntimeError(f"the daemon ended before {event!r}")


# --- Google: a fleet on one credential, in warped time -----------------------------------------


class Warp:
    """A clock that runs at real speed while anyone works and jumps ahead when all of its
    `parties` wait: the next wake-up comes at once."""

    def __init__(self, parties: int) -> None:
        self.parties = parties
        self.offset = NOW.timestamp() - time.monotonic()
        self._cond = threading.Condition()
        self._waiting: dict[int, float] = {}

    def now(self) -> float:
        return time.monotonic() + self.offset

    def sleep(self, seconds: float) -> None:
        wake = self.now() + max(seconds, 0.0)
        with self._cond:
            me = threading.get_ident()
            self._waiting[me] = wake
            while self.now() < wake:
                due = min(self._waiting.values())
                if len(self._waiting) >= self.parties and due > self.now():
                    self.offset += due - self.now()  # all wait: on to the first wake-up
                    self._cond.notify_all()
                else:
                    self._cond.wait(timeout=0.05)
            del self._waiting[me]
            self._cond.notify_all()

    def leave(self) -> None:
        with self._cond:
            self.parties -= 1
            self._cond.notify_all()


class WarpedStop(threading.Event):
    """The daemons' stop event: its waits (the interval) are the warp's."""

    def __init__(self, warp: Warp) -> None:
        super().__init__()
        self.warp = warp

    def wait(self, timeout: float | None = None) -> bool:
        if not self.is_set() and timeout:
            self.warp.sleep(timeout)
        return self.is_set()


def google_fleet(trackers: int, rows: int, minutes: float, lag: float,
                 idle_reads: bool) -> dict[str, Any]:
    """See the module's docstring, part 3."""
    from bench.google import generate as seeded
    from sheetsync.app import daemon, logs
    from sheetsync.backends import google_http
    from sheetsync.config import load_configs
    from sheetsync.integrations.quota import Pool
    from sheetsync.state import StateStore
    from tests.fake_google import READS, SPREADSHEET_ID, WRITES, FakeSheets

    warp = Warp(trackers + 1)
    fake = FakeSheets(clock=warp.now, serve_tokens=True, version_lag=lag)
    sheets = [f"{SPREADSHEET_ID[:-2]}{n:02d}" for n in range(trackers)]
    for n, sid in enumerate(sheets):
        fake.add_spreadsheet(sid, {"Tracker": seeded(rows, seed=100 + n).rows},
                             row_count=rows + 200)
    requests: list[tuple[float, str]] = []
    handle = fake.handle

    def logged(request: Any, arrived: float | None = None) -> Any:
        response = handle(request, arrived)
        requests.append((warp.now(), fake.calls[-1][0]))
        fake.exchanges.clear()  # (the fake keeps every exchange; the bench needs none)
        return response

    fake.handle = logged  # type: ignore[method-assign]
    # Each tracker's own client paces and backs off on the warped clock too.
    made = google_http.GoogleHTTPClient.__init__

    def warped(client: Any, *args: Any, **kwargs: Any) -> None:
        made(client, *args, **{**kwargs, "clock": warp.now, "sleep": warp.sleep})

    google_http.GoogleHTTPClient.__init__ = warped  # type: ignore[method-assign]
    delivered: dict[tuple[str, str], float] = {}  # (tracker, ticket) -> in the outbox
    commit = StateStore.commit_cycle

    def noted(store: Any, record: Any) -> int:  # the cycle's effects enter the outbox
        generation = commit(store, record)
        for effect in record.effects:
            delivered.setdefault((Path(store.path).parent.name, effect.ticket_id), warp.now())
        return generation

    StateStore.commit_cycle = noted  # type: ignore[method-assign]
    edits: list[tuple[str, str, float]] = []
    with tempfile.TemporaryDirectory() as name, fake.installed():
        folder = Path(name)
        key = folder / "authorized_user.json"
        key.write_text(json.dumps({"type": "authorized_user", "client_id": "fleet.example",
                                   "client_secret": "s", "refresh_token": "1//r"}))
        entries = [f'[[trackers]]\nname = "t{n:02d}"\n[trackers.tracker]\nbackend = "google"\n'
                   f'spreadsheet_id = "{sid}"\nidle_reads = {str(idle_reads).lower()}\n'
                   f'[trackers.state]\npath = "t{n:02d}/sheetsync.db"\n'
                   f'[trackers.outbox]\npath = "t{n:02d}/outbox.jsonl"\n'
                   for n, sid in enumerate(sheets)]
        (folder / "sheetsync.toml").write_text(
            'timezone = "Asia/Kolkata"\n\n[sync]\ninterval_seconds = 10\n\n'
            '[slack]\nchannel = "C0SELLERS1"\n\n[reports]\njobs = []\n\n' + "\n".join(entries))
        for n in range(trackers):
            (folder / f"t{n:02d}").mkdir()
        environ = {"GOOGLE_APPLICATION_CREDENTIALS": str(key)}
        configs = load_configs(folder / "sheetsync.toml", environ=environ)
        stream = StringIO()
        logs.setup("json", stream)
        stop = WarpedStop(warp)
        edited = list(range(0, trackers, 3))[:5]
        start = warp.now()
        measured_from: list[float] = []

        def adopted(sid: str) -> bool:
            with fake._lock:  # (the trackers' requests change the sheets meanwhile)
                return "Ticket ID" in fake.values("Tracker", spreadsheet=sid)[0]

        def person() -> None:  # escalates a Pending ticket in an edited tracker, every ~20 s
            rng = random.Random(3)
            try:
                while not all(adopted(sheets[n]) for n in range(trackers)):
                    warp.sleep(30)  # adoption, on the shared budget
                warp.sleep(60)  # and the read after it
                measured_from.append(warp.now())
                while warp.now() < measured_from[0] + minutes * 60:
                    n = rng.choice(edited)
                    sid = sheets[n]
                    with fake._lock:
                        values = fake.values("Tracker", spreadsheet=sid)
                        header = values[0]
                        status, ids = header.index("Status"), header.index("Ticket ID")
                        row = rng.choice([i for i, r in enumerate(values[1:], start=2)
                                          if r[status] == "Pending" and r[ids]])
                        fake.edit("Tracker", row, fake.column_of("Tracker", "Status",
                                                                 spreadsheet=sid),
                                  "Escalated", spreadsheet=sid)
                    edits.append((f"t{n:02d}", values[row - 1][ids], warp.now()))
                    warp.sleep(rng.uniform(10, 30))
            finally:
                warp.leave()
                stop.set()

        editor = threading.Thread(target=person, name="person")
        before = resource.getrusage(resource.RUSAGE_SELF)
        wall = time.perf_counter()
        editor.start()
        original = daemon.run_daemon

        def party(*args: Any, **kwargs: Any) -> int:  # each tracker thread leaves the warp
            try:
                return original(*args, **kwargs)
            finally:
                warp.leave()

        daemon.run_daemon = party  # type: ignore[assignment]
        try:
            daemon.run_fleet(configs, stop=stop, environ=environ,
                             now=lambda: datetime.fromtimestamp(warp.now(), timezone.utc),
                             pool=Pool(warp.now, warp.sleep))
        finally:
            daemon.run_daemon = original
            StateStore.commit_cycle = commit  # type: ignore[method-assign]
            google_http.GoogleHTTPClient.__init__ = made  # type: ignore[method-assign]
        editor.join()
        wall = time.perf_counter() - wall
        after = resource.getrusage(resource.RUSAGE_SELF)
    events = [json.loads(line) for line in stream.getvalue().splitlines()]
    begin = measured_from[0] if measured_from else warp.now()
    measured = [(at, op) for at, op in requests if at >= begin]
    window = minutes
    latency: dict[str, list[float]] = {}
    for tracker, ticket, at in edits:
        seen = delivered.get((tracker, ticket))
        latency.setdefault(tracker, []).append(seen - at if seen is not None else float("inf"))
    schedule_minutes = (warp.now() - start) / 60
    return {
        "trackers": trackers, "rows": rows, "lag": lag, "idle_reads": idle_reads,
        "minutes": window, "wall_s": wall, "rate_limited": fake.rate_limited,
        "edits": len(edits), "latency": latency,
        "reads_per_min": sum(1 for _, op in measured if op in READS) / window,
        "writes_per_min": sum(1 for _, op in measured if op in WRITES) / window,
        "drive_per_min": sum(1 for _, op in measured if op == "files.get") / window,
        "cpu_per_min": (after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
        / schedule_minutes,
        "peak_rss_mb": after.ru_maxrss / 1024,
        "held": sum(1 for e in events if e["event"] == "read held back"),
        "failed": Counter(e["error"][:80] for e in events if e["event"] == "cycle failed"),
    }


def _pcts(values: list[float]) -> str:
    ordered = sorted(values)
    if not ordered:
        return "no edits"
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return f"p50 {statistics.median(ordered):.0f} s, p95 {p95:.0f} s ({len(ordered)} edits)"


def report_google(result: dict[str, Any]) -> None:
    print(f"google fleet: {result['trackers']} trackers x {result['rows']} rows, one "
          f"credential, interval 10 s, Drive version lag {result['lag']:.0f} s, idle reads "
          f"{'on' if result['idle_reads'] else 'off'}; {result['minutes']:.0f} minutes measured "
          f"after adoption ({result['wall_s']:.0f} s of real time)")
    print(f"  429s: {result['rate_limited']} (target 0); reads held back: {result['held']}; "
          f"failed cycles: {sum(result['failed'].values())} {dict(result['failed']) or ''}")
    print(f"  Sheets reads {result['reads_per_min']:.1f} a minute, writes "
          f"{result['writes_per_min']:.1f}, Drive probes {result['drive_per_min']:.0f}; CPU "
          f"{result['cpu_per_min']:.1f} s a minute ({result['cpu_per_min'] / 60 * 100:.0f}% of "
          f"a core); peak RSS {result['peak_rss_mb']:.0f} MB (the fake's sheets included)")
    everything = [v for values in result["latency"].values() for v in values]
    print(f"  edit to outbox, all edited trackers: {_pcts(everything)}")
    for tracker, values in sorted(result["latency"].items()):
        print(f"    {tracker}: {_pcts(values)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trackers", type=int, default=20)
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument("--failovers", type=int, default=5)
    parser.add_argument("--person", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--google", action="store_true",
                        help="the Google fleet on one credential (part 3 of the docstring)")
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--lag", type=float, default=0.0)
    parser.add_argument("--idle-reads", choices=("true", "false"), default="true")
    args = parser.parse_args()
    if args.person:
        person(Path(args.person[0]), int(args.person[1]), float(args.person[2]))
        return
    if args.google:
        report_google(google_fleet(args.trackers, args.rows if args.rows != 10_000 else 2000,
                                   args.minutes, args.lag, args.idle_reads == "true"))
        return
    result = fleet(args.trackers, args.rows, args.seconds)
    print(f"fleet: {result['trackers']} trackers x {result['rows']} rows in one process, "
          f"interval 10 s, a person editing 5 rows of each tracker per round")
    print(f"  set-up {result['make_s']:.0f} s; adoption of all {result['adoption_s']:.0f} s "
          f"({result['adoption_s'] / result['trackers']:.1f} s a tracker)")
    print(f"  {result['window_s']:.0f} s window: {result['cycles']} cycles "
          f"({result['cycles_per_min']:.1f} a minute), every tracker cycled: "
          f"{result['trackers_cycled'] == result['trackers']}, failed cycles "
          f"{sum(result['failed'].values())} {dict(result['failed']) or ''}")
    print(f"  cycle time p50 {result['cycle_ms_p50'] / 1000:.2f} s, p95 "
          f"{result['cycle_ms_p95'] / 1000:.2f} s; CPU {result['cpu_share'] * 100:.0f}% of one "
          f"core; peak RSS {result['peak_rss_mb']:.0f} MB; escalations posted "
          f"{result['escalations_posted']}")
    if args.failovers:
        taken = failovers(args.failovers)
        print(f"failover (PostgreSQL state, interval 1 s, lease 3 s), {len(taken)} times: "
              f"min {min(taken):.1f} s, median {statistics.median(taken):.1f} s, max "
              f"{max(taken):.1f} s from the leader's SIGKILL to the standby leading")


if __name__ == "__main__":
    main()
