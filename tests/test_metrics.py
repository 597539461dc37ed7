"""Health and metrics: /healthz follows the last successful cycle, /metrics the daemon's work."""

from __future__ import annotations

import socket
import urllib.error
import urllib.request
from datetime import datetime, timezone
from io import StringIO
from pathlib import Path
from typing import Any

import pytest

from sheetsync.app import logs
from sheetsync.app.cli import main
from sheetsync.config import load_config
from sheetsync.app.daemon import run_daemon
from sheetsync.app.demo import make_demo
from sheetsync.app.metrics import Health, respond
from tests.helpers import Ticks

NOW = datetime(2026, 11, 23, 6, 30, tzinfo=timezone.utc)


class Clock:
    now = 1_000.0

    def __call__(self) -> float:
        return self.now


def test_healthz_is_503_until_a_cycle_succeeds_then_200_while_the_daemon_makes_progress(
        ) -> None:
    clock = Clock()
    health = Health(30, clock)
    assert health.status() == (503, "no successful cycle yet")
    health.failed("tracker.xlsx: no such workbook")
    assert health.status() == (503, "no successful cycle yet; last error: tracker.xlsx: no "
                                    "such workbook")
    health.succeeded()
    clock.now += 89
    assert health.status() == (200, "ok: the last progress was 89 s ago")
    clock.now += 2
    code, reason = health.status()
    assert code == 503  # stuck: nothing completed, nothing delivered for max(3 x 30 s, 60 s)
    assert reason == ("no progress for 91 s (no cycle completed, no effect delivered in "
                      "max(3 intervals, 60 s) = 90 s)")
    health.progressed()  # a courier delivered an effect: that is progress too
    assert health.status()[0] == 200
    assert respond("/healthz", health)[:2] == (200, "text/plain; charset=utf-8")
    assert respond("/nothing", health)[0] == 404


def test_healthz_is_503_when_cycles_keep_failing_though_effects_still_go_out() -> None:
    clock = Clock()
    health = Health(5, clock)  # a short interval: the window is 60 s, not 15
    health.succeeded()
    health.failed("spreadsheet 1abc: no answer from Google Sheets (timed out)")
    for _ in range(6):
        clock.now += 10
        health.progressed()  # the backlog drains while every cycle fails
        health.failed("spreadsheet 1abc: no answer from Google Sheets (timed out)")
    assert health.status()[0] == 200  # failing for 60 s: not yet more than the window
    clock.now += 1
    health.progressed()
    assert health.status() == (503, "cycles have failed for 61 s (more than 60 s); last "
                                    "error: spreadsheet 1abc: no answer from Google Sheets "
                                    "(timed out)")
    health.succeeded()  # one good cycle ends it
    assert health.status()[0] == 200


def test_the_daemon_serves_healthz_and_metrics_while_it_runs(tmp_path: Path) -> None:
    made = make_demo(tmp_path / "demo", "seller-support", "Asia/Kolkata", "IN", NOW)
    config = load_config(made.config_path, environ={})
    stream = StringIO()
    logs.setup("json", stream)
    seen: dict[str, tuple[int, str]] = {}

    def scrape(tick: int) -> None:
        if tick == 2:
            url = next(line for line in stream.getvalue().splitlines()
                       if '"started"' in line).split('"metrics": "')[1].split('"')[0]
            for path in ("/healthz", "/metrics"):
                with urllib.request.urlopen(url.replace("/metrics", path), timeout=5) as got:
                    seen[path] = (got.status, got.read().decode())

    assert run_daemon(config, stop=Ticks(3, scrape), environ={},
                      metrics_at=("127.0.0.1", 0)) == 0
    assert seen["/healthz"][0] == 200
    assert seen["/healthz"][1].startswith("ok: the last progress was")
    text = seen["/metrics"][1]
    # One tracker: its label is empty (as if absent, to PromQL).
    assert 'sheetsync_rows{tracker=""} 16.0' in text
    assert 'sheetsync_cycles_total{outcome="ok",tracker=""}' in text
    assert 'sheetsync_findings{code="phone.missing_country_code",tracker=""}' in text
    assert "sheetsync_cycle_duration_seconds_count" in text


def test_a_metrics_port_in_use_is_a_clear_error(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    made = make_demo(tmp_path / "demo", "seller-support", "Asia/Kolkata", "IN", NOW)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["run", "--once", "--metrics-port", str(port),
                     "--config", str(made.config_path)]) == 2
    assert f"--metrics-port {port}: cannot serve on 127.0.0.1" in capsys.readouterr().err


def test_a_fault_answering_a_scrape_is_one_debug_line_and_the_server_goes_on(
        monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]) -> None:
    import urllib.error
    import urllib.request

    from sheetsync.app import metrics

    stream = StringIO()
    logs.setup("text", stream, level=10)
    health = Health(30)
    health.succeeded()
    server = metrics.serve("127.0.0.1", 0, health)
    url = f"http://127.0.0.1:{server.server_address[1]}"
    real, calls = metrics.respond, []

    def broken(path: str, health: Any) -> Any:
        calls.append(path)
        if len(calls) == 1:
            raise ConnectionResetError("the scraper hung up")
        return real(path, health)

    monkeypatch.setattr(metrics, "respond", broken)
    try:
        with pytest.raises((urllib.error.URLError, ConnectionError, OSError)):
            urllib.request.urlopen(url + "/healthz", timeout=5)
        with urllib.request.urlopen(url + "/healthz", timeout=5) as answer:
            assert answer.status == 200
    finally:
        server.shutdown()
        server.server_close()
    assert "Traceback" not in capfd.readouterr().err
    assert "metrics request failed" in stream.getvalue()


def test_healthz_names_a_tracker_not_written_for_three_cycles_and_ten_minutes() -> None:
    clock = Clock()
    health = Health(60, clock)
    lock = "it is open in another program (~$tracker.xlsx is there)"
    for _ in range(3):
        health.succeeded()
        health.wrote(lock)
        clock.now += 60
    assert health.status()[0] == 200  # three cycles, but only three minutes
    for _ in range(8):
        health.succeeded()
        health.wrote(lock)
        clock.now += 60
    code, reason = health.status()
    assert code == 503
    assert "not been written for 11 cycles" in reason and lock in reason
    assert "close the tracker in Excel or LibreOffice" in reason  # the fix
    health.wrote(None)
    assert health.status()[0] == 200
