"""Rules: which effects a cycle's transitions call for, each with a key that says what it is for.

Pure. An escalation message when a ticket becomes escalated (one per escalation: escalated
again after being resolved is a new one); a ClickUp task when a technical ticket is created,
becomes technical, or is escalated (one per ticket for its whole life, and none for a row that
already carries a task ID). The first cycle on a tracker records a baseline and plans nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Set as AbstractSet
from dataclasses import dataclass

from sheetsync.messages import BRIEF_LENGTH, brief_description, escalation_text
from sheetsync.effects import Effect
from sheetsync.tickets import YES
from sheetsync.transitions import CREATED, TICKET, Transition

SLACK_MESSAGE = "slack.message"
CLICKUP_TASK = "clickup.task"


@dataclass(frozen=True, slots=True)
class TicketDetails:
    """A ticket's current row, as the messages need it (contact already masked)."""

    ticket_id: str
    issue_type: str
    description: str
    seller: str
    status: str | None
    priority: str | None
    assignee: str | None
    reported_at: str | None
    contact: str | None
    task_id: str | None
    escalated: bool
    technical: bool


def plan(
    transitions: Iterable[Transition],
    details: Mapping[str, TicketDetails],
    escalations_before: Mapping[str, int],
    adopting: bool,
    brief_length: int = BRIEF_LENGTH,
    on_adoption: AbstractSet[str] = frozenset(),
) -> list[Effect]:
    """The effects these transitions call for, in ticket order.

    While adopting, only the kinds in `on_adoption` (switched on in the config) are planned.
    """
    if adopting and not on_adoption:
        return []
    created, escalated, technical = set(), set(), set()
    for t in transitions:
        if t.field == TICKET and t.after == CREATED:
            created.add(t.ticket_id)
        elif t.field == "escalated" and t.after == YES:
            escalated.add(t.ticket_id)
        elif t.field == "technical" and t.after == YES:
            technical.add(t.ticket_id)
    effects = []
    for ticket_id in sorted(created | escalated | technical):
        ticket = details[ticket_id]
        if (ticket_id in escalated or (ticket_id in created and ticket.escalated)) and (
                not adopting or SLACK_MESSAGE in on_adoption):
            number = escalations_before.get(ticket_id, 0) + 1
            effects.append(Effect(
                f"{SLACK_MESSAGE}:escalation:{ticket_id}:{number}", SLACK_MESSAGE, ticket_id,
                {"text": escalation_text(ticket.issue_type, ticket.description, ticket.seller,
                                         brief_length),
                 "escalation": number, **_fields(ticket)}))
        if ticket.technical and not ticket.task_id and (
                not adopting or CLICKUP_TASK in on_adoption):
            effects.append(Effect(
                f"{CLICKUP_TASK}:{ticket_id}", CLICKUP_TASK, ticket_id,
                {"name": f"[{ticket.issue_type}] "
                         f"{brief_description(ticket.description, brief_length)} "
                         f"({ticket.seller})",
                 **_fields(ticket)}))
    return effects


def _fields(ticket: TicketDetails) -> dict[str, str | None]:
    return {"ticket_id": ticket.ticket_id, "issue_type": ticket.issue_type,
            "description": ticket.description, "seller": ticket.seller,
            "status": ticket.status, "priority": ticket.priority, "assignee": ticket.assignee,
            "reported_at": ticket.reported_at, "contact": ticket.contact}
