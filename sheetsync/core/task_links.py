"""Task links: which ClickUp task follows which ticket, and what the sheet should say of it.

Pure. A link is made when sheetsync creates a task, or found when a person typed a task ID
into a row (the guide has people link tasks too; sheetsync then follows that task and creates
none). ClickUp's answers about the tasks become transitions (`task`, `task_closed`), so a
closed task is in the ticket's history and can be a reply in its escalation's thread, and the
row's Sync Notes say it; the person-owned Status is never changed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from sheetsync.core.tickets import YES
from sheetsync.core.transitions import Transition

CREATED_BY_SHEETSYNC, TYPED_BY_A_PERSON = "sheetsync", "person"


@dataclass(frozen=True, slots=True)
class TaskState:
    """What ClickUp says of a task now."""

    task_id: str
    url: str | None
    status: str | None  # its status's name ("in progress", "complete")
    closed: bool  # its status is of the closed or done type
    exists: bool = True


@dataclass(frozen=True, slots=True)
class TaskLink:
    """A ticket's ClickUp task as the state store keeps it."""

    ticket_id: str
    task_id: str
    url: str | None
    source: str  # CREATED_BY_SHEETSYNC or TYPED_BY_A_PERSON
    status: str | None = None
    closed: bool = False
    exists: bool = True
    written: bool = False  # its ID is in the row (or a person's own ID is there)


def follow(links: Iterable[TaskLink], states: Mapping[str, TaskState]
           ) -> tuple[list[Transition], list[TaskLink]]:
    """The transitions ClickUp's answers make, and the links that changed."""
    transitions: list[Transition] = []
    changed: list[TaskLink] = []
    for link in links:
        state = states.get(link.task_id)
        if state is None:
            continue
        after = replace(link, url=state.url or link.url, status=state.status,
                        closed=state.closed, exists=state.exists)
        if after == link:
            continue
        changed.append(after)
        if state.status != link.status and state.exists:
            transitions.append(Transition(link.ticket_id, "task", link.status, state.status))
        if state.closed != link.closed:
            transitions.append(Transition(link.ticket_id, "task_closed",
                                          YES if link.closed else None,
                                          YES if state.closed else None))
    return transitions, changed


def task_note(link: TaskLink) -> str | None:
    """The line the row's Sync Notes gives its task."""
    if not link.exists:
        return f"ClickUp: no task {link.task_id} (deleted, or not visible to sheetsync's token)"
    if link.closed:
        return f"ClickUp task {link.task_id} closed ({link.status or 'closed'})"
    if link.source == CREATED_BY_SHEETSYNC and link.url:
        return f"ClickUp task: {link.url}"
    return None
