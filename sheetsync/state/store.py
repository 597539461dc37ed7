"""The state store: one tracker's state behind one facade of repositories sharing one
connection.

Embedded SQLite by default; PostgreSQL (`state.url`) when several replicas share one state,
with the same migrations and a lease so only one replica runs cycles at a time. What a cycle
learns is committed in one transaction (`commit_cycle`, across the repositories' tables)
before any effect is dispatched, so a crash at any point leaves either the cycle before or
the cycle after, never half of one. The store holds no phone number: snapshots keep the
tracked fields and a keyed row hash, and the key lives only here.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
from collections.abc import Iterable, Mapping
from contextlib import closing
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import bindparam, delete, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.schema import CreateSchema

from sheetsync.core.effects import Effect
from sheetsync.core.incidents import Incident
from sheetsync.core.task_links import TaskLink
from sheetsync.core.tickets import Snapshot
from sheetsync.core.transitions import Transition
from sheetsync.errors import InputError
from sheetsync.faults import NotAState
from sheetsync.state.actions import ActionRepository
from sheetsync.state.database import Database, _iso, faults
from sheetsync.state.dialects import insert, insert_ignored, upsert
from sheetsync.state.incidents import IncidentRepository
from sheetsync.state.jobs import JobRepository
from sheetsync.state.lease import Lease
from sheetsync.state.migrations import migrate, version
from sheetsync.state.snapshots import SnapshotRepository
from sheetsync.state.tables import STATE_TABLES, cycles, followups, levels, meta, tickets
from sheetsync.state.tables import transitions as transitions_table
from sheetsync.state.tasks import TaskRepository

if TYPE_CHECKING:
    from sheetsync.config import Config

_MIGRATED: set[tuple[str, str]] = set()  # PostgreSQL schemas this process has migrated
_FORGET_FOLLOWUP = delete(followups).where(followups.c.ticket_id == bindparam("ticket"))
_FIRST_ROWS = select(*(select(*t.primary_key.columns[:1]).limit(1).scalar_subquery()
                       for t in STATE_TABLES))


@dataclass(frozen=True)
class CycleRecord:
    """Everything one cycle learned, committed together."""

    started_at: datetime
    rows: int
    snapshot: Mapping[str, Snapshot]  # the whole snapshot after the cycle
    transitions: Iterable[Transition]
    effects: Iterable[Effect]
    next_ticket_number: int
    findings: int = 0
    new_tickets: int = 0
    changed: frozenset[str] | None = None  # IDs whose snapshot changed; None: every one
    tasks: Iterable[TaskLink] = ()  # task links new or changed (ClickUp's word on them)
    tasks_polled_at: datetime | None = None  # when ClickUp was last asked about them
    incidents: Iterable[Incident] = ()  # opened this cycle
    joined: Iterable[tuple[int, str, str | None]] = ()  # (incident, ticket, seller's hash)
    followups: Mapping[str, tuple[str, str | None]] | None = None  # ticket -> (due, assignee);
    # None: the preset records no follow-ups
    levels: Mapping[str, str] = field(default_factory=dict)  # escalated tickets' levels
    scope: frozenset[str] | None = None  # the tickets whose rows this cycle read again (the


class StateStore(SnapshotRepository, ActionRepository, JobRepository, IncidentRepository,
                 TaskRepository):
    """One tracker's state: in an SQLite file (WAL, created with mode 0600), or in a
    PostgreSQL schema (`StateStore.postgres`). Each repository holds one concern: snapshots
    and history, the outbox (with the lease that fences it), job runs, incidents, tasks, and
    what people did from Slack (an outbox repository too: its actions plan effects)."""

    def __init__(self, path: Path, *, lease: Lease | None = None) -> None:
        self.path: Path | str = path
        self.lease = lease  # this replica's lease, when it runs cycles and sends
        with faults(path):
            if not path.exists():
                _create(path)
            elif path.stat().st_size == 0:
                raise NotAState(f"{path}: an empty file, not a sheetsync state (sheetsync "
                                "makes a new state whole, never empty); remove it, or point "
                                "state.path at the state")
        self._db = Database.sqlite(path)
        try:
            self._db.pragma("PRAGMA journal_mode=WAL")
            self._db.pragma("PRAGMA synchronous=FULL")  # a commit survives power loss too
            self._db.pragma("PRAGMA foreign_keys=ON")
            _refuse_foreign(self._db)
            migrate(self._db)
            _touch_every_table(self._db)
        except BaseException:
            self._db.close()
            raise

    @classmethod
    def postgres(cls, url: str, schema: str, *, lease: Lease | None = None) -> StateStore:
        """The state in a PostgreSQL schema of its own (one per tracker), migrated."""
        store = cls.__new__(cls)
        store.path, store.lease = f"{without_password(url)} schema {schema}", lease
        try:
            store._db = Database.postgres(url, schema, store.path)
        except DBAPIError as exc:
            said = str(exc.orig or exc).strip().splitlines()[0]
            raise InputError(f"state.url {without_password(url)}: cannot connect ({said}); "
                             "the password comes from PGPASSWORD or ~/.pgpass") from None
        if (url, schema) in _MIGRATED:  # the daemon opens the store several times a tick
            return store
        # Replicas starting together migrate one at a time (CREATE SCHEMA IF NOT EXISTS and
        # the migrations themselves race otherwise).
        lock = {"lock": f"sheetsync:{schema}"}
        store._db.execute(text("SELECT pg_advisory_lock(hashtext(:lock))"), lock)
        try:
            store._db.execute(CreateSchema(schema, if_not_exists=True))
            migrate(store._db)
        finally:
            store._db.execute(text("SELECT pg_advisory_unlock(hashtext(:lock))"), lock)
        _MIGRATED.add((url, schema))
        return store

    def close(self) -> None:
        self._db.close()

    def backup(self, target: Path) -> None:
        """A consistent copy of the state at `target` (SQLite's online backup: the daemon may
        keep running), created with mode 0600 like the state itself."""
        if self._db.dialect != "sqlite":
            raise InputError("the state is in PostgreSQL: back it up with pg_dump")
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(f".{target.name}.tmp")
        temporary.unlink(missing_ok=True)
        os.close(os.open(temporary, os.O_CREAT | os.O_WRONLY, 0o600))
        with closing(sqlite3.connect(temporary)) as copy:
            driver = self._db.connection.connection.driver_connection
            assert isinstance(driver, sqlite3.Connection)
            driver.backup(copy)
        os.replace(temporary, target)

    def __enter__(self) -> StateStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def version(self) -> int:
        return version(self._db)

    def commit_cycle(self, record: CycleRecord) -> int:
        """Commit a cycle's snapshot, transitions and planned effects in one transaction.

        Effects are inserted by key and never replaced: planning the same effect again (after
        a crash before dispatch, say) leaves the first one as it is. Returns the cycle's ID.
        """
        at = _iso(record.started_at)
        transitions = list(record.transitions)
        effects = list(record.effects)
        dialect = self._db.dialect
        with self._transaction() as db:
            cycle_id = int(db.execute(insert(dialect, cycles).values(
                started_at=at, finished_at=at, rows=record.rows,
                new_tickets=record.new_tickets, transitions=len(transitions),
                findings=record.findings, effects=len(effects)).returning(cycles.c.id)
            ).scalar_one())
            changed = frozenset(record.snapshot) if record.changed is None else record.changed
            db.executemany(
                upsert(dialect, tickets, ("ticket_id",), (
                    "row_number", "row_hash", "fields", "present", "last_seen", "in_sheet",
                    "archived")),
                [{"ticket_id": s.ticket_id, "row_number": s.row, "row_hash": s.row_hash,
                  "fields": json.dumps(dict(s.fields), sort_keys=True),
                  "present": int(s.present), "first_seen": at, "last_seen": at,
                  "in_sheet": int(s.in_sheet), "archived": int(s.archived)}
                 for s in map(record.snapshot.__getitem__, sorted(changed))])
            db.executemany(insert(dialect, transitions_table), [
                {"ticket_id": t.ticket_id, "field": t.field, "before": t.before,
                 "after": t.after, "observed_at": at, "cycle_id": cycle_id}
                for t in transitions])
            self._insert_effects(db, effects, at, cycle_id)
            self._set_meta(db, "next_ticket_number", str(record.next_ticket_number))
            db.execute(insert_ignored(dialect, meta).values(key="adopted_at", value=at))
            self._save_tasks(db, record.tasks)
            self._save_incidents(db, list(record.incidents), list(record.joined), at)
            db.executemany(upsert(dialect, levels, ("ticket_id",), ("level",)),
                           [{"ticket_id": t, "level": level}
                            for t, level in record.levels.items()])
            if record.followups is not None:  # the sheet says it all: replace them
                if record.scope is None:
                    db.execute(delete(followups))
                else:
                    db.executemany(_FORGET_FOLLOWUP, [{"ticket": t} for t in record.scope])
                db.executemany(insert(dialect, followups), [
                    {"ticket_id": t, "due": due, "assignee": who}
                    for t, (due, who) in record.followups.items()])
            if record.tasks_polled_at is not None:
                self._set_meta(db, "tasks_polled_at", _iso(record.tasks_polled_at))
        return cycle_id

    def note_held_read(self, at: datetime | None, reason: str | None = None) -> None:
        """The daemon held back a read this tracker wanted (Google's shared quota budget was
        short) at `at`, and why; None: it reads again."""
        with self._transaction() as db:
            self._set_meta(db, "read_held", None if at is None else json.dumps(
                {"at": _iso(at), "reason": reason}))

    @property
    def read_held(self) -> dict[str, str] | None:
        """When and why the daemon last held back this tracker's read, while it still does."""
        value = self._meta("read_held")
        return None if value is None else dict(json.loads(value))


def _create(path: Path) -> None:
    """A new state file, made whole beside `path` and moved into place: a crash while making
    it leaves no empty or half-made state behind (an empty file is refused, not adopted)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    making = path.with_name(f".{path.name}.new")
    making.unlink(missing_ok=True)
    os.close(os.open(making, os.O_CREAT | os.O_WRONLY, 0o600))
    db = Database.sqlite(making, where=path)
    try:
        migrate(db)
    finally:
        db.close()
    os.replace(making, path)


def _refuse_foreign(db: Database) -> None:
    """Another program's SQLite database is refused, not migrated into a state."""
    if db.pragma("PRAGMA user_version") == 0 and db.execute(
            text("SELECT count(*) FROM sqlite_master")).scalar():
        raise NotAState(f"{db.where}: an SQLite database of another program, not a sheetsync "
                        "state; point state.path at the state, or move this file away")


def _touch_every_table(db: Database) -> None:
    """Read the first row of each of the state's tables, so damage where each begins is
    named as damage by whatever command opened the state, not only by the one that happens
    to read that table (SQLite finds a damaged page only when a statement reads it)."""
    db.execute(_FIRST_ROWS).all()


def open_state(config: Config, *, lease: Lease | None = None,
               environ: Mapping[str, str] | None = None) -> StateStore:
    """The store the config names: PostgreSQL at `state.url` (or $SHEETSYNC_STATE_URL), in
    the tracker's schema; else the SQLite file at `state.path`."""
    url = state_url(config, environ)
    if url:
        return StateStore.postgres(url, config.settings.state.namespace, lease=lease)
    return StateStore(config.state_path, lease=lease)


def state_url(config: Config, environ: Mapping[str, str] | None = None) -> str | None:
    environ = os.environ if environ is None else environ
    return environ.get("SHEETSYNC_STATE_URL") or config.settings.state.url


def has_state(config: Config) -> bool:
    """Whether a state exists yet (a database always may hold one: it is asked)."""
    return bool(state_url(config)) or config.state_path.exists()


def without_password(url: str) -> str:
    return re.sub(r"(//[^:/@]+):[^@]*@", r"\1:***@", url)
