"""Incidents: "platform not working for multiple sellers", found as it happens.

Pure. When at least `minimum` distinct sellers report similar problems (the same rapidfuzz
comparison as the monthly analysis) within `window` of each other, that is an incident: one `[INCIDENT] <summary> - <N> sellers affected` message, and every later matching
ticket joins it (a reply in its thread) while it is active. Incremental: a cycle compares only
its new tickets with the open incidents and with the recent tickets not yet in one, so the
cost does not grow with the tracker.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from rapidfuzz import fuzz

from sheetsync.core.clusters import SIMILAR, cluster, key_of
from sheetsync.core.effects import Effect
from sheetsync.core.messages import brief_description, one_line
from sheetsync.core.rules import SLACK_INCIDENT, SLACK_REPLY
from sheetsync.core.triage import GUIDELINES, PriorityRule, suggest

MINIMUM_SELLERS = 3
WINDOW = timedelta(hours=6)


@dataclass(frozen=True)
class Report:
    """A ticket as incidents see it: who reported what, and when sheetsync first saw it."""

    ticket_id: str
    seller: str | None
    seller_name: str | None
    description: str | None
    seen_at: datetime
    status: str | None = None  # as the incident's message shows it, for its buttons
    assignee: str | None = None


@dataclass(frozen=True)
class Incident:
    number: int
    label: str  # the summary: the first reporter's brief description
    opened_at: datetime
    last_at: datetime  # the latest ticket's time: the incident is active within the window
    tickets: tuple[str, ...] = ()
    sellers: frozenset[str] = field(default_factory=frozenset)

    @property
    def name(self) -> str:
        return f"INC-{self.number}"


#: Issue types that report no breakage: many sellers ask alike without anything broken.
NOT_PROBLEMS = ("help", "feature request", "general inquiry")


def is_problem(report: Report, issue_type: str | None,
               rules: Sequence[PriorityRule] = GUIDELINES) -> bool:
    """Whether a ticket can be part of an incident: not a question or a request by its type,
    nor what the guidelines (`rules`: the preset's) call Low (requests, documentation,
    polish) by its words."""
    if (issue_type or "").strip().lower() in NOT_PROBLEMS:
        return False
    suggestion = suggest(report.description, issue_type, rules)
    return suggestion is None or suggestion.value != "Low"


def detect(new: Sequence[Report], recent: Sequence[Report], incidents: Sequence[Incident],
           next_number: int, window: timedelta = WINDOW, minimum: int = MINIMUM_SELLERS
           ) -> tuple[list[Incident], list[tuple[Incident, Report]]]:
    """The incidents these new tickets open, and the (incident, ticket) pairs that join one.

    `recent`: tickets seen within the window and in no incident (the new ones included).
    """
    joined: list[tuple[Incident, Report]] = []
    alone: list[Report] = []
    for report in new:
        match = next((i for i in incidents if report.seen_at - i.last_at <= window
                      and _similar(i.label, report.description)), None)
        if match is None:
            alone.append(report)
        else:
            joined.append((match, report))
    if not alone:
        return [], joined
    fresh = {r.ticket_id for r in alone}
    pool = [r for r in recent if r.ticket_id not in {j.ticket_id for _, j in joined}]
    opened: list[Incident] = []
    for group in cluster([r.ticket_id for r in pool], [r.description for r in pool],
                         [r.seller for r in pool], minimum=minimum):
        members = [r for r in pool if r.ticket_id in set(group.tickets)]
        span = max(r.seen_at for r in members) - min(r.seen_at for r in members)
        sellers = frozenset(r.seller for r in members if r.seller)
        if len(sellers) < minimum or span > window or not fresh & set(group.tickets):
            continue
        first = min(members, key=lambda r: r.seen_at)
        opened.append(Incident(next_number + len(opened),
                               brief_description(first.description or "", 80),
                               first.seen_at, max(r.seen_at for r in members),
                               tuple(r.ticket_id for r in sorted(members,
                                                                 key=lambda r: r.seen_at)),
                               sellers))
    return opened, joined


def _similar(label: str, description: str | None) -> bool:
    return bool(description) and fuzz.token_set_ratio(key_of(label),
                                                      key_of(description)) >= SIMILAR


def incident_text(incident: Incident) -> str:
    """`[INCIDENT] Cannot add products - 3 sellers affected`."""
    return f"[INCIDENT] {one_line(incident.label, 100)} - {len(incident.sellers)} sellers affected"


def ticket_line(report: Report) -> str:
    """One ticket of an incident: `INT-000031 (Sharma General Store): Cannot add products`."""
    who = f" ({one_line(report.seller_name, 60)})" if report.seller_name else ""
    return f"{report.ticket_id}{who}: {brief_description(report.description or '', 80)}"


def effects(opened: Sequence[Incident], joined: Sequence[tuple[Incident, Report]],
            reports: Mapping[str, Report]) -> list[Effect]:
    """One message per incident, listing its tickets; one reply in its thread per ticket
    that joins it later. Keyed by incident (and ticket), so no cycle sends either twice."""
    planned = [Effect(f"{SLACK_INCIDENT}:{i.name}", SLACK_INCIDENT, None,
                      {"text": incident_text(i), "incident": i.name,
                       "lines": [ticket_line(reports[t]) for t in i.tickets if t in reports],
                       "tickets": [{"ticket_id": t, "status": reports[t].status,
                                    "assignee": reports[t].assignee}
                                   for t in i.tickets if t in reports]})
               for i in opened]
    planned += [Effect(f"{SLACK_REPLY}:incident:{i.name}:{r.ticket_id}", SLACK_REPLY,
                       r.ticket_id, {"parent": f"{SLACK_INCIDENT}:{i.name}",
                                     "text": f"{ticket_line(r)} joins {i.name}",
                                     "broadcast": False})
                for i, r in joined]
    return planned


def note(number: int, label: str, sellers: int) -> str:
    """The Sync Notes line of a ticket in an incident."""
    return f"Incident INC-{number}: {one_line(label, 80)} ({sellers} sellers)"
