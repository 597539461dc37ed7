"""The team's clock everywhere: log lines, `history`, `status` and every JSON time are in the
configured timezone with its offset, whatever the host's (UTC in a container)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import datetime, timezone
from io import StringIO
from pathlib import Path

import pytest

from sheetsync.app import logs
from sheetsync.app.cli import main
from sheetsync.app.daemon import run_fleet
from sheetsync.app.demo import make_demo
from sheetsync.config import load_configs
from tests.helpers import Ticks

NOW = datetime(2026, 11, 23, 6, 30, tzinfo=timezone.utc)
ROOT = Path(__file__).resolve().parent.parent
ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?([+-]\d\d:\d\d)")


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    return make_demo(tmp_path / "demo", "seller-support", "Asia/Kolkata", "IN", NOW).config_path


def test_the_daemons_log_lines_are_in_the_teams_zone_on_a_utc_host(demo: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "sheetsync", "run", "--once", "--config",
                           str(demo)], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "TZ": "UTC", "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr
    lines = done.stderr.splitlines()
    assert lines and all(line.split(" ", 1)[0].endswith("+05:30") for line in lines), lines


def test_history_status_and_outbox_times_are_in_the_teams_zone(
        demo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sync", "--config", str(demo)]) == 0
    capsys.readouterr()
    assert main(["history", "INT-000001", "--format", "json", "--config", str(demo)]) == 0
    history = json.loads(capsys.readouterr().out)
    assert history and all(entry["at"].endswith("+05:30") for entry in history)
    assert main(["status", "--format", "json", "--config", str(demo)]) == 0
    status = json.loads(capsys.readouterr().out)
    offsets = {m.group(1) for m in ISO.finditer(json.dumps(status))}
    assert offsets == {"+05:30"}  # adopted_at, the last cycle and next_reports alike
    assert main(["status", "--config", str(demo)]) == 0
    text = capsys.readouterr().out
    assert re.search(r"Adopted: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+05:30\n", text)


FLEET = '''
preset = "seller-support"
timezone = "Asia/Kolkata"

[[trackers]]
name = "india"
[trackers.tracker]
path = "india/tracker.xlsx"

[[trackers]]
name = "south_africa"
timezone = "Africa/Johannesburg"
phone_region = "ZA"
[trackers.tracker]
path = "south-africa/tracker.xlsx"
'''


def test_each_trackers_lines_are_in_its_own_zone(tmp_path: Path) -> None:
    make_demo(tmp_path / "india", "seller-support", "Asia/Kolkata", "IN", NOW)
    make_demo(tmp_path / "south-africa", "seller-support", "Africa/Johannesburg", "ZA", NOW)
    (tmp_path / "sheetsync.toml").write_text(FLEET, encoding="utf-8")
    configs = load_configs(tmp_path / "sheetsync.toml", environ={})
    stream = StringIO()
    logs.setup("json", stream, zone=configs[0].timezone)
    assert run_fleet(configs, once=True, environ={}) == 0
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    zones = {(line.get("tracker"), line["at"][-6:]) for line in lines}
    assert {("india", "+05:30"), ("south_africa", "+02:00")} <= zones
    assert ("india", "+02:00") not in zones and ("south_africa", "+05:30") not in zones
