"""The state's Alembic revisions (`versions/`, forward only: a state is never downgraded),
the environment they run in, and the columns several of them make alike."""

from __future__ import annotations

from typing import Any

from alembic import op
from sqlalchemy import BigInteger, Column, Identity, Integer, Text
from sqlalchemy.types import UserDefinedType


class _BigSerial(UserDefinedType[int]):
    cache_ok = True

    def get_col_spec(self, **kw: Any) -> str:
        return "BIGSERIAL"


def key(name: str) -> Column[str]:
    """A text primary key as the numbered scripts of the releases before Alembic declared it
    (no NOT NULL: SQLite's PRIMARY KEY does not imply it, PostgreSQL's does), so a state made
    now has the very schema of one made then."""
    return Column(name, Text, primary_key=True, nullable=True)


def counter(name: str) -> Column[int]:
    """A key the database numbers: SQLite's INTEGER PRIMARY KEY (the rowid itself, declared
    as `key` is), PostgreSQL's identity column (NOT NULL, as identity columns are)."""
    return Column(name, BigInteger().with_variant(Integer(), "sqlite"), Identity(),
                  primary_key=True, nullable=op.get_bind().dialect.name == "sqlite")


def insertion_order() -> list[Column[int]]:
    """The rowid SQLite gives every table, as a column of PostgreSQL's (what orders the outbox
    as it was planned), for the table a revision creates."""
    return [Column("rowid", _BigSerial())] if op.get_bind().dialect.name == "postgresql" else []
