"""The effect outbox: every effect by its key, pending until delivered, each attempt and its
outcome recorded."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sheetsync.core.effects import Effect, EffectStatus
from sheetsync.state.database import Database, _iso
from sheetsync.state.lease import LeaseLost, LeaseRepository


class OutboxRepository(LeaseRepository):
    """The outbox: each send fenced by the lease (so it is a lease repository too)."""

    def add_effects(self, effects: Iterable[Effect], at: datetime) -> None:
        """Effects planned after the cycle's commit (an update once a task exists), kept by
        key like the others, under the latest cycle."""
        with self._transaction() as db:
            cycle_id = db.execute("SELECT max(id) FROM cycles").fetchone()[0]
            self._insert_effects(db, list(effects), _iso(at), int(cycle_id or 0))

    @staticmethod
    def _insert_effects(db: Database, effects: list[Effect], at: str,
                        cycle_id: int) -> None:
        db.executemany(
            "INSERT OR IGNORE INTO effects (key, kind, ticket_id, payload, status, last_error,"
            " created_at, updated_at, cycle_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(e.key, e.kind, e.ticket_id, json.dumps(dict(e.payload), ensure_ascii=False),
              e.status, e.last_error, at, at, cycle_id) for e in effects])

    def effects(self, status: EffectStatus | None = None, key: str | None = None
                ) -> list[Effect]:
        """Effects in the order they were planned, optionally only those with `status` or `key`."""
        query = ("SELECT key, kind, ticket_id, payload, status, attempts, last_error, result, "
                 "created_at, unclear FROM effects")
        filters = {name: value for name, value in (("status", status), ("key", key))
                   if value is not None}
        if filters:
            query += " WHERE " + " AND ".join(f"{name} = ?" for name in filters)
        params = tuple(filters.values())
        return [Effect(row[0], row[1], row[2], json.loads(row[3]), row[4], row[5], row[6],
                       json.loads(row[7]) if row[7] else None, row[8], bool(row[9]))
                for row in self._db.execute(query + " ORDER BY created_at, rowid", params)]

    def effect_counts(self) -> dict[tuple[str, str], int]:
        """How many effects of each kind are in each status."""
        return {(kind, status): count for kind, status, count in self._db.execute(
            "SELECT kind, status, count(*) FROM effects GROUP BY kind, status")}

    def hold_stale(self, older_than: datetime) -> list[str]:
        """Pending effects waiting since before `older_than` become failed, for a person.

        An escalation held up for a day by a revoked token is news no longer; it waits for
        `sheetsync outbox retry` or `cancel` instead of going out when the fault clears.
        """
        with self._transaction() as db:
            keys = [row[0] for row in db.execute(
                "SELECT key FROM effects WHERE status = 'pending' "
                "AND coalesce(retried_at, created_at) < ?", (_iso(older_than),))]
            db.executemany(
                "UPDATE effects SET status = 'failed', last_error = coalesce(last_error || '; ', "
                "'') || 'held for a person: pending too long', updated_at = ? WHERE key = ?",
                [(_iso(older_than), key) for key in keys])
        return keys

    def decide(self, key: str, status: EffectStatus, at: datetime, *,
               checked: bool = False) -> Effect:
        """A person's decision on an effect: retry it (pending again) or cancel it.

        `checked`: the person looked in the service and the effect is not there, so an unclear
        attempt is cleared and the effect is sent without a lookup (for when sheetsync cannot
        look it up itself, and so held it).
        """
        with self._transaction() as db:
            row = db.execute("SELECT status FROM effects WHERE key = ?", (key,)).fetchone()
            if row is None:
                raise KeyError(key)
            if row[0] == "sent":
                raise ValueError(f"{key} was sent already")
            db.execute("UPDATE effects SET status = ?, updated_at = ?, retried_at = "
                       "CASE WHEN ? = 'pending' THEN ? ELSE retried_at END, "
                       "unclear = CASE WHEN ? = 1 THEN 0 ELSE unclear END WHERE key = ?",
                       (status, _iso(at), status, _iso(at), int(checked), key))
        return self.effects(key=key)[0]

    def begin_attempt(self, key: str, at: datetime) -> None:
        """Mark an effect as possibly sent, durably, just before it goes to the service.

        A crash before `settle` leaves the mark, so the next attempt looks the effect up
        instead of sending it a second time.
        """
        if self.lease is not None:
            # Fenced: a replica paused past its lease must not send what the one that took
            # over may be sending. Holding it renews it, so a long cycle keeps its lease.
            holds, holder, _ = self.hold_lease()
            if not holds:
                raise LeaseLost(f"{holder} holds the lease now, not {self.lease.holder}")
        with self._transaction() as db:
            if not db.execute("UPDATE effects SET unclear = 1, updated_at = ? WHERE key = ?",
                              (_iso(at), key)).rowcount:
                raise KeyError(key)

    def settle(self, key: str, status: EffectStatus, at: datetime, *,
               error: str | None = None, result: Mapping[str, Any] | None = None,
               unclear: bool = False) -> None:
        """Record an attempt's outcome; `unclear` when it may have reached the service."""
        with self._transaction() as db:
            updated = db.execute(
                "UPDATE effects SET status = ?, attempts = attempts + 1, last_error = ?, "
                "result = coalesce(?, result), updated_at = ?, unclear = ? WHERE key = ?",
                (status, error, json.dumps(dict(result)) if result is not None else None,
                 _iso(at), int(unclear), key)).rowcount
        if not updated:
            raise KeyError(key)

    def effect_keys(self, kind: str, ticket_ids: Iterable[str]) -> dict[str, list[str]]:
        """The keys of each ticket's effects of one kind, in the order they were planned."""
        keys: dict[str, list[str]] = {}
        for ticket, key in self._by_ticket(
                "SELECT ticket_id, key FROM effects WHERE kind = ? AND ticket_id IN ({}) "
                "ORDER BY rowid", ticket_ids, kind):
            keys.setdefault(ticket, []).append(key)
        return keys
