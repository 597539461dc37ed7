"""Rules: which effects a cycle's transitions call for, each with a key that says what it is for.

Pure. An escalation message when a ticket becomes escalated (one per escalation: escalated
again after being resolved is a new one); follow-ups in that message's thread when the ticket
is later assigned, resolved or reopened (which ones is configuration), and an update of the
message itself to show the ticket as it is now; a ClickUp task when a technical ticket is
created, becomes technical, or is escalated (one per ticket for its whole life, and none for a
row that already carries a task ID). The first cycle on a tracker records a baseline and plans
nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Set as AbstractSet
from dataclasses import dataclass, field, replace

from sheetsync.core.effects import Effect
from sheetsync.core.messages import BRIEF_LENGTH, brief_description, escalation_text, follow_up_text
from sheetsync.core.task_links import TaskLink
from sheetsync.core.tickets import YES
from sheetsync.core.transitions import CREATED, TICKET, Transition

SLACK_MESSAGE = "slack.message"
SLACK_REPLY = "slack.reply"
SLACK_UPDATE = "slack.update"
SLACK_INCIDENT = "slack.incident"  # many sellers, one problem: one message per incident
SLACK_REMINDER = "slack.reminder"  # a check-back reminder, to the channel
SLACK_SLA = "slack.sla"  # a warning before an SLA target is missed, or the breach
SLACK_DIGEST = "slack.digest"  # the morning review's and the daily summary's short digest
CLICKUP_TASK = "clickup.task"

#: Later changes of an escalated ticket that can be posted in its thread.
FOLLOW_UPS = ("assigned", "status", "priority", "resolved", "reopened", "task_closed", "raised")
#: The guide's practice: the escalation contact is named, the issue is closed, or comes back;
#: and (the SayPro documents) it is raised to a higher escalation level.
DEFAULT_FOLLOW_UPS = ("assigned", "resolved", "reopened", "raised")
#: The fields whose change makes the escalation message out of date.
_SHOWN = ("status", "assignee", "priority", "resolved", "level")


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
    row_url: str | None = None  # a link to the row, where the backend has one
    task_url: str | None = None  # the ClickUp task's page, once sheetsync knows it
    level: str | None = None  # the escalation level (L1-L3) of an escalated ticket


@dataclass(frozen=True)
class Past:
    """What the state store remembers that the rules need, for the tickets in question."""

    escalations: Mapping[str, int] = field(default_factory=dict)  # escalations so far
    threads: Mapping[str, str] = field(default_factory=dict)  # key of the latest message
    occurrences: Mapping[tuple[str, str, str], int] = field(default_factory=dict)  # how often
    # each (ticket, field, value) change happened before: keys stay distinct on a return


@dataclass(frozen=True)
class Policy:
    """What the configuration switches on."""

    brief_length: int = BRIEF_LENGTH
    on_adoption: AbstractSet[str] = frozenset()  # kinds planned while adopting
    follow_ups: AbstractSet[str] = frozenset(DEFAULT_FOLLOW_UPS)
    broadcast_resolved: bool = False  # the Resolved reply is shown in the channel too
    level_channels: Mapping[str, str] = field(default_factory=dict)  # level -> Slack channel
    level_lists: Mapping[str, str] = field(default_factory=dict)  # level -> ClickUp list


def plan(transitions: Iterable[Transition], details: Mapping[str, TicketDetails], past: Past,
         adopting: bool, policy: Policy = Policy()) -> list[Effect]:
    """The effects these transitions call for, in ticket order.

    While adopting, only the kinds in `policy.on_adoption` are planned.
    """
    if adopting and not policy.on_adoption:
        return []
    by_ticket: dict[str, dict[str, Transition]] = {}
    for t in transitions:
        by_ticket.setdefault(t.ticket_id, {})[t.field] = t
    effects: list[Effect] = []
    for ticket_id in sorted(by_ticket):
        changes = by_ticket[ticket_id]
        created = TICKET in changes and changes[TICKET].after == CREATED
        escalated = _became(changes, "escalated")
        ticket = details.get(ticket_id)
        if ticket is None:
            continue
        if (escalated or (created and ticket.escalated)) and _allowed(SLACK_MESSAGE, adopting,
                                                                      policy):
            number = past.escalations.get(ticket_id, 0) + 1
            channel = policy.level_channels.get(ticket.level or "")
            effects.append(Effect(
                f"{SLACK_MESSAGE}:escalation:{ticket_id}:{number}", SLACK_MESSAGE, ticket_id,
                {"escalation": number, **_message(ticket, policy),
                 **({"channel": channel} if channel else {})}))
        elif ticket_id in past.threads and not adopting:
            effects += _follow_ups(ticket, changes, past, policy)
        if (created or escalated or _became(changes, "technical")) and ticket.technical \
                and not ticket.task_id and _allowed(CLICKUP_TASK, adopting, policy):
            effects.append(Effect(
                f"{CLICKUP_TASK}:{ticket_id}", CLICKUP_TASK, ticket_id,
                {"name": f"[{ticket.issue_type}] "
                         f"{brief_description(ticket.description, policy.brief_length)} "
                         f"({ticket.seller})",
                 **_fields(ticket), **_routed_list(ticket, policy)}))
    return effects


def _routed_list(ticket: TicketDetails, policy: Policy) -> dict[str, str]:
    """The ClickUp list a technical escalation level routes its task to, if configured."""
    listed = policy.level_lists.get(ticket.level or "")
    return {"list_id": listed} if listed else {}


def _follow_ups(ticket: TicketDetails, changes: Mapping[str, Transition], past: Past,
                policy: Policy) -> list[Effect]:
    """Replies in the ticket's escalation thread, then one update of the message itself."""
    parent = past.threads[ticket.ticket_id]
    thread = parent.removeprefix(f"{SLACK_MESSAGE}:")
    effects = []
    for event, change in _events(changes):
        if event not in policy.follow_ups:
            continue
        effects.append(Effect(
            f"{SLACK_REPLY}:{thread}:{event}#{_occurrence(change, past)}", SLACK_REPLY,
            ticket.ticket_id,
            {"parent": parent, "event": event, "before": change.before, "after": change.after,
             "text": follow_up_text(event, ticket.ticket_id, *_shown_change(event, change,
                                                                            changes)),
             "broadcast": event == "resolved" and policy.broadcast_resolved}))
    shown = [changes[f] for f in _SHOWN if f in changes]
    if shown:
        first = shown[0]
        effects.append(Effect(
            f"{SLACK_UPDATE}:{thread}:{first.field}={first.after or ''}#"
            f"{_occurrence(first, past)}", SLACK_UPDATE, ticket.ticket_id,
            {"parent": parent, **_message(ticket, policy)}))
    return effects


def _events(changes: Mapping[str, Transition]) -> list[tuple[str, Transition]]:
    """The follow-up events in these changes: a Resolved is one event, not also a status."""
    events = []
    if (assignee := changes.get("assignee")) is not None and assignee.after:
        events.append(("assigned", assignee))
    resolved = changes.get("resolved")
    if resolved is not None:
        events.append(("resolved" if resolved.after == YES else "reopened", resolved))
    elif (status := changes.get("status")) is not None:
        events.append(("status", status))
    if (priority := changes.get("priority")) is not None:
        events.append(("priority", priority))
    if (task := changes.get("task_closed")) is not None and task.after == YES:
        events.append(("task_closed", task))
    level = changes.get("level")
    if level is not None and (level.after or "") > (level.before or ""):  # L1 < L2 < L3
        events.append(("raised", level))
    return events


def _shown_change(event: str, change: Transition, changes: Mapping[str, Transition]
                  ) -> tuple[str | None, str | None]:
    """What a reply says changed: for resolved, reopened and a closed task, the status (the
    flag itself is yes/no)."""
    shown = {"resolved": "status", "reopened": "status", "task_closed": "task"}.get(event)
    if shown is not None:
        status = changes.get(shown)
        return (status.before, status.after) if status is not None else (None, None)
    return change.before, change.after


def task_linked(links: Iterable[TaskLink], details: Mapping[str, TicketDetails], past: Past,
                policy: Policy = Policy()) -> list[Effect]:
    """Updates of escalation messages whose ticket now has a ClickUp task, to show its link."""
    effects = []
    for link in links:
        parent = past.threads.get(link.ticket_id)
        ticket = details.get(link.ticket_id)
        if parent is None or ticket is None:
            continue
        thread = parent.removeprefix(f"{SLACK_MESSAGE}:")
        effects.append(Effect(
            f"{SLACK_UPDATE}:{thread}:task={link.task_id}#1", SLACK_UPDATE, link.ticket_id,
            {"parent": parent, **_message(replace(ticket, task_id=link.task_id,
                                                  task_url=link.url), policy)}))
    return effects


def _occurrence(change: Transition, past: Past) -> int:
    """Which time this ticket's field takes this value (1 the first time)."""
    return past.occurrences.get((change.ticket_id, change.field, change.after or ""), 0) + 1


def _became(changes: Mapping[str, Transition], flag: str) -> bool:
    return flag in changes and changes[flag].after == YES


def _allowed(kind: str, adopting: bool, policy: Policy) -> bool:
    return not adopting or kind in policy.on_adoption


def _message(ticket: TicketDetails, policy: Policy) -> dict[str, str | None]:
    """The escalation message's payload: the guide's line and the fields below it."""
    return {"text": escalation_text(ticket.issue_type, ticket.description, ticket.seller,
                                    policy.brief_length), **_fields(ticket)}


def _fields(ticket: TicketDetails) -> dict[str, str | None]:
    return {"ticket_id": ticket.ticket_id, "issue_type": ticket.issue_type,
            "description": ticket.description, "seller": ticket.seller,
            "status": ticket.status, "priority": ticket.priority, "assignee": ticket.assignee,
            "reported_at": ticket.reported_at, "contact": ticket.contact,
            "task_id": ticket.task_id, "task_url": ticket.task_url, "row_url": ticket.row_url,
            "level": ticket.level}
