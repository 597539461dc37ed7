"""ClickUp task links: which task follows which ticket, created by sheetsync or typed by a
person."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import bindparam, exists, func, select

from sheetsync.core.task_links import CREATED_BY_SHEETSYNC, TaskLink
from sheetsync.state.database import Database, Repository, _iso
from sheetsync.state.dialects import json_text, upsert
from sheetsync.state.tables import effects, tasks

_TASK_ID = json_text(effects.c.result, "id")
_TASK_EFFECT = effects.c.kind == "clickup.task"
#: Tasks sheetsync created (sent, with ClickUp's ID) whose ticket has no link yet, among the
#: task effects changed since `since` (the index effects_by_kind finds those)
_UNLINKED = (_TASK_EFFECT, effects.c.updated_at >= bindparam("since"),
             effects.c.status == "sent", _TASK_ID.is_not(None), effects.c.ticket_id.is_not(None),
             ~exists().where(tasks.c.ticket_id == effects.c.ticket_id))
#: The state's fact: the latest change of a task effect when the unlinked were last linked
_LINKED_THROUGH = "tasks_linked_through"
#: How long before the watermark a look starts again: a send may be stamped a little before
#: one committed ahead of it (two couriers), or by a clock a little behind
_OVERLAP = timedelta(hours=1)


class TaskRepository(Repository):
    """Task links, and the tasks sheetsync created that are not linked yet."""

    def tasks(self) -> dict[str, TaskLink]:
        """Every ticket's task link."""
        return {row[0]: TaskLink(row[0], row[1], row[2], row[3], row[4], bool(row[5]),
                                 bool(row[6]), bool(row[7]))
                for row in self._db.execute(select(
                    tasks.c.ticket_id, tasks.c.task_id, tasks.c.url, tasks.c.source,
                    tasks.c.status, tasks.c.closed, tasks.c.found, tasks.c.written)).all()}

    def link_created_tasks(self, now: datetime) -> list[TaskLink]:
        """Link each task sheetsync created and has not linked yet; returns the new links.

        Derived from the sent effects, so a crash after "sent" and before this loses none.
        Only task effects changed since the last look are read (see `_since`), and the look's
        watermark moves in the same transaction as the links are saved.
        """
        with self._transaction() as db:
            through = db.execute(select(func.max(effects.c.updated_at)).where(
                _TASK_EFFECT)).scalar()
            rows = db.execute(
                select(effects.c.ticket_id, _TASK_ID, json_text(effects.c.result, "url"),
                       json_text(effects.c.result, "status")).where(*_UNLINKED),
                {"since": self._since(now)}).all()
            links = [TaskLink(ticket, str(task), url, CREATED_BY_SHEETSYNC, status)
                     for ticket, task, url, status in rows]
            self._save_tasks(db, links)
            if through is not None:
                self._set_meta(db, _LINKED_THROUGH, str(through))
        return links

    def unlinked_tasks(self, now: datetime) -> int:
        """How many tasks sheetsync created that are not linked to their ticket yet (the next
        cycle links them and writes their IDs into the rows)."""
        return int(self._db.execute(
            select(func.count()).select_from(effects).where(*_UNLINKED),
            {"since": self._since(now)}).scalar_one())

    def _since(self, now: datetime) -> str:
        """Where a look for unlinked tasks starts: every task effect changed before the last
        look's watermark, less `_OVERLAP`, was linked then. A clock that now reads earlier
        than the watermark (set back) moves the start back with it; a state never looked
        at is read from its first effect."""
        through = self._meta(_LINKED_THROUGH)
        if through is None:
            return ""
        return _iso(min(datetime.fromisoformat(through), now) - _OVERLAP)

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
