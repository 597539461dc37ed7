"""Transitions: what changed between the last committed snapshot and this cycle, by ticket ID.

Pure, and keyed by ticket ID, never by row number: sorting, filtering, inserting or deleting
rows and moving columns change no ticket, so they make no transition.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence, Set
from dataclasses import dataclass

from sheetsync.core.tickets import FLAGS, TRACKED, Snapshot, Ticket

TICKET = "ticket"  # the field of a ticket's own life: created, removed, archived, reappeared
CREATED, PRESENT, REMOVED, ARCHIVED = "created", "present", "removed", "archived"


@dataclass(frozen=True, slots=True)
class Transition:
    """One observed change of one ticket: a tracked field, or the ticket's own presence."""

    ticket_id: str
    field: str  # "ticket", a tracked role (status, assignee, ...) or a flag (escalated, ...)
    before: str | None
    after: str | None


def diff(
    previous: Mapping[str, Snapshot],
    current: Sequence[Ticket],
    frozen: Set[str] = frozenset(),
    archived: Set[str] = frozenset(),
) -> list[Transition]:
    """Every change from `previous` to `current`.

    `frozen` IDs (in dispute) are left as they were; a ticket gone from the tracker whose ID
    is in `archived` (the archive tab) is archived, not removed.
    """
    transitions: list[Transition] = []
    seen: set[str] = set()
    for ticket in current:
        seen.add(ticket.ticket_id)
        before = previous.get(ticket.ticket_id)
        if before is None:
            transitions.append(Transition(ticket.ticket_id, TICKET, None, CREATED))
            continue
        if not before.present:
            transitions.append(Transition(ticket.ticket_id, TICKET,
                                          ARCHIVED if before.archived else REMOVED, PRESENT))
        if before.fields == ticket.fields:
            continue
        transitions += [Transition(ticket.ticket_id, role, before.fields.get(role),
                                   ticket.fields.get(role))
                        for role in (*TRACKED, *FLAGS)
                        if before.fields.get(role) != ticket.fields.get(role)]
    transitions += [Transition(ticket_id, TICKET, PRESENT,
                               ARCHIVED if ticket_id in archived else REMOVED)
                    for ticket_id, before in previous.items()
                    if before.present and ticket_id not in seen and ticket_id not in frozen]
    return transitions


def next_snapshot(
    previous: Mapping[str, Snapshot],
    current: Iterable[Ticket],
    frozen: Set[str] = frozenset(),
    archived: Set[str] = frozenset(),
) -> dict[str, Snapshot]:
    """The snapshot to commit: current tickets, gone ones marked absent, frozen ones unchanged.

    Every ticket ever seen stays, so an ID is never given out twice and a ticket that
    reappears keeps its history.
    """
    current = list(current)
    here = {ticket.ticket_id for ticket in current}
    snapshot = {ticket_id: before if not before.present or ticket_id in frozen
                or ticket_id in here
                else Snapshot(ticket_id, before.row, before.fields, before.row_hash, False,
                              before.in_sheet, before.marks, ticket_id in archived)
                for ticket_id, before in previous.items()}
    for ticket in current:
        before = previous.get(ticket.ticket_id)
        if before is not None and before.present and before.row == ticket.row \
                and before.row_hash == ticket.row_hash and before.in_sheet == ticket.in_sheet \
                and before.fields == ticket.fields:
            snapshot[ticket.ticket_id] = before  # unchanged: the same snapshot, not a copy
            continue
        snapshot[ticket.ticket_id] = Snapshot(ticket.ticket_id, ticket.row, ticket.fields,
                                              ticket.row_hash, True, ticket.in_sheet,
                                              before.marks if before is not None else {})
    return snapshot
