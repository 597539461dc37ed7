"""Rules plan each effect once, with a key that says what it is for; adoption is quiet."""

from __future__ import annotations

from dataclasses import replace

from sheetsync.rules import TicketDetails, plan
from sheetsync.transitions import Transition
from tests.helpers import GUIDE_EXAMPLE

RICE = TicketDetails(
    ticket_id="INT-000001", issue_type="Bug", description=GUIDE_EXAMPLE["Description"],
    seller="Sharma General Store", status="Escalated", priority="High",
    assignee="Priya (Support), Rahul (Tech)", reported_at="2023-06-15 10:25",
    contact="+91******3210", task_id=None, escalated=True, technical=True)
ESCALATED = Transition("INT-000001", "escalated", None, "yes")
CREATED = Transition("INT-000001", "ticket", None, "created")


def keys(effects) -> list[str]:
    return [e.key for e in effects]


def test_becoming_escalated_sends_the_guides_message_and_opens_a_task() -> None:
    effects = plan([ESCALATED], {"INT-000001": RICE}, {}, adopting=False)
    assert keys(effects) == ["slack.message:escalation:INT-000001:1", "clickup.task:INT-000001"]
    message, task = effects
    assert message.payload["text"] == (
        "[ESCALATION] [Bug] - Unable to update stock for Rice product (Sharma General Store)")
    assert task.payload["name"] == "[Bug] Unable to update stock for Rice product " \
                                   "(Sharma General Store)"
    assert message.payload["contact"] == "+91******3210"


def test_escalated_again_after_resolving_is_a_new_escalation() -> None:
    effects = plan([ESCALATED], {"INT-000001": RICE}, {"INT-000001": 1}, adopting=False)
    assert keys(effects)[0] == "slack.message:escalation:INT-000001:2"


def test_adoption_records_a_baseline_and_sends_nothing() -> None:
    assert plan([CREATED], {"INT-000001": RICE}, {}, adopting=True) == []


def test_a_new_row_already_escalated_after_adoption_notifies() -> None:
    assert keys(plan([CREATED], {"INT-000001": RICE}, {}, adopting=False)) == [
        "slack.message:escalation:INT-000001:1", "clickup.task:INT-000001"]


def test_a_new_help_ticket_sends_nothing() -> None:
    help_ticket = replace(RICE, issue_type="Help", escalated=False, technical=False)
    assert plan([CREATED], {"INT-000001": help_ticket}, {}, adopting=False) == []


def test_a_new_bug_gets_a_task_but_no_escalation() -> None:
    bug = replace(RICE, status="Pending", escalated=False)
    assert keys(plan([CREATED], {"INT-000001": bug}, {}, adopting=False)) == [
        "clickup.task:INT-000001"]


def test_a_ticket_reclassified_as_technical_gets_its_task_then() -> None:
    help_to_bug = replace(RICE, status="Pending", escalated=False)
    became = Transition("INT-000001", "technical", None, "yes")
    assert keys(plan([became], {"INT-000001": help_to_bug}, {}, adopting=False)) == [
        "clickup.task:INT-000001"]


def test_a_row_with_a_pasted_task_id_gets_no_new_task() -> None:
    linked = replace(RICE, task_id="86a1b2c3d")
    assert keys(plan([ESCALATED], {"INT-000001": linked}, {}, adopting=False)) == [
        "slack.message:escalation:INT-000001:1"]


def test_status_changes_that_are_not_escalations_send_nothing() -> None:
    moved = Transition("INT-000001", "status", "Pending", "In Progress")
    assert plan([moved], {"INT-000001": RICE}, {}, adopting=False) == []


def test_adoption_can_be_told_to_send_escalations_for_tickets_already_escalated() -> None:
    effects = plan([CREATED], {"INT-000001": RICE}, {}, adopting=True,
                   on_adoption={"slack.message"})
    assert keys(effects) == ["slack.message:escalation:INT-000001:1"]
    effects = plan([CREATED], {"INT-000001": RICE}, {}, adopting=True,
                   on_adoption={"clickup.task"})
    assert keys(effects) == ["clickup.task:INT-000001"]
