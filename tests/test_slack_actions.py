"""Working a ticket from Slack, the pure part: the buttons and modals sheetsync sends (checked
against slack-sdk's Block Kit and view models), Slack's interaction payloads as Slack's
reference shows them, and the decision to write or refuse.

The payloads follow the shapes of Slack's interaction payload reference (block_actions,
view_submission) and the slash command request: https://api.slack.com/reference/interaction-payloads
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from sheetsync.core.slack_actions import (
    RESOLVE,
    TAKE,
    WAIT,
    Click,
    NewTicket,
    NewTicketForm,
    OpenResolve,
    Refusal,
    Edit,
    Shown,
    TicketQuery,
    choices,
    decide,
    parse,
    people,
    required_inputs,
)
from sheetsync.core.slack_blocks import (
    escalation_message,
    new_ticket_view,
    resolve_view,
    ticket_card,
)
from sheetsync.schema import PRESETS

SELLER = PRESETS["seller-support"]
SAYPRO = PRESETS["saypro-interaction-log"]
USERS = {"U012PRIYA": "Priya (Support)"}
PAYLOAD = {"text": "[ESCALATION] [Bug] - Stock (Sharma)", "ticket_id": "INT-000002",
           "status": "Escalated", "assignee": "Rahul (Tech)", "priority": "High"}


def block_actions(value: str, action_id: str, user: str = "U012PRIYA",
                  message: dict[str, Any] | None = None) -> dict[str, Any]:
    """A block_actions payload shaped as in Slack's reference: a click on `message` (its
    `channel` and `ts`; a message of #seller-support by default)."""
    channel = (message or {}).get("channel", "C0SELLERS1")
    ts = (message or {}).get("ts", "1548426417.840180")
    return {
        "type": "block_actions",
        "user": {"id": user, "username": "priya", "team_id": "T0SELLERS"},
        "api_app_id": "A0SHEETSYNC", "token": "verification-token",
        "container": {"type": "message", "message_ts": ts, "channel_id": channel,
                      "is_ephemeral": False},
        "trigger_id": "12345.98765.abcd2358fdea",
        "team": {"id": "T0SELLERS", "domain": "sellers"},
        "channel": {"id": channel, "name": "seller-support"},
        "message": {"type": "message", "ts": ts, "text": "..."},
        "response_url": "https://hooks.slack.com/actions/T0SELLERS/123/abc",
        "actions": [{"action_id": action_id, "block_id": "sheetsync_actions",
                     "text": {"type": "plain_text", "text": "Take it"}, "value": value,
                     "type": "button", "action_ts": "1548426417.840200"}],
    }


def buttons_of(payload: dict[str, Any] = PAYLOAD, schema: Any = SELLER) -> list[dict[str, Any]]:
    blocks = escalation_message(payload, choices(schema)).blocks
    actions = [b for b in blocks if b["type"] == "actions"]
    return actions[0]["elements"] if actions else []


def valid_blocks(blocks: list[dict[str, Any]]) -> None:
    for block in blocks:
        parsed = Block.parse(block)
        assert parsed is not None, block
        parsed.validate_json()
        assert parsed.to_dict() == block  # nothing the model does not know


def test_the_buttons_are_valid_block_kit_and_carry_the_ticket_and_what_it_showed() -> None:
    blocks = escalation_message(PAYLOAD, choices(SELLER)).blocks
    valid_blocks(blocks)
    labels = [b["text"]["text"] for b in buttons_of()]
    assert labels == ["Take it", "Waiting on seller", "Resolve..."]
    values = [json.loads(b["value"]) for b in buttons_of()]
    assert {(v["t"], v["s"], v["a"]) for v in values} == {
        ("INT-000002", "Escalated", "Rahul (Tech)")}


def test_a_button_whose_status_the_preset_lacks_is_not_shown() -> None:
    # SayPro's log has no Awaiting Seller Response; it resolves with "Resolved and closed".
    assert choices(SAYPRO).statuses == {TAKE: None, RESOLVE: "Resolved and closed"}
    assert [b["action_id"] for b in buttons_of(schema=SAYPRO)] == [
        "sheetsync_take", "sheetsync_resolve"]


def test_a_button_whose_status_the_ticket_holds_already_is_not_shown() -> None:
    waiting = {**PAYLOAD, "status": "Awaiting Seller Response"}
    assert [b["action_id"] for b in buttons_of(waiting)] == ["sheetsync_take",
                                                             "sheetsync_resolve"]


def test_a_button_whose_value_slack_would_refuse_is_not_sent() -> None:
    crowded = {**PAYLOAD, "assignee": ", ".join(f"Agent {n} (Support)" for n in range(150))}
    blocks = escalation_message(crowded, choices(SELLER)).blocks
    valid_blocks(blocks)
    assert all(b["type"] != "actions" for b in blocks)


def click(kind: str = TAKE, status: str | None = "Escalated",
          assignee: str | None = "Rahul (Tech)", user: str = "U012PRIYA",
          summary: str | None = None) -> Click:
    return Click(kind, Shown("INT-000002", status, assignee), user, "1548426417.840200",
                 summary=summary)


NOW = {"status": "Escalated", "assignee": "Rahul (Tech)"}


def test_a_click_is_parsed_from_slacks_block_actions_payload() -> None:
    take = next(b for b in buttons_of() if b["action_id"] == "sheetsync_take")
    parsed = parse("interactive", block_actions(take["value"], take["action_id"]))
    assert parsed == Click(TAKE, Shown("INT-000002", "Escalated", "Rahul (Tech)"), "U012PRIYA",
                           "1548426417.840200", channel="C0SELLERS1",
                           message_ts="1548426417.840180",
                           response_url="https://hooks.slack.com/actions/T0SELLERS/123/abc")
    assert parsed.action_id == "1548426417.840200:U012PRIYA:INT-000002:take"


def test_a_button_that_is_not_sheetsyncs_is_ignored() -> None:
    assert parse("interactive", block_actions("approve", "someone_elses_button")) is None
    assert parse("events_api", {"type": "event_callback"}) is None


def test_resolve_opens_a_modal_whose_submission_is_the_same_action() -> None:
    resolve = next(b for b in buttons_of() if b["action_id"] == "sheetsync_resolve")
    opened = parse("interactive", block_actions(resolve["value"], resolve["action_id"]))
    assert isinstance(opened, OpenResolve) and opened.trigger_id == "12345.98765.abcd2358fdea"
    view = resolve_view(opened.click, "Resolution Summary")
    View(**view).validate_json()
    submitted = {"type": "view_submission", "team": {"id": "T0SELLERS"},
                 "user": {"id": "U012PRIYA"}, "trigger_id": "999.888",
                 "view": {**view, "id": "V0RESOLVE1", "state": {"values": {"summary": {
                     "summary": {"type": "plain_text_input",
                                 "value": "Fixed the case sensitivity"}}}}}}
    parsed = parse("interactive", submitted)
    assert isinstance(parsed, Click)
    assert parsed.action_id == opened.click.action_id
    assert parsed.summary == "Fixed the case sensitivity"
    assert parsed.message_ts == "1548426417.840180"


def test_take_adds_the_clicker_to_assigned_to() -> None:
    edit = decide(click(), NOW, USERS, choices(SELLER))
    assert edit == Edit("INT-000002", {"assignee": "Rahul (Tech), Priya (Support)"},
                        "Priya (Support) (Slack)", "INT-000002 taken by Priya (Support) (Slack)")


def test_waiting_and_resolve_set_the_presets_statuses() -> None:
    wait = decide(click(WAIT), NOW, USERS, choices(SELLER))
    assert isinstance(wait, Edit) and wait.writes == {"status": "Awaiting Seller Response"}
    done = decide(click(RESOLVE, summary="Fixed in backend"), NOW, USERS, choices(SELLER))
    assert isinstance(done, Edit)
    assert done.writes == {"status": "Resolved", "resolution": "Fixed in backend"}
    assert "resolved by Priya (Support) (Slack)" in done.said


def test_a_cell_that_changed_since_the_message_is_never_overwritten() -> None:
    moved = decide(click(WAIT), {"status": "Resolved", "assignee": "Rahul (Tech)"}, USERS,
                   choices(SELLER))
    assert isinstance(moved, Refusal)
    assert 'Status is now "Resolved" (the message showed "Escalated")' in moved.text
    cleared = decide(click(), {"status": "Escalated", "assignee": None}, USERS, choices(SELLER))
    assert isinstance(cleared, Refusal) and "Assigned To is now empty" in cleared.text


def test_only_the_cell_a_click_writes_must_hold_what_was_shown() -> None:
    moved = {"status": "In Progress", "assignee": "Rahul (Tech)"}
    assert isinstance(decide(click(), moved, USERS, choices(SELLER)), Edit)
    assert isinstance(decide(click(WAIT), moved, USERS, choices(SELLER)), Refusal)


def test_a_tidier_spelling_of_the_same_value_is_not_a_change() -> None:
    edit = decide(click(WAIT), {"status": "escalated ", "assignee": "Rahul (Tech)"}, USERS,
                  choices(SELLER))
    assert isinstance(edit, Edit)


def test_an_unmapped_user_is_told_to_ask_an_admin() -> None:
    refused = decide(click(user="U0STRANGER"), NOW, USERS, choices(SELLER))
    assert isinstance(refused, Refusal) and "ask an admin to add you" in refused.text


def test_nothing_to_do_is_a_refusal_not_a_second_write() -> None:
    assert isinstance(decide(click(assignee="Priya (Support)"),
                             {"status": "Escalated", "assignee": "Priya (Support)"}, USERS,
                             choices(SELLER)), Refusal)
    assert isinstance(decide(click(RESOLVE, summary="  "), NOW, USERS, choices(SELLER)),
                      Refusal)


def test_the_people_map_reverses_slack_users_and_drops_an_id_given_twice() -> None:
    assert people({"Priya (Support)": "U012PRIYA", "Rahul (Tech)": "U012RAHUL"}) == {
        "U012PRIYA": "Priya (Support)", "U012RAHUL": "Rahul (Tech)"}
    assert people({"Priya": "U012PRIYA", "Priya (Support)": "U012PRIYA"}) == {}


def test_slash_commands_are_parsed_from_slacks_request() -> None:
    command = {"token": "x", "team_id": "T0SELLERS", "channel_id": "C0SELLERS1",
               "user_id": "U012PRIYA", "command": "/ticket", "text": " INT-000002 ",
               "response_url": "https://hooks.slack.com/commands/1/2/3",
               "trigger_id": "13345224609.738474920.8088930838d88f008e0"}
    assert parse("slash_commands", command) == TicketQuery(
        "INT-000002", "U012PRIYA", "C0SELLERS1", "https://hooks.slack.com/commands/1/2/3")
    assert parse("slash_commands", {**command, "text": "new"}) == NewTicketForm(
        "U012PRIYA", "C0SELLERS1", "13345224609.738474920.8088930838d88f008e0",
        "https://hooks.slack.com/commands/1/2/3")
    assert parse("slash_commands", {**command, "command": "/other"}) is None


def test_the_new_ticket_modal_asks_for_the_presets_required_person_columns() -> None:
    inputs = required_inputs(SELLER)
    assert [header for _, header, _ in inputs] == [
        "WhatsApp Number", "Seller Name", "Issue Type", "Description", "Status"]
    view = new_ticket_view(inputs, "C0SELLERS1")
    View(**view).validate_json()
    submitted = {"type": "view_submission", "user": {"id": "U012PRIYA"},
                 "view": {**view, "id": "V0NEW1", "state": {"values": {
                     "whatsapp_number": {"whatsapp_number": {"type": "plain_text_input",
                                                             "value": "12345"}},
                     "issue_type": {"issue_type": {"type": "static_select", "selected_option": {
                         "text": {"type": "plain_text", "text": "Bug"}, "value": "Bug"}}},
                     "seller_name": {"seller_name": {"type": "plain_text_input",
                                                     "value": None}}}}}}
    assert parse("interactive", submitted) == NewTicket(
        "U012PRIYA", "C0SELLERS1", "V0NEW1", {"whatsapp_number": "12345", "issue_type": "Bug"})


@pytest.mark.parametrize("notes", [[], ["WhatsApp Number: not a valid number"]])
def test_the_ticket_card_is_valid_block_kit(notes: list[str]) -> None:
    card = ticket_card([("Ticket", "INT-000002"), ("Status", "Escalated"),
                        ("WhatsApp", "••••••3210"), ("Task", None)], notes)
    valid_blocks(card.blocks)
    assert card.text == "INT-000002"


def test_a_recorded_click_is_the_same_click_after_a_restart() -> None:
    resolve = click(RESOLVE, summary="Fixed")
    assert Click.recorded(json.loads(json.dumps(resolve.record()))) == resolve
