"""The state's database connection: SQLAlchemy Core on SQLite or PostgreSQL, its own
transactions, and the faults of either named for what they are.

Queries are Core statements (`tables`, and `dialects` where the two databases spell a thing
differently); SQLAlchemy compiles them for the connection's dialect. `Repository` is what
each of the store's repositories shares: the one connection, the replica's lease, and
transactions.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Unpack

from sqlalchemy import (Connection, CursorResult, Dialect, Engine, Executable, bindparam,
                        create_engine, delete, select)
from sqlalchemy.pool import NullPool
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.elements import BindParameter
from sqlalchemy.sql.compiler import SQLCompiler

from sheetsync.faults import state_fault
from sheetsync.state.dialects import upsert
from sheetsync.state.tables import meta

if TYPE_CHECKING:
    from sheetsync.state.lease import Lease


class Database:
    """One SQLAlchemy connection to the state, in autocommit between transactions.

    SQLite's writers take the write lock as their transaction begins (BEGIN IMMEDIATE), so a
    busy writer is waited for (30 s) at BEGIN, and two never deadlock each upgrading a read
    lock. SQLAlchemy's pysqlite dialect leaves BEGIN to the driver, which only begins
    deferred transactions (SQLAlchemy's pysqlite notes, "Serializable isolation / Savepoints
    / Transactional DDL"), so `transaction` emits BEGIN, COMMIT and ROLLBACK itself, on
    PostgreSQL too; between transactions each read is a statement of its own, as before.
    """

    def __init__(self, connection: Connection, where: object = "the state") -> None:
        self.connection = connection
        self.dialect = connection.dialect.name  # "sqlite" or "postgresql"
        self.where = where  # the file or the database, for errors

    @classmethod
    def sqlite(cls, path: Path, where: object | None = None) -> Database:
        """A connection to the SQLite file at `path` (waiting up to 30 s for another writer)."""
        with faults(where or path):
            return cls(_sqlite_engine(str(path)).connect(), where or path)

    @classmethod
    def postgres(cls, url: str, schema: str, where: object) -> Database:
        """A connection to a PostgreSQL database, its search path the state's schema (a
        failure to connect is the driver's error, wrapped by SQLAlchemy)."""
        return cls(_postgres_engine(url, schema).connect(), where)

    def execute(self, statement: Executable, params: Mapping[str, Any] | None = None
                ) -> CursorResult[Unpack[tuple[Any, ...]]]:
        with faults(self.where):
            return self.connection.execute(statement, params)

    def tuples(self, statement: Executable) -> Iterator[tuple[Any, ...]]:
        """The rows of a large read as the driver's own tuples, as it fetches them: building
        SQLAlchemy's Row objects made reading a 10,000-ticket snapshot a third slower."""
        with faults(self.where):
            result = self.connection.execute(statement)
            try:
                yield from iter(result.cursor.fetchone, None)
            finally:
                result.close()

    def executemany(self, statement: ClauseElement, rows: Sequence[Mapping[str, Any]]) -> None:
        """`statement` once for each of `rows` (none at all for no rows), its parameters
        named as in the rows.

        Compiled once for each statement object (the bulk writes' statements are made once:
        module constants, the `dialects` builders), and the rows handed to the driver as
        they are (the state's values are text, numbers and NULL, which need no processing):
        SQLAlchemy's own executemany builds each row's parameters anew, which doubled the
        cost of committing an adoption's 10,000 tickets and transitions.
        """
        if not rows:
            return
        sql, order, fixed = _compiled(statement, self.connection.dialect, tuple(rows[0]))
        if order is None:  # named parameters (psycopg)
            params: list[Any] = [{**fixed, **row} for row in rows] if fixed else list(rows)
        else:  # positional (SQLite's ?)
            params = [tuple(map({**fixed, **row}.__getitem__, order)) for row in rows]
        with faults(self.where):
            self.connection.exec_driver_sql(sql, params)

    def pragma(self, sql: str) -> Any:
        """An SQLite PRAGMA (no parameters: they take none), its first value if it has one."""
        with faults(self.where):
            result = self.connection.exec_driver_sql(sql)
            return result.scalar() if result.returns_rows else None

    @contextmanager
    def transaction(self) -> Iterator[Database]:
        """One transaction: committed whole, or rolled back whole when anything is raised."""
        self._emit("BEGIN IMMEDIATE" if self.dialect == "sqlite" else "BEGIN")
        try:
            yield self
        except BaseException:
            if not self.connection.invalidated:  # a server gone took the transaction along
                self._emit("ROLLBACK")
            raise
        self._emit("COMMIT")

    def _emit(self, sql: str) -> None:
        with faults(self.where):
            self.connection.exec_driver_sql(sql)

    def close(self) -> None:
        self.connection.close()


@lru_cache(maxsize=256)
def _compiled(statement: ClauseElement, dialect: Dialect, keys: tuple[str, ...]
              ) -> tuple[str, tuple[str, ...] | None, dict[str, Any]]:
    """A statement as the driver takes it: its SQL, the order of its positional parameters
    (None where they are named), and the values the statement itself gives."""
    compiled = statement.compile(dialect=dialect, column_keys=list(keys))
    assert isinstance(compiled, SQLCompiler)
    given = compiled.construct_params(dict.fromkeys(keys))
    order = tuple(compiled.positiontup or ()) if compiled.positional else None
    return compiled.string, order, {k: v for k, v in given.items() if k not in keys}


@contextmanager
def faults(where: object) -> Iterator[None]:
    """The store's faults (a full disk, damage, a lost server) as errors that say so."""
    try:
        yield
    except Exception as exc:
        said = state_fault(exc, where)
        if said is None or said is exc:
            raise
        raise said from None


@lru_cache(maxsize=64)
def _sqlite_engine(path: str) -> Engine:
    """The engine for one state file (kept: the daemon opens the store several times a tick;
    NullPool, so closing the store closes the file)."""
    return _engine("sqlite://", lambda: sqlite3.connect(path, isolation_level=None,
                                                        timeout=30))


@lru_cache(maxsize=64)
def _postgres_engine(url: str, schema: str) -> Engine:
    """The engine for one state schema. libpq reads `url` itself, exactly as the user wrote
    it (PGPASSWORD and ~/.pgpass included), and each connection's search path is the schema."""
    import psycopg
    from psycopg import sql

    def connect() -> psycopg.Connection[Any]:
        connection = psycopg.connect(url, autocommit=True, connect_timeout=10)
        connection.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(schema)))
        return connection

    return _engine("postgresql+psycopg://", connect)


def _engine(url: str, connect: Callable[[], Any]) -> Engine:
    return create_engine(url, creator=connect, poolclass=NullPool,
                         isolation_level="AUTOCOMMIT")


#: The tickets of a `Repository._by_ticket` query (its statement is made once: its SQL is
#: compiled once, the list of IDs spelled out at each execution)
TICKETS: BindParameter[list[str]] = bindparam("ids", expanding=True)


class Repository:
    """The connection, the lease and the transactions every repository of the store shares."""

    _db: Database
    lease: Lease | None  # this replica's lease, when it runs cycles and sends

    def _meta(self, key: str) -> str | None:
        value = self._db.execute(select(meta.c.value).where(meta.c.key == key)).scalar()
        return None if value is None else str(value)

    @staticmethod
    def _set_meta(db: Database, key: str, value: str | None) -> None:
        """Set one of the state's facts (None: forget it)."""
        if value is None:
            db.execute(delete(meta).where(meta.c.key == key))
        else:
            db.execute(upsert(db.dialect, meta, ("key",), ("value",)).values(key=key,
                                                                            value=value))

    @contextmanager
    def _transaction(self) -> Iterator[Database]:
        with self._db.transaction() as db:
            yield db

    def _by_ticket(self, query: Executable, ticket_ids: Iterable[str], **params: Any
                   ) -> Iterator[Any]:
        """Rows of `query` (its tickets the expanding parameter `ids`, see `TICKETS`) for
        many tickets, asked in chunks SQLite's parameter limit allows."""
        ids = list(ticket_ids)
        for start in range(0, len(ids), 500):
            yield from self._db.execute(query, {**params, "ids": ids[start:start + 500]}).all()


def _iso(moment: datetime) -> str:
    """A time as the store keeps it: ISO 8601 in UTC, so text order is time order."""
    return moment.astimezone(timezone.utc).isoformat()
