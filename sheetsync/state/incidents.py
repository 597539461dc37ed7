"""Incidents: many sellers, one problem, and the tickets in each."""

from __future__ import annotations

import json
from datetime import datetime

from sheetsync.core.incidents import Incident
from sheetsync.state.database import Database, Repository, _iso


class IncidentRepository(Repository):
    """Open incidents, their members, and the tickets seen lately."""

    def active_incidents(self, since: datetime) -> list[Incident]:
        """Incidents whose latest ticket came at or after `since`."""
        found = []
        for number, label, opened, last, sellers in self._db.execute(
                "SELECT number, label, opened_at, last_at, sellers FROM incidents "
                "WHERE last_at >= ? ORDER BY number", (_iso(since),)):
            tickets = tuple(row[0] for row in self._db.execute(
                "SELECT ticket_id FROM incident_tickets WHERE number = ? ORDER BY joined_at",
                (number,)))
            found.append(Incident(number, label, datetime.fromisoformat(opened),
                                  datetime.fromisoformat(last), tickets,
                                  frozenset(json.loads(sellers))))
        return found

    def next_incident_number(self) -> int:
        return int(self._db.execute("SELECT coalesce(max(number), 0) + 1 FROM incidents")
                   .fetchone()[0])

    def recent_tickets(self, since: datetime) -> dict[str, str]:
        """Tickets first seen at or after `since` and in no incident: ID -> when seen."""
        return dict(self._db.execute(
            "SELECT ticket_id, min(observed_at) FROM transitions WHERE field = 'ticket' "
            "AND after = 'created' AND observed_at >= ? AND ticket_id NOT IN "
            "(SELECT ticket_id FROM incident_tickets) GROUP BY ticket_id",
            (_iso(since),)).fetchall())

    def incident_members(self) -> dict[str, tuple[int, str, int]]:
        """Each ticket in an incident: the incident's number, summary and seller count."""
        return {ticket: (number, label, len(json.loads(sellers)))
                for ticket, number, label, sellers in self._db.execute(
                    "SELECT t.ticket_id, i.number, i.label, i.sellers FROM incident_tickets t "
                    "JOIN incidents i ON i.number = t.number")}

    @staticmethod
    def _save_incidents(db: Database, opened: list[Incident],
                        joined: list[tuple[int, str, str | None]], at: str) -> None:
        db.executemany("INSERT INTO incidents VALUES (?, ?, ?, ?, ?)",
                       [(i.number, i.label, _iso(i.opened_at), _iso(i.last_at),
                         json.dumps(sorted(i.sellers))) for i in opened])
        db.executemany("INSERT OR IGNORE INTO incident_tickets VALUES (?, ?, ?)",
                       [(ticket, i.number, at) for i in opened for ticket in i.tickets] +
                       [(ticket, number, at) for number, ticket, _ in joined])
        for number, _, seller in joined:
            row = db.execute("SELECT sellers FROM incidents WHERE number = ?",
                             (number,)).fetchone()
            sellers = set(json.loads(row[0])) | ({seller} if seller else set())
            db.execute("UPDATE incidents SET last_at = max(last_at, ?), sellers = ? "
                       "WHERE number = ?", (at, json.dumps(sorted(sellers)), number))
