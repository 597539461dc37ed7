"""The effect outbox: every effect by its key, pending until delivered, each attempt and its
outcome recorded."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, select, update

from sheetsync.core.effects import Effect, EffectStatus
from sheetsync.state.database import TICKETS, Database, _iso
from sheetsync.state.dialects import insert_ignored
from sheetsync.state.lease import LeaseLost, LeaseRepository
from sheetsync.state.tables import cycles, effects as outbox


_HOLD = update(outbox).where(outbox.c.key == bindparam("effect")).values(
    status="failed", updated_at=bindparam("at"), last_error=func.coalesce(
        outbox.c.last_error + "; ", "") + "held for a person: pending too long")


_KEYS_BY_TICKET = select(outbox.c.ticket_id, outbox.c.key).where(
    outbox.c.kind == bindparam("kind"), outbox.c.ticket_id.in_(TICKETS)).order_by(outbox.c.rowid)


class OutboxRepository(LeaseRepository):
    """The outbox: each send fenced by the lease (so it is a lease repository too)."""

    def add_effects(self, effects: Iterable[Effect], at: datetime) -> None:
        """Effects planned after the cycle's commit (an update once a task exists), kept by
        key like the others, under the latest cycle."""
        with self._transaction() as db:
            cycle_id = db.execute(select(func.max(cycles.c.id))).scalar()
            self._insert_effects(db, list(effects), _iso(at), int(cycle_id or 0))

    @staticmethod
    def _insert_effects(db: Database, effects: list[Effect], at: str,
                        cycle_id: int) -> None:
        db.executemany(insert_ignored(db.dialect, outbox), [
            {"key": e.key, "kind": e.kind, "ticket_id": e.ticket_id,
             "payload": json.dumps(dict(e.payload), ensure_ascii=False), "status": e.status,
             "last_error": e.last_error,
             "created_at": at, "updated_at": at, "cycle_id": cycle_id} for e in effects])

    def effects(self, status: EffectStatus | None = None, key: str | None = None
                ) -> list[Effect]:
        """Effects in the order they were planned, optionally only those with `status` or `key`."""
        c = outbox.c
        query = select(c.key, c.kind, c.ticket_id, c.payload, c.status, c.attempts,
                       c.last_error, c.result, c.created_at, c.unclear)
        if status is not None:
            query = query.where(c.status == status)
        if key is not None:
            query = query.where(c.key == key)
        return [Effect(row[0], row[1], row[2], json.loads(row[3]), row[4], row[5], row[6],
                       json.loads(row[7]) if row[7] else None, row[8], bool(row[9]))
                for row in self._db.execute(query.order_by(c.created_at, c.rowid)).all()]

    def effect_counts(self) -> dict[tuple[str, str], int]:
        """How many effects of each kind are in each status."""
        return {(kind, status): count for kind, status, count in self._db.execute(
            select(outbox.c.kind, outbox.c.status, func.count())
            .group_by(outbox.c.kind, outbox.c.status)).all()}

    def hold_stale(self, older_than: datetime) -> list[str]:
        """Pending effects waiting since before `older_than` become failed, for a person.

        An escalation held up for a day by a revoked token is news no longer; it waits for
        `sheetsync outbox retry` or `cancel` instead of going out when the fault clears.
        """
        with self._transaction() as db:
            keys = list(db.execute(select(outbox.c.key).where(
                outbox.c.status == "pending",
                func.coalesce(outbox.c.retried_at, outbox.c.created_at) < _iso(older_than))
            ).scalars())
            db.executemany(_HOLD, [{"effect": key, "at": _iso(older_than)} for key in keys])
        return keys

    def decide(self, key: str, status: EffectStatus, at: datetime, *,
               checked: bool = False) -> Effect:
        """A person's decision on an effect: retry it (pending again) or cancel it.

        `checked`: the person looked in the service and the effect is not there, so an unclear
        attempt is cleared and the effect is sent without a lookup (for when sheetsync cannot
        look it up itself, and so held it).
        """
        with self._transaction() as db:
            now = db.execute(select(outbox.c.status).where(outbox.c.key == key)).first()
            if now is None:
                raise KeyError(key)
            if now[0] == "sent":
                raise ValueError(f"{key} was sent already")
            db.execute(update(outbox).where(outbox.c.key == key).values(
                status=status, updated_at=_iso(at),
                retried_at=_iso(at) if status == "pending" else outbox.c.retried_at,
                unclear=0 if checked else outbox.c.unclear))
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
            if not db.execute(update(outbox).where(outbox.c.key == key).values(
                    unclear=1, updated_at=_iso(at))).rowcount:
                raise KeyError(key)

    def settle(self, key: str, status: EffectStatus, at: datetime, *,
               error: str | None = None, result: Mapping[str, Any] | None = None,
               unclear: bool = False) -> None:
        """Record an attempt's outcome; `unclear` when it may have reached the service."""
        with self._transaction() as db:
            updated = db.execute(update(outbox).where(outbox.c.key == key).values(
                status=status, attempts=outbox.c.attempts + 1, last_error=error,
                result=outbox.c.result if result is None else json.dumps(dict(result)),
                updated_at=_iso(at), unclear=int(unclear))).rowcount
        if not updated:
            raise KeyError(key)

    def effect_keys(self, kind: str, ticket_ids: Iterable[str]) -> dict[str, list[str]]:
        """The keys of each ticket's effects of one kind, in the order they were planned."""
        keys: dict[str, list[str]] = {}
        for ticket, key in self._by_ticket(_KEYS_BY_TICKET, ticket_ids, kind=kind):
            keys.setdefault(ticket, []).append(key)
        return keys
