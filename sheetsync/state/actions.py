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

from sqlalchemy import Integer, bindparam, cast, exists, func, select, update
from sqlalchemy.sql.elements import ColumnElement

from sheetsync.core.effects import Effect
from sheetsync.core.rules import SLACK_INCIDENT, SLACK_MESSAGE
from sheetsync.core.transitions import Transition
from sheetsync.state.database import _iso
from sheetsync.state.dialects import insert, insert_ignored, json_text
from sheetsync.state.outbox import OutboxRepository
from sheetsync.state.tables import cycles, effects as outbox, slack_actions, tickets
from sheetsync.state.tables import transitions as transitions_table

ActionStatus = Literal["recorded", "waiting", "applied", "refused"]

_ACTIONS = select(slack_actions.c.action_id, slack_actions.c.kind, slack_actions.c.ticket_id,
                  slack_actions.c.user_id, slack_actions.c.payload, slack_actions.c.status,
                  slack_actions.c.outcome, slack_actions.c.received_at)

#: A `/ticket new` row's `created` transition, once a cycle gave it its ID, gets its actor
_CREDIT = update(transitions_table).where(
    transitions_table.c.ticket_id == bindparam("ticket"), transitions_table.c.field == "ticket",
    transitions_table.c.after == "created", transitions_table.c.actor.is_(None)).values(
        actor=bindparam("who"))
_CREDITED = update(slack_actions).where(
    slack_actions.c.action_id == bindparam("action")).values(ticket_id=bindparam("ticket"))


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
        redelivered envelope, or the same click again). Told by the row RETURNING gives
        back, not the rowcount: psycopg's is -1 for an INSERT through SQLAlchemy."""
        with self._transaction() as db:
            return db.execute(insert_ignored(db.dialect, slack_actions).values(
                action_id=action_id, envelope_id=envelope_id, kind=kind, ticket_id=ticket_id,
                user_id=user_id, payload=json.dumps(dict(payload), ensure_ascii=False),
                status="recorded", received_at=_iso(at)).returning(
                    slack_actions.c.action_id)).first() is not None

    def action(self, action_id: str) -> RecordedAction | None:
        found = self._actions(slack_actions.c.action_id == action_id)
        return found[0] if found else None

    def unsettled_actions(self) -> list[RecordedAction]:
        """Actions recorded and not yet applied or refused (a restart's work), oldest first."""
        return self._actions(slack_actions.c.status.in_(("recorded", "waiting")))

    def _actions(self, where: ColumnElement[bool]) -> list[RecordedAction]:
        return [RecordedAction(row[0], row[1], row[2], row[3], json.loads(row[4]), row[5],
                               row[6], row[7])
                for row in self._db.execute(_ACTIONS.where(where).order_by(
                    slack_actions.c.received_at, slack_actions.c.rowid)).all()]

    def settle_action(self, action_id: str, status: ActionStatus, outcome: str,
                      at: datetime, details: Mapping[str, Any] | None = None) -> None:
        """An action refused, waiting (the file locked), or applied without a ticket's
        transitions (a row added, its `details` the row and actor: its ticket is credited
        once a cycle gives it its ID)."""
        values: dict[str, Any] = {"status": status, "outcome": outcome, "settled_at": _iso(at)}
        if details is not None:
            values["payload"] = json.dumps(dict(details), ensure_ascii=False)
        with self._transaction() as db:
            db.execute(update(slack_actions).where(slack_actions.c.action_id == action_id)
                       .values(values))

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
            db.execute(update(tickets).where(tickets.c.ticket_id == ticket_id).values(
                fields=json.dumps(dict(fields), sort_keys=True), last_seen=stamp))
            cycle = int(db.execute(select(func.max(cycles.c.id))).scalar() or 0)
            db.executemany(insert(db.dialect, transitions_table), [
                {"ticket_id": t.ticket_id, "field": t.field, "before": t.before,
                 "after": t.after, "observed_at": stamp, "cycle_id": cycle, "actor": actor}
                for t in transitions])
            self._insert_effects(db, list(effects), stamp, cycle)
            db.execute(update(slack_actions).where(slack_actions.c.action_id == action_id)
                       .values(status="applied", outcome=outcome, settled_at=stamp,
                               payload=json.dumps(dict(kept), ensure_ascii=False)))

    def credit_created(self) -> list[tuple[str, str]]:
        """Tickets added with `/ticket new` that a cycle has since given an ID: their
        `created` transition gets its actor. Returns (ticket, actor) for each credited."""
        a, created = slack_actions, transitions_table.alias("c")
        with self._transaction() as db:
            rows = db.execute(
                select(a.c.action_id, tickets.c.ticket_id, json_text(a.c.payload, "actor"))
                .join(tickets, tickets.c.row_number == cast(json_text(a.c.payload, "row"),
                                                            Integer))
                .where(a.c.kind == "new", a.c.status == "applied", a.c.ticket_id.is_(None),
                       exists().where(created.c.ticket_id == tickets.c.ticket_id,
                                      created.c.field == "ticket",
                                      created.c.after == "created",
                                      created.c.observed_at >= a.c.received_at))
                .order_by(a.c.received_at, a.c.rowid)).all()
            db.executemany(_CREDIT, [{"ticket": t, "who": who} for _, t, who in rows])
            db.executemany(_CREDITED, [{"action": action, "ticket": t}
                                       for action, t, _ in rows])
        return [(str(ticket), str(actor)) for _, ticket, actor in rows]

    def message_at(self, channel: str, ts: str) -> str | None:
        """The key of the escalation or incident message this tracker posted as `ts` in
        `channel`, if it did: a click on it is for this tracker, and its reply goes there."""
        key = self._db.execute(
            select(outbox.c.key).where(outbox.c.kind.in_((SLACK_MESSAGE, SLACK_INCIDENT)),
                                       json_text(outbox.c.result, "ts") == ts,
                                       json_text(outbox.c.result, "channel") == channel)
            .limit(1)).scalar()
        return None if key is None else str(key)

    def ticket_fields(self, ticket_id: str) -> dict[str, str | None] | None:
        """One ticket's tracked fields as the last cycle (or action) left them."""
        fields = self._db.execute(select(tickets.c.fields).where(
            tickets.c.ticket_id == ticket_id)).scalar()
        return None if fields is None else dict(json.loads(fields))

    def shown_message(self, ticket_id: str) -> tuple[str, Mapping[str, Any]] | None:
        """The key of the ticket's latest escalation message and what it shows now (its
        last update's payload, or its own): where a reply goes and what an update changes."""
        row = self._db.execute(
            select(outbox.c.key, outbox.c.payload)
            .where(outbox.c.ticket_id == ticket_id,
                   outbox.c.kind.in_(("slack.message", "slack.update")))
            .order_by(outbox.c.rowid.desc()).limit(1)).first()
        if row is None:
            return None
        payload = json.loads(row[1])
        return str(payload.get("parent") or row[0]), payload
