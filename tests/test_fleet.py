"""Several trackers in one config ([[trackers]]) and one process: each its own state,
outbox, schedule and failures; metrics and health per tracker."""

from __future__ import annotations

import io
import json
import time
import urllib.error
import urllib.request
from datetime import datetime, timedelta, timezone
from pathlib import Path

import openpyxl
import pytest

from sheetsync.app import logs
from sheetsync.app.cli import main
from sheetsync.config import load_config, load_configs
from sheetsync.app.daemon import run_fleet
from sheetsync.app.demo import make_demo
from sheetsync.errors import ConfigError
from tests.helpers import Ticks

NOW = datetime(2026, 11, 23, 6, 30, tzinfo=timezone.utc)
FLEET = '''
preset = "seller-support"
timezone = "Asia/Kolkata"

[sync]
interval_seconds = 30

[[trackers]]
name = "sellers"
[trackers.tracker]
path = "sellers/tracker.xlsx"

[[trackers]]
name = "marketplace"
[trackers.tracker]
backend = "google"
spreadsheet_id = "1FakeSheetsyncTrackerSpreadsheet000000000000"
[trackers.sync]
interval_seconds = 60
'''


def fleet(folder: Path, text: str = FLEET) -> Path:
    make_demo(folder / "sellers", "seller-support", "Asia/Kolkata", "IN", NOW)
    (folder / "sheetsync.toml").write_text(text, encoding="utf-8")
    return folder / "sheetsync.toml"


def test_each_tracker_gets_the_shared_settings_and_its_own_state(tmp_path: Path) -> None:
    sellers, marketplace = load_configs(fleet(tmp_path), environ={})
    assert (sellers.name, marketplace.name) == ("sellers", "marketplace")
    assert sellers.settings.timezone == marketplace.settings.timezone == "Asia/Kolkata"
    assert (sellers.settings.sync.interval_seconds,
            marketplace.settings.sync.interval_seconds) == (30, 60)
    assert sellers.state_path == tmp_path / "sellers.db"
    assert marketplace.outbox_path == tmp_path / "marketplace.outbox.jsonl"
    assert marketplace.settings.state.namespace == "marketplace"
    assert load_config(tmp_path / "sheetsync.toml", environ={}, tracker="sellers") == sellers


@pytest.mark.parametrize("text, message", [
    (FLEET.replace('name = "marketplace"', 'name = "sellers"'),
     "trackers sellers and sellers share name"),
    (FLEET + '[trackers.state]\npath = "sellers.db"\n',
     "trackers sellers and marketplace share state.path"),
    (FLEET.replace('name = "marketplace"', 'name = "Market Place"'),
     'trackers[2].name: expected a name of lowercase letters'),
    (FLEET.replace('interval_seconds = 60', 'interval_seconds = "often"'),
     "[marketplace] sync.interval_seconds: expected a positive integer"),
])
def test_a_fleet_config_error_names_the_tracker(tmp_path: Path, text: str, message: str
                                                ) -> None:
    with pytest.raises(ConfigError, match=None) as raised:
        load_configs(fleet(tmp_path, text), environ={})
    assert message in str(raised.value)


def test_a_one_tracker_command_on_a_fleet_asks_which(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = fleet(tmp_path)
    assert main(["check", "--config", str(config)]) == 2
    assert "the config has 2 trackers (sellers, marketplace); choose one with --tracker" \
        in capsys.readouterr().err
    assert main(["check", "--config", str(config), "--tracker", "sellers"]) == 1  # findings


def test_a_broken_tracker_stops_none_of_the_others_and_each_is_labelled(
        tmp_path: Path) -> None:
    config = fleet(tmp_path)
    configs = load_configs(config, environ={})
    stream = io.StringIO()
    logs.setup("json", stream)
    seen: dict[str, tuple[int, str]] = {}

    def get(url: str) -> tuple[int, str]:
        try:
            with urllib.request.urlopen(url) as got:
                return got.status, got.read().decode()
        except urllib.error.HTTPError as refused:
            return refused.code, refused.read().decode()

    def scrape(tick: int) -> None:
        # /healthz and /metrics as Prometheus and a load balancer see them, once each tracker
        # has had its first tick (each thread runs at its own pace): the good one has cycled,
        # the broken one has failed.
        if "/healthz" in seen:
            return
        url = next(json.loads(line)["metrics"] for line in stream.getvalue().splitlines()
                   if '"serving"' in line)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            seen["/healthz"] = get(url.replace("/metrics", "/healthz"))
            body = seen["/healthz"][1]
            if "sellers: ok" in body and "last error" in body:
                break
            time.sleep(0.02)
        seen["/metrics"] = get(url)

    ticks = iter(NOW + timedelta(seconds=i) for i in range(1000))
    environ = {"GOOGLE_APPLICATION_CREDENTIALS": str(tmp_path / "missing-key.json")}
    assert run_fleet(configs, stop=Ticks(6, scrape), now=lambda: next(ticks),
                     environ=environ, metrics_at=("127.0.0.1", 0)) == 0
    sheet = openpyxl.load_workbook(tmp_path / "sellers" / "tracker.xlsx")["Tracker"]
    header = [c.value for c in sheet[1]]
    assert sheet.cell(row=2, column=header.index("Ticket ID") + 1).value == "INT-000001"
    events = [json.loads(line) for line in stream.getvalue().splitlines()]
    failed = [e for e in events if e["event"] == "cycle failed"]
    assert failed and {e["tracker"] for e in failed} == {"marketplace"}
    assert "Google credentials cannot be loaded" in failed[0]["error"]
    assert {e["tracker"] for e in events if e["event"] == "cycle"} == {"sellers"}
    status, body = seen["/healthz"]
    assert status == 503 and body.startswith("sellers: ok") and "marketplace: no successful" \
        in body
    text = seen["/metrics"][1]
    assert 'sheetsync_rows{tracker="sellers"} 16.0' in text
    assert 'sheetsync_cycles_total{outcome="failed",tracker="marketplace"}' in text
