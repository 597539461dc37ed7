"""SLA timers: deadlines in calendar time and in working hours (across a weekend, a holiday
and a timezone's day boundary), and each warning and breach sent once."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import pytest

from sheetsync.config import Config, load_config
from sheetsync.app.demo import make_demo
from sheetsync.integrations.dispatch import Sinks
from sheetsync.integrations.outbox import LocalOutbox
from sheetsync.jobs.reminders import run_sla
from sheetsync.jobs.sync import run_sync
from sheetsync.core.sla import Calendar, Clock, alerts, due
from sheetsync.state import StateStore
from tests.helpers import edit, killed_after_the_outbox_takes_one

IST = ZoneInfo("Asia/Kolkata")
WEEKDAYS = Calendar()  # Monday to Friday, 09:00 to 18:00


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=IST)  # the 27th is a Friday


@pytest.mark.parametrize(("start", "hours", "calendar", "expected"), [
    (at(23, 10), 24, None, at(24, 10)),  # calendar time
    (at(23, 10), 4, WEEKDAYS, at(23, 14)),  # within the day
    (at(23, 16), 4, WEEKDAYS, at(24, 11)),  # 2 h today, 2 h tomorrow from 09:00
    (at(27, 17), 8, WEEKDAYS, at(30, 16)),  # Friday 17:00: 1 h, then Monday 7 h
    (at(28, 12), 2, WEEKDAYS, at(30, 11)),  # reported on Saturday: Monday from opening
    (at(23, 20), 1, WEEKDAYS, at(24, 10)),  # after closing: the next morning
    (at(24, 17), 3, Calendar(holidays=frozenset({date(2026, 11, 25)})), at(26, 11)),
    # 24th 17:00 1 h; the 25th a holiday; the 26th from 09:00 2 h
])
def test_deadlines(start: datetime, hours: float, calendar: Calendar | None,
                   expected: datetime) -> None:
    assert due(start, hours, calendar) == expected


def test_working_hours_are_the_configured_timezones() -> None:
    # 17:30 UTC on a Monday is 23:00 in Kolkata: after hours there, so the clock waits for
    # Tuesday 09:00 IST, whatever the UTC day.
    start = datetime(2026, 11, 23, 17, 30, tzinfo=timezone.utc).astimezone(IST)
    assert due(start, 1, WEEKDAYS) == at(24, 10)


def test_a_warning_then_a_breach_each_once() -> None:
    clock = Clock("INT-000017", "High", None, at(23, 10), responded=None, resolved=None)
    targets = {"first response": {"default": 24.0, "High": 4.0}}
    assert alerts([clock], targets, at(23, 12), timedelta(hours=1), None) == []
    [warning] = alerts([clock], targets, at(23, 13, 30), timedelta(hours=1), None)
    assert warning.key == "slack.sla:first-response:warning:INT-000017"
    assert warning.payload["text"] == ("INT-000017: first response due by 2026-11-23 14:00 "
                                       "(4 h target) (nobody assigned)")
    [breach] = alerts([clock], targets, at(23, 14), timedelta(hours=1), None)
    assert breach.key == "slack.sla:first-response:breach:INT-000017"
    answered = Clock("INT-000018", "High", "Priya", at(23, 10), responded=at(23, 13),
                     resolved=None)
    assert alerts([answered], targets, at(24, 10), timedelta(hours=1), None) == []


def test_a_response_first_seen_after_its_deadline_is_a_breach_late_when_long_after() -> None:
    targets = {"first response": {"default": 4.0}}
    answered = Clock("INT-000019", None, None, at(23, 10), responded=at(24, 9), resolved=None)
    [breach] = alerts([answered], targets, at(24, 9), timedelta(hours=1), None,
                      late_after=timedelta(minutes=5))
    assert breach.payload["text"] == ("INT-000019 missed its 4 h first response target (due "
                                      "2026-11-23 14:00; seen 2026-11-24 09:00) [late: no "
                                      "daemon ran then] (nobody assigned)")
    assert breach.payload["late"] is True


@pytest.fixture
def tracker(tmp_path: Path) -> Config:
    made = make_demo(tmp_path / "demo", "seller-support", "Asia/Kolkata", "IN",
                     at(23, 10).astimezone(timezone.utc))
    config = load_config(made.config_path, environ={})
    run_sync(config, at(23, 10))
    book = openpyxl.load_workbook(config.workbook_path)
    sheet = book["Tracker"]
    header = [c.value for c in sheet[1]]
    for seller in ("Nandi Dairy", "Asha Stores"):
        row = {"WhatsApp Number": "+919812300000", "Seller Name": seller, "Issue Type": "Help",
               "Description": "Question about stock.", "Status": "Pending",
               "Timestamp": "2026-11-23 10:30"}
        sheet.append([row.get(h) for h in header])
    book.save(config.workbook_path)
    run_sync(config, at(23, 10, 30))
    return config


def sla_lines(config: Config) -> list[str]:
    return [line["key"] for line in map(json.loads, config.outbox_path.read_text().splitlines())
            if line["kind"] == "slack.sla"] if config.outbox_path.exists() else []


def test_the_clock_warns_and_alerts_from_the_state_without_reading_the_tracker(
        tracker: Config) -> None:
    edit(tracker, "Asha Stores", **{"Assigned To": "Priya (Support)"})  # answered
    run_sync(tracker, at(23, 11))
    tracker.workbook_path.rename(tracker.workbook_path.with_suffix(".away"))  # not needed
    sinks = Sinks(LocalOutbox(tracker.outbox_path))
    assert run_sla(tracker, at(24, 9), sinks) == 0
    assert run_sla(tracker, at(24, 9, 45), sinks) == 1
    assert run_sla(tracker, at(24, 10, 31), sinks) == 1
    assert run_sla(tracker, at(24, 12), sinks) == 0
    assert sla_lines(tracker) == ["slack.sla:first-response:warning:INT-000017",
                                  "slack.sla:first-response:breach:INT-000017"]


def test_business_hours_from_the_config(tracker: Config) -> None:
    assert tracker.source is not None
    with tracker.source.open("a", encoding="utf-8") as file:
        file.write('\n[sla]\nfirst_response_hours = { default = 8 }\n'
                   'business_hours = "09:00-18:00"\nholidays = ["2026-11-24"]\n')
    config = load_config(tracker.source, environ={})
    # seen Monday 10:30: 7.5 h that day, the 24th a holiday, 0.5 h on the 25th: 09:30
    assert run_sla(config, datetime.combine(date(2026, 11, 25), time(8, 0), IST), None) == 0
    assert run_sla(config, datetime.combine(date(2026, 11, 25), time(9, 31), IST), None) == 2


def outbox_texts(config: Config) -> list[str]:
    return [line["text"] for line in map(json.loads,
                                         config.outbox_path.read_text().splitlines())
            if line["kind"] == "slack.sla"]


def test_breaches_while_no_daemon_ran_are_alerted_once_on_restart_marked_late(
        tracker: Config) -> None:
    # Down from the 23rd 10:30 to the 25th 09:00. Nandi Dairy's ticket (seen 10:30, due
    # the 24th 10:30) was answered meanwhile, after its deadline; Asha Stores' was not.
    edit(tracker, "Nandi Dairy", **{"Assigned To": "Priya (Support)"})
    back = at(25, 9)
    run_sync(tracker, back)
    sinks = Sinks(LocalOutbox(tracker.outbox_path))
    assert run_sla(tracker, back, sinks) == 2
    assert run_sla(tracker, back + timedelta(minutes=1), sinks) == 0  # once
    assert sorted(outbox_texts(tracker)) == [
        "INT-000017 missed its 24 h first response target (due 2026-11-24 10:30; seen "
        "2026-11-25 09:00) [late: no daemon ran then] (Priya (Support))",
        "INT-000018 missed its 24 h first response target (due 2026-11-24 10:30) [late: no "
        "daemon ran then] (nobody assigned)"]


def test_more_late_alerts_than_the_maximum_go_as_one_summary(tracker: Config) -> None:
    assert tracker.source is not None
    with tracker.source.open("a", encoding="utf-8") as file:
        file.write("\n[sla]\nlate_alerts_max = 1\n")
    config = load_config(tracker.source, environ={})
    sinks = Sinks(LocalOutbox(config.outbox_path))
    assert run_sla(config, at(25, 9), sinks) == 2
    assert run_sla(config, at(25, 9, 1), sinks) == 0
    assert outbox_texts(config) == [
        "2 SLA deadlines passed while no daemon ran (late alerts): 2 first response, 0 "
        "resolution; INT-000017, INT-000018"]
    # Each alert is kept, not sent alone, naming the summary (outbox retry can still send it).
    with StateStore(config.state_path) as store:
        kept = store.effects(key="slack.sla:first-response:breach:INT-000017")
    assert kept[0].status == "cancelled"
    assert (kept[0].last_error or "").startswith("sent as part of the summary slack.sla:late-")


def test_a_crash_after_the_outbox_took_an_alert_sends_it_once(
        tracker: Config) -> None:
    with killed_after_the_outbox_takes_one():
        run_sla(tracker, at(24, 10, 31), Sinks(LocalOutbox(tracker.outbox_path)))
    for minutes in (32, 33):  # the restarted daemon's ticks: its cycle delivers what is owed
        run_sla(tracker, at(24, 10, minutes), Sinks(LocalOutbox(tracker.outbox_path)))
        run_sync(tracker, at(24, 10, minutes))
    assert sla_lines(tracker) == ["slack.sla:first-response:breach:INT-000017",
                                  "slack.sla:first-response:breach:INT-000018"]
