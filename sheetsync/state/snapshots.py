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

from sheetsync.core.tickets import Snapshot
from sheetsync.state.database import Repository, _iso

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
                db.execute("INSERT OR IGNORE INTO meta VALUES ('hash_key', ?)", (value,))
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
        return int(self._db.execute("SELECT max(id) FROM cycles").fetchone()[0] or 0)

    def snapshot(self) -> dict[str, Snapshot]:
        """Every ticket ever seen, as the last committed cycle left it."""
        # Most tickets share a few combinations of tracked fields: decode each once. The
        # dicts are shared, so snapshots treat them as read-only (as everything does).
        decode = lru_cache(maxsize=1 << 14)(json.loads)
        return {row[0]: Snapshot(row[0], row[1], decode(row[3]), row[2], bool(row[4]),
                                 bool(row[5]), decode(row[6]) if row[6] != "{}" else {},
                                 bool(row[7]))
                for row in self._db.execute(
                    "SELECT ticket_id, row_number, row_hash, fields, present, in_sheet, marks, "
                    "archived FROM tickets")}

    def purge(self, before: datetime) -> dict[str, int]:
        """Forget history observed before `before`: transitions, settled effects, old cycles.

        Ticket snapshots stay (they are what stops an ID from being given out twice), and so
        does every pending or failed effect: nothing owed is lost.
        """
        at = _iso(before)
        with self._transaction() as db:
            counts = {
                "transitions": db.execute("DELETE FROM transitions WHERE observed_at < ?",
                                          (at,)).rowcount,
                "effects": db.execute("DELETE FROM effects WHERE created_at < ? AND status IN "
                                      "('sent', 'cancelled')", (at,)).rowcount,
            }
            counts["cycles"] = db.execute(
                "DELETE FROM cycles WHERE started_at < ? AND id NOT IN (SELECT cycle_id FROM "
                "transitions UNION SELECT cycle_id FROM effects) AND id != (SELECT max(id) "
                "FROM cycles)", (at,)).rowcount
        return counts

    def record_marks(self, marks: Mapping[str, Mapping[str, str]]) -> None:
        """Remember the notes now on tickets' cells; called once they are in the sheet."""
        with self._transaction() as db:
            db.executemany("UPDATE tickets SET marks = ? WHERE ticket_id = ?",
                           [(json.dumps(dict(m), sort_keys=True), t) for t, m in marks.items()])

    def history(self, ticket_id: str) -> list[HistoryEntry]:
        """A ticket's transitions, oldest first."""
        return [HistoryEntry(*row) for row in self._db.execute(
            "SELECT ticket_id, field, before, after, observed_at, actor FROM transitions "
            "WHERE ticket_id = ? ORDER BY id", (ticket_id,))]

    def resolutions(self, since: datetime) -> dict[str, tuple[datetime, int]]:
        """Each ticket's latest resolution at or after `since`: when, and which one it is."""
        return {ticket: (datetime.fromisoformat(at), count) for ticket, at, count in
                self._db.execute(
                    "SELECT ticket_id, max(observed_at), (SELECT count(*) FROM transitions t2 "
                    "WHERE t2.ticket_id = t.ticket_id AND t2.field = 'resolved' AND "
                    "t2.after = 'yes') FROM transitions t WHERE field = 'resolved' AND "
                    "after = 'yes' AND observed_at >= ? GROUP BY ticket_id",
                    (_iso(since),))}

    def still_resolved(self, ticket_ids: Iterable[str]) -> dict[str, str | None]:
        """Which of these tickets are present and resolved now, with their assignee."""
        found = {}
        for ticket, fields in self._by_ticket(
                "SELECT ticket_id, fields FROM tickets WHERE present = 1 AND ticket_id IN ({})",
                ticket_ids):
            values = json.loads(fields)
            if values.get("resolved") == "yes":
                found[ticket] = values.get("assignee")
        return found

    def open_clocks(self, since: datetime) -> list[tuple[str, dict[str, Any], str, bool]]:
        """Tickets first seen after `since`, still present: their fields, when first seen,
        and whether anyone has responded (a status change, or an assignee)."""
        return [(ticket, json.loads(fields), first, bool(moved))
                for ticket, fields, first, moved in self._db.execute(
                    "SELECT t.ticket_id, t.fields, c.first, EXISTS (SELECT 1 FROM transitions "
                    "m WHERE m.ticket_id = t.ticket_id AND m.field IN ('status', 'assignee')) "
                    "FROM tickets t JOIN (SELECT ticket_id, min(observed_at) AS first FROM "
                    "transitions WHERE field = 'ticket' AND after = 'created' AND "
                    "observed_at > ? GROUP BY ticket_id) c ON c.ticket_id = t.ticket_id "
                    "WHERE t.present = 1", (_iso(since),))]

    def levels(self) -> dict[str, str]:
        """The escalation level each ticket last had while escalated."""
        return dict(self._db.execute("SELECT ticket_id, level FROM levels").fetchall())

    def followups(self) -> dict[str, tuple[str, str | None]]:
        """Open tickets' scheduled follow-ups: ID -> (due date, assignee)."""
        return {ticket: (due, who) for ticket, due, who in self._db.execute(
            "SELECT f.ticket_id, f.due, f.assignee FROM followups f JOIN tickets t ON "
            "t.ticket_id = f.ticket_id WHERE t.present = 1 AND "
            "coalesce(json_extract(t.fields, '$.resolved'), '') != 'yes'")}

    def all_transitions(self, fields: Iterable[str]) -> list[tuple[str, str, str | None,
                                                                 str | None, str]]:
        """Every recorded transition of these fields, oldest first: the reports' history."""
        wanted = list(fields)
        rows: list[tuple[str, str, str | None, str | None, str]] = [tuple(row) for row in (
            self._db.execute("SELECT ticket_id, field, before, after, observed_at FROM "
                             f"transitions WHERE field IN ({','.join('?' * len(wanted))}) "
                             "ORDER BY id", wanted))]
        return rows

    def occurrences(self, ticket_ids: Iterable[str]) -> dict[tuple[str, str, str], int]:
        """How often each (ticket, field, value) change happened: its escalations so far, say.

        A value of None counts as "". Effects keyed by these counts stay distinct when a
        ticket goes back to a state it was in before (resolved, reopened, resolved again).
        """
        counts: dict[tuple[str, str, str], int] = {}
        for ticket, field_, after, count in self._by_ticket(
                "SELECT ticket_id, field, coalesce(after, ''), count(*) FROM transitions "
                "WHERE ticket_id IN ({}) GROUP BY ticket_id, field, coalesce(after, '')",
                ticket_ids):
            counts[(ticket, field_, after)] = count
        return counts

    def last_cycle(self) -> dict[str, Any] | None:
        """The most recent cycle's figures, or None before the first."""
        row = self._db.execute(
            "SELECT id, started_at, rows, new_tickets, transitions, findings, effects "
            "FROM cycles ORDER BY id DESC LIMIT 1").fetchone()
        keys = ("id", "at", "rows", "new_tickets", "transitions", "findings", "effects")
        return None if row is None else dict(zip(keys, row))
