"""What SQLite and PostgreSQL spell differently, as SQLAlchemy constructs each dialect
compiles its own way (SQLAlchemy's compiler extension): the database's clock, the greater of
two values, a text field of a JSON column, and upserts.

The state's JSON columns are TEXT in both databases (the schema predates this module), so a
field is read with SQLite's `json_extract` or PostgreSQL's `->>` on the text cast to json.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from sqlalchemy import Double, Table, Text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.sql.visitors import InternalTraversal


class epoch_now(FunctionElement[float]):
    """Seconds since the epoch on the database's own clock (the lease's time: the replicas'
    clocks need not agree)."""

    type = Double()
    inherit_cache = True


@compiles(epoch_now, "sqlite")
def _sqlite_now(element: epoch_now, compiler: SQLCompiler, **kw: Any) -> str:
    return "((julianday('now') - 2440587.5) * 86400.0)"


@compiles(epoch_now, "postgresql")
def _postgres_now(element: epoch_now, compiler: SQLCompiler, **kw: Any) -> str:
    return "extract(epoch from clock_timestamp())"


class greatest(FunctionElement[Any]):
    """The greater of its arguments (SQLite's two-argument max, PostgreSQL's greatest)."""

    inherit_cache = True


@compiles(greatest, "sqlite")
def _sqlite_greatest(element: greatest, compiler: SQLCompiler, **kw: Any) -> str:
    return f"max({compiler.process(element.clauses, **kw)})"


@compiles(greatest, "postgresql")
def _postgres_greatest(element: greatest, compiler: SQLCompiler, **kw: Any) -> str:
    return f"greatest({compiler.process(element.clauses, **kw)})"


class json_text(FunctionElement[str]):
    """One top-level field of a JSON text column, as text (NULL where it is absent)."""

    type = Text()
    inherit_cache = True  # with the field in its cache key (below)
    _traverse_internals = [*FunctionElement._traverse_internals,
                           ("field", InternalTraversal.dp_string)]

    def __init__(self, column: ColumnElement[Any], field: str) -> None:
        self.field = field
        super().__init__(column)


@compiles(json_text, "sqlite")
def _sqlite_json(element: json_text, compiler: SQLCompiler, **kw: Any) -> str:
    return (f"json_extract({compiler.process(element.clauses, **kw)}, "
            f"{compiler.render_literal_value(f'$.{element.field}', Text())})")


@compiles(json_text, "postgresql")
def _postgres_json(element: json_text, compiler: SQLCompiler, **kw: Any) -> str:
    return (f"({compiler.process(element.clauses, **kw)}::json ->> "
            f"{compiler.render_literal_value(element.field, Text())})")


# The builders below make each statement once (so the store's bulk writes compile it once).

@lru_cache(maxsize=None)
def insert(dialect: str, table: Table) -> sqlite.Insert | postgresql.Insert:
    """An INSERT that can say what to do on a conflict, in the dialect's own spelling."""
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


@lru_cache(maxsize=None)
def insert_ignored(dialect: str, table: Table) -> sqlite.Insert | postgresql.Insert:
    """An INSERT that leaves a row already there by its key as it is."""
    return insert(dialect, table).on_conflict_do_nothing()


@lru_cache(maxsize=None)
def upsert(dialect: str, table: Table, keys: tuple[str, ...], update: tuple[str, ...]
           ) -> sqlite.Insert | postgresql.Insert:
    """An INSERT that, for a row already there by `keys`, sets `update` to the new values."""
    statement = insert(dialect, table)
    return statement.on_conflict_do_update(
        index_elements=list(keys), set_={name: statement.excluded[name] for name in update})
