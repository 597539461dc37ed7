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

from sheetsync.core.effects import Effect
from sheetsync.core.incidents import Incident
from sheetsync.core.task_links import TaskLink
from sheetsync.core.tickets import Snapshot
from sheetsync.core.transitions import Transition
from sheetsync.errors import InputError
from sheetsync.faults import NotAState
from sheetsync.state.actions import ActionRepository
from sheetsync.state.database import Database, _iso, _statements
from sheetsync.state.incidents import IncidentRepository
from sheetsync.state.jobs import JobRepository
from sheetsync.state.lease import Lease
from sheetsync.state.migrations import MIGRATIONS
from sheetsync.state.snapshots import SnapshotRepository
from sheetsync.state.tasks import TaskRepository

if TYPE_CHECKING:
    from sheetsync.config import Config

_MIGRATED: set[tuple[str, str]] = set()  # PostgreSQL schemas this process has migrated


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
        with Database(None, "sqlite", path).faults():
            if not path.exists():
                _create(path)
            elif path.stat().st_size == 0:
                raise NotAState(f"{path}: an empty file, not a sheetsync state (sheetsync "
                                "makes a new state whole, never empty); remove it, or point "
                                "state.path at the state")
            connection = sqlite3.connect(path, isolation_level=None, timeout=30)
        self._db = Database(connection, "sqlite", path)
        try:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")  # a commit survives power loss too
            self._db.execute("PRAGMA foreign_keys=ON")
            _refuse_foreign(self._db)
            self._migrate()
        except BaseException:
            connection.close()
            raise

    @classmethod
    def postgres(cls, url: str, schema: str, *, lease: Lease | None = None) -> StateStore:
        """The state in a PostgreSQL schema of its own (one per tracker), migrated."""
        import psycopg

        store = cls.__new__(cls)
        store.path, store.lease = f"{without_password(url)} schema {schema}", lease
        try:
            connection = psycopg.connect(url, autocommit=True, connect_timeout=10)
        except psycopg.Error as exc:
            raise InputError(f"state.url {without_password(url)}: cannot connect "
                             f"({str(exc).strip().splitlines()[0]}); the password comes from "
                             "PGPASSWORD or ~/.pgpass") from None
        store._db = Database(connection, "postgres", store.path)
        if (url, schema) in _MIGRATED:  # the daemon opens the store several times a tick
            connection.execute(f'SET search_path TO "{schema}"')
            return store
        # Replicas starting together migrate one at a time (CREATE SCHEMA IF NOT EXISTS and
        # the migrations themselves race otherwise).
        connection.execute("SELECT pg_advisory_lock(hashtext(%s))", (f"sheetsync:{schema}",))
        try:
            connection.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
            connection.execute(f'SET search_path TO "{schema}"')
            store._migrate()
        finally:
            connection.execute("SELECT pg_advisory_unlock(hashtext(%s))",
                               (f"sheetsync:{schema}",))
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
            self._db.connection.backup(copy)
        os.replace(temporary, target)

    def __enter__(self) -> StateStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def version(self) -> int:
        return self._db.version

    def _migrate(self) -> None:
        current = self.version
        if current > len(MIGRATIONS):
            raise InputError(
                f"{self.path}: written by a newer sheetsync (state version {current}, this "
                f"one knows {len(MIGRATIONS)}); upgrade sheetsync")
        for version, script in enumerate(MIGRATIONS[current:], start=current + 1):
            with self._transaction():
                for statement in _statements(script):
                    self._db.execute(statement)
                self._db.set_version(version)

    def commit_cycle(self, record: CycleRecord) -> int:
        """Commit a cycle's snapshot, transitions and planned effects in one transaction.

        Effects are inserted by key and never replaced: planning the same effect again (after
        a crash before dispatch, say) leaves the first one as it is. Returns the cycle's ID.
        """
        at = _iso(record.started_at)
        transitions = list(record.transitions)
        effects = list(record.effects)
        with self._transaction() as db:
            cycle_id = db.execute(
                "INSERT INTO cycles (started_at, finished_at, rows, new_tickets, transitions,"
                " findings, effects) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (at, at, record.rows, record.new_tickets, len(transitions), record.findings,
                 len(effects))).fetchone()[0]
            changed = frozenset(record.snapshot) if record.changed is None else record.changed
            db.executemany(
                "INSERT INTO tickets (ticket_id, row_number, row_hash, fields, present, "
                "first_seen, last_seen, in_sheet, archived) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (ticket_id) DO UPDATE SET row_number = excluded.row_number, "
                "row_hash = excluded.row_hash, fields = excluded.fields, "
                "present = excluded.present, last_seen = excluded.last_seen, "
                "in_sheet = excluded.in_sheet, archived = excluded.archived",
                [(s.ticket_id, s.row, s.row_hash, json.dumps(dict(s.fields), sort_keys=True),
                  int(s.present), at, at, int(s.in_sheet), int(s.archived))
                 for s in map(record.snapshot.__getitem__, sorted(changed))])
            db.executemany(
                "INSERT INTO transitions (ticket_id, field, before, after, observed_at, cycle_id)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                [(t.ticket_id, t.field, t.before, t.after, at, cycle_id) for t in transitions])
            self._insert_effects(db, effects, at, int(cycle_id or 0))
            db.execute("INSERT INTO meta VALUES ('next_ticket_number', ?) ON CONFLICT (key) "
                       "DO UPDATE SET value = excluded.value", (str(record.next_ticket_number),))
            db.execute("INSERT OR IGNORE INTO meta VALUES ('adopted_at', ?)", (at,))
            self._save_tasks(db, record.tasks)
            self._save_incidents(db, list(record.incidents), list(record.joined), at)
            db.executemany("INSERT INTO levels VALUES (?, ?) ON CONFLICT (ticket_id) DO UPDATE "
                           "SET level = excluded.level", list(record.levels.items()))
            if record.followups is not None:  # the sheet says it all: replace them
                if record.scope is None:
                    db.execute("DELETE FROM followups")
                else:
                    db.executemany("DELETE FROM followups WHERE ticket_id = ?",
                                   [(t,) for t in record.scope])
                db.executemany("INSERT INTO followups VALUES (?, ?, ?)",
                               [(t, due, who) for t, (due, who) in record.followups.items()])
            if record.tasks_polled_at is not None:
                db.execute("INSERT INTO meta VALUES ('tasks_polled_at', ?) ON CONFLICT (key) "
                           "DO UPDATE SET value = excluded.value",
                           (_iso(record.tasks_polled_at),))
        return int(cycle_id or 0)


def _create(path: Path) -> None:
    """A new state file, made whole beside `path` and moved into place: a crash while making
    it leaves no empty or half-made state behind (an empty file is refused, not adopted)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    making = path.with_name(f".{path.name}.new")
    making.unlink(missing_ok=True)
    os.close(os.open(making, os.O_CREAT | os.O_WRONLY, 0o600))
    with closing(sqlite3.connect(making, isolation_level=None)) as connection:
        db = Database(connection, "sqlite", path)
        for version, script in enumerate(MIGRATIONS, start=1):
            db.begin()
            for statement in _statements(script):
                db.execute(statement)
            db.set_version(version)
            db.execute("COMMIT")
    os.replace(making, path)


def _refuse_foreign(db: Database) -> None:
    """Another program's SQLite database is refused, not migrated into a state."""
    if db.version == 0 and db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
        raise NotAState(f"{db.where}: an SQLite database of another program, not a sheetsync "
                        "state; point state.path at the state, or move this file away")


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
