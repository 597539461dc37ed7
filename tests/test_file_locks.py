"""Lock files of Excel and LibreOffice: who holds the tracker, since when, and what to do."""

from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from sheetsync.backends.file_locks import find_lock, held_back, lock_line
from sheetsync.config import Config, load_config
from sheetsync.errors import ConfigError
from sheetsync.app.demo import make_demo
from sheetsync.jobs.sync import run_sync

#: What LibreOffice 7.4 (Debian's) wrote beside a workbook it opened, user data unset.
LIBREOFFICE_UNNAMED = b",root,vm,02.12.2026 01:00,file:///tmp/lotest/profile;"
OPENED = datetime(2026, 12, 2, 4, 32, tzinfo=timezone.utc)  # 10:02 in Kolkata


def excel_owner_file(name: str) -> bytes:
    """An Excel owner file (165 bytes): the name's length and the name in the code page,
    spaces to byte 55, the length in two bytes and the name in UTF-16-LE, then padding."""
    head = bytes([len(name)]) + name.encode("cp1252")
    head += b" " * (55 - len(head))
    data = head + bytes([len(name), 0]) + name.encode("utf-16-le")
    return data + b" \x00" * ((165 - len(data)) // 2) + b" " * ((165 - len(data)) % 2)


def lock_beside(tmp_path: Path, name: str, data: bytes) -> Path:
    tracker = tmp_path / "tracker.xlsx"
    tracker.write_bytes(b"")
    lock = tmp_path / name
    lock.write_bytes(data)
    os.utime(lock, (OPENED.timestamp(), OPENED.timestamp()))
    return tracker


@pytest.mark.parametrize(("name", "data", "holder"), [
    (".~lock.tracker.xlsx#", b"Priya Kumar,priya,laptop-7,02.12.2026 10:02,"
     b"file:///home/priya/.config/libreoffice/4;", "LibreOffice by Priya Kumar on laptop-7"),
    (".~lock.tracker.xlsx#", LIBREOFFICE_UNNAMED, "LibreOffice by root on vm"),
    (".~lock.tracker.xlsx#", "Ana\\, Support,ana,desk\\;1,02.12.2026 10:02,file:///x;".encode(),
     "LibreOffice by Ana, Support on desk;1"),
    ("~$tracker.xlsx", excel_owner_file("Priya Kumar"), "Excel by Priya Kumar"),
    ("~$tracker.xlsx", b"lock", "another program"),  # not Excel's format: still a lock
    (".~lock.tracker.xlsx#", b"", "another program"),
])
def test_the_lock_file_names_its_holder(tmp_path: Path, name: str, data: bytes,
                                        holder: str) -> None:
    lock = find_lock(lock_beside(tmp_path, name, data))
    assert lock is not None and lock.file == name and lock.since == OPENED
    assert lock.holder() == holder
    assert lock.skip_reason() == f"it is open in {holder} ({name} is there)"


def test_no_lock_file_no_lock(tmp_path: Path) -> None:
    tracker = tmp_path / "tracker.xlsx"
    tracker.write_bytes(b"")
    (tmp_path / ".~lock.other.xlsx#").write_bytes(LIBREOFFICE_UNNAMED)
    assert find_lock(tracker) is None


def test_the_line_for_status_says_how_long_who_and_what_to_do(tmp_path: Path) -> None:
    tracker = lock_beside(tmp_path, ".~lock.tracker.xlsx#",
                          b"Priya,priya,laptop,02.12.2026 10:02,file:///p;")
    lock = find_lock(tracker)
    assert lock is not None
    assert lock_line(lock, OPENED + timedelta(minutes=12), ZoneInfo("Asia/Kolkata")) == (
        "held back for 12 min: open in LibreOffice by Priya on laptop since 10:02 "
        "(.~lock.tracker.xlsx#); close it there or remove the lock file if that program is gone")


@pytest.fixture
def demo(tmp_path: Path) -> Config:
    made = make_demo(tmp_path / "demo", "seller-support", "Asia/Kolkata", "IN", OPENED)
    return load_config(made.config_path, environ={})


def test_a_lock_is_named_only_after_the_configured_wait(demo: Config) -> None:
    lock = demo.workbook_path.with_name(".~lock.tracker.xlsx#")
    lock.write_bytes(b"Priya,priya,laptop,02.12.2026 10:02,file:///p;")
    os.utime(lock, (OPENED.timestamp(), OPENED.timestamp()))
    assert held_back(demo, OPENED + timedelta(minutes=9, seconds=59)) is None
    assert held_back(demo, OPENED + timedelta(minutes=10)) == (
        "held back for 10 min: open in LibreOffice by Priya on laptop since 10:02 "
        "(.~lock.tracker.xlsx#); close it there or remove the lock file if that program is gone")
    toml = demo.base_dir / "sheetsync.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace(
        'tab = "Tracker"', 'tab = "Tracker"\nlock_wait_minutes = 30'), encoding="utf-8")
    longer = load_config(toml, environ={})
    assert held_back(longer, OPENED + timedelta(minutes=29)) is None
    assert held_back(longer, OPENED + timedelta(minutes=31)) is not None
    lock.unlink()
    assert held_back(demo, OPENED + timedelta(hours=1)) is None


def test_the_skipped_write_names_who_has_the_tracker_open(demo: Config) -> None:
    demo.workbook_path.with_name("~$tracker.xlsx").write_bytes(excel_owner_file("Priya"))
    before = demo.workbook_path.read_bytes()
    report = run_sync(demo, OPENED)
    assert report.write_skipped == "it is open in Excel by Priya (~$tracker.xlsx is there)"
    assert demo.workbook_path.read_bytes() == before


@pytest.mark.parametrize("value", [0, -5, "ten", True])
def test_the_wait_must_be_a_positive_number_of_minutes(tmp_path: Path, value: object) -> None:
    path = tmp_path / "sheetsync.toml"
    shown = {True: "true", "ten": '"ten"'}.get(value, value)
    path.write_text(f"[tracker]\nlock_wait_minutes = {shown}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        load_config(path, environ={})
    assert str(raised.value) == (f"{path}: tracker.lock_wait_minutes: expected a positive "
                                 f"integer, got {shown}")


def test_status_doctor_and_healthz_name_a_lock_held_too_long(
        demo: Config, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import threading

    import sheetsync.app.cli as cli
    from sheetsync.app.daemon import run_daemon
    from sheetsync.app.metrics import Health

    run_sync(demo, OPENED)
    lock = demo.workbook_path.with_name(".~lock.tracker.xlsx#")
    lock.write_bytes(b"Priya,priya,laptop,02.12.2026 10:02,file:///p;")
    opened = datetime.now(timezone.utc) - timedelta(minutes=25)  # the real clock: doctor's
    os.utime(lock, (opened.timestamp(), opened.timestamp()))
    config = str(demo.source)
    monkeypatch.setattr(cli, "_now", lambda: datetime.now(timezone.utc))
    assert cli.main(["status", "--config", config]) == 0
    [line] = [l for l in capsys.readouterr().out.splitlines() if l.startswith("Held back")]
    assert "held back for 25 min: open in LibreOffice by Priya on laptop" in line
    assert cli.main(["doctor", "--config", config, "--format", "json"]) == 1
    [check] = [c for c in __import__("json").loads(capsys.readouterr().out)
               if c["name"] == "tracker lock"]
    assert check["ok"] is False and "Priya" in check["detail"]
    assert check["fix"].startswith("close it there")
    health = Health(30)
    run_daemon(demo, once=True, environ={}, health=health, stop=threading.Event())
    code, said = health.status()
    assert code == 503 and said.startswith("held back for 25 min") and lock.name in said
    lock.unlink()
    run_daemon(demo, once=True, environ={}, health=health, stop=threading.Event())
    assert health.status()[0] == 200
