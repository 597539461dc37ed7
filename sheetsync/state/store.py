"""The state store: ticket snapshots, transition history, the effect outbox, job runs.

Embedded SQLite by default; PostgreSQL (`state.url`) when several replicas share one state,
with the same migrations and a lease so only one replica runs cycles at a time. The SQL is
written once, in SQLite's spelling, and `Database` translates the few places PostgreSQL
spells differently.

What a cycle learns is committed in one transaction before any effect is dispatched, so a
crash at any point leaves either the cycle before or the cycle after, never half of one. The
store holds no phone number: snapshots keep the tracked fields and a keyed row hash, and the
key lives only here. Migrations are numbered SQL scripts run in order.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import socket
import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from sheetsync.core.effects import Effect, EffectStatus
from sheetsync.errors import InputError, SheetsyncError
from sheetsync.faults import NotAState, state_fault
from sheetsync.core.incidents import Incident
from sheetsync.core.task_links import CREATED_BY_SHEETSYNC, TaskLink
from sheetsync.core.tickets import Snapshot
from sheetsync.core.transitions import Transition

if TYPE_CHECKING:
    from sheetsync.config import Config

MIGRATIONS: tuple[str, ...] = (
    # 1: the first schema
    """
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE tickets (
        ticket_id TEXT PRIMARY KEY,
        row_number INTEGER NOT NULL,
        row_hash TEXT NOT NULL,
        fields TEXT NOT NULL,            -- JSON: the tracked fields, canonical
        present INTEGER NOT NULL,
        first_seen TEXT NOT NULL,
        last_seen TEXT NOT NULL
    );
    CREATE TABLE cycles (
        id INTEGER PRIMARY KEY,
        started_at TEXT NOT NULL,
        finished_at TEXT,
        rows INTEGER NOT NULL,
        new_tickets INTEGER NOT NULL,
        transitions INTEGER NOT NULL,
        findings INTEGER NOT NULL,
        effects INTEGER NOT NULL
    );
    CREATE TABLE transitions (
        id INTEGER PRIMARY KEY,
        ticket_id TEXT NOT NULL,
        field TEXT NOT NULL,
        before TEXT,
        after TEXT,
        observed_at TEXT NOT NULL,
        cycle_id INTEGER NOT NULL REFERENCES cycles(id)
    );
    CREATE INDEX transitions_by_ticket ON transitions (ticket_id, id);
    CREATE INDEX transitions_by_time ON transitions (observed_at);
    CREATE TABLE effects (
        key TEXT PRIMARY KEY,            -- says what the effect is for; never sent twice
        kind TEXT NOT NULL,              -- slack.message, clickup.task, ...
        ticket_id TEXT,
        payload TEXT NOT NULL,           -- JSON
        status TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed', 'cancelled')),
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        result TEXT,                     -- JSON: what the service answered (ts, task id)
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        cycle_id INTEGER NOT NULL REFERENCES cycles(id)
    );
    CREATE INDEX effects_by_status ON effects (status, created_at);
    CREATE TABLE job_runs (
        job TEXT NOT NULL,
        period TEXT NOT NULL,
        started_at TEXT NOT NULL,
        finished_at TEXT,
        status TEXT NOT NULL,
        PRIMARY KEY (job, period)
    );
    """,
    # 2: whether a ticket's ID has been read back from the sheet (IDs given out but never
    # written are found again by their row; others never move to another row)
    """
    ALTER TABLE tickets ADD COLUMN in_sheet INTEGER NOT NULL DEFAULT 1;
    """,
    # 3: when a person last asked for an effect to be retried (its hold age counts from then)
    """
    ALTER TABLE effects ADD COLUMN retried_at TEXT;
    """,
    # 4: the notes and highlights sheetsync put on a ticket's cells (recorded once written)
    """
    ALTER TABLE tickets ADD COLUMN marks TEXT NOT NULL DEFAULT '{}';
    """,
    # 5: tickets moved to the archive tab (archived, not deleted)
    """
    ALTER TABLE tickets ADD COLUMN archived INTEGER NOT NULL DEFAULT 0;
    """,
    # 6: an attempt whose outcome is unknown (sent, then the connection dropped or the process
    # died): the next attempt looks the effect up in the service before sending it again
    """
    ALTER TABLE effects ADD COLUMN unclear INTEGER NOT NULL DEFAULT 0;
    CREATE INDEX effects_by_ticket ON effects (ticket_id, kind);
    """,
    # 7: the ClickUp task each ticket follows, created by sheetsync or typed by a person
    """
    CREATE TABLE tasks (
        ticket_id TEXT PRIMARY KEY,
        task_id TEXT NOT NULL,
        url TEXT,
        source TEXT NOT NULL,
        status TEXT,
        closed INTEGER NOT NULL DEFAULT 0,
        found INTEGER NOT NULL DEFAULT 1,
        written INTEGER NOT NULL DEFAULT 0
    );
    """,
    # 8: incidents (many sellers, one problem) and the tickets in each
    """
    CREATE TABLE incidents (
        number INTEGER PRIMARY KEY,
        label TEXT NOT NULL,
        opened_at TEXT NOT NULL,
        last_at TEXT NOT NULL,
        sellers TEXT NOT NULL            -- JSON: the sellers' keyed hashes, never their numbers
    );
    CREATE TABLE incident_tickets (
        ticket_id TEXT PRIMARY KEY,
        number INTEGER NOT NULL REFERENCES incidents(number),
        joined_at TEXT NOT NULL
    );
    """,
    # 9: follow-ups people scheduled (a Follow-up Date), for reminders on the clock
    """
    CREATE TABLE followups (
        ticket_id TEXT PRIMARY KEY,
        due TEXT NOT NULL,
        assignee TEXT
    );
    """,
    # 10: each escalated ticket's escalation level (L1-L3), so raising it is a transition
    """
    CREATE TABLE levels (
        ticket_id TEXT PRIMARY KEY,
        level TEXT NOT NULL
    );
    """,
    # 11: the lease: which replica runs cycles and sends effects, until when (seconds since
    # the epoch on the database's own clock, so the replicas' clocks need not agree)
    """
    CREATE TABLE leases (
        name TEXT PRIMARY KEY,
        holder TEXT NOT NULL,
        expires DOUBLE PRECISION NOT NULL
    );
    """,
)
LEASE = "cycles"  # the one lease a tracker's replicas share
_MIGRATED: set[tuple[str, str]] = set()  # PostgreSQL schemas this process has migrated


class LeaseLost(Exception):
    """This replica no longer holds the lease: another one runs the tracker's cycles now."""


@dataclass(frozen=True)
class Lease:
    """Who this replica is, and for how long a renewal holds the lease."""

    holder: str
    seconds: float

    @classmethod
    def for_this_process(cls, seconds: float) -> Lease:
        """This process as a holder: its replica's name (SHEETSYNC_REPLICA, else the host's),
        its PID, and a random part no later process shares."""
        name = os.environ.get("SHEETSYNC_REPLICA") or socket.gethostname()
        return cls(f"{name}:{os.getpid()}:{secrets.token_hex(3)}", seconds)


class Standby(SheetsyncError):
    """Another replica holds the lease: this one runs no cycle and sends nothing."""

    def __init__(self, holder: str, seconds_left: float) -> None:
        super().__init__(f"another sheetsync ({holder}) runs this tracker's cycles for "
                         f"{max(seconds_left, 0):.0f} s more; this one runs none meanwhile")
        self.holder, self.seconds_left = holder, seconds_left


Dialect = Literal["sqlite", "postgres"]


class Database:
    """A connection and its SQL dialect.

    sheetsync's SQL is SQLite's; for PostgreSQL these are translated: `?` parameters,
    `INSERT OR IGNORE`, `json_extract`, two-argument `max`, autoincrementing keys, and the
    `rowid` every SQLite table has (a hidden insertion-order column on PostgreSQL's tables).
    """

    def __init__(self, connection: Any, dialect: Dialect, where: object = "the state") -> None:
        self.connection = connection
        self.dialect = dialect
        self.where = where  # the file or the database, for errors
        # seconds since the epoch, on the database's clock
        self.now = ("extract(epoch from clock_timestamp())" if dialect == "postgres" else
                    "((julianday('now') - 2440587.5) * 86400.0)")

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        with self.faults():
            if self.dialect == "sqlite":
                return self.connection.execute(sql, params)
            return self.connection.execute(_postgres(sql), params)

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> Any:
        with self.faults():
            if self.dialect == "sqlite":
                return self.connection.executemany(sql, rows)
            cursor = self.connection.cursor()
            cursor.executemany(_postgres(sql), list(rows))
            return cursor

    def begin(self) -> None:
        self.execute("BEGIN IMMEDIATE" if self.dialect == "sqlite" else "BEGIN")

    @contextmanager
    def faults(self) -> Iterator[None]:
        """The store's faults (a full disk, damage, a lost server) as errors that say so."""
        try:
            yield
        except Exception as exc:
            said = state_fault(exc, self.where)
            if said is None or said is exc:
                raise
            raise said from None

    @property
    def version(self) -> int:
        if self.dialect == "sqlite":
            return int(self.execute("PRAGMA user_version").fetchone()[0])
        self.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER)")
        row = self.execute("SELECT max(version) FROM schema_version").fetchone()
        return int(row[0] or 0)

    def set_version(self, version: int) -> None:
        if self.dialect == "sqlite":
            self.execute(f"PRAGMA user_version = {int(version)}")
        else:
            with self.faults():
                self.connection.execute("INSERT INTO schema_version VALUES (%s)", (version,))

    def close(self) -> None:
        self.connection.close()


@lru_cache(maxsize=256)
def _postgres(sql: str) -> str:
    """One statement of sheetsync's SQLite SQL as PostgreSQL spells it."""
    sql = sql.replace("%", "%%").replace("?", "%s")
    if sql.lstrip().upper().startswith("INSERT OR IGNORE"):
        sql = re.sub(r"INSERT OR IGNORE", "INSERT", sql, count=1) + " ON CONFLICT DO NOTHING"
    sql = re.sub(r"json_extract\((\w+(?:\.\w+)?), '\$\.(\w+)'\)", r"(\1::json ->> '\2')", sql)
    sql = re.sub(r"\bmax\((\w+), %s\)", r"greatest(\1, %s)", sql)
    if sql.lstrip().upper().startswith("CREATE TABLE"):
        sql = sql.replace("INTEGER PRIMARY KEY", "BIGINT GENERATED BY DEFAULT AS IDENTITY "
                                                 "PRIMARY KEY")
        sql = sql[:sql.rindex(")")].rstrip() + "\n    , rowid BIGSERIAL\n)"  # after a comment
    return sql


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
    # rest had not changed); None: every one. Follow-ups are replaced within it.


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    ticket_id: str
    field: str
    before: str | None
    after: str | None
    at: str


class StateStore:
    """One tracker's state: in an SQLite file (WAL, created with mode 0600), or in a
    PostgreSQL schema (`StateStore.postgres`)."""

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

    # --- schema ----------------------------------------------------------------------------

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

    @contextmanager
    def _transaction(self) -> Iterator[Database]:
        self._db.begin()
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    # --- the lease -------------------------------------------------------------------------

    def hold_lease(self, seconds: float | None = None) -> tuple[bool, str, float]:
        """Take or renew the lease for `seconds` (its own length by default) unless another
        replica holds it unexpired
        (a holder that was a process on this machine, now gone, is not waited for: a daemon
        restarted after a crash takes its own lease over at once).

        Returns whether this replica holds it, who does, and for how many more seconds.
        """
        assert self.lease is not None
        seconds = self.lease.seconds if seconds is None else seconds
        holds, holder, left = self._hold_lease(self.lease.holder, seconds)
        if not holds and _dead_here(holder):
            self.release_lease(holder)
            holds, holder, left = self._hold_lease(self.lease.holder, seconds)
        return holds, holder, left

    def _hold_lease(self, me: str, seconds: float) -> tuple[bool, str, float]:
        now = self._db.now
        with self._transaction() as db:
            db.execute(
                f"INSERT INTO leases VALUES (?, ?, {now} + ?) ON CONFLICT (name) DO UPDATE SET "
                "holder = excluded.holder, expires = excluded.expires WHERE "
                f"leases.holder = excluded.holder OR leases.expires < {now}",
                (LEASE, me, float(seconds)))
            holder, left = db.execute(f"SELECT holder, expires - {now} FROM leases "
                                      "WHERE name = ?", (LEASE,)).fetchone()
        return holder == me, str(holder), float(left)

    def release_lease(self, holder: str | None = None) -> None:
        """Give up this replica's lease (a clean stop: a standby takes over at its next tick),
        or end a dead `holder`'s."""
        holder = holder or (self.lease.holder if self.lease else None)
        if holder is not None:
            with self._transaction() as db:
                db.execute("DELETE FROM leases WHERE name = ? AND holder = ?", (LEASE, holder))

    # --- meta ------------------------------------------------------------------------------

    def _meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def hash_key(self) -> bytes:
        """The secret that keys row hashes, made on first use and kept only in this file."""
        value = self._meta("hash_key")
        if value is None:
            value = secrets.token_hex(32)
            with self._transaction() as db:
                db.execute("INSERT OR IGNORE INTO meta VALUES ('hash_key', ?)", (value,))
            value = self._meta("hash_key")
        return bytes.fromhex(value or "")

    @property
    def adopted_at(self) -> str | None:
        """When the first cycle recorded the tracker's baseline; None before that."""
        return self._meta("adopted_at")

    @property
    def next_ticket_number(self) -> int:
        return int(self._meta("next_ticket_number") or 1)

    # --- cycles ----------------------------------------------------------------------------

    def generation(self) -> int:
        """The last committed cycle's ID (0 before the first). What a process remembers of
        its last cycle holds only while no other cycle committed since."""
        return int(self._db.execute("SELECT max(id) FROM cycles").fetchone()[0] or 0)

    def snapshot(self) -> dict[str, Snapshot]:
        """Every ticket ever seen, as the last committed cycle left it."""
        # Most tickets share a few combinations of tracked fields: decode each once. The
        # dicts are shared, so snapshots treat them as read-only (as everything does).
        decode = lru_cache(maxsize=1 << 14)(json.loads)
        return {row[0]: Snapshot(row[0], row[1], decode(row[3]), row[2], bool(row[4]),
                                 bool(row[5]), decode(row[6]) if row[6] != "{}" else {},
                                 bool(row[7]))
                for row in self._db.execute(
                    "SELECT ticket_id, row_number, row_hash, fields, present, in_sheet, marks, "
                    "archived FROM tickets")}

    def purge(self, before: datetime) -> dict[str, int]:
        """Forget history observed before `before`: transitions, settled effects, old cycles.

        Ticket snapshots stay (they are what stops an ID from being given out twice), and so
        does every pending or failed effect: nothing owed is lost.
        """
        at = _iso(before)
        with self._transaction() as db:
            counts = {
                "transitions": db.execute("DELETE FROM transitions WHERE observed_at < ?",
                                          (at,)).rowcount,
                "effects": db.execute("DELETE FROM effects WHERE created_at < ? AND status IN "
                                      "('sent', 'cancelled')", (at,)).rowcount,
            }
            counts["cycles"] = db.execute(
                "DELETE FROM cycles WHERE started_at < ? AND id NOT IN (SELECT cycle_id FROM "
                "transitions UNION SELECT cycle_id FROM effects) AND id != (SELECT max(id) "
                "FROM cycles)", (at,)).rowcount
        return counts

    def record_marks(self, marks: Mapping[str, Mapping[str, str]]) -> None:
        """Remember the notes now on tickets' cells; called once they are in the sheet."""
        with self._transaction() as db:
            db.executemany("UPDATE tickets SET marks = ? WHERE ticket_id = ?",
                           [(json.dumps(dict(m), sort_keys=True), t) for t, m in marks.items()])

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

    def add_effects(self, effects: Iterable[Effect], at: datetime) -> None:
        """Effects planned after the cycle's commit (an update once a task exists), kept by
        key like the others, under the latest cycle."""
        with self._transaction() as db:
            cycle_id = db.execute("SELECT max(id) FROM cycles").fetchone()[0]
            self._insert_effects(db, list(effects), _iso(at), int(cycle_id or 0))

    @staticmethod
    def _insert_effects(db: Database, effects: list[Effect], at: str,
                        cycle_id: int) -> None:
        db.executemany(
            "INSERT OR IGNORE INTO effects (key, kind, ticket_id, payload, status,"
            " created_at, updated_at, cycle_id) VALUES (?, ?, ?, ?, 'pending', ?, ?, ?)",
            [(e.key, e.kind, e.ticket_id, json.dumps(dict(e.payload), ensure_ascii=False),
              at, at, cycle_id) for e in effects])

    # --- incidents -------------------------------------------------------------------------

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

    # --- ClickUp tasks ----------------------------------------------------------------------

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

    # --- history and effects ---------------------------------------------------------------

    def history(self, ticket_id: str) -> list[HistoryEntry]:
        """A ticket's transitions, oldest first."""
        return [HistoryEntry(*row) for row in self._db.execute(
            "SELECT ticket_id, field, before, after, observed_at FROM transitions "
            "WHERE ticket_id = ? ORDER BY id", (ticket_id,))]

    def resolutions(self, since: datetime) -> dict[str, tuple[datetime, int]]:
        """Each ticket's latest resolution at or after `since`: when, and which one it is."""
        return {ticket: (datetime.fromisoformat(at), count) for ticket, at, count in
                self._db.execute(
                    "SELECT ticket_id, max(observed_at), (SELECT count(*) FROM transitions t2 "
                    "WHERE t2.ticket_id = t.ticket_id AND t2.field = 'resolved' AND "
                    "t2.after = 'yes') FROM transitions t WHERE field = 'resolved' AND "
                    "after = 'yes' AND observed_at >= ? GROUP BY ticket_id",
                    (_iso(since),))}

    def still_resolved(self, ticket_ids: Iterable[str]) -> dict[str, str | None]:
        """Which of these tickets are present and resolved now, with their assignee."""
        found = {}
        for ticket, fields in self._by_ticket(
                "SELECT ticket_id, fields FROM tickets WHERE present = 1 AND ticket_id IN ({})",
                ticket_ids):
            values = json.loads(fields)
            if values.get("resolved") == "yes":
                found[ticket] = values.get("assignee")
        return found

    def open_clocks(self, since: datetime) -> list[tuple[str, dict[str, Any], str, bool]]:
        """Tickets first seen after `since`, still present: their fields, when first seen,
        and whether anyone has responded (a status change, or an assignee)."""
        return [(ticket, json.loads(fields), first, bool(moved))
                for ticket, fields, first, moved in self._db.execute(
                    "SELECT t.ticket_id, t.fields, c.first, EXISTS (SELECT 1 FROM transitions "
                    "m WHERE m.ticket_id = t.ticket_id AND m.field IN ('status', 'assignee')) "
                    "FROM tickets t JOIN (SELECT ticket_id, min(observed_at) AS first FROM "
                    "transitions WHERE field = 'ticket' AND after = 'created' AND "
                    "observed_at > ? GROUP BY ticket_id) c ON c.ticket_id = t.ticket_id "
                    "WHERE t.present = 1", (_iso(since),))]

    def levels(self) -> dict[str, str]:
        """The escalation level each ticket last had while escalated."""
        return dict(self._db.execute("SELECT ticket_id, level FROM levels").fetchall())

    def followups(self) -> dict[str, tuple[str, str | None]]:
        """Open tickets' scheduled follow-ups: ID -> (due date, assignee)."""
        return {ticket: (due, who) for ticket, due, who in self._db.execute(
            "SELECT f.ticket_id, f.due, f.assignee FROM followups f JOIN tickets t ON "
            "t.ticket_id = f.ticket_id WHERE t.present = 1 AND "
            "coalesce(json_extract(t.fields, '$.resolved'), '') != 'yes'")}

    def job_runs(self) -> set[tuple[str, str]]:
        """The (job, period) of every report written."""
        return {(row[0], row[1]) for row in self._db.execute(
            "SELECT job, period FROM job_runs WHERE status = 'done'")}

    def record_job(self, job: str, period: str, started: datetime, finished: datetime) -> None:
        """A report written for a period: the schedule will not run it again."""
        with self._transaction() as db:
            db.execute("INSERT INTO job_runs VALUES (?, ?, ?, ?, 'done') ON CONFLICT (job, "
                       "period) DO UPDATE SET started_at = excluded.started_at, "
                       "finished_at = excluded.finished_at, status = 'done'",
                       (job, period, _iso(started), _iso(finished)))

    def all_transitions(self, fields: Iterable[str]) -> list[tuple[str, str, str | None,
                                                                 str | None, str]]:
        """Every recorded transition of these fields, oldest first: the reports' history."""
        wanted = list(fields)
        rows: list[tuple[str, str, str | None, str | None, str]] = [tuple(row) for row in (
            self._db.execute("SELECT ticket_id, field, before, after, observed_at FROM "
                             f"transitions WHERE field IN ({','.join('?' * len(wanted))}) "
                             "ORDER BY id", wanted))]
        return rows

    def occurrences(self, ticket_ids: Iterable[str]) -> dict[tuple[str, str, str], int]:
        """How often each (ticket, field, value) change happened: its escalations so far, say.

        A value of None counts as "". Effects keyed by these counts stay distinct when a
        ticket goes back to a state it was in before (resolved, reopened, resolved again).
        """
        counts: dict[tuple[str, str, str], int] = {}
        for ticket, field_, after, count in self._by_ticket(
                "SELECT ticket_id, field, coalesce(after, ''), count(*) FROM transitions "
                "WHERE ticket_id IN ({}) GROUP BY ticket_id, field, coalesce(after, '')",
                ticket_ids):
            counts[(ticket, field_, after)] = count
        return counts

    def effect_keys(self, kind: str, ticket_ids: Iterable[str]) -> dict[str, list[str]]:
        """The keys of each ticket's effects of one kind, in the order they were planned."""
        keys: dict[str, list[str]] = {}
        for ticket, key in self._by_ticket(
                "SELECT ticket_id, key FROM effects WHERE kind = ? AND ticket_id IN ({}) "
                "ORDER BY rowid", ticket_ids, kind):
            keys.setdefault(ticket, []).append(key)
        return keys

    def _by_ticket(self, query: str, ticket_ids: Iterable[str], *params: Any
                   ) -> Iterator[tuple[Any, ...]]:
        """Rows of `query` for many tickets, asked in chunks SQLite's parameter limit allows."""
        ids = list(ticket_ids)
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            yield from self._db.execute(query.format(",".join("?" * len(chunk))),
                                        (*params, *chunk))

    def last_cycle(self) -> dict[str, Any] | None:
        """The most recent cycle's figures, or None before the first."""
        row = self._db.execute(
            "SELECT id, started_at, rows, new_tickets, transitions, findings, effects "
            "FROM cycles ORDER BY id DESC LIMIT 1").fetchone()
        keys = ("id", "at", "rows", "new_tickets", "transitions", "findings", "effects")
        return None if row is None else dict(zip(keys, row))

    def effects(self, status: EffectStatus | None = None, key: str | None = None
                ) -> list[Effect]:
        """Effects in the order they were planned, optionally only those with `status` or `key`."""
        query = ("SELECT key, kind, ticket_id, payload, status, attempts, last_error, result, "
                 "created_at, unclear FROM effects")
        filters = {name: value for name, value in (("status", status), ("key", key))
                   if value is not None}
        if filters:
            query += " WHERE " + " AND ".join(f"{name} = ?" for name in filters)
        params = tuple(filters.values())
        return [Effect(row[0], row[1], row[2], json.loads(row[3]), row[4], row[5], row[6],
                       json.loads(row[7]) if row[7] else None, row[8], bool(row[9]))
                for row in self._db.execute(query + " ORDER BY created_at, rowid", params)]

    def effect_counts(self) -> dict[tuple[str, str], int]:
        """How many effects of each kind are in each status."""
        return {(kind, status): count for kind, status, count in self._db.execute(
            "SELECT kind, status, count(*) FROM effects GROUP BY kind, status")}

    def hold_stale(self, older_than: datetime) -> list[str]:
        """Pending effects waiting since before `older_than` become failed, for a person.

        An escalation held up for a day by a revoked token is news no longer; it waits for
        `sheetsync outbox retry` or `cancel` instead of going out when the fault clears.
        """
        with self._transaction() as db:
            keys = [row[0] for row in db.execute(
                "SELECT key FROM effects WHERE status = 'pending' "
                "AND coalesce(retried_at, created_at) < ?", (_iso(older_than),))]
            db.executemany(
                "UPDATE effects SET status = 'failed', last_error = coalesce(last_error || '; ', "
                "'') || 'held for a person: pending too long', updated_at = ? WHERE key = ?",
                [(_iso(older_than), key) for key in keys])
        return keys

    def decide(self, key: str, status: EffectStatus, at: datetime, *,
               checked: bool = False) -> Effect:
        """A person's decision on an effect: retry it (pending again) or cancel it.

        `checked`: the person looked in the service and the effect is not there, so an unclear
        attempt is cleared and the effect is sent without a lookup (for when sheetsync cannot
        look it up itself, and so held it).
        """
        with self._transaction() as db:
            row = db.execute("SELECT status FROM effects WHERE key = ?", (key,)).fetchone()
            if row is None:
                raise KeyError(key)
            if row[0] == "sent":
                raise ValueError(f"{key} was sent already")
            db.execute("UPDATE effects SET status = ?, updated_at = ?, retried_at = "
                       "CASE WHEN ? = 'pending' THEN ? ELSE retried_at END, "
                       "unclear = CASE WHEN ? = 1 THEN 0 ELSE unclear END WHERE key = ?",
                       (status, _iso(at), status, _iso(at), int(checked), key))
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
            if not db.execute("UPDATE effects SET unclear = 1, updated_at = ? WHERE key = ?",
                              (_iso(at), key)).rowcount:
                raise KeyError(key)

    def settle(self, key: str, status: EffectStatus, at: datetime, *,
               error: str | None = None, result: Mapping[str, Any] | None = None,
               unclear: bool = False) -> None:
        """Record an attempt's outcome; `unclear` when it may have reached the service."""
        with self._transaction() as db:
            updated = db.execute(
                "UPDATE effects SET status = ?, attempts = attempts + 1, last_error = ?, "
                "result = coalesce(?, result), updated_at = ?, unclear = ? WHERE key = ?",
                (status, error, json.dumps(dict(result)) if result is not None else None,
                 _iso(at), int(unclear), key)).rowcount
        if not updated:
            raise KeyError(key)


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


def _dead_here(holder: str) -> bool:
    """Whether a lease holder was a process on this machine that is gone (or an earlier life
    of this very PID, as in a restarted container)."""
    host, _, rest = holder.partition(":")
    pid = rest.partition(":")[0]
    here = os.environ.get("SHEETSYNC_REPLICA") or socket.gethostname()
    if host != here or not pid.isdigit():
        return False
    if int(pid) == os.getpid():
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # alive, someone else's
    return False


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


def _iso(moment: datetime) -> str:
    """A time as the store keeps it: ISO 8601 in UTC, so text order is time order."""
    return moment.astimezone(timezone.utc).isoformat()


def _statements(script: str) -> list[str]:
    """A migration script split into statements, as SQLite itself reads them."""
    statements, pending = [], ""
    for line in script.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            statements.append(pending.strip())
            pending = ""
    return statements + ([pending] if pending.strip() else [])
