"""ClickUp tasks for technical tickets through sheetsync's client over a real requests
session, against the stateful fake ClickUp (every request checked against ClickUp's published
API v2 reference, OpenAPI 3.1.0 "ClickUp API v2 Reference" version 2.0, kept in
tests/schemas/clickup-api-v2.json). One task per ticket whatever fails; its ID written into
the row; its closing shown in Sync Notes; time on an injected clock.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import jsonschema
import openpyxl
import pytest

from sheetsync.core.clickup_task import task_body
from sheetsync.config import Config, load_config
from sheetsync.app.demo import make_demo
from sheetsync.integrations.dispatch import SLACK_KINDS, Sinks, dispatch, open_sinks
from sheetsync.core.effects import Effect
from sheetsync.errors import ConfigError
from sheetsync.integrations import DeliveryError
from sheetsync.integrations.clickup import ClickUpSink
from sheetsync.integrations.outbox import LocalOutbox
from sheetsync.integrations.pacing import Pacer
from sheetsync.integrations.slack import SlackSink
from sheetsync.jobs.sync import run_sync
from sheetsync.core.rules import CLICKUP_TASK
from sheetsync.state import CycleRecord, StateStore
from tests.fake_clickup import CREATE_TASK, KEY_FIELD, LIST_ID, TOKEN, FakeClickUp
from tests.fake_slack import TOKEN as SLACK_TOKEN
from tests.fake_slack import FakeSlack
from tests.helpers import Clock, edit

NOW = datetime(2026, 11, 23, 6, 30, tzinfo=timezone.utc)
KEY = "clickup.task:INT-000017"
BUG = {"name": "[Bug] Cannot add products (Nandi Dairy)", "ticket_id": "INT-000017",
       "issue_type": "Bug", "description": "Cannot add products. The Add button is grey.",
       "seller": "Nandi Dairy", "status": "Pending", "priority": "High",
       "assignee": "Priya (Support), Rahul (Tech)", "reported_at": "2026-11-23 11:00",
       "contact": "+91******0000", "task_id": None, "row_url": None}


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
def fake(clock: Clock) -> Iterator[FakeClickUp]:
    with FakeClickUp(clock=clock).installed() as clickup:
        yield clickup


@pytest.fixture
def store(tmp_path: Path) -> Iterator[StateStore]:
    with StateStore(tmp_path / "state.db") as opened:
        yield opened


def clickup_sink(clock: Clock, token: str = TOKEN, list_id: str = LIST_ID,
                 per_minute: int = 100) -> ClickUpSink:
    return ClickUpSink(token, list_id, KEY_FIELD, user_ids={"Rahul (Tech)": 81234567},
                       requests_per_minute=per_minute, clock=clock, sleep=clock.sleep,
                       jitter=lambda: 0.5)


def task(ticket: str = "INT-000017") -> Effect:
    return Effect(f"{CLICKUP_TASK}:{ticket}", CLICKUP_TASK, ticket, {**BUG, "ticket_id": ticket})


def plan(store: StateStore, *effects: Effect) -> None:
    store.commit_cycle(CycleRecord(started_at=NOW, rows=0, snapshot={}, transitions=[],
                                   effects=effects, next_ticket_number=1))


def run(store: StateStore, sink: ClickUpSink, tmp_path: Path) -> int:
    return dispatch(store, Sinks(LocalOutbox(tmp_path / "outbox.jsonl"), {CLICKUP_TASK: sink},
                                 sink), NOW)


def only(store: StateStore, key: str = KEY) -> Effect:
    return store.effects(key=key)[0]


# --- the task ---------------------------------------------------------------------------------

def test_the_task_is_named_prioritised_tagged_and_assigned_from_the_row() -> None:
    body = task_body(BUG, KEY, KEY_FIELD, {"rahul (tech)": 81234567})
    jsonschema.validate(body, CREATE_TASK)  # ClickUp's published CreateTaskrequest, closed
    assert body["name"] == "[Bug] Cannot add products (Nandi Dairy)"
    assert (body["priority"], body["tags"], body["assignees"]) == (2, ["sheetsync", "bug"],
                                                                   [81234567])
    assert body["custom_fields"] == [{"id": KEY_FIELD, "value": KEY}]
    lines = body["markdown_content"].splitlines()
    assert lines[:4] == ["**Ticket:** INT-000017", "**Seller:** Nandi Dairy",
                         "**Contact:** \\+91\\*\\*\\*\\*\\*\\*0000",
                         "**Reported:** 2026\\-11\\-23 11\\:00"]
    description = body["markdown_content"]
    assert "**Not assigned in ClickUp** (not in sheetsync's `clickup.assignees`): " \
           "Priya \\(Support\\)" in description
    assert "Cannot add products\\. The Add button is grey\\." in description


def test_cell_text_cannot_forge_a_link_or_formatting_in_the_task() -> None:
    hostile = {**BUG, "description": "[click here](https://evil.example) <b>now</b> **bold**"}
    description = task_body(hostile, KEY, KEY_FIELD, {})["markdown_content"]
    assert "\\[click here\\]\\(https\\:\\/\\/evil\\.example\\) \\<b\\>now\\<\\/b\\> " \
        "\\*\\*bold\\*\\*" in description
    assert "assignees" not in task_body(hostile, KEY, KEY_FIELD, {})


def test_bare_urls_and_block_markdown_in_cell_text_stay_text_in_the_task() -> None:
    # A bare URL or a www. address would be auto-linked, and "- ", "1.", "---" and "#" at
    # the start of a line would make a list, a rule or a heading: every ASCII punctuation
    # character of cell text is backslash-escaped, as CommonMark allows for any of them.
    hostile = {**BUG, "description": "see https://evil.example/x or www.evil.example\n"
                                     "- item\n1. first\n---\n# Heading\nmail a@b.example"}
    description = task_body(hostile, KEY, KEY_FIELD, {})["markdown_content"]
    assert "see https\\:\\/\\/evil\\.example\\/x or www\\.evil\\.example" in description
    for line in ("\\- item", "1\\. first", "\\-\\-\\-", "\\# Heading", "mail a\\@b\\.example"):
        assert line in description.splitlines()


def test_a_task_name_is_one_line_without_controls_and_capped() -> None:
    name = "[Bug] Cannot\u202e add\u2066 products\x07\nnow " + "x" * 40_000
    body = task_body({**BUG, "name": name}, KEY, KEY_FIELD, {})
    jsonschema.validate(body, CREATE_TASK)
    assert body["name"].startswith("[Bug] Cannot add products now xxx")
    assert len(body["name"]) == 200 and body["name"].endswith("…")
    assert not any(ord(c) < 32 or "\u202a" <= c <= "\u202e" or "\u2066" <= c <= "\u2069"
                   for c in body["name"])


@pytest.mark.parametrize(("priority", "expected"), [("High", 2), ("Medium", 3), ("Low", 4),
                                                    ("Urgent", 1), (None, None), ("odd", None)])
def test_priority_maps_to_clickups_scale(priority: str | None, expected: int | None) -> None:
    assert task_body({**BUG, "priority": priority}, KEY, KEY_FIELD, {}).get("priority") == \
        expected


# --- created once ------------------------------------------------------------------------------

def test_a_task_is_created_once_with_its_key_in_the_custom_field(
        fake: FakeClickUp, store: StateStore, clock: Clock, tmp_path: Path) -> None:
    plan(store, task())
    sink = clickup_sink(clock)
    assert run(store, sink, tmp_path) == 1 and run(store, sink, tmp_path) == 0
    assert fake.keys() == [KEY]
    assert only(store).result == {"id": "86c00001", "url": "https://app.clickup.com/t/86c00001",
                                  "status": "to do"}


@pytest.mark.parametrize("fault", ["drop-after-accept", "timeout-after-accept"])
def test_a_task_clickup_made_but_never_answered_is_found_by_its_key(
        fake: FakeClickUp, store: StateStore, clock: Clock, tmp_path: Path,
        fault: str) -> None:
    plan(store, task())
    fake.fail("CreateTask", fault)
    assert run(store, clickup_sink(clock), tmp_path) == 1
    assert fake.keys() == [KEY]
    assert fake.operations() == ["CreateTask", "GetTasks"]
    assert only(store).result == {"id": "86c00001", "url": "https://app.clickup.com/t/86c00001",
                                  "status": "to do", "found": True}


@pytest.mark.parametrize("fault", ["drop", "500"])
def test_a_task_clickup_never_took_is_searched_for_then_created(
        fake: FakeClickUp, store: StateStore, clock: Clock, tmp_path: Path,
        fault: str) -> None:
    plan(store, task())
    fake.fail("CreateTask", fault)
    assert run(store, clickup_sink(clock), tmp_path) == 1
    assert fake.keys() == [KEY]
    assert fake.operations() == ["CreateTask", "GetTasks", "CreateTask"]


def test_a_429_waits_for_the_reset_clickup_names(fake: FakeClickUp, store: StateStore,
                                                 clock: Clock, tmp_path: Path) -> None:
    plan(store, task())
    fake.fail("CreateTask", "429")
    assert run(store, clickup_sink(clock), tmp_path) == 1
    assert fake.keys() == [KEY] and fake.rate_limited == 1
    assert clock.now >= NOW.timestamp() + 60  # X-RateLimit-Reset: a minute on, on the clock


def test_a_burst_of_technical_tickets_stays_under_the_rate_limit(
        store: StateStore, clock: Clock, tmp_path: Path) -> None:
    tickets = [f"INT-{n:06d}" for n in range(1, 151)]
    plan(store, *(task(t) for t in tickets))
    with FakeClickUp(clock=clock, limit_per_minute=100).installed() as fake:
        assert run(store, clickup_sink(clock), tmp_path) == 150
    assert fake.keys() == [f"{CLICKUP_TASK}:{t}" for t in tickets]
    assert fake.rate_limited == 0
    assert clock.now - NOW.timestamp() == pytest.approx(149 * 0.66)


@pytest.mark.parametrize(("sink_options", "says"), [
    ({"token": "pk_revoked"}, "set a valid one in CLICKUP_API_TOKEN"),
    ({"list_id": "900000000404"}, "no list 900000000404; check clickup.list_id"),
    ({"list_id": "900000000403"}, "the token's user cannot reach list 900000000403; share the "
                                  "list with it, or check clickup.list_id"),
])
def test_a_configuration_fault_is_logged_once_and_the_task_waits_for_the_fix(
        fake: FakeClickUp, store: StateStore, clock: Clock, tmp_path: Path,
        caplog: pytest.LogCaptureFixture, sink_options: dict[str, str], says: str) -> None:
    fake.forbidden = ("900000000403",)
    plan(store, task(), task("INT-000018"))
    broken = clickup_sink(clock, **sink_options)
    with caplog.at_level(logging.ERROR, logger="sheetsync"):
        for _ in range(3):
            assert run(store, broken, tmp_path) == 0
    failures = [r for r in caplog.records if r.getMessage() == "delivery failed"]
    assert len(failures) == 1 and says in failures[0].__dict__["fields"]["error"]
    assert "pk_revoked" not in caplog.text and TOKEN not in caplog.text
    assert [e.status for e in store.effects()] == ["pending", "pending"]
    assert run(store, clickup_sink(clock), tmp_path) == 2 and len(fake.tasks) == 2


@pytest.mark.parametrize(("options", "says"), [
    ({"has_key_field": False}, "has no custom field"),
    ({"field_type": "drop_down"}, "sheetsync needs a Text field"),
])
def test_start_checks_the_key_field_and_says_how_to_add_it(
        clock: Clock, options: dict[str, object], says: str) -> None:
    with FakeClickUp(clock=clock, **options).installed():  # type: ignore[arg-type]
        with pytest.raises(DeliveryError, match=says) as raised:
            clickup_sink(clock).start()
    assert "clickup.key_field_id" in str(raised.value)


def test_start_names_the_key_field_when_all_is_well(fake: FakeClickUp, clock: Clock) -> None:
    assert clickup_sink(clock).start() == f"list {LIST_ID}, key field 'sheetsync key'"


# --- the whole cycle ----------------------------------------------------------------------------

def clickup_demo(tmp_path: Path) -> Config:
    made = make_demo(tmp_path / "demo", "seller-support", "Asia/Kolkata", "IN", NOW)
    with made.config_path.open("a", encoding="utf-8") as config:
        config.write(f'\n[clickup]\nlist_id = "{LIST_ID}"\nkey_field_id = "{KEY_FIELD}"\n'
                     'poll_minutes = 10\n')
    return load_config(made.config_path, environ={})


def add_bug(config: Config, seller: str = "Nandi Dairy", task_id: str | None = None) -> None:
    book = openpyxl.load_workbook(config.workbook_path)
    sheet = book["Tracker"]
    header = [c.value for c in sheet[1]]
    new = {"WhatsApp Number": "+919812300000", "Seller Name": seller, "Issue Type": "Bug",
           "Description": "Cannot add products.", "Status": "Pending",
           "Timestamp": "2026-11-23 11:00", "ClickUp Task ID": task_id,
           "Priority": "High"}  # as the guidelines suggest: no reason in its Sync Notes
    sheet.append([new.get(h) for h in header])
    book.save(config.workbook_path)


def row_of(config: Config, seller: str) -> dict[str, object]:
    sheet = openpyxl.load_workbook(config.workbook_path)["Tracker"]
    header = [c.value for c in sheet[1]]
    for row in sheet.iter_rows(min_row=2, values_only=True):
        if row[header.index("Seller Name")] == seller:
            return dict(zip(header, row))
    raise LookupError(seller)


def cycle_sinks(clock: Clock, tmp_path: Path) -> Sinks:
    sink = clickup_sink(clock)
    return Sinks(LocalOutbox(tmp_path / "outbox.jsonl"), {CLICKUP_TASK: sink}, sink)


def test_a_new_bug_row_gets_one_task_its_id_in_the_row_and_its_closing_in_sync_notes(
        fake: FakeClickUp, clock: Clock, tmp_path: Path) -> None:
    config = clickup_demo(tmp_path)
    sinks = cycle_sinks(clock, tmp_path)
    run_sync(config, NOW, sinks=sinks)  # adoption: the demo's own Bugs get no task
    add_bug(config)
    run_sync(config, NOW, sinks=sinks)
    [created] = fake.tasks.values()
    row = row_of(config, "Nandi Dairy")
    assert row["ClickUp Task ID"] == created["id"]
    assert row["Sync Notes"] == f"ClickUp task: {created['url']}"
    run_sync(config, NOW + timedelta(minutes=1), sinks=sinks)
    assert len(fake.tasks) == 1
    clock.sleep(600)
    fake.close(created["id"])
    run_sync(config, NOW + timedelta(minutes=11), sinks=sinks)
    row = row_of(config, "Nandi Dairy")
    assert row["Sync Notes"] == f"ClickUp task {created['id']} closed (complete)"
    assert row["Status"] == "Pending"  # the person's Status is theirs
    with StateStore(config.state_path) as store:
        history = [(h.field, h.before, h.after) for h in store.history("INT-000017")]
    assert ("task", "to do", "complete") in history and ("task_closed", None, "yes") in history


def test_a_task_id_a_person_typed_gets_no_new_task_and_is_followed(
        fake: FakeClickUp, clock: Clock, tmp_path: Path) -> None:
    config = clickup_demo(tmp_path)
    sinks = cycle_sinks(clock, tmp_path)
    run_sync(config, NOW, sinks=sinks)
    add_bug(config, task_id="86cmissing")
    run_sync(config, NOW + timedelta(minutes=11), sinks=sinks)
    assert fake.tasks == {}
    assert "GetTask" in fake.operations()
    row = row_of(config, "Nandi Dairy")
    assert row["ClickUp Task ID"] == "86cmissing"
    assert row["Sync Notes"] == ("ClickUp: no task 86cmissing (deleted, or not visible to "
                                 "sheetsync's token)")


def test_a_cell_a_person_filled_is_never_overwritten(
        fake: FakeClickUp, clock: Clock, tmp_path: Path) -> None:
    config = clickup_demo(tmp_path)
    sinks = cycle_sinks(clock, tmp_path)
    run_sync(config, NOW, sinks=sinks)
    add_bug(config)
    run_sync(config, NOW, sinks=sinks)
    edit(config, "Nandi Dairy", **{"ClickUp Task ID": "DEV-42"})
    run_sync(config, NOW + timedelta(minutes=1), sinks=sinks)
    assert row_of(config, "Nandi Dairy")["ClickUp Task ID"] == "DEV-42"
    assert len(fake.tasks) == 1


def test_clickup_settings_and_the_token_choose_the_sink(tmp_path: Path) -> None:
    config = clickup_demo(tmp_path)
    assert isinstance(open_sinks(config, environ={}).for_kind(CLICKUP_TASK), LocalOutbox)
    sinks = open_sinks(config, environ={"CLICKUP_API_TOKEN": TOKEN})
    assert isinstance(sinks.for_kind(CLICKUP_TASK), ClickUpSink) and sinks.tasks is not None
    bare = load_config(None, environ={}, cwd=tmp_path)
    with pytest.raises(ConfigError, match="clickup.list_id: CLICKUP_API_TOKEN is set but "
                                          "clickup.list_id is not"):
        open_sinks(bare, environ={"CLICKUP_API_TOKEN": TOKEN})


def test_an_escalated_bug_gets_its_task_link_in_the_slack_message(
        fake: FakeClickUp, clock: Clock, tmp_path: Path) -> None:
    config = clickup_demo(tmp_path)
    slack = SlackSink(SLACK_TOKEN, "C0SELLERS1", pacer=Pacer(1.0, clock, clock.sleep),
                      sleep=clock.sleep)
    tasks = clickup_sink(clock)
    sinks = Sinks(LocalOutbox(tmp_path / "outbox.jsonl"),
                  {CLICKUP_TASK: tasks, **{k: slack for k in SLACK_KINDS}}, tasks)
    with FakeSlack(clock=clock).installed() as channel:
        run_sync(config, NOW, sinks=sinks)
        edit(config, "Lakshmi Textiles", Status="Escalated")  # a Bug in the demo
        run_sync(config, NOW, sinks=sinks)
    [created] = fake.tasks.values()
    [message] = channel.messages
    fields = [f["text"] for f in message["blocks"][1]["fields"]]
    assert f"*ClickUp*\n<{created['url']}|{created['id']}>" in fields
    assert message["edited"]  # posted first, then updated once the task existed


def test_a_poll_clickup_cannot_answer_is_logged_once_and_the_cycle_goes_on(
        fake: FakeClickUp, clock: Clock, tmp_path: Path,
        caplog: pytest.LogCaptureFixture) -> None:
    config = clickup_demo(tmp_path)
    sinks = cycle_sinks(clock, tmp_path)
    run_sync(config, NOW, sinks=sinks)
    add_bug(config)
    run_sync(config, NOW, sinks=sinks)
    with caplog.at_level(logging.WARNING, logger="sheetsync"):
        for minutes in (11, 12, 13):
            fake.fail("GetTasks", "500")
            report = run_sync(config, NOW + timedelta(minutes=minutes), sinks=sinks)
            assert report.write_skipped is None
    assert [r.getMessage() for r in caplog.records].count("task poll failed") == 1
    fake.close(next(iter(fake.tasks)))
    run_sync(config, NOW + timedelta(minutes=14), sinks=sinks)  # ClickUp is back: due still
    assert row_of(config, "Nandi Dairy")["Sync Notes"].endswith("closed (complete)")


def test_an_escalation_levels_own_list_gets_its_task_and_is_followed(
        clock: Clock, tmp_path: Path) -> None:
    config = clickup_demo(tmp_path)
    assert config.source is not None
    with config.source.open("a", encoding="utf-8") as file:
        file.write('level_lists = { L2 = "901200000002" }\n')
    config = load_config(config.source, environ={})
    tasks = ClickUpSink(TOKEN, LIST_ID, KEY_FIELD, clock=clock, sleep=clock.sleep,
                        level_lists=["901200000002"])
    sinks = Sinks(LocalOutbox(tmp_path / "outbox.jsonl"), {CLICKUP_TASK: tasks}, tasks)
    with FakeClickUp(clock=clock, lists=(LIST_ID, "901200000002")).installed() as fake:
        run_sync(config, NOW, sinks=sinks)
        edit(config, "Lakshmi Textiles", Status="Escalated")  # a Bug escalated: L2
        run_sync(config, NOW, sinks=sinks)
        [created] = fake.tasks.values()
        assert created["list"] == {"id": "901200000002"}
        clock.sleep(600)
        fake.close(created["id"])
        run_sync(config, NOW + timedelta(minutes=11), sinks=sinks)
    assert "ClickUp task 86c00001 closed (complete)" in str(
        row_of(config, "Lakshmi Textiles")["Sync Notes"])  # followed in its own list
