"""Bad input never ends in a traceback: odd tokens, out-of-range settings, a closed pipe, a
state file that is empty, foreign, damaged or on a full disk; and no full phone number or
token leaves the tracker."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sheetsync.app.cli import main
from sheetsync.config import load_config
from sheetsync.app.demo import make_demo
from sheetsync.integrations.dispatch import Sinks
from sheetsync.integrations.outbox import LocalOutbox
from sheetsync.jobs.sync import run_sync
from sheetsync.core.privacy import mask_free_text, mask_phones_in
from sheetsync.state import StateStore
from tests.helpers import edit

NOW = datetime(2026, 11, 23, 6, 30, tzinfo=timezone.utc)
ROOT = Path(__file__).resolve().parent.parent
TOKEN = "xoxb-1234567890-abcdefghij"


@pytest.fixture
def demo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    for name in ("SLACK_BOT_TOKEN", "CLICKUP_API_TOKEN", "SHEETSYNC_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    made = make_demo(tmp_path / "demo", "seller-support", "Asia/Kolkata", "IN", NOW)
    with made.config_path.open("a", encoding="utf-8") as config:
        config.write('\n[slack]\nchannel = "C0SELLERS1"\n')
    return made.config_path


def cli(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None,
        stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "sheetsync", *args], cwd=cwd, text=True,
                          capture_output=True, timeout=120, input=stdin,
                          env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})})


# --- tokens -----------------------------------------------------------------------------------

@pytest.mark.parametrize("token", [TOKEN[:10] + "\n" + TOKEN[10:], TOKEN + "\u201d",
                                   "\u201c" + TOKEN])
@pytest.mark.parametrize("command", ["run", "doctor"])
def test_a_token_no_header_can_carry_is_named_never_printed(
        demo: Path, token: str, command: str) -> None:
    args = ["run", "--once"] if command == "run" else ["doctor"]
    done = cli(*args, "--config", str(demo), env={"SLACK_BOT_TOKEN": token}, cwd=demo.parent)
    said = done.stdout + done.stderr
    assert done.returncode in (1, 2) and "Traceback" not in said
    assert "SLACK_BOT_TOKEN" in said and ("line break" in said or "U+201" in said)
    assert TOKEN[10:] not in said and TOKEN[:10] not in said


def test_a_token_inside_a_library_error_is_hidden_in_every_log_line() -> None:
    line = mask_phones_in(f"Invalid header value b'Bearer {TOKEN}\\n' and pk_81234567_ABCDEFGH")
    assert TOKEN not in line and "ABCDEFGH" not in line
    assert line == "Invalid header value b'Bearer [hidden]\\n' and pk_[hidden]"


# --- arguments and settings --------------------------------------------------------------------

@pytest.mark.parametrize("port", ["99999", "0", "-1", "http"])
def test_a_metrics_port_out_of_range_is_a_usage_error(demo: Path, port: str) -> None:
    done = cli("run", "--once", "--metrics-port", port, "--config", str(demo), cwd=demo.parent)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "--metrics-port" in done.stderr


def test_an_interval_over_a_day_is_a_config_error(demo: Path) -> None:
    text = demo.read_text(encoding="utf-8")
    demo.write_text(re.sub(r"interval_seconds = \d+", "interval_seconds = 99999999999999",
                           text), encoding="utf-8")
    done = cli("run", "--once", "--config", str(demo), cwd=demo.parent)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "sync.interval_seconds" in done.stderr and "86400" in done.stderr


def test_a_backup_where_no_file_can_be_is_an_error_naming_the_path(demo: Path) -> None:
    assert main(["sync", "--config", str(demo)]) == 0
    blocker = demo.parent / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    done = cli("backup", str(blocker / "state.db"), "--config", str(demo), cwd=demo.parent)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.startswith(f"Error: {blocker / 'state.db'}: cannot write the copy")


@pytest.mark.parametrize("command", [["check"], ["triage", "INT-000002"], ["status"],
                                     ["history", "INT-000001"], ["check", "--format", "json"]])
def test_output_piped_into_a_reader_that_stops_ends_quietly(demo: Path, command: list[str]) -> None:
    assert main(["sync", "--config", str(demo)]) == 0
    script = ("import subprocess, sys\n"
              f"p = subprocess.Popen([sys.executable, '-m', 'sheetsync', *{command!r}, "
              f"'--config', {str(demo)!r}], stdout=subprocess.PIPE, stderr=subprocess.PIPE)\n"
              "p.stdout.close()\n"  # the reader has gone before the first line
              "err = p.stderr.read().decode()\n"
              "print(p.wait()); print(repr(err))\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120)
    code, err = done.stdout.splitlines()
    assert code == "1" and err == "''"


# --- the state file -----------------------------------------------------------------------------

def test_an_empty_state_file_is_refused_not_adopted(demo: Path) -> None:
    state = load_config(demo, environ={}).state_path
    state.write_bytes(b"")
    done = cli("sync", "--config", str(demo), cwd=demo.parent)
    assert done.returncode == 2 and "an empty file, not a sheetsync state" in done.stderr
    assert state.read_bytes() == b""
    assert "FAIL state" in cli("doctor", "--config", str(demo), cwd=demo.parent).stdout


def test_another_programs_database_is_refused(demo: Path) -> None:
    state = load_config(demo, environ={}).state_path
    with sqlite3.connect(state) as other:
        other.execute("CREATE TABLE orders (id INTEGER)")
    done = cli("status", "--config", str(demo), cwd=demo.parent)
    assert done.returncode == 2 and "another program" in done.stderr
    assert "FAIL state" in cli("doctor", "--config", str(demo), cwd=demo.parent).stdout


def test_a_damaged_state_is_named_as_damage_with_the_way_back(demo: Path) -> None:
    assert main(["sync", "--config", str(demo)]) == 0
    state = load_config(demo, environ={}).state_path
    with sqlite3.connect(state) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        page = db.execute("PRAGMA page_size").fetchone()[0]
    data = bytearray(state.read_bytes())
    for at in range(2 * page, len(data) - page, page):  # scribble over every page but two
        data[at + 8:at + 64] = b"\xff" * 56
    state.write_bytes(bytes(data))
    doctor = cli("doctor", "--config", str(demo), cwd=demo.parent)
    assert doctor.returncode == 1 and "the state file is damaged" in doctor.stdout
    assert "sheetsync backup" in doctor.stdout
    for command in (["sync"], ["status"], ["outbox", "list"]):
        done = cli(*command, "--config", str(demo), cwd=demo.parent)
        assert done.returncode in (1, 2) and "Traceback" not in done.stderr, done.stderr
        assert "damaged" in done.stderr or "not a sheetsync state" in done.stderr


def test_a_crash_while_making_a_state_leaves_no_half_state(demo: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    config = load_config(demo, environ={})

    def dies(*args: object) -> None:
        raise KeyboardInterrupt  # the process stopped half-way through the migrations

    monkeypatch.setattr("sheetsync.state.store.os.replace", dies)
    with pytest.raises(KeyboardInterrupt):
        StateStore(config.state_path)
    monkeypatch.undo()
    assert not config.state_path.exists()
    with StateStore(config.state_path) as store:  # the next start makes it whole
        assert store.adopted_at is None


# --- phone numbers --------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "masked"), [
    ("Ravi 9812345699.", "Ravi ******5699."),
    ("call +91 98450 12345 now", "call +91 ***** *2345 now"),
    ("(98123)45699, or 98123-45699!", "(*****)*5699, or *****-*5699!"),
    ("numbers:9812345699;9812345600", "numbers:******5699;******5600"),
    ("ZA 082 123 4567", "ZA *** *** 4567"),
])
def test_every_phone_number_in_free_text_is_masked_whatever_surrounds_it(
        text: str, masked: str) -> None:
    assert mask_free_text(text, "IN") == masked
    assert mask_phones_in(text) == masked


@pytest.mark.parametrize("ours", [
    "INT-000123", "SP-2026000123", "task 86c0ab1x2z", "2026-11-23", "2026-11-23 09:00",
    "2026-11-23T09:00:00+05:30", "2026-11-23T03:30:00.123456Z", "Rs 1,234,567.50",
    "Rs 12,34,567.00", "12345678.90", "1.234.567,50", "order 5521", "rows=100000",
])
def test_the_tokens_sheetsync_formats_stay_visible(ours: str) -> None:
    assert mask_free_text(ours, "IN") == ours
    assert mask_phones_in(ours) == ours


def test_numbers_typed_in_free_text_leave_the_tracker_masked(demo: Path) -> None:
    config = load_config(demo, environ={})
    run_sync(config, NOW, sinks=Sinks(LocalOutbox(config.outbox_path)))
    edit(config, "Kaveri Foods", Status="Escalated", **{
        "Assigned To": "Priya (Support), Rahul (Tech)",
        "Description": "Seller says call him on 9812345699. Payment of Rs 1,250.00 failed.",
        "Seller Name": "Kaveri Foods 98450 12345"})
    run_sync(config, NOW, sinks=Sinks(LocalOutbox(config.outbox_path)))
    outbox = config.outbox_path.read_text(encoding="utf-8")
    assert "9812345699" not in outbox and "98450 12345" not in outbox
    assert "******5699" in outbox and "Rs 1,250.00" in outbox
    with StateStore(config.state_path) as store:
        payloads = json.dumps([e.payload for e in store.effects()])
    assert "9812345699" not in payloads and "98450 12345" not in payloads


def test_full_contact_keeps_what_is_sent(demo: Path) -> None:
    demo.write_text(demo.read_text(encoding="utf-8").replace(
        "[slack]", "[messages]\nfull_contact = true\n\n[slack]"), encoding="utf-8")
    config = load_config(demo, environ={})
    run_sync(config, NOW, sinks=Sinks(LocalOutbox(config.outbox_path)))
    edit(config, "Kaveri Foods", Status="Escalated", Description="Call 9812345699 please.",
         **{"Assigned To": "Priya (Support), Rahul (Tech)"})
    run_sync(config, NOW, sinks=Sinks(LocalOutbox(config.outbox_path)))
    assert "Call 9812345699 please." in config.outbox_path.read_text(encoding="utf-8")


def test_sync_prints_free_text_with_its_numbers_masked(demo: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    config = load_config(demo, environ={})
    assert main(["sync", "--config", str(demo)]) == 0
    edit(config, "Kaveri Foods", Status="Escalated", Description="Call 9812345699 please.",
         **{"Assigned To": "Priya (Support), Rahul (Tech)"})
    capsys.readouterr()
    assert main(["sync", "--config", str(demo)]) == 0
    assert main(["sync", "--dry-run", "--config", str(demo)]) == 0
    out = capsys.readouterr().out
    assert "9812345699" not in out and "outbox: slack.message" in out


# --- every command, any arguments ---------------------------------------------------------------

COMMANDS = ["check", "sync", "status", "history", "outbox", "triage", "doctor", "backup",
            "report", "setup", "purge", "run", "demo"]
WORDS = st.sampled_from(["--format", "json", "text", "--dry-run", "--once", "--for", "2026-W47",
                         "2026-13", "daily", "weekly", "INT-000001", "list", "retry", "cancel",
                         "--before", "2026-11-01", "yesterday", "--tracker", "nope", "--import",
                         "missing.csv", "--remove", "--metrics-port", "99999", "8080",
                         "--config", "demo/sheetsync.toml", "nowhere.toml", "--preset",
                         "saypro-interaction-log", "--reset", "--dir", "elsewhere", "\u201c",
                         "-", "", "--not-sent", "backup.db"])
ENVIRONMENTS = st.fixed_dictionaries({}, optional={
    "SLACK_BOT_TOKEN": st.sampled_from([TOKEN, TOKEN + "\n", "\u201c" + TOKEN, ""]),
    "CLICKUP_API_TOKEN": st.sampled_from(["pk_1_ABC", "pk_1\u00a0ABC", ""]),
    "SHEETSYNC_CONFIG": st.sampled_from(["demo/sheetsync.toml", "nowhere.toml"]),
})


@settings(max_examples=60, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(command=st.sampled_from(COMMANDS), words=st.lists(WORDS, max_size=4),
       environ=ENVIRONMENTS)
def test_every_command_exits_0_1_or_2_and_never_with_a_traceback(
        demo: Path, command: str, words: list[str], environ: dict[str, str],
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    if command in ("run", "demo") and "--once" not in words:
        words = [*words, "--once"]  # the daemon's loop would not end by itself
    with monkeypatch.context() as patched:
        for name, value in environ.items():
            patched.setenv(name, value)
        code = main([command, *words])
    said = capsys.readouterr()
    assert code in (0, 1, 2), (command, words, environ, said)
    assert "Traceback" not in said.err + said.out
    assert TOKEN[5:] not in said.err + said.out
