"""State files from earlier releases open and migrate (Alembic revisions 0001-0013), keeping
everything in them; a newer sheetsync's state is refused; the schema is the one they had.

The files in tests/fixtures were made by the release before Alembic (see its README).
"""

from __future__ import annotations

import shutil
import sqlite3
import threading
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import psycopg
import pytest
from psycopg.conninfo import make_conninfo

from sheetsync.errors import InputError
from sheetsync.state import MIGRATIONS, CycleRecord, Lease, StateStore
from sheetsync.core.transitions import Transition
from tests.postgres import postgres_server

FIXTURES = Path(__file__).resolve().parent / "fixtures"
AT = "2026-11-23T09:00:00+00:00"
LATER = "2026-11-23T09:05:00+00:00"
HOLDER = "fixture-host:1:abcdef"  # the fixture's lease, held until 2076
ME = Lease("this-host:7:123456", 60.0)


def old_state(name: str, tmp_path: Path) -> Path:
    copy = tmp_path / "state.db"
    shutil.copy(FIXTURES / name, copy)
    copy.chmod(0o600)
    return copy


def assert_everything_kept(store: StateStore, hash_key: str) -> None:
    """What the v11 fixture holds, as this release reads it."""
    assert store.version == len(MIGRATIONS) == 13
    snapshot = store.snapshot()
    assert sorted(snapshot) == ["INT-000001", "INT-000002", "INT-000003"]
    first, gone = snapshot["INT-000001"], snapshot["INT-000003"]
    assert (first.row, first.row_hash, dict(first.fields)) == (
        2, "a" * 32, {"assignee": "Asha", "resolved": "no", "status": "Escalated"})
    assert not gone.present and dict(gone.marks) == {"phone": "Phone: not a valid number"}
    assert [(h.field, h.before, h.after, h.at, h.actor)
            for h in store.history("INT-000002")] == [
        ("ticket", None, "created", AT, None), ("resolved", "no", "yes", LATER, None),
        ("status", "Escalated", "Resolved", LATER, None)]  # a cycle saw each: no actor
    assert store.unsettled_actions() == []  # 0012: nothing was done from Slack yet
    assert store.hash_key().hex() == hash_key
    assert (store.adopted_at, store.next_ticket_number, store.generation()) == (AT, 4, 2)
    # the outbox, in the order it was planned, each effect as its last attempt left it
    assert [(e.key, e.status, e.attempts, e.unclear, e.last_error) for e in store.effects()] == [
        ("slack.message:escalation:INT-000001:1", "failed", 1, True, "channel_not_found"),
        ("clickup.task:INT-000001", "sent", 1, False, None),
        ("slack.message:resolved:INT-000002:1", "pending", 0, False, None)]
    assert store.effects(key="clickup.task:INT-000001")[0].result == {
        "id": "86c0abc", "url": "https://app.clickup.com/t/86c0abc", "status": "to do"}
    assert store.incident_members() == {"INT-000001": (1, "Cannot add products", 2),
                                        "INT-000002": (1, "Cannot add products", 2)}
    assert store.followups() == {"INT-000001": ("2026-11-25", "Asha")}
    assert store.levels() == {"INT-000001": "L2"}
    assert store.job_runs() == {("weekly", "2026-W47")}
    assert store.tasks_polled_at == datetime(2026, 11, 23, 9, 5, tzinfo=timezone.utc)
    # the task sheetsync created is linked from ClickUp's answer kept in the outbox
    now = datetime(2026, 11, 23, 10, 0, tzinfo=timezone.utc)
    assert store.unlinked_tasks(now) == 1
    assert [(k.ticket_id, k.task_id, k.url) for k in store.link_created_tasks(now)] == [
        ("INT-000001", "86c0abc", "https://app.clickup.com/t/86c0abc")]
    assert sorted(store.tasks()) == ["INT-000001", "INT-000002"]
    # the lease is still the other replica's
    holds, holder, left = store.hold_lease()
    assert (holds, holder) == (False, HOLDER) and left > 1e9


def stored_hash_key(path: Path) -> str:
    with sqlite3.connect(path) as db:
        return str(db.execute("SELECT value FROM meta WHERE key = 'hash_key'").fetchone()[0])


def test_a_state_file_from_the_release_before_alembic_opens_with_everything_in_it(
        tmp_path: Path) -> None:
    path = old_state("state-v11.sqlite", tmp_path)
    key = stored_hash_key(path)
    with StateStore(path, lease=ME) as store:
        assert_everything_kept(store, key)
        store.commit_cycle(CycleRecord(
            started_at=datetime(2026, 11, 23, 10, 0, tzinfo=timezone.utc), rows=3,
            snapshot=store.snapshot(), changed=frozenset(), next_ticket_number=4,
            transitions=[Transition("INT-000001", "status", "Escalated", "Resolved")],
            effects=[]))
        assert store.generation() == 3
    with sqlite3.connect(path) as db:  # stamped, and the old release's version kept
        assert db.execute("SELECT version_num FROM alembic_version").fetchall() == [("0013",)]
        assert db.execute("PRAGMA user_version").fetchone()[0] == 13
        # 0013: the task effects by when they changed, for the look for unlinked tasks
        assert [row[2] for row in db.execute("PRAGMA index_info(effects_by_kind)")] == [
            "kind", "updated_at"]


def test_the_oldest_state_file_takes_every_revision_and_keeps_its_rows(tmp_path: Path) -> None:
    path = old_state("state-v1.sqlite", tmp_path)
    with StateStore(path) as store:
        assert store.version == len(MIGRATIONS)
        [ticket] = store.snapshot().values()
        assert (ticket.ticket_id, dict(ticket.fields)) == ("INT-000001", {"status": "Escalated"})
        assert (ticket.in_sheet, dict(ticket.marks), ticket.archived) == (True, {}, False)
        [effect] = store.effects("pending")
        assert (effect.key, effect.unclear) == ("slack.message:escalation:INT-000001:1", False)
        assert store.history("INT-000001")[0].after == "created"
        assert store.next_ticket_number == 2 and store.tasks() == {}
        assert store.levels() == {} and store.job_runs() == set()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)


@pytest.mark.parametrize("revision", ["0014", "5f2e9c1a7b3d"])
def test_a_revision_this_sheetsync_does_not_know_is_a_newer_ones_state_and_refused(
        revision: str, tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    StateStore(path).close()
    with sqlite3.connect(path) as db:
        db.execute("UPDATE alembic_version SET version_num = ?", (revision,))
    before = path.read_bytes()
    with pytest.raises(InputError, match=f"written by a newer sheetsync \\(state version "
                                         f"{revision}, this one knows 13\\); upgrade sheetsync"):
        StateStore(path)
    assert path.read_bytes() == before


def columns(db: sqlite3.Connection) -> dict[str, list[tuple[object, ...]]]:
    tables = [row[0] for row in db.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
    return {table: [*db.execute(f"PRAGMA table_info({table})"),
                    *db.execute(f"PRAGMA index_list({table})"),
                    *db.execute(f"PRAGMA foreign_key_list({table})")] for table in tables}


def test_a_new_state_file_has_the_schema_the_release_before_alembic_made(
        tmp_path: Path) -> None:
    old = old_state("state-v11.sqlite", tmp_path)
    StateStore(old).close()
    StateStore(tmp_path / "new.db").close()
    with sqlite3.connect(old) as was, sqlite3.connect(tmp_path / "new.db") as new:
        assert columns(new) == columns(was)


def test_opening_a_current_state_waits_for_no_writer(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    StateStore(path).close()
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # the daemon, mid-commit
    try:
        with StateStore(path) as store:  # a `sheetsync status` meanwhile: reads, takes no lock
            assert store.snapshot() == {}
    finally:
        writer.close()


def test_trackers_in_threads_of_one_process_migrate_their_states_at_once(
        tmp_path: Path) -> None:
    errors: list[BaseException] = []

    def start(n: int) -> None:
        try:
            StateStore(tmp_path / f"tracker-{n}.db").close()  # the daemon's fleet, one each
        except BaseException as exc:  # noqa: BLE001 (any failure is the finding)
            errors.append(exc)

    threads = [threading.Thread(target=start, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    for n in range(6):
        with StateStore(tmp_path / f"tracker-{n}.db") as store:
            assert store.version == len(MIGRATIONS)


# --- PostgreSQL --------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    yield from postgres_server()


def database(server: str, name: str) -> str:
    """A database of its own on the server (the fixture's schema is `tracker` in each)."""
    with psycopg.connect(server, autocommit=True) as db:
        db.execute(f"CREATE DATABASE {name}")
    return make_conninfo(server, dbname=name)


def restore(url: str) -> str:
    """The v11 PostgreSQL fixture restored at `url`; returns its hash key."""
    with psycopg.connect(url, autocommit=True) as db:
        db.execute((FIXTURES / "state-v11.postgres.sql").read_bytes())
        row = db.execute("SELECT value FROM tracker.meta WHERE key = 'hash_key'").fetchone()
    assert row is not None
    return str(row[0])


def test_a_postgresql_state_from_the_release_before_alembic_opens_with_everything_in_it(
        server: str) -> None:
    url = database(server, "legacy_all")
    key = restore(url)
    with StateStore.postgres(url, "tracker", lease=ME) as store:
        assert_everything_kept(store, key)
    with psycopg.connect(url) as db:
        assert db.execute("SELECT version_num FROM tracker.alembic_version").fetchall() == [
            ("0013",)]
        assert db.execute("SELECT max(version) FROM tracker.schema_version").fetchone() == (
            13,)


def test_a_new_postgresql_state_has_the_schema_the_release_before_alembic_made(
        server: str) -> None:
    legacy, fresh = database(server, "legacy_schema"), database(server, "fresh_schema")
    restore(legacy)
    StateStore.postgres(legacy, "tracker").close()
    StateStore.postgres(fresh, "tracker").close()

    def schema(url: str) -> list[list[tuple[object, ...]]]:
        with psycopg.connect(url) as db:
            return [db.execute(query).fetchall() for query in (
                "SELECT table_name, column_name, ordinal_position, data_type, is_nullable, "
                "is_identity, column_default FROM information_schema.columns "
                "WHERE table_schema = 'tracker' ORDER BY table_name, ordinal_position",
                "SELECT conname, contype, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE connamespace = 'tracker'::regnamespace ORDER BY conname",
                "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'tracker' "
                "ORDER BY indexname")]

    assert schema(fresh)[0] and schema(fresh) == schema(legacy)
