"""The daemon as it runs: signals stop it cleanly, faults do not, and a SIGKILL at any step of
a cycle neither loses nor repeats an effect."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timezone
from io import StringIO
from pathlib import Path

import openpyxl
import pytest

from sheetsync.app import logs
from sheetsync.config import load_config
from sheetsync.app.daemon import run_daemon
from sheetsync.app.demo import make_demo
from sheetsync.state import StateStore
from tests.crashpoint import STEPS
from tests.helpers import Ticks
from tests.fake_clickup import KEY_FIELD, LIST_ID, FakeClickUp
from tests.fake_clickup import TOKEN as CLICKUP_TOKEN
from tests.fake_slack import TOKEN, FakeSlack

NOW = datetime(2026, 11, 23, 6, 30, tzinfo=timezone.utc)
ROOT = Path(__file__).resolve().parent.parent


def sheetsync(*args: str, cwd: Path, step: str | None = None, env: dict[str, str] | None = None,
              **popen: object) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "tests/crashpoint.py", step, *args] if step else \
        [sys.executable, "-m", "sheetsync", *args]
    env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.run(command, cwd=ROOT if step else cwd, env=env, capture_output=True,
                          text=True, timeout=120, **popen)  # type: ignore[call-overload]


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    made = make_demo(tmp_path / "demo", "seller-support", "Asia/Kolkata", "IN", NOW)
    return made.config_path


def escalate_two_and_add_a_bug(workbook: Path) -> None:
    book = openpyxl.load_workbook(workbook)
    sheet = book["Tracker"]
    header = [c.value for c in sheet[1]]
    for row in sheet.iter_rows(min_row=2):
        if row[header.index("Seller Name")].value in ("Gupta Kirana Mart", "Kaveri Foods"):
            row[header.index("Status")].value = "Escalated"
            row[header.index("Assigned To")].value = "Priya (Support), Rahul (Tech)"
    new = {"WhatsApp Number": "+919812300000", "Seller Name": "Nandi Dairy",
           "Issue Type": "Bug", "Description": "Cannot add products.", "Status": "Pending",
           "Timestamp": "2026-11-23 11:00"}
    sheet.append([new.get(h) for h in header])
    book.save(workbook)


EXPECTED_KEYS = ["clickup.task:INT-000017", "slack.message:escalation:INT-000002:1",
                 "slack.message:escalation:INT-000013:1"]


@pytest.mark.parametrize("step", sorted(STEPS))
def test_a_kill_at_any_step_loses_no_effect_and_sends_none_twice(demo: Path, step: str) -> None:
    config = load_config(demo, environ={})
    assert sheetsync("sync", "--config", str(demo), cwd=demo.parent).returncode == 0
    escalate_two_and_add_a_bug(config.workbook_path)
    killed = sheetsync("run", "--once", "--config", str(demo), cwd=demo.parent, step=step)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    for _ in range(2):  # restart, then one more cycle to settle everything
        assert sheetsync("sync", "--config", str(demo), cwd=demo.parent).returncode == 0
    lines = [json.loads(line) for line in config.outbox_path.read_text().splitlines()]
    assert sorted(line["key"] for line in lines) == EXPECTED_KEYS
    with StateStore(config.state_path) as store:
        assert store.effects("pending") == []
        assert [e.status for e in store.effects()] == ["sent"] * 3
        assert [h.after for h in store.history("INT-000002")] == [
            "created", "Escalated", "Priya (Support), Rahul (Tech)", "yes"]
    sheet = openpyxl.load_workbook(config.workbook_path)["Tracker"]
    header = [c.value for c in sheet[1]]
    ids = [row[header.index("Ticket ID")].value for row in sheet.iter_rows(min_row=2)]
    assert ids == [f"INT-{i:06d}" for i in range(1, 18)]
    assert not list(config.workbook_path.parent.glob(".tracker.xlsx.*.tmp"))


def three_sellers_cannot_add_products(workbook: Path) -> None:
    book = openpyxl.load_workbook(workbook)
    sheet = book["Tracker"]
    header = [c.value for c in sheet[1]]
    for n, seller in enumerate(("Nandi Dairy", "Asha Stores", "Bala Mart")):
        row = {"WhatsApp Number": f"+91981230000{n}", "Seller Name": seller,
               "Issue Type": "Complaint", "Description": "Cannot add products since the update.",
               "Status": "Pending", "Priority": "High", "Timestamp": "2026-11-23 11:00"}
        sheet.append([row.get(h) for h in header])
    book.save(workbook)


@pytest.mark.parametrize("step", sorted(STEPS))
def test_a_kill_at_any_step_announces_an_incident_exactly_once(demo: Path, step: str) -> None:
    config = load_config(demo, environ={})
    assert sheetsync("sync", "--config", str(demo), cwd=demo.parent).returncode == 0
    three_sellers_cannot_add_products(config.workbook_path)
    killed = sheetsync("run", "--once", "--config", str(demo), cwd=demo.parent, step=step)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    for _ in range(2):
        assert sheetsync("sync", "--config", str(demo), cwd=demo.parent).returncode == 0
    lines = [json.loads(line) for line in config.outbox_path.read_text().splitlines()]
    assert [line["key"] for line in lines] == ["slack.incident:INC-1"]
    with StateStore(config.state_path) as store:
        assert [e.status for e in store.effects()] == ["sent"]
        assert sorted(store.incident_members()) == ["INT-000017", "INT-000018", "INT-000019"]


def test_a_kill_after_slack_took_the_post_ends_with_exactly_one_message(
        demo: Path, tmp_path: Path) -> None:
    with demo.open("a", encoding="utf-8") as config_file:
        config_file.write('\n[slack]\nchannel = "C0SELLERS1"\n')
    config = load_config(demo, environ={})
    slack = {"SHEETSYNC_FAKE_SLACK": str(tmp_path / "slack.json"), "SLACK_BOT_TOKEN": TOKEN}
    assert sheetsync("sync", "--config", str(demo), cwd=demo.parent, step="none",
                     env=slack).returncode == 0
    escalate_two_and_add_a_bug(config.workbook_path)
    killed = sheetsync("run", "--once", "--config", str(demo), cwd=demo.parent,
                       step="slack-accepted", env=slack)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert len(FakeSlack.at(tmp_path / "slack.json").messages) == 1  # taken, not recorded
    for _ in range(2):
        assert sheetsync("sync", "--config", str(demo), cwd=demo.parent, step="none",
                         env=slack).returncode == 0
    fake = FakeSlack.at(tmp_path / "slack.json")
    assert fake.keys() == ["slack.message:escalation:INT-000002:1",
                           "slack.message:escalation:INT-000013:1"]
    with StateStore(config.state_path) as store:
        assert [e.status for e in store.effects()] == ["sent"] * 3
        first = store.effects(key="slack.message:escalation:INT-000002:1")[0]
        assert first.result == {"channel": "C0SELLERS1", "ts": fake.messages[0]["ts"],
                                "found": True}


def test_a_kill_after_clickup_made_the_task_ends_with_one_task_and_its_id_in_the_row(
        demo: Path, tmp_path: Path) -> None:
    with demo.open("a", encoding="utf-8") as config_file:
        config_file.write(f'\n[clickup]\nlist_id = "{LIST_ID}"\nkey_field_id = "{KEY_FIELD}"\n')
    config = load_config(demo, environ={})
    clickup = {"SHEETSYNC_FAKE_CLICKUP": str(tmp_path / "clickup.json"),
               "CLICKUP_API_TOKEN": CLICKUP_TOKEN}
    assert sheetsync("sync", "--config", str(demo), cwd=demo.parent, step="none",
                     env=clickup).returncode == 0
    escalate_two_and_add_a_bug(config.workbook_path)
    killed = sheetsync("run", "--once", "--config", str(demo), cwd=demo.parent,
                       step="clickup-accepted", env=clickup)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert len(FakeClickUp.at(tmp_path / "clickup.json").tasks) == 1  # made, not recorded
    for _ in range(2):
        assert sheetsync("sync", "--config", str(demo), cwd=demo.parent, step="none",
                         env=clickup).returncode == 0
    fake = FakeClickUp.at(tmp_path / "clickup.json")
    assert fake.keys() == ["clickup.task:INT-000017"]
    sheet = openpyxl.load_workbook(config.workbook_path)["Tracker"]
    header = [c.value for c in sheet[1]]
    [row] = [r for r in sheet.iter_rows(min_row=2, values_only=True)
             if r[header.index("Seller Name")] == "Nandi Dairy"]
    assert row[header.index("ClickUp Task ID")] == next(iter(fake.tasks))


def test_sigterm_stops_the_daemon_cleanly_after_the_cycle(demo: Path) -> None:
    with subprocess.Popen(
            [sys.executable, "-m", "sheetsync", "run", "--config", str(demo), "--log-format",
             "json"], cwd=demo.parent, env={**os.environ, "PYTHONPATH": str(ROOT)},
            stderr=subprocess.PIPE, text=True) as process:
        assert process.stderr is not None
        events = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            events.append(json.loads(process.stderr.readline()))
            if events[-1]["event"] == "cycle":
                break
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
        events += [json.loads(line) for line in process.stderr.read().splitlines()]
    names = [e["event"] for e in events]
    assert names == ["started", "cycle", "stopping", "stopped"]
    cycle = events[1]
    assert (cycle["rows"], cycle["new_tickets"], cycle["adopted"]) == (16, 16, True)
    assert {"findings", "transitions", "effects", "duration_ms"} <= set(cycle)


def test_a_fault_in_one_cycle_is_logged_and_the_daemon_goes_on(demo: Path) -> None:
    config = load_config(demo, environ={})
    stream = StringIO()
    logs.setup("text", stream)
    config.workbook_path.rename(config.workbook_path.with_suffix(".moved"))
    assert run_daemon(config, once=True) == 2
    assert "error cycle failed" in stream.getvalue() and "no such workbook" in stream.getvalue()


def test_no_log_line_holds_a_full_phone_number() -> None:
    stream = StringIO()
    logs.setup("json", stream)
    logs.event("outbox", line="Seller +91 98765 43210 says order 5521 failed on 2026-11-23")
    logs.setup("text", stream)
    logs.event("outbox", level=logging.WARNING, line="call 919876543210")
    text = stream.getvalue()
    assert "98765 43210" not in text and "919876543210" not in text
    first = json.loads(text.splitlines()[0])
    assert first["line"] == "Seller +91 ***** *3210 says order 5521 failed on 2026-11-23"
    assert text.splitlines()[1].endswith('warning outbox line="call ********3210"')


def test_an_unchanged_workbook_costs_no_read(demo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import sheetsync.app.daemon as daemon
    from sheetsync.backends.workbook import Workbook

    config = load_config(demo, environ={})
    reads = []
    real_read = Workbook.read
    monkeypatch.setattr(Workbook, "read", lambda self: reads.append(1) or real_read(self))
    logs.setup("text", StringIO())

    def touch_on_third(tick: int) -> None:
        if tick == 3:
            escalate_two_and_add_a_bug(config.workbook_path)

    assert daemon.run_daemon(config, stop=Ticks(5, touch_on_third)) == 0
    # The first cycle and the one after the edit, each read once more after its own write
    # (the stamp left as seen is the one taken before the read); one idle tick, no read.
    assert len(reads) == 4
    assert len(config.outbox_path.read_text().splitlines()) == 3


def test_a_write_skipped_for_a_lock_is_retried_once_the_lock_goes(
    demo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sheetsync.app.daemon as daemon

    config = load_config(demo, environ={})
    lock = config.workbook_path.parent / "~$tracker.xlsx"
    lock.write_text("lock")
    logs.setup("text", StringIO())
    stop = Ticks(3, lambda tick: lock.unlink(missing_ok=True))
    assert daemon.run_daemon(config, stop=stop) == 0
    sheet = openpyxl.load_workbook(config.workbook_path)["Tracker"]
    header = [c.value for c in sheet[1]]
    assert "Ticket ID" in header  # written once Excel let go, with no edit in between


def test_a_one_shot_sync_does_not_race_a_running_daemon_for_the_effects(
        demo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from sheetsync.app.cli import main
    from sheetsync.state import Lease, open_state

    config = load_config(demo, environ={})
    assert main(["sync", "--config", str(demo)]) == 0  # adoption; its lease handed back
    with open_state(config, lease=Lease("other-host:4242:ab", 60)) as daemon:
        assert daemon.hold_lease(60)[0]  # a daemon on another machine leads
    escalate_two_and_add_a_bug(config.workbook_path)
    capsys.readouterr()
    assert main(["sync", "--config", str(demo)]) == 1
    assert "another sheetsync (other-host:4242:ab) runs this tracker's cycles" in \
        capsys.readouterr().err
    assert not config.outbox_path.exists() or config.outbox_path.read_text() == ""
    with open_state(config, lease=Lease("other-host:4242:ab", 60)) as daemon:
        daemon.release_lease()
    assert main(["sync", "--config", str(demo)]) == 0
    assert len(config.outbox_path.read_text().splitlines()) == 3
