"""The Socket Mode edge end to end in one process: slack-sdk's built-in client against the
fake Socket Mode endpoint on loopback, the fake Slack Web API, and a real workbook.

Each envelope is acknowledged, a redelivered one is done once, an unmapped user is told to
ask an admin, the Resolve modal opens and its submission resolves the ticket, `/ticket`
answers one person with phone numbers masked, `/ticket new` shows a bad number in the modal,
and a click a dead run recorded is applied, or reported, when the edge opens again.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from sheetsync.core.slack_actions import Click, Shown
from sheetsync.integrations.slack_desk import SlackDesk
from sheetsync.integrations.slack_socket import SlackSocket
from sheetsync.jobs.sync import run_sync
from sheetsync.state import StateStore
from tests.fake_slack import APP_TOKEN, TOKEN, FakeSlack
from tests.fake_socket import FakeSocketMode
from tests.helpers import Clock
from tests.test_slack_actions import block_actions
from tests.test_slack_apply import NOW, TICKET, Tracker, escalated, workbook_tracker

ENVIRON = {"SLACK_BOT_TOKEN": TOKEN, "SLACK_APP_TOKEN": APP_TOKEN}


@pytest.fixture
def socket_mode() -> Iterator[FakeSocketMode]:
    with FakeSocketMode().running() as server:
        yield server


@pytest.fixture
def fake(socket_mode: FakeSocketMode) -> Iterator[FakeSlack]:
    with FakeSlack(clock=Clock(NOW), socket_url=socket_mode.url).installed() as slack:
        yield slack


@pytest.fixture
def tracker(tmp_path: Path) -> Tracker:
    return workbook_tracker(tmp_path / "demo")


@pytest.fixture
def edge(tracker: Tracker, fake: FakeSlack, tmp_path: Path) -> Iterator[SlackDesk]:
    sinks = escalated(tracker, fake, tmp_path)
    opened = SlackSocket(ENVIRON, now=lambda: NOW).desk(tracker.config, sinks)
    opened.follow(True)
    try:
        yield opened
    finally:
        opened.close()


def eventually(done: Callable[[], Any], what: str) -> Any:
    """Wait for the edge's worker thread to finish its work (never a timing assertion)."""
    for _ in range(400):
        if found := done():
            return found
        time.sleep(0.05)
    raise AssertionError(f"never happened: {what}")


def button(fake: FakeSlack, action: str) -> str:
    [buttons] = [b for b in fake.top_level()[0]["blocks"] if b["type"] == "actions"]
    return str(next(b for b in buttons["elements"] if b["action_id"] == action)["value"])


def actions_of(tracker: Tracker) -> list[tuple[str, str | None]]:
    with StateStore(tracker.config.state_path) as store:
        return [(h.field, h.after) for h in store.history(TICKET) if h.actor]


def test_a_click_is_acknowledged_applied_and_a_redelivery_is_done_once(
        edge: SlackDesk, socket_mode: FakeSocketMode, fake: FakeSlack,
        tracker: Tracker) -> None:
    payload = block_actions(button(fake, "sheetsync_take"), "sheetsync_take")
    socket_mode.deliver("interactive", payload, "env-take-1")
    assert socket_mode.ack("env-take-1") == {"envelope_id": "env-take-1"}
    eventually(lambda: actions_of(tracker), "the click applied")
    eventually(lambda: fake.replies(fake.top_level()[0]["ts"]), "the thread's reply")
    socket_mode.deliver("interactive", payload, "env-take-1", retry_attempt=1)
    socket_mode.ack("env-take-1")
    socket_mode.deliver("interactive", payload, "env-take-2")  # the same click, again
    socket_mode.ack("env-take-2")
    eventually(lambda: len(socket_mode.acks) == 3, "every envelope acknowledged")
    assert actions_of(tracker) == [("assignee", "Arjun (Support), Priya (Support)")]
    assert tracker.cell("Assigned To") == "Arjun (Support), Priya (Support)"
    assert [r["text"] for r in fake.replies(fake.top_level()[0]["ts"])] == [
        f"{TICKET} taken by Priya (Support) (Slack)"]


def test_an_unmapped_user_is_told_to_ask_an_admin(
        edge: SlackDesk, socket_mode: FakeSocketMode, fake: FakeSlack,
        tracker: Tracker) -> None:
    socket_mode.deliver("interactive", block_actions(
        button(fake, "sheetsync_take"), "sheetsync_take", user="U0STRANGER"), "env-1")
    socket_mode.ack("env-1")
    [told] = eventually(lambda: fake.ephemeral, "the answer to the stranger")
    assert "ask an admin to add you" in told["text"] and told["response_type"] == "ephemeral"
    assert tracker.cell("Assigned To") == "Arjun (Support)"


def test_resolve_opens_the_modal_and_its_submission_resolves_the_ticket(
        edge: SlackDesk, socket_mode: FakeSocketMode, fake: FakeSlack,
        tracker: Tracker) -> None:
    socket_mode.deliver("interactive", block_actions(button(fake, "sheetsync_resolve"),
                                                     "sheetsync_resolve"), "env-1")
    [opened] = eventually(lambda: fake.views, "the modal opened")
    assert opened["trigger_id"] == "12345.98765.abcd2358fdea"
    view = opened["view"]
    socket_mode.deliver("interactive", {
        "type": "view_submission", "team": {"id": "T0SELLERS"}, "user": {"id": "U012PRIYA"},
        "view": {**view, "id": "V0RESOLVE1", "state": {"values": {"summary": {"summary": {
            "type": "plain_text_input", "value": "Explained bulk printing"}}}}}}, "env-2")
    assert socket_mode.ack("env-2") == {"envelope_id": "env-2"}  # the modal closes
    eventually(lambda: ("resolved", "yes") in actions_of(tracker), "the ticket resolved")
    assert tracker.cell("Status") == "Resolved"
    assert tracker.cell("Resolution Summary") == "Explained bulk printing"


def command(text: str) -> dict[str, Any]:
    """A slash command's payload, as Slack's reference shows it."""
    return {"token": "x", "team_id": "T0SELLERS", "team_domain": "sellers",
            "channel_id": "C0SELLERS1", "channel_name": "seller-support",
            "user_id": "U012PRIYA", "user_name": "priya", "command": "/ticket", "text": text,
            "api_app_id": "A0SHEETSYNC", "response_url": "https://hooks.slack.com/commands/1/2",
            "trigger_id": "13345224609.738474920.8088930838d88f008e0"}


def test_ticket_shows_the_row_to_the_one_who_asked_with_the_number_masked(
        edge: SlackDesk, socket_mode: FakeSocketMode, fake: FakeSlack) -> None:
    socket_mode.deliver("slash_commands", command(TICKET), "env-1")
    [answer] = eventually(lambda: fake.ephemeral, "the answer")
    shown = str(answer["blocks"])
    assert answer["response_type"] == "ephemeral" and "*Status*\\nEscalated" in shown
    assert "+91******1000" in shown and "9822111000" not in shown


def test_ticket_new_with_an_invalid_number_shows_it_in_the_modal_and_writes_nothing(
        edge: SlackDesk, socket_mode: FakeSocketMode, fake: FakeSlack,
        tracker: Tracker) -> None:
    socket_mode.deliver("slash_commands", command("new"), "env-1")
    [opened] = eventually(lambda: fake.views, "the modal opened")
    view, before = opened["view"], tracker.config.workbook_path.read_bytes()

    def submitted(phone: str, view_id: str) -> dict[str, Any]:
        typed = {"whatsapp_number": phone, "seller_name": "Nandi Dairy",
                 "description": "Where is my invoice?"}
        chosen = {"issue_type": "Help", "status": "Pending"}
        return {"type": "view_submission", "user": {"id": "U012PRIYA"}, "view": {
            **view, "id": view_id, "state": {"values": {
                **{k: {k: {"type": "plain_text_input", "value": v}} for k, v in typed.items()},
                **{k: {k: {"type": "static_select", "selected_option": {
                    "text": {"type": "plain_text", "text": v}, "value": v}}}
                   for k, v in chosen.items()}}}}}

    socket_mode.deliver("interactive", submitted("12345", "V0NEW1"), "env-2")
    ack = socket_mode.ack("env-2")
    assert ack["payload"]["response_action"] == "errors"
    assert list(ack["payload"]["errors"]) == ["whatsapp_number"]
    assert tracker.config.workbook_path.read_bytes() == before
    socket_mode.deliver("interactive", submitted("+919845011111", "V0NEW2"), "env-3")
    assert socket_mode.ack("env-3") == {"envelope_id": "env-3"}
    eventually(lambda: any("Added to the tracker" in e["text"] for e in fake.ephemeral),
               "the row added")
    run_sync(tracker.config, NOW, sinks=edge.sinks)  # gives it its ID
    edge.follow(True)  # credits its creation to the person
    with StateStore(tracker.config.state_path) as store:
        created = [h for t in store.snapshot() for h in store.history(t)
                   if h.field == "ticket" and h.actor]
    assert [(h.after, h.actor) for h in created] == [("created", "Priya (Support) (Slack)")]


def test_a_click_a_dead_run_recorded_is_applied_or_reported_when_the_edge_opens(
        tracker: Tracker, fake: FakeSlack, tmp_path: Path) -> None:
    sinks = escalated(tracker, fake, tmp_path)
    shown = Shown(TICKET, "Escalated", "Arjun (Support)")
    take = Click("take", shown, "U012PRIYA", "1.1", channel="C0SELLERS1")
    wait = Click("wait", shown, "U012PRIYA", "1.2", channel="C0SELLERS1")
    with StateStore(tracker.config.state_path) as store:
        for click in (take, wait):
            store.record_action(click.action_id, f"env-{click.action_ts}", click.kind,
                                TICKET, click.user, click.record(), NOW)
    tracker.edit("Status", "In Progress")  # while sheetsync was down
    edge = SlackSocket(ENVIRON, now=lambda: NOW).desk(tracker.config, sinks)
    try:
        edge.follow(True)
    finally:
        edge.close()
    assert tracker.cell("Assigned To") == "Arjun (Support), Priya (Support)"  # still held
    assert tracker.cell("Status") == "In Progress"  # the person's edit stays
    [told] = fake.ephemeral
    assert told["channel"] == "C0SELLERS1" and told["user"] == "U012PRIYA"
    assert told["text"].startswith(f"Your wait on {TICKET} was not applied")
    with StateStore(tracker.config.state_path) as store:
        assert store.unsettled_actions() == []


# --- the daemon in a real process (tests.crashpoint), for the fleet's SIGKILL test ------------

ROOT = Path(__file__).resolve().parent.parent


def daemon(step: str, config: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    """`sheetsync run` in a real process, with the fake Slack kept in a file."""
    return subprocess.Popen([sys.executable, "tests/crashpoint.py", step, "run", "--config",
                             str(config)], cwd=ROOT, text=True, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE,
                            env={**os.environ, "PYTHONPATH": str(ROOT), **ENVIRON, **env})


def test_a_socket_that_cannot_open_is_said_once_and_tried_each_tick(
        tracker: Tracker, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with FakeSlack(clock=Clock(NOW)).installed() as fake:  # no Socket Mode for this app
        edge = SlackSocket(ENVIRON, now=lambda: NOW).desk(
            tracker.config, escalated(tracker, fake, tmp_path))
        for _ in range(3):
            edge.follow(True)
    assert [m for m, _ in fake.calls].count("apps.connections.open") == 3
    said = [r for r in caplog.records if r.getMessage().startswith("slack socket not open")]
    assert len(said) == 1
