"""ClickUp task links: which task follows which ticket, created by sheetsync or typed by a
person."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import func, select

from sheetsync.core.task_links import CREATED_BY_SHEETSYNC, TaskLink
from sheetsync.state.database import Database, Repository
from sheetsync.state.dialects import json_text, upsert
from sheetsync.state.tables import effects, tasks

_TASK_ID = json_text(effects.c.result, "id")
#: Tasks sheetsync created (sent, with ClickUp's ID) whose ticket has no link yet
_UNLINKED = (effects.c.kind == "clickup.task", effects.c.status == "sent",
             _TASK_ID.is_not(None), effects.c.ticket_id.not_in(select(tasks.c.ticket_id)))


class TaskRepository(Repository):
    """Task links, and the tasks sheetsync created that are not linked yet."""

    def tasks(self) -> dict[str, TaskLink]:
        """Every ticket's task link."""
        return {row[0]: TaskLink(row[0], row[1], row[2], row[3], row[4], bool(row[5]),
                                 bool(row[6]), bool(row[7]))
                for row in self._db.execute(select(
                    tasks.c.ticket_id, tasks.c.task_id, tasks.c.url, tasks.c.source,
                    tasks.c.status, tasks.c.closed, tasks.c.found, tasks.c.written)).all()}

    def link_created_tasks(self) -> list[TaskLink]:
        """Link each task sheetsync created and has not linked yet; returns the new links.

        Derived from the sent effects, so a crash after "sent" and before this loses none.
        """
        with self._transaction() as db:
            rows = db.execute(
                select(effects.c.ticket_id, _TASK_ID, json_text(effects.c.result, "url"),
                       json_text(effects.c.result, "status")).where(*_UNLINKED)).all()
            links = [TaskLink(ticket, str(task), url, CREATED_BY_SHEETSYNC, status)
                     for ticket, task, url, status in rows]
            self._save_tasks(db, links)
        return links

    def unlinked_tasks(self) -> int:
        """How many tasks sheetsync created that are not linked to their ticket yet (the next
        cycle links them and writes their IDs into the rows)."""
        return int(self._db.execute(
            select(func.count()).select_from(effects).where(*_UNLINKED)).scalar_one())

    def save_tasks(self, links: Iterable[TaskLink]) -> None:
        """Record task links: a person's, or one now in the sheet."""
        with self._transaction() as db:
            self._save_tasks(db, links)

    @staticmethod
    def _save_tasks(db: Database, links: Iterable[TaskLink]) -> None:
        db.executemany(
            upsert(db.dialect, tasks, ("ticket_id",),
                   ("task_id", "url", "source", "status", "closed", "found", "written")),
            [{"ticket_id": k.ticket_id, "task_id": k.task_id, "url": k.url, "source": k.source,
              "status": k.status, "closed": int(k.closed), "found": int(k.exists),
              "written": int(k.written)} for k in links])

    @property
    def tasks_polled_at(self) -> datetime | None:
        value = self._meta("tasks_polled_at")
        return datetime.fromisoformat(value) if value else None
