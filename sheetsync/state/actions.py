"""What people did from Slack: each action recorded before Slack is answered, then settled
once, and an applied one committed with its snapshot, its transitions (with the actor) and
its effects in one transaction.

Every SQL statement of the Slack actions is in this module.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sheetsync.core.effects import Effect
from sheetsync.core.transitions import Transition
from sheetsync.state.database import _iso
from sheetsync.state.outbox import OutboxRepository

ActionStatus = Literal["recorded", "waiting", "applied", "refused"]


@dataclass(frozen=True, slots=True)
class RecordedAction:
    """One action as the state holds it: still to do (recorded, waiting) or settled."""

    action_id: str
    kind: str
    ticket_id: str | None
    user_id: str
    payload: Mapping[str, Any]
    status: ActionStatus
    outcome: str | None
    received_at: str


class ActionRepository(OutboxRepository):
    """Slack actions by their own ID (and their envelope's), so none is applied twice."""

    def record_action(self, action_id: str, envelope_id: str, kind: str,
                      ticket_id: str | None, user_id: str, payload: Mapping[str, Any],
                      at: datetime) -> bool:
        """Record an action before Slack is answered; False when it was recorded already (a
        redelivered envelope, or the same click again)."""
        with self._transaction() as db:
            return bool(db.execute(
                "INSERT OR IGNORE INTO slack_actions (action_id, envelope_id, kind, ticket_id, "
                "user_id, payload, status, received_at) VALUES (?, ?, ?, ?, ?, ?, 'recorded', ?)",
                (action_id, envelope_id, kind, ticket_id, user_id,
                 json.dumps(dict(payload), ensure_ascii=False), _iso(at))).rowcount)

    def action(self, action_id: str) -> RecordedAction | None:
        found = self._actions("WHERE action_id = ?", (action_id,))
        return found[0] if found else None

    def unsettled_actions(self) -> list[RecordedAction]:
        """Actions recorded and not yet applied or refused (a restart's work), oldest first."""
        return self._actions("WHERE status IN ('recorded', 'waiting')", ())

    def _actions(self, where: str, params: tuple[Any, ...]) -> list[RecordedAction]:
        return [RecordedAction(row[0], row[1], row[2], row[3], json.loads(row[4]), row[5],
                               row[6], row[7])
                for row in self._db.execute(
                    "SELECT action_id, kind, ticket_id, user_id, payload, status, outcome, "
                    f"received_at FROM slack_actions {where} ORDER BY received_at, rowid",
                    params)]

    def settle_action(self, action_id: str, status: ActionStatus, outcome: str,
                      at: datetime, details: Mapping[str, Any] | None = None) -> None:
        """An action refused, waiting (the file locked), or applied without a ticket's
        transitions (a row added, its `details` the row and actor: its ticket is credited
        once a cycle gives it its ID)."""
        with self._transaction() as db:
            db.execute("UPDATE slack_actions SET status = ?, outcome = ?, settled_at = ?, "
                       "payload = coalesce(?, payload) WHERE action_id = ?",
                       (status, outcome, _iso(at), json.dumps(dict(details), ensure_ascii=False)
                        if details is not None else None, action_id))

    def commit_action(self, action_id: str, ticket_id: str,
                      fields: Mapping[str, str | None], transitions: Iterable[Transition],
                      actor: str, effects: Iterable[Effect], outcome: str,
                      at: datetime, kept: Mapping[str, Any]) -> None:
        """An applied action in one transaction: the ticket's tracked fields as the write left
        them (so the next cycle sees no second transition), its transitions with their
        actor, the thread's reply and the message's update, and the action settled (its
        payload now what is `kept` of it)."""
        stamp = _iso(at)
        with self._transaction() as db:
            db.execute("UPDATE tickets SET fields = ?, last_seen = ? WHERE ticket_id = ?",
                       (json.dumps(dict(fields), sort_keys=True), stamp, ticket_id))
            cycle = int(db.execute("SELECT max(id) FROM cycles").fetchone()[0] or 0)
            db.executemany(
                "INSERT INTO transitions (ticket_id, field, before, after, observed_at, "
                "cycle_id, actor) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(t.ticket_id, t.field, t.before, t.after, stamp, cycle, actor)
                 for t in transitions])
            self._insert_effects(db, list(effects), stamp, cycle)
            db.execute("UPDATE slack_actions SET status = 'applied', outcome = ?, "
                       "settled_at = ?, payload = ? WHERE action_id = ?",
                       (outcome, stamp, json.dumps(dict(kept), ensure_ascii=False),
                        action_id))

    def credit_created(self) -> list[tuple[str, str]]:
        """Tickets added with `/ticket new` that a cycle has since given an ID: their
        `created` transition gets its actor. Returns (ticket, actor) for each credited."""
        credited = []
        with self._transaction() as db:
            rows = db.execute(
                "SELECT a.action_id, t.ticket_id, json_extract(a.payload, '$.actor') FROM "
                "slack_actions a JOIN tickets t ON t.row_number = "
                "CAST(json_extract(a.payload, '$.row') AS INTEGER) WHERE a.kind = 'new' AND "
                "a.status = 'applied' AND a.ticket_id IS NULL AND EXISTS (SELECT 1 FROM "
                "transitions c WHERE c.ticket_id = t.ticket_id AND c.field = 'ticket' AND "
                "c.after = 'created' AND c.observed_at >= a.received_at)").fetchall()
            for action_id, ticket, actor in rows:
                db.execute("UPDATE transitions SET actor = ? WHERE ticket_id = ? AND field = "
                           "'ticket' AND after = 'created' AND actor IS NULL", (actor, ticket))
                db.execute("UPDATE slack_actions SET ticket_id = ? WHERE action_id = ?",
                           (ticket, action_id))
                credited.append((str(ticket), str(actor)))
        return credited

    def ticket_fields(self, ticket_id: str) -> dict[str, str | None] | None:
        """One ticket's tracked fields as the last cycle (or action) left them."""
        row = self._db.execute("SELECT fields FROM tickets WHERE ticket_id = ?",
                               (ticket_id,)).fetchone()
        return None if row is None else dict(json.loads(row[0]))

    def shown_message(self, ticket_id: str) -> tuple[str, Mapping[str, Any]] | None:
        """The key of the ticket's latest escalation message and what it shows now (its
        last update's payload, or its own): where a reply goes and what an update changes."""
        row = self._db.execute(
            "SELECT key, payload FROM effects WHERE ticket_id = ? AND kind IN "
            "('slack.message', 'slack.update') ORDER BY rowid DESC LIMIT 1",
            (ticket_id,)).fetchone()
        if row is None:
            return None
        payload = json.loads(row[1])
        return str(payload.get("parent") or row[0]), payload
