"""Every fault an edge can raise mid-call is survived: one line, no effect lost or doubled.

The matrix: each I/O edge against the exceptions its libraries raise half-way through a call
(tests.edge_faults makes them as the libraries do). Every cell is a test below.

| edge            | injected at                        | exceptions                                   |
|-----------------|------------------------------------|----------------------------------------------|
| Slack           | http.client, after Slack took it   | IncompleteRead (a body cut short, for real), |
|                 |                                    | RemoteDisconnected, ProtocolError, SSLError, |
|                 |                                    | timeout, ConnectionResetError, RuntimeError  |
| ClickUp         | requests' transport                | every NETWORK one: ChunkedEncodingError,     |
|                 |                                    | ConnectionError, ReadTimeout, ProtocolError, |
|                 |                                    | IncompleteRead, SSLError, ConnectionReset... |
| Google          | requests' transport                | every NETWORK one                            |
| the workbook    | the package's open, calamine's read | BadZipFile, EOFError (a person saving)       |
| the state store | the sqlite3 call, under SQLAlchemy | OSError(ENOSPC), OSError(EROFS), damaged     |
|                 | (which wraps the driver's errors)  | pages (DatabaseError), disk I/O error, a     |
|                 |                                    | writer holding the lock (SQLITE_BUSY, real)  |
| PostgreSQL      | the psycopg call                   | OperationalError (the server went away)      |
| either, wrapped | sqlalchemy.exc.DBAPIError.instance | each driver error above, and SQLite's named  |
|                 |                                    | codes: classified as the bare one            |
| the daemon      | anything a cycle raises            | all of the above, and a bug (RuntimeError)   |
| the metrics     | the port                           | outside 1-65535: exit 2 at argument time     |

Transient faults are retried by the rules (an unclear send is looked up before it is sent
again); the service's refusal holds the effect and says why; anything unexpected is one
masked log line, the traceback at debug level, the tracker failing in /healthz, and the next
interval tries again.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from io import StringIO
from pathlib import Path
from typing import Any

import psycopg
import pytest
import sqlalchemy.exc
from sqlalchemy import event

from sheetsync.backends import xlsx_package

from sheetsync.app import logs
from sheetsync.config import load_config
from sheetsync.app.daemon import run_daemon
from sheetsync.app.demo import make_demo
from sheetsync.integrations.dispatch import SLACK_KINDS, Sinks, dispatch
from sheetsync.core.effects import Effect
from sheetsync.errors import SheetsyncError
from sheetsync.faults import DamagedState, StateUnavailable, state_fault
from sheetsync.integrations.clickup import ClickUpSink
from sheetsync.integrations.outbox import LocalOutbox
from sheetsync.integrations.pacing import Pacer
from sheetsync.integrations.slack import PACE_SECONDS, SlackSink
from sheetsync.jobs.sync import run_sync
from sheetsync.app.metrics import Health
from sheetsync.core.rules import CLICKUP_TASK, SLACK_MESSAGE
from sheetsync.state import CycleRecord, StateStore
from tests.edge_faults import DRIVER, NETWORK, STATE, WORKBOOK, raised_once
from tests.fake_clickup import KEY_FIELD, LIST_ID, FakeClickUp
from tests.fake_clickup import TOKEN as CLICKUP_TOKEN
from tests.fake_slack import TOKEN, FakeSlack
from tests.google_setup import GoogleTracker, google_tracker
from tests.helpers import Clock, Ticks

NOW = datetime(2026, 11, 23, 6, 30, tzinfo=timezone.utc)


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[StateStore]:
    with StateStore(tmp_path / "state.db") as opened:
        yield opened


def plan(store: StateStore, *effects: Effect) -> None:
    store.commit_cycle(CycleRecord(started_at=NOW, rows=0, snapshot={}, transitions=[],
                                   effects=effects, next_ticket_number=1))


def escalation(ticket: str = "INT-000002", **payload: Any) -> Effect:
    return Effect(f"{SLACK_MESSAGE}:escalation:{ticket}:1", SLACK_MESSAGE, ticket, {
        "text": f"[ESCALATION] [Bug] - Cannot add products ({ticket} Store)",
        "ticket_id": ticket, "status": "Escalated", **payload})


def slack_sinks(clock: Clock, tmp_path: Path) -> Sinks:
    sink = SlackSink(TOKEN, "C0SELLERS1", pacer=Pacer(PACE_SECONDS, clock, clock.sleep),
                     sleep=clock.sleep, jitter=lambda: 0.5)
    return Sinks(LocalOutbox(tmp_path / "outbox.jsonl"), {kind: sink for kind in SLACK_KINDS})


# --- Slack ------------------------------------------------------------------------------------

def test_a_slack_answer_cut_mid_body_is_looked_up_and_posted_once(
        store: StateStore, clock: Clock, tmp_path: Path) -> None:
    with FakeSlack(clock=clock).installed() as fake:
        plan(store, escalation())
        fake.fail("chat.postMessage", "cut-after-accept")  # taken; the answer's body cut
        assert dispatch(store, slack_sinks(clock, tmp_path), NOW) == 1
        assert len(fake.messages) == 1  # the real http.client raised IncompleteRead, and
        # the next attempt found the post by its key instead of posting again
        [effect] = store.effects()
        assert effect.status == "sent" and effect.result["found"] is True
        assert [method for method, _ in fake.calls] == [
            "chat.postMessage", "conversations.history"]


@pytest.mark.parametrize("name", ["IncompleteRead", "RemoteDisconnected", "ProtocolError",
                                  "SSLError", "timeout", "ConnectionResetError",
                                  "RuntimeError"])
def test_every_fault_of_a_slack_call_leaves_one_message(
        name: str, store: StateStore, clock: Clock, tmp_path: Path) -> None:
    stream = StringIO()
    logs.setup("text", stream)
    with FakeSlack(clock=clock).installed() as fake:
        plan(store, escalation(), escalation("INT-000003"))
        sinks = slack_sinks(clock, tmp_path)
        fake.fail("chat.postMessage", "raise-after-accept", error=name)
        for _ in range(3):
            dispatch(store, sinks, NOW)
        assert sorted(fake.keys()) == ["slack.message:escalation:INT-000002:1",
                                       "slack.message:escalation:INT-000003:1"]
        assert [e.status for e in store.effects()] == ["sent", "sent"]
    assert "Traceback" not in stream.getvalue()
    # A fault the sink foresaw is retried within the call; one it did not is one line, and
    # the next pass looks the post up before sending it again.
    assert stream.getvalue().count("delivery failed") == (name == "RuntimeError")


def test_a_bad_channel_holds_only_its_own_effects(
        store: StateStore, clock: Clock, tmp_path: Path) -> None:
    with FakeSlack(clock=clock).installed() as fake:
        # An L3 escalation routed to a channel Slack does not know, then eight for the main one.
        plan(store, escalation("INT-000001", channel="C0NOWHERE1"),
             *(escalation(f"INT-0000{n:02d}") for n in range(2, 10)))
        sinks = slack_sinks(clock, tmp_path)
        assert dispatch(store, sinks, NOW) == 8
        assert dispatch(store, sinks, NOW) == 0
        assert len(fake.top_level()) == 8
        [stuck] = store.effects("pending")
        assert stuck.ticket_id == "INT-000001" and "channel_not_found" in (stuck.last_error or "")
        assert sum(1 for method, _ in fake.calls if method == "chat.postMessage" and
                   _ .get("channel") == "C0NOWHERE1") == 2  # once a pass, not 26 in a row


# --- ClickUp ------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(NETWORK))
def test_every_network_fault_of_a_clickup_call_ends_in_one_task(
        name: str, store: StateStore, clock: Clock, tmp_path: Path) -> None:
    task = Effect(f"{CLICKUP_TASK}:INT-000017", CLICKUP_TASK, "INT-000017",
                  {"name": "[Bug] Cannot add products (Nandi Dairy)", "ticket_id": "INT-000017"})
    with FakeClickUp(clock=clock).installed() as fake:
        plan(store, task)
        sink = ClickUpSink(CLICKUP_TOKEN, LIST_ID, KEY_FIELD, clock=clock, sleep=clock.sleep,
                           jitter=lambda: 0.5)
        sinks = Sinks(LocalOutbox(tmp_path / "outbox.jsonl"), {CLICKUP_TASK: sink}, sink)
        with raised_once("api.clickup.com", NETWORK[name]()) as cut:
            dispatch(store, sinks, NOW)
        assert cut
        dispatch(store, sinks, NOW)
        assert fake.keys() == [task.key]
        assert store.effects()[0].status == "sent"


# --- Google ------------------------------------------------------------------------------------

@pytest.fixture
def tracker(tmp_path: Path) -> Iterator[GoogleTracker]:
    yield from google_tracker(tmp_path / "google")


@pytest.mark.parametrize("name", sorted(NETWORK))
def test_every_network_fault_of_a_google_read_is_retried_or_one_line(
        name: str, tracker: GoogleTracker) -> None:
    backend = tracker.backend()
    sinks = Sinks(LocalOutbox(tracker.folder / "outbox.jsonl"))
    with raised_once("sheets.googleapis.com", NETWORK[name]()) as cut:
        try:  # a read is retried by the client's rules, or the cycle fails in one line
            first = run_sync(tracker.config, NOW, backend=backend, sinks=sinks)
        except SheetsyncError as exc:
            assert "no answer from Google" in str(exc) and "Traceback" not in str(exc)
            first = None
    assert cut
    report = first or run_sync(tracker.config, NOW, backend=backend, sinks=sinks)
    assert report.adopted and report.rows == 16
    with StateStore(tracker.config.state_path) as state:
        assert len(state.snapshot()) == 16


# --- the workbook ------------------------------------------------------------------------------

@pytest.fixture
def demo(tmp_path: Path) -> Path:
    return make_demo(tmp_path / "demo", "seller-support", "Asia/Kolkata", "IN", NOW).config_path


@pytest.mark.parametrize("name", sorted(WORKBOOK))
def test_a_workbook_caught_mid_save_is_not_ready_never_a_crash(
        name: str, demo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = load_config(demo, environ={})

    def saving(*args: Any, **kwargs: Any) -> Any:
        raise WORKBOOK[name]()

    with monkeypatch.context() as patched:
        patched.setattr(xlsx_package, "Package", saving)  # the zip, cut short
        report = run_sync(config, NOW, sinks=Sinks(LocalOutbox(config.outbox_path)))
    assert report.write_skipped is not None and "being saved" in report.write_skipped
    again = run_sync(config, NOW, sinks=Sinks(LocalOutbox(config.outbox_path)))
    assert again.write_skipped is None and again.writes  # the IDs go in next cycle


# --- the state store ---------------------------------------------------------------------------

@contextmanager
def failing(store: StateStore, exception: BaseException, when: str) -> Iterator[None]:
    """The store's next statement matching `when` raises `exception` from the driver's call,
    under SQLAlchemy (which wraps a driver's error in its own, as it would a real one)."""
    engine = store._db.connection.engine
    pending = [exception]

    def execute(cursor: Any, statement: str, parameters: Any, context: Any) -> bool:
        if pending and when in statement:
            raise pending.pop()
        return False  # the driver runs it

    event.listen(engine, "do_execute", execute)
    try:
        yield
    finally:
        event.remove(engine, "do_execute", execute)


@pytest.mark.parametrize(("name", "said"), [
    ("ENOSPC", "the disk is full"), ("EROFS", "cannot be written"),
    ("DatabaseError", "the state file is damaged"), ("OperationalError", "disk I/O error")])
def test_a_fault_of_the_state_store_says_what_it_is_and_loses_nothing(
        name: str, said: str, store: StateStore) -> None:
    plan(store, escalation())
    with failing(store, STATE[name](), "UPDATE effects"), \
            pytest.raises(SheetsyncError, match=said) as raised:
        store.settle(escalation().key, "sent", NOW)
    assert "not a sheetsync state" not in str(raised.value)
    assert store.effects()[0].status == "pending"  # the transaction was rolled back whole


def test_a_lost_postgresql_server_is_a_passing_fault() -> None:
    fault = state_fault(STATE["PgOperationalError"](), "postgresql://db/sheetsync")
    assert isinstance(fault, StateUnavailable) and "unreachable" in str(fault)
    assert isinstance(state_fault(STATE["DatabaseError"](), "x.db"), DamagedState)


@pytest.mark.parametrize("name", ["DatabaseError", "OperationalError", "PgOperationalError",
                                  "PgProgrammingError", "SQLITE_FULL", "SQLITE_READONLY",
                                  "SQLITE_BUSY", "SQLITE_CORRUPT", "SQLITE_NOTADB"])
def test_a_driver_error_wrapped_by_sqlalchemy_means_what_it_means_bare(name: str) -> None:
    bare = DRIVER[name]()
    wrapped = sqlalchemy.exc.DBAPIError.instance(
        "UPDATE effects SET status = ?", (), bare,
        psycopg.Error if isinstance(bare, psycopg.Error) else sqlite3.Error)
    assert isinstance(wrapped, sqlalchemy.exc.DBAPIError) and wrapped.orig is bare
    said, unwrapped = state_fault(wrapped, "s.db"), state_fault(bare, "s.db")
    assert unwrapped is not None
    assert (type(said), str(said)) == (type(unwrapped), str(unwrapped))
    assert "SQL:" not in str(said)  # the driver's words, not SQLAlchemy's statement dump


def test_a_misuse_of_sqlalchemy_itself_is_a_bug_to_be_seen() -> None:
    assert state_fault(sqlalchemy.exc.ArgumentError("bad statement"), "s.db") is None
    assert state_fault(sqlalchemy.exc.ResourceClosedError("closed"), "s.db") is None


def test_a_state_file_locked_by_another_writer_is_busy_not_damaged(
        tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    with StateStore(path) as store:
        store._db.pragma("PRAGMA busy_timeout = 0")  # give up at once, not after 30 s
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # another process, writing for far too long
        try:
            assert store.job_runs() == set()  # reading goes on (WAL)
            with pytest.raises(StateUnavailable, match="busy in another process"):
                store.record_job("weekly", "2026-W48", NOW, NOW)
        finally:
            other.close()
        store.record_job("weekly", "2026-W48", NOW, NOW)  # the writer gone, the next works
        assert store.job_runs() == {("weekly", "2026-W48")}


# --- the daemon -------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["IncompleteRead", "BadZipFile", "ENOSPC", "DatabaseError",
                                  "PgOperationalError", "RuntimeError"])
def test_the_daemon_survives_any_fault_a_cycle_raises_and_recovers(
        name: str, demo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.edge_faults import EVERYTHING

    config = load_config(demo, environ={})
    stream = StringIO()
    logs.setup("text", stream)
    real, calls = run_sync, []

    def faulty(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:
            raise EVERYTHING[name]()
        return real(*args, **kwargs)

    monkeypatch.setattr("sheetsync.app.daemon.run_sync", faulty)
    health = Health(30)
    assert run_daemon(config, stop=Ticks(3), environ={}, health=health) == 0
    text = stream.getvalue()
    assert len(calls) >= 2  # the next interval tried again, and succeeded
    assert text.count("cycle failed") == 1 and "Traceback" not in text
    assert health.status()[0] == 200
    with StateStore(config.state_path) as state:
        assert state.adopted_at is not None


def test_an_unexpected_fault_shows_its_traceback_only_at_debug_level(
        demo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = load_config(demo, environ={})
    stream = StringIO()
    logs.setup("json", stream, level=10)

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("seller +919812345699 broke it")

    monkeypatch.setattr("sheetsync.app.daemon.run_sync", broken)
    assert run_daemon(config, once=True, environ={}) == 1
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    failed = [line for line in lines if line["event"] == "cycle failed"]
    assert [line["level"] for line in failed] == ["debug", "error"]
    assert "Traceback" in failed[0]["traceback"] and "9812345699" not in stream.getvalue()
    assert failed[1]["error"].startswith("unexpected RuntimeError: seller +91******5699 broke")
