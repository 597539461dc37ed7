"""`sheetsync doctor`: one test per failure it names, against the demo and the fakes; it sends
nothing, changes nothing and never prints a secret."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest

from sheetsync.app.cli import main
from sheetsync.config import load_config
from sheetsync.app.demo import make_demo
from sheetsync.jobs.sync import run_sync
from tests.fake_clickup import KEY_FIELD, LIST_ID, FakeClickUp
from tests.fake_clickup import TOKEN as CLICKUP_TOKEN
from tests.fake_slack import TOKEN as SLACK_TOKEN
from tests.fake_google import SPREADSHEET_ID
from tests.fake_slack import FakeSlack
from tests.google_setup import GoogleTracker, google_tracker

NOW = datetime(2026, 11, 23, 6, 30, tzinfo=timezone.utc)


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    made = make_demo(tmp_path / "demo", "seller-support", "Asia/Kolkata", "IN", NOW)
    return made.config_path


@pytest.fixture
def services() -> Iterator[tuple[FakeSlack, FakeClickUp]]:
    with FakeSlack().installed() as slack, FakeClickUp().installed() as clickup:
        yield slack, clickup


def doctor(config: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
           **environ: str) -> tuple[int, dict[str, dict[str, object]], str]:
    for name in ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "CLICKUP_API_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    capsys.readouterr()
    code = main(["doctor", "--format", "json", "--config", str(config)])
    out = capsys.readouterr().out
    return code, {c["name"]: c for c in json.loads(out)}, out


def configure(config: Path, text: str) -> None:
    with config.open("a", encoding="utf-8") as file:
        file.write("\n" + text + "\n")


SLACK = '[slack]\nchannel = "#seller-support"'
CLICKUP = f'[clickup]\nlist_id = "{LIST_ID}"\nkey_field_id = "{KEY_FIELD}"'


def test_a_good_setup_passes_and_nothing_is_sent_or_changed(
        demo: Path, services: tuple[FakeSlack, FakeClickUp], monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    configure(demo, SLACK + "\n" + CLICKUP)
    run_sync(load_config(demo, environ={}), NOW)
    before = demo.parent.joinpath("tracker.xlsx").read_bytes()
    code, checks, out = doctor(demo, monkeypatch, capsys, SLACK_BOT_TOKEN=SLACK_TOKEN,
                               CLICKUP_API_TOKEN=CLICKUP_TOKEN)
    assert code == 0, out
    assert [n for n, c in checks.items() if c["ok"]] == [
        "config", "tracker", "state", "slack token", "slack channel", "slack scopes", "clickup"]
    slack, clickup = services
    assert slack.messages == [] and clickup.tasks == {}
    assert demo.parent.joinpath("tracker.xlsx").read_bytes() == before
    assert SLACK_TOKEN not in out and CLICKUP_TOKEN not in out
    capsys.readouterr()
    assert main(["doctor", "--config", str(demo)]) == 0
    assert capsys.readouterr().out.endswith("Everything checked is ready.\n")


def test_a_malformed_config_is_a_failed_check_not_an_error(
        demo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    configure(demo, "[messages]\nbrief_length = \"short\"")
    code, checks, _ = doctor(demo, monkeypatch, capsys)
    assert code == 1
    assert "messages.brief_length: expected a positive integer" in str(
        checks["config"]["detail"])
    assert checks["tracker"]["ok"] is None


def test_a_missing_tracker_or_column_is_named(
        demo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    configure(demo, '[columns.status]\nheader = "State"')
    code, checks, _ = doctor(demo, monkeypatch, capsys)
    assert code == 1 and "missing required column State" in str(checks["tracker"]["detail"])
    demo.parent.joinpath("tracker.xlsx").unlink()
    code, checks, _ = doctor(demo, monkeypatch, capsys)
    assert "no such workbook" in str(checks["tracker"]["detail"])


@pytest.mark.parametrize(("damage", "says"), [
    ("newer", "written by a newer sheetsync"),
    ("garbage", "not a sheetsync state file"),
    ("open", "readable by others (mode 644)"),
])
def test_a_state_store_that_cannot_be_used_is_named(
        demo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        damage: str, says: str) -> None:
    config = load_config(demo, environ={})
    run_sync(config, NOW)
    if damage == "newer":
        import sqlite3
        with sqlite3.connect(config.state_path) as db:
            db.execute("PRAGMA user_version = 99")
    elif damage == "garbage":
        config.state_path.write_bytes(b"not sqlite at all" * 100)
        for extra in ("-wal", "-shm"):
            Path(str(config.state_path) + extra).unlink(missing_ok=True)
    else:
        os.chmod(config.state_path, 0o644)
    code, checks, _ = doctor(demo, monkeypatch, capsys)
    assert code == 1 and says in str(checks["state"]["detail"])


@pytest.mark.parametrize(("environ", "setup", "check", "says"), [
    ({"SLACK_BOT_TOKEN": "xoxb-revoked"}, {}, "slack token", "auth.test: invalid_auth"),
    ({}, {}, "slack", "SLACK_BOT_TOKEN is not set"),
    ({"SLACK_BOT_TOKEN": SLACK_TOKEN}, {"members": ()}, "slack channel",
     "the app is not in #seller-support"),
    ({"SLACK_BOT_TOKEN": SLACK_TOKEN}, {"scopes": ("chat:write", "channels:read")},
     "slack scopes", "the app lacks channels:history"),
    ({"SLACK_BOT_TOKEN": SLACK_TOKEN}, {"scopes": ("channels:history", "channels:read")},
     "slack scopes", "the app lacks chat:write"),
])
def test_each_slack_problem_is_named_with_its_fix(
        demo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        environ: dict[str, str], setup: dict[str, object], check: str, says: str) -> None:
    configure(demo, SLACK)
    with FakeSlack(**setup).installed():  # type: ignore[arg-type]
        code, checks, out = doctor(demo, monkeypatch, capsys, **environ)
    assert code == 1
    assert says in str(checks[check]["detail"]) and checks[check]["fix"]
    assert "xoxb-revoked" not in out


def test_an_unknown_slack_channel_is_named(
        demo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    configure(demo, '[slack]\nchannel = "#no-such-channel"')
    with FakeSlack().installed():
        code, checks, _ = doctor(demo, monkeypatch, capsys, SLACK_BOT_TOKEN=SLACK_TOKEN)
    assert code == 1
    assert "no channel #no-such-channel" in str(checks["slack channel"]["detail"])


@pytest.mark.parametrize(("environ", "setup", "says"), [
    ({"CLICKUP_API_TOKEN": "pk_revoked"}, {}, "set a valid one in CLICKUP_API_TOKEN"),
    ({}, {}, "CLICKUP_API_TOKEN not set"),
    ({"CLICKUP_API_TOKEN": CLICKUP_TOKEN}, {"lists": ()}, "check clickup.list_id"),
    ({"CLICKUP_API_TOKEN": CLICKUP_TOKEN}, {"has_key_field": False}, "has no custom field"),
    ({"CLICKUP_API_TOKEN": CLICKUP_TOKEN}, {"field_type": "number"}, "needs a Text field"),
])
def test_each_clickup_problem_is_named_with_its_fix(
        demo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        environ: dict[str, str], setup: dict[str, object], says: str) -> None:
    configure(demo, CLICKUP)
    with FakeClickUp(**setup).installed():  # type: ignore[arg-type]
        code, checks, out = doctor(demo, monkeypatch, capsys, **environ)
    assert code == 1
    assert says in str(checks["clickup"]["detail"]) and checks["clickup"]["fix"]
    assert "pk_revoked" not in out


def test_the_text_checklist_gives_each_fix(
        demo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    configure(demo, SLACK)
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    capsys.readouterr()
    assert main(["doctor", "--config", str(demo)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("ok   config: ")
    assert "FAIL slack: slack.channel is #seller-support but SLACK_BOT_TOKEN is not set" in out
    assert "     fix: export SLACK_BOT_TOKEN=xoxb-... (the app's Bot User OAuth Token)" in out
    assert out[-1] == "1 problem found."


def test_backup_copies_the_state_while_it_is_open(
        demo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from sheetsync.state import StateStore

    config = load_config(demo, environ={})
    run_sync(config, NOW)
    copy = demo.parent / "backups" / "state.db"
    with StateStore(config.state_path):  # the daemon holds it open
        assert main(["backup", str(copy), "--config", str(demo)]) == 0
    assert os.stat(copy).st_mode & 0o777 == 0o600
    with StateStore(copy) as restored, StateStore(config.state_path) as live:
        assert restored.snapshot() == live.snapshot()
        assert restored.adopted_at == live.adopted_at
    assert main(["backup", str(config.state_path), "--config", str(demo)]) == 2


@pytest.fixture
def google(tmp_path: Path) -> Iterator[GoogleTracker]:
    for tracker in google_tracker(tmp_path / "google"):
        tracker.fake.serve_tokens = True
        yield tracker


def user_key(folder: Path, refresh_token: str = "1//fake-refresh") -> str:
    """A person's authorized-user key file, as `gcloud auth application-default login`
    writes it; the fake's token endpoint exchanges its refresh token."""
    path = folder / "authorized_user.json"
    path.write_text(json.dumps({"type": "authorized_user", "client_id": "fake.apps.example",
                                "client_secret": "fake-client-secret",
                                "refresh_token": refresh_token}), encoding="utf-8")
    return str(path)


def test_a_good_google_setup_passes_without_writing(
        google: GoogleTracker, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    code, checks, out = doctor(google.folder / "sheetsync.toml", monkeypatch, capsys,
                               GOOGLE_APPLICATION_CREDENTIALS=user_key(google.folder))
    assert code == 0, out
    assert checks["google credentials"]["ok"] and checks["tracker"]["ok"]
    assert checks["google access"]["ok"]
    assert google.fake.writes() == 0
    assert "fake-client-secret" not in out and "1//fake-refresh" not in out


@pytest.mark.parametrize("problem, check, detail", [
    ("no key file", "google credentials", "Google credentials cannot be loaded from "
                                          "GOOGLE_APPLICATION_CREDENTIALS"),
    ("revoked", "tracker", "Google refused the credentials"),
    ("not shared", "tracker", "is not shared with"),
    ("view only", "google access", "can only view the spreadsheet"),
    ("no tab", "tracker", 'has no tab named "Tracker"'),
])
def test_each_google_problem_is_named_with_its_fix(
        google: GoogleTracker, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str], problem: str, check: str, detail: str) -> None:
    key = user_key(google.folder, "1//revoked" if problem == "revoked" else "1//fake-refresh")
    if problem == "no key file":
        key = str(google.folder / "missing.json")
    elif problem == "revoked":
        google.fake.revoked = ("1//revoked",)
    elif problem == "not shared":
        google.fake.unshare(SPREADSHEET_ID)
    elif problem == "view only":
        google.fake.share_view_only(SPREADSHEET_ID)
    else:
        google.fake.rename_tab("Tracker", "Tickets")
    code, checks, out = doctor(google.folder / "sheetsync.toml", monkeypatch, capsys,
                               GOOGLE_APPLICATION_CREDENTIALS=key)
    assert code == 1
    assert checks[check]["ok"] is False and detail in str(checks[check]["detail"]), out
    assert checks[check]["fix"]


SOCKET_SCOPES = ("chat:write", "channels:history", "channels:read", "commands", "users:read")


@pytest.mark.parametrize(("users", "scopes", "says"), [
    ('"Priya (Support)" = "U012PRIYA"', SOCKET_SCOPES, None),
    ("", SOCKET_SCOPES, "nobody is mapped"),
    ('"Priya (Support)" = "U0GONE0001"', SOCKET_SCOPES, "U0GONE0001 (Priya (Support)): "
                                                        "user_not_found"),
    ('"Priya" = "U012PRIYA"\n"Priya (Support)" = "U012PRIYA"', SOCKET_SCOPES,
     "U012PRIYA is given to Priya and Priya (Support)"),
])
def test_with_socket_mode_the_people_who_may_act_are_checked(
        demo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        users: str, scopes: tuple[str, ...], says: str | None) -> None:
    configure(demo, SLACK + "\n[slack.users]\n" + users)
    with FakeSlack(scopes=scopes).installed():
        code, checks, out = doctor(demo, monkeypatch, capsys, SLACK_BOT_TOKEN=SLACK_TOKEN,
                                   SLACK_APP_TOKEN="xapp-1-fake-app-token")
    assert "slack socket" not in checks  # the token and the scopes are right
    if says is None:
        assert checks["slack users"]["ok"] is True and code == 0
    else:
        assert checks["slack users"]["ok"] is False and code == 1
        assert says in str(checks["slack users"]["detail"]) and checks["slack users"]["fix"]
    assert "xapp-1-fake-app-token" not in out


def test_in_a_fleet_each_trackers_people_are_checked(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
        ) -> None:
    for name in ("sellers", "marketplace"):
        make_demo(tmp_path / name, "seller-support", "Asia/Kolkata", "IN", NOW)
    config = tmp_path / "sheetsync.toml"
    config.write_text(SLACK + '\n[slack.users]\n"Priya (Support)" = "U012PRIYA"\n'
                      '[[trackers]]\nname = "sellers"\n[trackers.tracker]\n'
                      'path = "sellers/tracker.xlsx"\n'
                      '[[trackers]]\nname = "marketplace"\n[trackers.tracker]\n'
                      'path = "marketplace/tracker.xlsx"\n'
                      '[trackers.slack.users]\n"Rahul (Tech)" = "U0GONE0001"\n',
                      encoding="utf-8")
    with FakeSlack(scopes=SOCKET_SCOPES).installed():
        code, checks, _ = doctor(config, monkeypatch, capsys, SLACK_BOT_TOKEN=SLACK_TOKEN,
                                 SLACK_APP_TOKEN="xapp-1-fake-app-token")
    assert code == 1
    assert checks["sellers: slack users"]["ok"] is True
    assert checks["marketplace: slack users"]["ok"] is False
    assert checks["marketplace: slack users"]["detail"] == \
        "U0GONE0001 (Rahul (Tech)): user_not_found"


def test_with_socket_mode_missing_scopes_and_a_bot_token_for_an_app_token_are_named(
        demo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    configure(demo, SLACK + '\n[slack.users]\n"Priya (Support)" = "U012PRIYA"')
    with FakeSlack(scopes=("chat:write", "channels:history", "channels:read")).installed():
        code, checks, out = doctor(demo, monkeypatch, capsys, SLACK_BOT_TOKEN=SLACK_TOKEN,
                                   SLACK_APP_TOKEN="xoxb-the-wrong-kind")
    assert code == 1
    assert "SLACK_APP_TOKEN is not an app-level token (they start with xapp-)" in out
    assert "the app lacks commands, users:read" in str(checks["slack socket"]["detail"])
    assert checks["slack users"]["detail"] == "1 mapped (not looked up)"
