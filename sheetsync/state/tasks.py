"""ClickUp task links: which task follows which ticket, created by sheetsync or typed by a
person."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sheetsync.core.task_links import CREATED_BY_SHEETSYNC, TaskLink
from sheetsync.state.database import Database, Repository


class TaskRepository(Repository):
    """Task links, and the tasks sheetsync created that are not linked yet."""

    def tasks(self) -> dict[str, TaskLink]:
        """Every ticket's task link."""
        return {row[0]: TaskLink(row[0], row[1], row[2], row[3], row[4], bool(row[5]),
                                 bool(row[6]), bool(row[7]))
                for row in self._db.execute(
                    "SELECT ticket_id, task_id, url, source, status, closed, found, written "
                    "FROM tasks")}

    def link_created_tasks(self) -> list[TaskLink]:
        """Link each task sheetsync created and has not linked yet; returns the new links.

        Derived from the sent effects, so a crash after "sent" and before this loses none.
        """
        with self._transaction() as db:
            rows = db.execute(
                "SELECT ticket_id, json_extract(result, '$.id'), json_extract(result, '$.url'), "
                "json_extract(result, '$.status') FROM effects WHERE kind = 'clickup.task' "
                "AND status = 'sent' AND json_extract(result, '$.id') IS NOT NULL "
                "AND ticket_id NOT IN (SELECT ticket_id FROM tasks)").fetchall()
            links = [TaskLink(ticket, str(task), url, CREATED_BY_SHEETSYNC, status)
                     for ticket, task, url, status in rows]
            self._save_tasks(db, links)
        return links

    def unlinked_tasks(self) -> int:
        """How many tasks sheetsync created that are not linked to their ticket yet (the next
        cycle links them and writes their IDs into the rows)."""
        return int(self._db.execute(
            "SELECT count(*) FROM effects WHERE kind = 'clickup.task' AND status = 'sent' "
            "AND json_extract(result, '$.id') IS NOT NULL "
            "AND ticket_id NOT IN (SELECT ticket_id FROM tasks)").fetchone()[0])

    def save_tasks(self, links: Iterable[TaskLink]) -> None:
        """Record task links: a person's, or one now in the sheet."""
        with self._transaction() as db:
            self._save_tasks(db, links)

    @staticmethod
    def _save_tasks(db: Database, links: Iterable[TaskLink]) -> None:
        db.executemany(
            "INSERT INTO tasks VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (ticket_id) DO "
            "UPDATE SET task_id = excluded.task_id, url = excluded.url, "
            "source = excluded.source, status = excluded.status, closed = excluded.closed, "
            "found = excluded.found, written = excluded.written",
            [(k.ticket_id, k.task_id, k.url, k.source, k.status, int(k.closed),
              int(k.exists), int(k.written)) for k in links])

    @property
    def tasks_polled_at(self) -> datetime | None:
        value = self._meta("tasks_polled_at")
        return datetime.fromisoformat(value) if value else None
