"""Several trackers in one process on one Socket Mode connection: each envelope reaches the
tracker it concerns, `/ticket` searches them all, and a tracker another process leads gets
its clicks applied there, once.

Two trackers hold the same ticket IDs (the demo's rows): `sellers` on a real workbook, its
escalations in #seller-support, and `marketplace` in the fake Google Sheets, in
#tech-support. slack-sdk's built-in client talks to the fake Socket Mode endpoint on
loopback, its Web API calls to the fake Slack.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from sheetsync.app.demo import make_demo
from sheetsync.config import load_configs
from sheetsync.integrations.dispatch import Sinks
from sheetsync.integrations.slack_desk import SlackDesk
from sheetsync.integrations.slack_socket import SlackSocket
from sheetsync.jobs.sync import run_sync
from sheetsync.state import StateStore
from tests.fake_google import SPREADSHEET_ID
from tests.fake_slack import CHANNELS, FakeSlack
from tests.fake_socket import FakeSocketMode
from tests.google_setup import GoogleTracker, google_tracker
from tests.helpers import Clock
from tests.test_slack_actions import block_actions, valid_blocks
from tests.test_slack_apply import (
    NOW,
    TICKET,
    Tracker,
    escalated,
    google_hands,
    sinks,
    workbook_hands,
)
from tests.test_slack_socket import (  # noqa: F401  (fake, socket_mode: fixtures)
    ENVIRON, command, daemon, eventually, fake, socket_mode)

FLEET = f'''
preset = "seller-support"
timezone = "Asia/Kolkata"
phone_region = "IN"

[slack]
channel = "#seller-support"
[slack.users]
"Priya (Support)" = "U012PRIYA"

[[trackers]]
name = "sellers"
[trackers.tracker]
path = "sellers/tracker.xlsx"

[[trackers]]
name = "marketplace"
[trackers.tracker]
backend = "google"
spreadsheet_id = "{SPREADSHEET_ID}"
tab = "Tracker"
[trackers.slack]
channel = "#tech-support"
[trackers.slack.users]
"Rahul (Tech)" = "U012RAHUL"
'''


@dataclass
class Fleet:
    """The two trackers, a person's hands on each, and their desks on one connection."""

    sellers: Tracker
    marketplace: Tracker
    socket: SlackSocket
    desks: dict[str, SlackDesk]
    sinks: dict[str, Sinks]


def two_trackers(folder: Path, text: str = FLEET) -> Iterator[tuple[Tracker, Tracker]]:
    """The fleet's two trackers, the fake Google Sheets installed."""
    make_demo(folder / "sellers", "seller-support", "Asia/Kolkata", "IN", NOW)
    for google in google_tracker(folder / "google"):
        (folder / "sheetsync.toml").write_text(text, encoding="utf-8")
        sellers, marketplace = load_configs(folder / "sheetsync.toml", environ={})
        yield workbook_hands(sellers), google_hands(
            GoogleTracker(google.fake, marketplace, google.clock, google.folder))


@pytest.fixture
def trackers(tmp_path: Path) -> Iterator[tuple[Tracker, Tracker]]:
    yield from two_trackers(tmp_path)


@pytest.fixture
def fleet(trackers: tuple[Tracker, Tracker], fake: FakeSlack, tmp_path: Path
          ) -> Iterator[Fleet]:
    """Both trackers escalate the same ticket; one process leads both."""
    socket = SlackSocket(ENVIRON, now=lambda: NOW, fleet=True)
    outs = {t.config.name: escalated(t, fake, tmp_path) for t in trackers}
    desks = {t.config.name: socket.desk(t.config, outs[t.config.name], backend=t.backend)
             for t in trackers}
    for desk in desks.values():
        desk.follow(True)
    try:
        yield Fleet(*trackers, socket, desks, outs)
    finally:
        socket.close()


def message_in(fake: FakeSlack, channel: str) -> dict[str, Any]:
    """The escalation posted in `channel` (a name, as the config gives it)."""
    [message] = [m for m in fake.top_level() if m["channel"] == CHANNELS[channel]
                 and m["metadata"]["event_payload"]["key"].startswith("slack.message:")]
    return message


def click(fake: FakeSlack, channel: str, action: str, user: str = "U012PRIYA"
          ) -> dict[str, Any]:
    """The button `action` of the escalation in `channel`, clicked."""
    message = message_in(fake, channel)
    [buttons] = [b for b in message["blocks"] if b["type"] == "actions"]
    value = next(b for b in buttons["elements"] if b["action_id"] == action)["value"]
    return block_actions(value, action, user, message)


def acted(tracker: Tracker) -> list[tuple[str, str | None, str | None]]:
    with StateStore(tracker.config.state_path) as store:
        return [(h.field, h.after, h.actor) for h in store.history(TICKET) if h.actor]


def test_the_connection_is_open_while_the_process_leads_any_of_its_trackers(
        trackers: tuple[Tracker, Tracker], fake: FakeSlack, socket_mode: FakeSocketMode,
        tmp_path: Path) -> None:
    socket = SlackSocket(ENVIRON, now=lambda: NOW, fleet=True)
    sellers, marketplace = (socket.desk(t.config, sinks(t.config, tmp_path)) for t in trackers)
    sellers.follow(False)
    marketplace.follow(False)
    assert socket_mode.connections == 0  # a standby for both takes no envelope
    marketplace.follow(True)
    eventually(lambda: socket_mode.open == 1, "the connection open")
    sellers.follow(True)
    marketplace.follow(False)  # another process took this tracker's lease
    assert [m for m, _ in fake.calls].count("apps.connections.open") == 1
    sellers.close()  # and this one stops
    eventually(lambda: socket_mode.open == 0, "the connection closed")
    without = SlackSocket({k: v for k, v in ENVIRON.items() if k != "SLACK_APP_TOKEN"},
                          fleet=True)
    without.desk(trackers[0].config, sinks(trackers[0].config, tmp_path)).follow(True)
    assert socket_mode.connections == 1  # without SLACK_APP_TOKEN, nothing opens


def test_a_click_edits_the_row_of_the_tracker_that_posted_the_message_once(
        fleet: Fleet, fake: FakeSlack, socket_mode: FakeSocketMode) -> None:
    take = click(fake, "tech-support", "sheetsync_take")
    socket_mode.deliver("interactive", take, "env-1")
    socket_mode.deliver("interactive", take, "env-1", retry_attempt=1)
    eventually(lambda: acted(fleet.marketplace), "the click applied")
    eventually(lambda: len(socket_mode.acks) == 2, "both deliveries acknowledged")
    thread = message_in(fake, "tech-support")["ts"]
    eventually(lambda: fake.replies(thread), "the thread's reply")
    assert fleet.marketplace.cell("Assigned To") == "Arjun (Support), Priya (Support)"
    assert acted(fleet.marketplace) == [
        ("assignee", "Arjun (Support), Priya (Support)", "Priya (Support) (Slack)")]
    assert [r["text"] for r in fake.replies(thread)] == [
        f"{TICKET} taken by Priya (Support) (Slack)"]
    # The same ticket ID in the other tracker is left as it was.
    assert fleet.sellers.cell("Assigned To") == "Arjun (Support)" and acted(fleet.sellers) == []
    assert fake.replies(message_in(fake, "seller-support")["ts"]) == []


def test_a_person_editing_the_cell_in_either_tracker_is_never_overwritten(
        fleet: Fleet, fake: FakeSlack, socket_mode: FakeSocketMode) -> None:
    fleet.marketplace.edit("Status", "In Progress")  # in Google Sheets, after the message
    socket_mode.deliver("interactive", click(fake, "tech-support", "sheetsync_wait"), "env-1")
    [told] = eventually(lambda: fake.ephemeral, "the clicker told")
    assert 'Status is now "In Progress" (the message showed "Escalated")' in told["text"]
    assert fleet.marketplace.cell("Status") == "In Progress"
    socket_mode.deliver("interactive", click(fake, "seller-support", "sheetsync_wait"), "env-2")
    eventually(lambda: acted(fleet.sellers), "the other tracker's click applied")
    assert fleet.sellers.cell("Status") == "Awaiting Seller Response"
    assert acted(fleet.marketplace) == []


def test_in_a_shared_channel_a_click_goes_to_the_tracker_that_posted_its_message(
        fake: FakeSlack, socket_mode: FakeSocketMode, tmp_path: Path) -> None:
    shared = FLEET.replace('channel = "#tech-support"', 'channel = "#seller-support"')
    for trackers in two_trackers(tmp_path, shared):
        socket = SlackSocket(ENVIRON, now=lambda: NOW, fleet=True)
        for tracker in trackers:
            socket.desk(tracker.config, escalated(tracker, fake, tmp_path),
                        backend=tracker.backend).follow(True)
        sellers, marketplace = trackers
        try:
            first, second = fake.top_level()  # sellers' escalation, then marketplace's
            [buttons] = [b for b in second["blocks"] if b["type"] == "actions"]
            value = buttons["elements"][0]["value"]
            socket_mode.deliver("interactive", block_actions(
                value, "sheetsync_take", message=second), "env-1")
            eventually(lambda: acted(marketplace), "the click applied")
            assert sellers.cell("Assigned To") == "Arjun (Support)"
            # A message neither tracker has a record of, on a ticket both hold: nothing
            # written, and the clicker is told.
            socket_mode.deliver("interactive", block_actions(
                value, "sheetsync_take", message={**second, "ts": "1.000001"}), "env-2")
            [told] = eventually(lambda: fake.ephemeral, "the clicker told")
            assert told["text"] == ("Nothing written: sheetsync cannot tell which of its "
                                    "trackers (marketplace, sellers) this message's "
                                    f"{TICKET} is in. Edit the row in the sheet.")
            assert len(acted(marketplace)) == 1 and acted(sellers) == []
        finally:
            socket.close()


def test_a_click_for_a_tracker_this_process_does_not_serve_is_not_taken_for_another(
        trackers: tuple[Tracker, Tracker], fake: FakeSlack, socket_mode: FakeSocketMode,
        tmp_path: Path) -> None:
    sellers, marketplace = trackers
    socket = SlackSocket(ENVIRON, now=lambda: NOW, fleet=True)
    socket.desk(sellers.config, escalated(sellers, fake, tmp_path),
                backend=sellers.backend).follow(True)
    escalated(marketplace, fake, tmp_path)  # its daemon is not (yet) in this process
    try:
        socket_mode.deliver("interactive", click(fake, "tech-support", "sheetsync_take"),
                            "env-1")
        [told] = eventually(lambda: fake.ephemeral, "the clicker told")
    finally:
        socket.close()
    assert told["text"].startswith("Nothing written")
    assert sellers.cell("Assigned To") == "Arjun (Support)"  # the same ticket ID, untouched
    assert acted(sellers) == [] and acted(marketplace) == []


def test_a_click_for_a_tracker_another_process_leads_is_applied_there_once(
        trackers: tuple[Tracker, Tracker], fake: FakeSlack, socket_mode: FakeSocketMode,
        tmp_path: Path) -> None:
    sellers, marketplace = trackers
    outs = {t.config.name: escalated(t, fake, tmp_path) for t in trackers}
    here = SlackSocket(ENVIRON, now=lambda: NOW, fleet=True)  # leads sellers only
    leads = here.desk(sellers.config, outs["sellers"], backend=sellers.backend)
    standby = here.desk(marketplace.config, outs["marketplace"], backend=marketplace.backend)
    leads.follow(True)
    standby.follow(False)
    take = click(fake, "tech-support", "sheetsync_take")
    try:
        socket_mode.deliver("interactive", take, "env-1")
        socket_mode.deliver("interactive", take, "env-1", retry_attempt=1)
        eventually(lambda: len(socket_mode.acks) == 2, "both deliveries acknowledged")
        with StateStore(marketplace.config.state_path) as store:
            assert [a.status for a in store.unsettled_actions()] == ["recorded"]  # once
        assert marketplace.cell("Assigned To") == "Arjun (Support)"  # not written here
    finally:
        here.close()
    there = SlackSocket(ENVIRON, now=lambda: NOW, fleet=True)  # the process holding its lease
    holder = there.desk(marketplace.config, outs["marketplace"], backend=marketplace.backend)
    try:
        holder.follow(True)  # its next tick
        holder.follow(True)  # and the one after
    finally:
        there.close()
    assert marketplace.cell("Assigned To") == "Arjun (Support), Priya (Support)"
    assert acted(marketplace) == [
        ("assignee", "Arjun (Support), Priya (Support)", "Priya (Support) (Slack)")]
    with StateStore(marketplace.config.state_path) as store:
        assert store.unsettled_actions() == []
    assert acted(sellers) == []


def test_ticket_searches_every_tracker_the_person_may_act_in(
        fleet: Fleet, fake: FakeSlack, socket_mode: FakeSocketMode) -> None:
    socket_mode.deliver("slash_commands", command(TICKET), "env-1")
    [both] = eventually(lambda: fake.ephemeral, "the answer")
    valid_blocks(both["blocks"])
    shown = str(both["blocks"])
    assert "Tracker *sellers*" in shown and "Tracker *marketplace*" in shown
    assert shown.count("*Status*\\nEscalated") == 2 and "9822111000" not in shown
    rahul = {**command(TICKET), "user_id": "U012RAHUL"}  # mapped in marketplace only
    socket_mode.deliver("slash_commands", rahul, "env-2")
    eventually(lambda: len(fake.ephemeral) == 2, "Rahul's answer")
    shown = str(fake.ephemeral[1]["blocks"])
    assert "Tracker *marketplace*" in shown and "Tracker *sellers*" not in shown
    socket_mode.deliver("slash_commands", command("INT-000999"), "env-3")
    eventually(lambda: len(fake.ephemeral) == 3, "the answer for a ticket nowhere")
    assert fake.ephemeral[2]["text"] == (
        "sellers: INT-000999 is not in the tracker now (moved to the archive, or deleted).\n"
        "marketplace: INT-000999 is not in the tracker now (moved to the archive, or deleted).")


def test_ticket_new_adds_to_the_tracker_whose_channel_it_was_typed_in(
        fleet: Fleet, fake: FakeSlack, socket_mode: FakeSocketMode) -> None:
    in_tech = {**command("new"), "channel_id": CHANNELS["tech-support"]}
    socket_mode.deliver("slash_commands", in_tech, "env-1")
    [opened] = eventually(lambda: fake.views, "the modal opened")
    typed = {"whatsapp_number": "+919845011111", "seller_name": "Nandi Dairy",
             "description": "Where is my invoice?"}
    chosen = {"issue_type": "Help", "status": "Pending"}
    socket_mode.deliver("interactive", {
        "type": "view_submission", "user": {"id": "U012PRIYA"}, "view": {
            **opened["view"], "id": "V0NEW1", "state": {"values": {
                **{k: {k: {"type": "plain_text_input", "value": v}} for k, v in typed.items()},
                **{k: {k: {"type": "static_select", "selected_option": {
                    "text": {"type": "plain_text", "text": v}, "value": v}}}
                   for k, v in chosen.items()}}}}}, "env-2")
    eventually(lambda: any("Added to the tracker" in e["text"] for e in fake.ephemeral),
               "the row added")
    report = run_sync(fleet.marketplace.config, NOW, sinks=fleet.sinks["marketplace"],
                      backend=fleet.marketplace.backend())
    assert report.new_tickets == 1
    assert run_sync(fleet.sellers.config, NOW, sinks=fleet.sinks["sellers"],
                    backend=fleet.sellers.backend()).new_tickets == 0
    elsewhere = {**command("new"), "channel_id": "C0ELSEWHERE"}
    socket_mode.deliver("slash_commands", elsewhere, "env-3")
    eventually(lambda: any("type it in that tracker's own channel" in e["text"]
                           for e in fake.ephemeral), "told where to type it")
    assert len(fake.views) == 1  # no modal for a channel that is no tracker's


# --- the fleet's daemon, killed between the acknowledgement and the write -------------------

TWO_WORKBOOKS = FLEET.replace(f'''backend = "google"
spreadsheet_id = "{SPREADSHEET_ID}"
tab = "Tracker"''', 'path = "marketplace/tracker.xlsx"')


def test_a_fleet_daemon_killed_after_the_ack_applies_the_click_once_after_its_restart(
        socket_mode: FakeSocketMode, tmp_path: Path) -> None:
    for name in ("sellers", "marketplace"):
        make_demo(tmp_path / name, "seller-support", "Asia/Kolkata", "IN", NOW)
    config = tmp_path / "sheetsync.toml"
    config.write_text(TWO_WORKBOOKS, encoding="utf-8")
    sellers, marketplace = (workbook_hands(c) for c in load_configs(config, environ={}))
    saved = tmp_path / "slack.json"
    with FakeSlack.at(saved, clock=Clock(NOW)).installed() as fake:
        for tracker in (sellers, marketplace):  # the same ticket escalated in each
            escalated(tracker, fake, tmp_path)
        payload = click(fake, "tech-support", "sheetsync_take")
    env = {"SHEETSYNC_FAKE_SLACK": str(saved), "SHEETSYNC_FAKE_SOCKET": socket_mode.url}
    socket_mode.deliver("interactive", payload, "env-1")
    killed = daemon("slack-acked", config, env)
    _, errors = killed.communicate(timeout=60)
    assert killed.returncode == -signal.SIGKILL, errors
    # acked before the kill (the fake reads what the dead process sent on its next poll)
    assert socket_mode.ack("env-1", timeout=5) == {"envelope_id": "env-1"}
    assert marketplace.cell("Assigned To") == "Arjun (Support)"  # and not yet written
    with StateStore(marketplace.config.state_path) as store:
        assert [a.status for a in store.unsettled_actions()] == ["recorded"]
    eventually(lambda: socket_mode.open == 0, "the dead daemon's connection closed")
    socket_mode.deliver("interactive", payload, "env-1", retry_attempt=1)  # and once more
    restarted = daemon("none", config, env)
    try:
        eventually(lambda: len(socket_mode.acks) == 2, "the redelivery acknowledged")
        thread = message_in(FakeSlack.at(saved), "tech-support")["ts"]
        eventually(lambda: FakeSlack.at(saved).replies(thread), "the thread's reply")
    finally:
        restarted.send_signal(signal.SIGTERM)
        _, errors = restarted.communicate(timeout=60)
    assert restarted.returncode == 0, errors
    assert socket_mode.connections == 2  # one per run, for both trackers
    assert marketplace.cell("Assigned To") == "Arjun (Support), Priya (Support)"
    assert acted(marketplace) == [
        ("assignee", "Arjun (Support), Priya (Support)", "Priya (Support) (Slack)")]
    assert sellers.cell("Assigned To") == "Arjun (Support)" and acted(sellers) == []
    after = FakeSlack.at(saved)
    assert after.replies(message_in(after, "seller-support")["ts"]) == []
    assert [r["text"] for r in after.replies(thread)] == [
        f"{TICKET} taken by Priya (Support) (Slack)"]
