"""The state's migrations: Alembic revisions 0001-0012 (0001-0011 one for each numbered
script of the releases before Alembic; 0012 the Slack actions and each transition's actor),
run when the state opens, on the store's own connection.

No alembic.ini: the revisions ship inside the package (`revisions/`), and the configuration
is made here. A state from before Alembic (SQLite's `PRAGMA user_version`, PostgreSQL's
`schema_version` table) is stamped with the revision its version names, then upgraded. The
newest version is still written there too, so an older release refuses a state a newer one
migrated instead of writing into a schema it does not know.
"""

from __future__ import annotations

import threading
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import func, inspect, insert, select

from sheetsync.errors import InputError
from sheetsync.state.database import Database, faults
from sheetsync.state.tables import alembic_version, schema_version

REVISIONS = Path(__file__).with_name("revisions")

#: Alembic's `context` and `op` are module-level proxies to the migration running: a
#: process runs one at a time (the daemon serves each tracker in a thread of its own).
_ONE_AT_A_TIME = threading.Lock()

#: The revisions, oldest first: revision N is the state's version N.
MIGRATIONS: tuple[str, ...] = tuple(script.revision for script in reversed(
    list(ScriptDirectory(str(REVISIONS)).walk_revisions())))


def migrate(db: Database) -> None:
    """Bring the state to the newest revision in one transaction, or refuse a state a newer
    sheetsync wrote (a revision this one does not know).

    A state already there is only read: opening it takes no write lock.
    """
    if _versions(db) == (MIGRATIONS[-1], len(MIGRATIONS)):
        return
    with db.transaction():
        current, written = _versions(db)  # again under the lock: another may have migrated
        if written > len(MIGRATIONS) or current not in (None, *MIGRATIONS):
            raise InputError(
                f"{db.where}: written by a newer sheetsync (state version "
                f"{current if written <= len(MIGRATIONS) else written}, this one knows "
                f"{len(MIGRATIONS)}); upgrade sheetsync")
        if (current, written) == (MIGRATIONS[-1], len(MIGRATIONS)):
            return
        config = Config()
        config.set_main_option("script_location", str(REVISIONS))
        config.attributes["connection"] = db.connection  # revisions/env.py runs on it
        with _ONE_AT_A_TIME, faults(db.where):
            if current is None and written:
                command.stamp(config, MIGRATIONS[written - 1])
            command.upgrade(config, "head")
        _write_version(db, len(MIGRATIONS))


def version(db: Database) -> int:
    """The state's version: how many revisions it has (0 before the first)."""
    current = _versions(db)[0]
    return MIGRATIONS.index(current) + 1 if current in MIGRATIONS else 0


def _versions(db: Database) -> tuple[str | None, int]:
    """The state's Alembic revision (None before Alembic), and its version as the releases
    before Alembic kept it (and this one still writes).

    Read with the store's own statements (compiled once per process) rather than a
    MigrationContext's, which compiles anew each time: every open of the store asks.
    """
    with faults(db.where):
        tables = inspect(db.connection)
        current = db.execute(select(alembic_version.c.version_num)).scalar() \
            if tables.has_table("alembic_version") else None
        if db.dialect == "sqlite":
            written = int(db.pragma("PRAGMA user_version"))
        else:
            written = int(db.execute(select(func.max(schema_version.c.version))).scalar() or 0
                          ) if tables.has_table("schema_version") else 0
    return current, written


def _write_version(db: Database, number: int) -> None:
    if db.dialect == "sqlite":
        db.pragma(f"PRAGMA user_version = {int(number)}")
    else:
        db.execute(insert(schema_version).values(version=number))
