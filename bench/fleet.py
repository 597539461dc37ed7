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

    pip install -e '.[dev]' && python bench/fleet.py [--trackers 20] [--rows 10000]
        [--seconds 120] [--failovers 5]
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trackers", type=int, default=20)
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument("--failovers", type=int, default=5)
    parser.add_argument("--person", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.person:
        person(Path(args.person[0]), int(args.person[1]), float(args.person[2]))
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
