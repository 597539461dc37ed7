"""The daemon between cycles: its heartbeat while nothing changes, the wake at a report's
time, and Ctrl-C pressed once, twice and three times."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from io import StringIO
from pathlib import Path

import pytest

from sheetsync.app import logs
from sheetsync.app.cli import main
from sheetsync.app.daemon import run_daemon
from sheetsync.app.demo import make_demo
from sheetsync.config import load_config
from sheetsync.state import open_state
from tests.helpers import Ticks, edit
from tests.test_daemon import escalate_two_and_add_a_bug

NOW = datetime(2026, 11, 23, 6, 30, tzinfo=timezone.utc)  # 12:00 in Asia/Kolkata
ROOT = Path(__file__).resolve().parent.parent


def demo_with(tmp_path: Path, extra: str) -> Path:
    made = make_demo(tmp_path / "demo", "seller-support", "Asia/Kolkata", "IN", NOW)
    text = made.config_path.read_text(encoding="utf-8")
    made.config_path.write_text(text.replace("[sync]\ninterval_seconds = 30\n", extra),
                                encoding="utf-8")
    return made.config_path


class SteppedClock:
    """The daemon's clock, moved on by `step` at each of its waits."""

    def __init__(self, start: datetime, step: timedelta) -> None:
        self.at, self.step = start, step

    def __call__(self) -> datetime:
        return self.at

    def tick(self, _: int) -> None:
        self.at += self.step


def idle_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if " info idle, nothing changed " in line]


def run_ticks(config_path: Path, ticks: int, between: object = None) -> str:
    config = load_config(config_path, environ={})
    clock = SteppedClock(NOW, timedelta(minutes=10))
    stream = StringIO()
    logs.setup("text", stream, zone=config.timezone)

    def each(tick: int) -> None:
        clock.tick(tick)
        if callable(between):
            between(config, tick)

    assert run_daemon(config, now=clock, stop=Ticks(ticks, each), environ={}) == 0
    return stream.getvalue()


def test_an_idle_daemon_says_so_every_heartbeat_with_its_cycles_and_the_next_report(
        tmp_path: Path) -> None:
    demo = demo_with(tmp_path, "[sync]\ninterval_seconds = 600\n\n[log]\nheartbeat_minutes = 30\n")
    text = run_ticks(demo, 9)  # 12:00 to 13:30, a tick every 10 minutes
    lines = idle_lines(text)
    # The first cycle adopts and writes the IDs (a change, said by its own line); the next
    # reads its own write back and finds nothing: from then on, nothing changes.
    # Its ticks at 12:10, 12:20 and 12:30 make the first heartbeat (two of them read: its
    # own write back, and the full read after 15 minutes); 12:40 to 13:00 the second.
    assert [line.split(" info ")[1] for line in lines] == [
        'idle, nothing changed since="2026-11-23 12:00" cycles=3 reads=2 '
        'next_report="daily at 2026-11-23 18:00"',
        'idle, nothing changed since="2026-11-23 12:30" cycles=3 reads=1 '
        'next_report="daily at 2026-11-23 18:00"'], text


def test_a_change_restarts_the_heartbeat_and_zero_turns_it_off(tmp_path: Path) -> None:
    demo = demo_with(tmp_path, "[sync]\ninterval_seconds = 600\n\n[log]\nheartbeat_minutes = 30\n")

    def escalate_at_the_third(config: object, tick: int) -> None:
        if tick == 3:
            edit(config, "Kaveri Foods", Status="Escalated")  # type: ignore[arg-type]

    lines = idle_lines(run_ticks(demo, 9, escalate_at_the_third))
    assert len(lines) == 1 and 'since="2026-11-23 12:30"' in lines[0]  # the edit's tick

    (tmp_path / "off").mkdir()
    off = demo_with(tmp_path / "off", "[sync]\ninterval_seconds = 600\n\n[log]\n"
                                      "heartbeat_minutes = 0\n")
    assert idle_lines(run_ticks(off, 9)) == []


def test_a_heartbeat_setting_that_is_not_a_count_is_named(tmp_path: Path) -> None:
    from sheetsync.errors import ConfigError

    demo = demo_with(tmp_path, '[log]\nheartbeat_minutes = "hourly"\n')
    with pytest.raises(ConfigError, match=r"log\.heartbeat_minutes: expected a whole number, "
                                          r"0 or more, got \"hourly\""):
        load_config(demo, environ={})


@contextmanager
def daemon_events(demo: Path, env: dict[str, str], until: str,
                  command: list[str] | None = None) -> Iterator[tuple[subprocess.Popen[str],
                                                                      list[dict[str, object]]]]:
    """Start `sheetsync run` on the demo (JSON logs) and read its events up to `until`."""
    with subprocess.Popen(
            command or [sys.executable, "-m", "sheetsync", "run", "--config", str(demo),
                        "--log-format", "json"],
            cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT), **env},
            stderr=subprocess.PIPE, text=True) as process:
        assert process.stderr is not None
        events: list[dict[str, object]] = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = process.stderr.readline()
            if not line:
                break
            events.append(json.loads(line))
            if events[-1]["event"] == until:
                break
        try:
            yield process, events
        finally:
            if process.poll() is None:
                process.kill()


def test_the_daemon_wakes_at_a_reports_time_not_at_its_next_interval(tmp_path: Path) -> None:
    # An hour between cycles; the clock (faked, running) starts 12 s before 09:00 in the
    # team's zone: the morning review is written at 09:00, not at 09:59:48.
    demo = demo_with(tmp_path, "[sync]\ninterval_seconds = 3600\n\n[reports]\n"
                               'jobs = ["morning"]\n')
    env = {"TZ": "UTC", "FAKETIME": "@2026-11-24 03:29:48", "FAKETIME_DONT_FAKE_MONOTONIC": "1",
           "LD_PRELOAD": _libfaketime()}
    with daemon_events(demo, env, until="report") as (process, events):
        # The first cycle before 09:00; at 09:00 the tick reads the IDs it wrote, then the
        # catch-up rule finds the morning review due (its digest goes to the outbox first).
        cycles = [e for e in events if e["event"] in ("cycle", "report")]
        assert [e["event"] for e in cycles] == ["cycle", "cycle", "report"], events
        assert str(cycles[0]["at"]) < "2026-11-24T09:00"
        report = events[-1]
        assert report["job"] == "morning" and report["period"] == "2026-11-24"
        assert str(report["at"]).startswith("2026-11-24T09:00:0")  # the faked clock's 09:00


def _libfaketime() -> str:
    found = [p for p in ("/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1",
                         "/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1",
                         "/usr/lib/faketime/libfaketime.so.1") if Path(p).exists()]
    if not found:
        pytest.skip("libfaketime is not installed")
    return found[0]


def test_ctrl_c_once_finishes_the_cycle_twice_says_so_three_times_stops_at_once_safely(
        tmp_path: Path) -> None:
    made = make_demo(tmp_path / "demo", "seller-support", "Asia/Kolkata", "IN", NOW)
    config = load_config(made.config_path, environ={})
    assert main(["sync", "--config", str(made.config_path)]) == 0  # adopted
    escalate_two_and_add_a_bug(config.workbook_path)  # three effects to plan
    held = tmp_path / "held"
    # The cycle is held inside its commit's transaction, its effects inserted, not committed.
    command = [sys.executable, "tests/crashpoint.py", "hold-commit", "run", "--config",
               str(made.config_path), "--log-format", "json"]
    with daemon_events(made.config_path, {"SHEETSYNC_HOLD": str(held)}, until="started",
                       command=command) as (process, events):
        deadline = time.monotonic() + 60
        while not held.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert held.exists(), events
        assert process.stderr is not None
        said = []
        for expected in ("stopping", "stopping: finishing the cycle in progress",
                         "stopping at once"):
            process.send_signal(signal.SIGINT)
            said.append(json.loads(process.stderr.readline()))
            assert said[-1]["event"] == expected
        assert said[1]["hint"] == "once more stops at once"
        assert process.wait(timeout=30) == 130
        assert "Traceback" not in process.stderr.read()
    with open_state(config) as store:  # the held transaction rolled back: nothing of it
        last = store.last_cycle()
        assert store.effects() == [] and last is not None and last["new_tickets"] == 16
    assert not config.outbox_path.exists()
    # The next run does the cycle whole, and sends each of its three effects once.
    assert main(["sync", "--config", str(made.config_path)]) == 0
    keys = [json.loads(line)["key"] for line in config.outbox_path.read_text().splitlines()]
    assert len(keys) == len(set(keys)) == 3

