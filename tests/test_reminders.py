"""Check-back reminders: one per resolution, on the clock, outside quiet times."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from sheetsync.config import Config, load_config
from sheetsync.app.demo import make_demo
from sheetsync.integrations.dispatch import Sinks
from sheetsync.errors import ConfigError
from sheetsync.integrations.outbox import LocalOutbox
from sheetsync.jobs.reminders import run_reminders
from sheetsync.jobs.sync import run_sync
from sheetsync.core.reminders import quiet
from tests.helpers import edit, killed_after_the_outbox_takes_one

NOW = datetime(2026, 11, 23, 6, 30, tzinfo=timezone.utc)  # a Monday, 12:00 in Kolkata


@pytest.fixture
def resolved(tmp_path: Path) -> Config:
    made = make_demo(tmp_path / "demo", "seller-support", "Asia/Kolkata", "IN", NOW)
    config = load_config(made.config_path, environ={})
    run_sync(config, NOW)
    edit(config, "Vijay Auto Parts", Status="Resolved", **{"Assigned To": "Arjun (Support)"})
    run_sync(config, NOW)
    return config


def reminders(config: Config) -> list[dict[str, str]]:
    if not config.outbox_path.exists():
        return []
    return [line for line in map(json.loads, config.outbox_path.read_text().splitlines())
            if line["kind"] == "slack.reminder"]


def test_two_days_after_resolving_one_reminder_to_check_back(resolved: Config) -> None:
    sinks = Sinks(LocalOutbox(resolved.outbox_path))
    assert run_reminders(resolved, NOW + timedelta(days=1), sinks) == 0
    assert run_reminders(resolved, NOW + timedelta(days=2, minutes=1), sinks) == 1
    assert run_reminders(resolved, NOW + timedelta(days=2, hours=1), sinks) == 0  # once
    [line] = reminders(resolved)
    assert line["key"] == "slack.reminder:check-back:INT-000015:1"
    assert line["text"] == ("Check back with the seller of INT-000015, resolved 2 days ago: "
                            "is it still fixed? (Arjun (Support))")


def test_a_ticket_reopened_before_then_gets_no_reminder(resolved: Config) -> None:
    edit(resolved, "Vijay Auto Parts", Status="In Progress")
    run_sync(resolved, NOW + timedelta(days=1))
    assert run_reminders(resolved, NOW + timedelta(days=3), None) == 0


def test_quiet_hours_and_days_hold_reminders_until_they_end(resolved: Config) -> None:
    with resolved.source.open("a", encoding="utf-8") as file:  # type: ignore[union-attr]
        file.write('\n[reminders]\nquiet_hours = "20:00-08:00"\nquiet_days = ["Sunday"]\n')
    config = load_config(resolved.source, environ={})
    night = datetime(2026, 11, 25, 17, 0, tzinfo=timezone.utc)  # 22:30 in Kolkata
    assert run_reminders(config, night, None) == 0
    assert run_reminders(config, night + timedelta(hours=10), None) == 1  # 08:30
    ist = NOW.astimezone(config.timezone).tzinfo
    assert quiet(datetime(2026, 11, 29, 12, 0, tzinfo=ist), "", ["Sunday"])
    assert not quiet(datetime(2026, 11, 30, 12, 0, tzinfo=ist), "20:00-08:00", ["Sunday"])


def test_quiet_hours_are_checked_in_the_config(tmp_path: Path) -> None:
    (tmp_path / "sheetsync.toml").write_text('[reminders]\nquiet_hours = "8pm-8am"\n')
    with pytest.raises(ConfigError, match='reminders.quiet_hours: expected "HH:MM-HH:MM"'):
        load_config(tmp_path / "sheetsync.toml", environ={})


def test_a_scheduled_follow_up_is_reminded_of_once_on_its_day(tmp_path: Path) -> None:
    import openpyxl

    made = make_demo(tmp_path / "demo", "saypro-interaction-log", "Africa/Johannesburg", "ZA",
                     NOW)
    config = load_config(made.config_path, environ={})
    run_sync(config, NOW)
    book = openpyxl.load_workbook(config.workbook_path)
    sheet = book[config.settings.tracker.tab]
    names = [c.value for c in sheet[1]]
    outcome = names.index("Final Outcome") + 1
    row = next(r for r in range(2, sheet.max_row + 1)
               if sheet.cell(row=r, column=outcome).value != "Resolved and closed")
    sheet.cell(row=row, column=names.index("Follow-up Required") + 1).value = "Yes"
    sheet.cell(row=row, column=names.index("Follow-up Date") + 1).value = "2026-11-25"
    ticket = sheet.cell(row=row, column=names.index("Interaction ID") + 1).value
    book.save(config.workbook_path)
    run_sync(config, NOW + timedelta(minutes=5))
    sinks = Sinks(LocalOutbox(config.outbox_path))
    assert run_reminders(config, NOW + timedelta(days=1), sinks) == 0
    assert run_reminders(config, NOW + timedelta(days=2), sinks) == 1
    assert run_reminders(config, NOW + timedelta(days=2, hours=3), sinks) == 0
    [line] = reminders(config)
    assert line["key"] == f"slack.reminder:follow-up:{ticket}:2026-11-25"
    assert line["text"].startswith(f"Follow up on {ticket}: its Follow-up Date is 2026-11-25")


def digests(config: Config) -> list[str]:
    if not config.outbox_path.exists():
        return []
    return [line["key"] for line in map(json.loads, config.outbox_path.read_text().splitlines())
            if line["kind"] == "slack.digest"]


def test_a_digest_written_in_quiet_hours_waits_for_them_to_end(resolved: Config) -> None:
    from sheetsync.integrations.dispatch import dispatch
    from sheetsync.jobs.reports import run_due
    from sheetsync.state import StateStore

    assert resolved.source is not None
    with resolved.source.open("a", encoding="utf-8") as file:
        file.write('\n[reminders]\nquiet_hours = "20:00-08:00"\n')
    config = load_config(resolved.source, environ={})
    sinks = Sinks(LocalOutbox(config.outbox_path))
    night = datetime(2026, 11, 23, 16, 0, tzinfo=timezone.utc)  # 21:30 in Kolkata
    assert run_due(config, night, sinks, lambda _: None)  # the daily summary, written late
    assert digests(config) == []
    with StateStore(config.state_path) as store:
        dispatch(store, sinks, night + timedelta(hours=10))  # 07:30: still quiet
        assert digests(config) == []
        dispatch(store, sinks, night + timedelta(hours=11))  # 08:30
    assert digests(config) == ["slack.digest:daily:2026-11-23"]


def test_a_crash_after_the_outbox_took_a_reminder_sends_it_once(
        resolved: Config) -> None:
    """Killed between delivering a reminder and recording it: the restart finds it."""
    with killed_after_the_outbox_takes_one():
        run_reminders(resolved, NOW + timedelta(days=2, minutes=1),
                      Sinks(LocalOutbox(resolved.outbox_path)))
    for minutes in (2, 3):  # the restarted daemon's ticks
        run_reminders(resolved, NOW + timedelta(days=2, minutes=minutes),
                      Sinks(LocalOutbox(resolved.outbox_path)))
        run_sync(resolved, NOW + timedelta(days=2, minutes=minutes))
    assert [line["key"] for line in reminders(resolved)] == [
        "slack.reminder:check-back:INT-000015:1"]
