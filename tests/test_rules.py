"""Rules plan each effect once, with a key that says what it is for; adoption is quiet."""

from __future__ import annotations

from dataclasses import replace

from sheetsync.core.rules import Past, Policy, TicketDetails, plan, task_linked
from sheetsync.core.task_links import TaskLink
from sheetsync.core.transitions import Transition
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
    effects = plan([ESCALATED], {"INT-000001": RICE}, Past(), adopting=False)
    assert keys(effects) == ["slack.message:escalation:INT-000001:1", "clickup.task:INT-000001"]
    message, task = effects
    assert message.payload["text"] == (
        "[ESCALATION] [Bug] - Unable to update stock for Rice product (Sharma General Store)")
    assert task.payload["name"] == "[Bug] Unable to update stock for Rice product " \
                                   "(Sharma General Store)"
    assert message.payload["contact"] == "+91******3210"


def test_escalated_again_after_resolving_is_a_new_escalation() -> None:
    effects = plan([ESCALATED], {"INT-000001": RICE}, Past(escalations={"INT-000001": 1}), adopting=False)
    assert keys(effects)[0] == "slack.message:escalation:INT-000001:2"


def test_adoption_records_a_baseline_and_sends_nothing() -> None:
    assert plan([CREATED], {"INT-000001": RICE}, Past(), adopting=True) == []


def test_a_new_row_already_escalated_after_adoption_notifies() -> None:
    assert keys(plan([CREATED], {"INT-000001": RICE}, Past(), adopting=False)) == [
        "slack.message:escalation:INT-000001:1", "clickup.task:INT-000001"]


def test_a_new_help_ticket_sends_nothing() -> None:
    help_ticket = replace(RICE, issue_type="Help", escalated=False, technical=False)
    assert plan([CREATED], {"INT-000001": help_ticket}, Past(), adopting=False) == []


def test_a_new_bug_gets_a_task_but_no_escalation() -> None:
    bug = replace(RICE, status="Pending", escalated=False)
    assert keys(plan([CREATED], {"INT-000001": bug}, Past(), adopting=False)) == [
        "clickup.task:INT-000001"]


def test_a_ticket_reclassified_as_technical_gets_its_task_then() -> None:
    help_to_bug = replace(RICE, status="Pending", escalated=False)
    became = Transition("INT-000001", "technical", None, "yes")
    assert keys(plan([became], {"INT-000001": help_to_bug}, Past(), adopting=False)) == [
        "clickup.task:INT-000001"]


def test_a_row_with_a_pasted_task_id_gets_no_new_task() -> None:
    linked = replace(RICE, task_id="86a1b2c3d")
    assert keys(plan([ESCALATED], {"INT-000001": linked}, Past(), adopting=False)) == [
        "slack.message:escalation:INT-000001:1"]


def test_status_changes_that_are_not_escalations_send_nothing() -> None:
    moved = Transition("INT-000001", "status", "Pending", "In Progress")
    assert plan([moved], {"INT-000001": RICE}, Past(), adopting=False) == []


def test_adoption_can_be_told_to_send_escalations_for_tickets_already_escalated() -> None:
    effects = plan([CREATED], {"INT-000001": RICE}, Past(), adopting=True,
                   policy=Policy(on_adoption={"slack.message"}))
    assert keys(effects) == ["slack.message:escalation:INT-000001:1"]
    effects = plan([CREATED], {"INT-000001": RICE}, Past(), adopting=True,
                   policy=Policy(on_adoption={"clickup.task"}))
    assert keys(effects) == ["clickup.task:INT-000001"]


# --- follow-ups in the escalation's thread -----------------------------------------------------

THREAD = Past(escalations={"INT-000001": 1},
              threads={"INT-000001": "slack.message:escalation:INT-000001:1"})


def resolve(before: str = "Escalated") -> list[Transition]:
    return [Transition("INT-000001", "status", before, "Resolved"),
            Transition("INT-000001", "escalated", "yes", None),
            Transition("INT-000001", "resolved", None, "yes")]


def test_resolving_an_escalated_ticket_replies_in_its_thread_and_updates_the_message() -> None:
    resolved = replace(RICE, status="Resolved", escalated=False)
    effects = plan(resolve(), {"INT-000001": resolved}, THREAD, adopting=False)
    assert keys(effects) == [
        "slack.reply:escalation:INT-000001:1:resolved#1",
        "slack.update:escalation:INT-000001:1:status=Resolved#1"]
    reply, update = effects
    assert reply.payload["text"] == "INT-000001 resolved (status Escalated → Resolved)"
    assert reply.payload["parent"] == "slack.message:escalation:INT-000001:1"
    assert reply.payload["broadcast"] is False
    assert update.payload["status"] == "Resolved"
    assert update.payload["text"].startswith("[ESCALATION] [Bug] - ")


def test_resolved_reopened_resolved_again_are_three_replies_with_three_keys() -> None:
    resolved = replace(RICE, status="Resolved", escalated=False)
    again = Past(escalations=THREAD.escalations, threads=THREAD.threads,
                 occurrences={("INT-000001", "resolved", "yes"): 1,
                              ("INT-000001", "status", "Resolved"): 1})
    effects = plan(resolve("In Progress"), {"INT-000001": resolved}, again, adopting=False)
    assert keys(effects) == [
        "slack.reply:escalation:INT-000001:1:resolved#2",
        "slack.update:escalation:INT-000001:1:status=Resolved#2"]


def test_reopening_replies_reopened() -> None:
    reopened = [Transition("INT-000001", "status", "Resolved", "In Progress"),
                Transition("INT-000001", "resolved", "yes", None)]
    effects = plan(reopened, {"INT-000001": replace(RICE, status="In Progress",
                                                    escalated=False)}, THREAD, adopting=False)
    assert effects[0].payload["text"] == "INT-000001 reopened (status Resolved → In Progress)"


def test_assigning_replies_with_who_and_the_reply_can_be_switched_off() -> None:
    assigned = [Transition("INT-000001", "assignee", "Priya (Support)",
                           "Priya (Support), Rahul (Tech)")]
    effects = plan(assigned, {"INT-000001": RICE}, THREAD, adopting=False)
    assert effects[0].payload["text"] == (
        "INT-000001 assigned to Priya (Support), Rahul (Tech) (was Priya (Support))")
    quiet = plan(assigned, {"INT-000001": RICE}, THREAD, adopting=False,
                 policy=Policy(follow_ups=frozenset()))
    assert keys(quiet) == ["slack.update:escalation:INT-000001:1:assignee=Priya (Support), "
                           "Rahul (Tech)#1"]  # the message still shows who has it now


def test_status_and_priority_replies_are_there_when_switched_on() -> None:
    moved = [Transition("INT-000001", "status", "Escalated", "Awaiting Seller Response"),
             Transition("INT-000001", "priority", "Medium", "High")]
    effects = plan(moved, {"INT-000001": RICE}, THREAD, adopting=False,
                   policy=Policy(follow_ups=frozenset({"status", "priority"})))
    assert [e.payload.get("event") for e in effects] == ["status", "priority", None]
    assert effects[0].payload["text"] == "INT-000001 status: Escalated → Awaiting Seller Response"
    assert plan(moved, {"INT-000001": RICE}, THREAD, adopting=False)[0].kind == "slack.update"


def test_the_resolved_reply_can_be_broadcast_to_the_channel() -> None:
    resolved = replace(RICE, status="Resolved", escalated=False)
    reply = plan(resolve(), {"INT-000001": resolved}, THREAD, adopting=False,
                 policy=Policy(broadcast_resolved=True))[0]
    assert reply.payload["broadcast"] is True


def test_a_ticket_never_escalated_gets_no_follow_ups() -> None:
    assert plan(resolve(), {"INT-000001": RICE}, Past(), adopting=False) == []


def test_escalated_again_is_a_new_message_not_a_reply() -> None:
    again = [Transition("INT-000001", "status", "Resolved", "Escalated"),
             Transition("INT-000001", "escalated", None, "yes"),
             Transition("INT-000001", "resolved", "yes", None)]
    assert keys(plan(again, {"INT-000001": replace(RICE, task_id="86a")}, THREAD,
                     adopting=False)) == ["slack.message:escalation:INT-000001:2"]


def test_a_closed_clickup_task_can_be_a_reply_in_the_thread() -> None:
    closed = [Transition("INT-000001", "task", "in progress", "complete"),
              Transition("INT-000001", "task_closed", None, "yes")]
    assert plan(closed, {"INT-000001": RICE}, THREAD, adopting=False) == []  # off by default
    [reply] = plan(closed, {"INT-000001": RICE}, THREAD, adopting=False,
                   policy=Policy(follow_ups=frozenset({"task_closed"})))
    assert reply.key == "slack.reply:escalation:INT-000001:1:task_closed#1"
    assert reply.payload["text"] == "INT-000001: ClickUp task closed (complete)"


def test_the_escalation_message_shows_the_task_once_it_exists() -> None:
    link = TaskLink("INT-000001", "86c00001", "https://app.clickup.com/t/86c00001", "sheetsync")
    [update] = task_linked([link], {"INT-000001": RICE}, THREAD)
    assert update.key == "slack.update:escalation:INT-000001:1:task=86c00001#1"
    assert (update.payload["task_id"], update.payload["task_url"]) == (
        "86c00001", "https://app.clickup.com/t/86c00001")
    assert task_linked([link], {"INT-000001": RICE}, Past()) == []  # no message, no update
