"""Tickets as the last cycle left them, and their history: snapshots, transitions, levels,
follow-ups, the cycles, and the store's own facts (its hash key, the adoption)."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, case, delete, exists, func, select, union, update

from sheetsync.core.tickets import Snapshot
from sheetsync.core.write_failing import WriteFailing, after_write
from sheetsync.state.database import TICKETS, Repository, _iso
from sheetsync.state.dialects import insert_ignored, json_text
from sheetsync.state.tables import cycles, effects, followups, levels, meta, tickets, transitions


_PRESENT_FIELDS = select(tickets.c.ticket_id, tickets.c.fields).where(
    tickets.c.present == 1, tickets.c.ticket_id.in_(TICKETS))
_AFTER = func.coalesce(transitions.c.after, "")
_OCCURRENCES = (select(transitions.c.ticket_id, transitions.c.field, _AFTER, func.count())
                .where(transitions.c.ticket_id.in_(TICKETS))
                .group_by(transitions.c.ticket_id, transitions.c.field, _AFTER))
_MARK = update(tickets).where(tickets.c.ticket_id == bindparam("ticket")).values(
    marks=bindparam("marks"))


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    ticket_id: str
    field: str
    before: str | None
    after: str | None
    at: str
    actor: str | None = None  # who made it, when a person did from Slack; None: a cycle saw it


class SnapshotRepository(Repository):
    """Snapshots and history: what each ticket was, and every change seen."""

    def hash_key(self) -> bytes:
        """The secret that keys row hashes, made on first use and kept only in this file."""
        value = self._meta("hash_key")
        if value is None:
            value = secrets.token_hex(32)
            with self._transaction() as db:
                db.execute(insert_ignored(db.dialect, meta).values(key="hash_key", value=value))
            value = self._meta("hash_key")
        return bytes.fromhex(value or "")

    @property
    def adopted_at(self) -> str | None:
        """When the first cycle recorded the tracker's baseline; None before that."""
        return self._meta("adopted_at")

    @property
    def next_ticket_number(self) -> int:
        return int(self._meta("next_ticket_number") or 1)

    def generation(self) -> int:
        """The last committed cycle's ID (0 before the first). What a process remembers of
        its last cycle holds only while no other cycle committed since."""
        return int(self._db.execute(select(func.max(cycles.c.id))).scalar() or 0)

    def snapshot(self) -> dict[str, Snapshot]:
        """Every ticket ever seen, as the last committed cycle left it."""
        # Most tickets share a few combinations of tracked fields: decode each once. The
        # dicts are shared, so snapshots treat them as read-only (as everything does).
        decode = lru_cache(maxsize=1 << 14)(json.loads)
        return {row[0]: Snapshot(row[0], row[1], decode(row[3]), row[2], bool(row[4]),
                                 bool(row[5]), decode(row[6]) if row[6] != "{}" else {},
                                 bool(row[7]))
                for row in self._db.tuples(select(
                    tickets.c.ticket_id, tickets.c.row_number, tickets.c.row_hash,
                    tickets.c.fields, tickets.c.present, tickets.c.in_sheet, tickets.c.marks,
                    tickets.c.archived))}

    def purge(self, before: datetime) -> dict[str, int]:
        """Forget history observed before `before`: transitions, settled effects, old cycles.

        Ticket snapshots stay (they are what stops an ID from being given out twice), and so
        does every pending or failed effect: nothing owed is lost.
        """
        at = _iso(before)
        with self._transaction() as db:
            counts = {
                "transitions": db.execute(delete(transitions).where(
                    transitions.c.observed_at < at)).rowcount,
                "effects": db.execute(delete(effects).where(
                    effects.c.created_at < at,
                    effects.c.status.in_(("sent", "cancelled")))).rowcount,
            }
            counts["cycles"] = db.execute(delete(cycles).where(
                cycles.c.started_at < at,
                cycles.c.id.not_in(union(select(transitions.c.cycle_id),
                                         select(effects.c.cycle_id))),
                cycles.c.id != select(func.max(cycles.c.id)).scalar_subquery())).rowcount
        return counts

    def record_write(self, skipped: str | None, at: datetime) -> None:
        """How the cycle's write of the tracker went (None: written, or nothing to write),
        so `status` and `doctor`, in other processes, can tell a tracker never written."""
        failing = after_write(self.write_failing(), skipped, at)
        with self._transaction() as db:
            self._set_meta(db, "write_failing", None if failing is None else json.dumps(
                {"since": _iso(failing.since), "cycles": failing.cycles,
                 "reason": failing.reason}))

    def write_failing(self) -> WriteFailing | None:
        """The run of cycles whose write was skipped, up to the last one; None when the
        last cycle wrote."""
        return parse_write_failing(self._meta("write_failing"))

    def record_marks(self, marks: Mapping[str, Mapping[str, str]]) -> None:
        """Remember the notes now on tickets' cells; called once they are in the sheet."""
        with self._transaction() as db:
            db.executemany(_MARK, [{"ticket": t, "marks": json.dumps(dict(m), sort_keys=True)}
                                   for t, m in marks.items()])

    def history(self, ticket_id: str) -> list[HistoryEntry]:
        """A ticket's transitions, oldest first."""
        return [HistoryEntry(*row) for row in self._db.execute(
            select(transitions.c.ticket_id, transitions.c.field, transitions.c.before,
                   transitions.c.after, transitions.c.observed_at, transitions.c.actor)
            .where(transitions.c.ticket_id == ticket_id).order_by(transitions.c.id)).all()]

    def resolutions(self, since: datetime) -> dict[str, tuple[datetime, int]]:
        """Each ticket's latest resolution at or after `since`: when, and which one it is."""
        resolved = and_(transitions.c.field == "resolved", transitions.c.after == "yes")
        every = transitions.alias("t2")
        count = (select(func.count()).select_from(every)
                 .where(every.c.ticket_id == transitions.c.ticket_id, every.c.field == "resolved",
                        every.c.after == "yes").scalar_subquery())
        return {ticket: (datetime.fromisoformat(at), n) for ticket, at, n in self._db.execute(
            select(transitions.c.ticket_id, func.max(transitions.c.observed_at), count)
            .where(resolved, transitions.c.observed_at >= _iso(since))
            .group_by(transitions.c.ticket_id)).all()}

    def still_resolved(self, ticket_ids: Iterable[str]) -> dict[str, str | None]:
        """Which of these tickets are present and resolved now, with their assignee."""
        found = {}
        for ticket, fields in self._by_ticket(_PRESENT_FIELDS, ticket_ids):
            values = json.loads(fields)
            if values.get("resolved") == "yes":
                found[ticket] = values.get("assignee")
        return found

    def open_clocks(self, since: datetime) -> list[tuple[str, dict[str, Any], str, str | None,
                                                         bool, str | None]]:
        """Tickets first seen after `since`, still present: their fields, when first seen,
        when first changed in status or assignee (None: never), whether they were assigned
        when first seen, and when first seen resolved (None: never)."""
        moved, assigned, resolved = (transitions.alias(n) for n in ("m", "a", "r"))
        created = (select(transitions.c.ticket_id,
                          func.min(transitions.c.observed_at).label("first"))
                   .where(transitions.c.field == "ticket", transitions.c.after == "created",
                          transitions.c.observed_at > _iso(since))
                   .group_by(transitions.c.ticket_id).subquery("c"))
        first_moved = (select(func.min(moved.c.observed_at))
                       .where(moved.c.ticket_id == tickets.c.ticket_id,
                              moved.c.field.in_(("status", "assignee"))).scalar_subquery())
        entered = (select(case((assigned.c.before.is_(None), 0), else_=1))
                   .where(assigned.c.ticket_id == tickets.c.ticket_id,
                          assigned.c.field == "assignee")
                   .order_by(assigned.c.id).limit(1).scalar_subquery())
        first_resolved = (select(func.min(resolved.c.observed_at))
                          .where(resolved.c.ticket_id == tickets.c.ticket_id,
                                 resolved.c.field == "resolved", resolved.c.after == "yes")
                          .scalar_subquery())
        return [(ticket, values, first, moved_at, bool(was) if was is not None
                 else values.get("assignee") is not None, resolved_at)
                for ticket, fields, first, moved_at, was, resolved_at in self._db.execute(
                    select(tickets.c.ticket_id, tickets.c.fields, created.c.first, first_moved,
                           entered, first_resolved)
                    .join(created, created.c.ticket_id == tickets.c.ticket_id)
                    .where(tickets.c.present == 1)).all()
                for values in (json.loads(fields),)]

    def levels(self) -> dict[str, str]:
        """The escalation level each ticket last had while escalated."""
        return {ticket: level for ticket, level in
                self._db.execute(select(levels.c.ticket_id, levels.c.level))}

    def followups(self) -> dict[str, tuple[str, str | None]]:
        """Open tickets' scheduled follow-ups: ID -> (due date, assignee)."""
        return {ticket: (due, who) for ticket, due, who in self._db.execute(
            select(followups.c.ticket_id, followups.c.due, followups.c.assignee)
            .join(tickets, tickets.c.ticket_id == followups.c.ticket_id)
            .where(tickets.c.present == 1,
                   func.coalesce(json_text(tickets.c.fields, "resolved"), "") != "yes")).all()}

    def all_transitions(self, fields: Iterable[str]) -> list[tuple[str, str, str | None,
                                                                 str | None, str]]:
        """Every recorded transition of these fields, oldest first: the reports' history."""
        return [(row[0], row[1], row[2], row[3], row[4]) for row in self._db.execute(
            select(transitions.c.ticket_id, transitions.c.field, transitions.c.before,
                   transitions.c.after, transitions.c.observed_at)
            .where(transitions.c.field.in_(list(fields))).order_by(transitions.c.id)).all()]

    def occurrences(self, ticket_ids: Iterable[str]) -> dict[tuple[str, str, str], int]:
        """How often each (ticket, field, value) change happened: its escalations so far, say.

        A value of None counts as "". Effects keyed by these counts stay distinct when a
        ticket goes back to a state it was in before (resolved, reopened, resolved again).
        """
        counts: dict[tuple[str, str, str], int] = {}
        for ticket, field_, value, count in self._by_ticket(_OCCURRENCES, ticket_ids):
            counts[(ticket, field_, value)] = count
        return counts

    def last_cycle(self) -> dict[str, Any] | None:
        """The most recent cycle's figures, or None before the first."""
        row = self._db.execute(
            select(cycles.c.id, cycles.c.started_at, cycles.c.rows, cycles.c.new_tickets,
                   cycles.c.transitions, cycles.c.findings, cycles.c.effects)
            .order_by(cycles.c.id.desc()).limit(1)).first()
        keys = ("id", "at", "rows", "new_tickets", "transitions", "findings", "effects")
        return None if row is None else dict(zip(keys, row))


def parse_write_failing(value: str | None) -> WriteFailing | None:
    """The stored run of skipped writes (the meta row's JSON), or None."""
    if not value:
        return None
    data = json.loads(value)
    return WriteFailing(datetime.fromisoformat(data["since"]), int(data["cycles"]),
                        str(data["reason"]))
