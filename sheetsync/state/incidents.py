"""Incidents: many sellers, one problem, and the tickets in each."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import func, select, update

from sheetsync.core.incidents import Incident
from sheetsync.state.database import Database, Repository, _iso
from sheetsync.state.dialects import greatest, insert, insert_ignored
from sheetsync.state.tables import incident_tickets, incidents, transitions


class IncidentRepository(Repository):
    """Open incidents, their members, and the tickets seen lately."""

    def active_incidents(self, since: datetime) -> list[Incident]:
        """Incidents whose latest ticket came at or after `since`."""
        found = []
        i = incidents.c
        for number, label, opened, last, sellers in self._db.execute(
                select(i.number, i.label, i.opened_at, i.last_at, i.sellers)
                .where(i.last_at >= _iso(since)).order_by(i.number)).all():
            tickets = tuple(self._db.execute(
                select(incident_tickets.c.ticket_id).where(incident_tickets.c.number == number)
                .order_by(incident_tickets.c.joined_at)).scalars())
            found.append(Incident(number, label, datetime.fromisoformat(opened),
                                  datetime.fromisoformat(last), tickets,
                                  frozenset(json.loads(sellers))))
        return found

    def next_incident_number(self) -> int:
        return int(self._db.execute(
            select(func.coalesce(func.max(incidents.c.number), 0) + 1)).scalar_one())

    def recent_tickets(self, since: datetime) -> dict[str, str]:
        """Tickets first seen at or after `since` and in no incident: ID -> when seen."""
        t = transitions.c
        return {ticket: at for ticket, at in self._db.execute(
            select(t.ticket_id, func.min(t.observed_at))
            .where(t.field == "ticket", t.after == "created", t.observed_at >= _iso(since),
                   t.ticket_id.not_in(select(incident_tickets.c.ticket_id)))
            .group_by(t.ticket_id)).all()}

    def incident_members(self) -> dict[str, tuple[int, str, int]]:
        """Each ticket in an incident: the incident's number, summary and seller count."""
        return {ticket: (number, label, len(json.loads(sellers)))
                for ticket, number, label, sellers in self._db.execute(
                    select(incident_tickets.c.ticket_id, incidents.c.number, incidents.c.label,
                           incidents.c.sellers)
                    .join(incidents, incidents.c.number == incident_tickets.c.number)).all()}

    @staticmethod
    def _save_incidents(db: Database, opened: list[Incident],
                        joined: list[tuple[int, str, str | None]], at: str) -> None:
        db.executemany(insert(db.dialect, incidents), [
            {"number": i.number, "label": i.label, "opened_at": _iso(i.opened_at),
             "last_at": _iso(i.last_at), "sellers": json.dumps(sorted(i.sellers))}
            for i in opened])
        db.executemany(insert_ignored(db.dialect, incident_tickets), [
            {"ticket_id": ticket, "number": number, "joined_at": at}
            for number, ticket in [(i.number, t) for i in opened for t in i.tickets] +
            [(number, ticket) for number, ticket, _ in joined]])
        for number, _, seller in joined:
            known = db.execute(select(incidents.c.sellers)
                               .where(incidents.c.number == number)).scalar_one()
            sellers = set(json.loads(known)) | ({seller} if seller else set())
            db.execute(update(incidents).where(incidents.c.number == number).values(
                last_at=greatest(incidents.c.last_at, at), sellers=json.dumps(sorted(sellers))))
