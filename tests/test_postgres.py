"""The state in PostgreSQL: the same store as SQLite, a lease, and a standby taking over.

Runs against a real PostgreSQL server the fixture starts (tests/postgres.py).
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import psycopg
import pytest

from sheetsync.config import Config, load_config
from sheetsync.app.demo import make_demo
from sheetsync.integrations.dispatch import open_sinks
from sheetsync.core.effects import Effect
from sheetsync.jobs.sync import run_sync
from sheetsync.state import MIGRATIONS, Lease, LeaseLost, Standby, StateStore, open_state
from tests.fake_slack import TOKEN, FakeSlack
from tests.helpers import edit
from tests.postgres import postgres_server

NOW = datetime(2026, 11, 23, 6, 30, tzinfo=timezone.utc)
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    yield from postgres_server()


def demo_on(folder: Path, url: str | None, extra: str = "", interval: int = 30) -> Config:
    """The demo tracker, its state in PostgreSQL (a namespace of its own) when `url`."""
    made = make_demo(folder, "seller-support", "Asia/Kolkata", "IN", NOW)
    text = made.config_path.read_text(encoding="utf-8")
    if url:
        text = text.replace('[state]\n', f'[state]\nurl = "{url}"\n'
                                         f'namespace = "t_{secrets.token_hex(4)}"\n')
    text = text.replace("interval_seconds = 30", f"interval_seconds = {interval}")
    made.config_path.write_text(text + extra, encoding="utf-8")
    return load_config(made.config_path, environ={})


def test_a_day_on_postgresql_is_the_same_day_as_on_sqlite(server: str, tmp_path: Path) -> None:
    outcomes = []
    for name, url in (("sqlite", None), ("postgres", server)):
        config = demo_on(tmp_path / name, url)
        first = run_sync(config, NOW, sinks=open_sinks(config, {}))
        edit(config, "Gupta Kirana Mart", Status="Escalated",
             **{"Assigned To": "Priya (Support), Rahul (Tech)"})
        second = run_sync(config, NOW + timedelta(minutes=5), sinks=open_sinks(config, {}))
        third = run_sync(config, NOW + timedelta(minutes=10), sinks=open_sinks(config, {}))
        with open_state(config) as store:
            history = [(h.field, h.before, h.after) for h in store.history("INT-000002")]
            statuses = sorted((e.key, e.status) for e in store.effects())
            snapshot = {t: (s.row, s.fields) for t, s in store.snapshot().items()}
        outbox = [json.loads(line)["text"] for line in
                  config.outbox_path.read_text().splitlines()]
        outcomes.append((first.new_tickets, len(second.transitions), third.planned, history,
                         statuses, snapshot, outbox))
    assert outcomes[0] == outcomes[1]
    assert outcomes[1][6] == ["[ESCALATION] [Help] - How do I add a discount to all products "
                              "in one category (Gupta Kirana Mart)"]


def test_one_replica_holds_the_lease_and_a_lapsed_one_is_fenced(
        server: str, tmp_path: Path) -> None:
    config = demo_on(tmp_path / "demo", server)
    run_sync(config, NOW, sinks=open_sinks(config, {}))
    with open_state(config, lease=Lease("a:1:x", 60)) as a, \
            open_state(config, lease=Lease("b:2:y", 60)) as b:
        assert a.hold_lease(3)[0]
        holds, holder, left = b.hold_lease(3)
        assert (holds, holder) == (False, "a:1:x") and 0 < left <= 3
        a.add_effects([Effect("slack.message:test", "slack.message", None, {"text": "x"})],
                      NOW)
        time.sleep(left + 0.1)  # a stalls past its lease
        assert b.hold_lease(5)[0]  # b takes over
        with pytest.raises(LeaseLost):
            a.begin_attempt("slack.message:test", NOW)  # a may not send what b now owns
        b.begin_attempt("slack.message:test", NOW)
    with pytest.raises(Standby, match="b:2:y"):
        run_sync(config, NOW, sinks=open_sinks(config, {}), lease=Lease("c:3:z", 5))


def test_a_password_in_the_url_is_refused_naming_pgpassword(tmp_path: Path) -> None:
    from sheetsync.errors import ConfigError

    with pytest.raises(ConfigError, match="PGPASSWORD"):
        demo_on(tmp_path / "demo", "postgresql://sheetsync:hunter2@db.example/tracker")


def test_the_standby_takes_over_when_the_leader_dies_and_nothing_is_lost_or_sent_twice(
        server: str, tmp_path: Path) -> None:
    """Two daemons on one tracker; the leader is SIGKILLed after Slack took its post and
    before it recorded it; the standby takes over within the lease and finds the post."""
    config = demo_on(tmp_path / "demo", server, '\n[slack]\nchannel = "C0SELLERS1"\n',
                     interval=1)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SLACK_BOT_TOKEN": TOKEN,
           "SHEETSYNC_FAKE_SLACK": str(tmp_path / "slack.json")}
    env.pop("SHEETSYNC_STATE_URL", None)

    def daemon(step: str, replica: str) -> subprocess.Popen[str]:
        # Two replicas as if on two machines: the standby cannot see the leader's process,
        # so it must wait for the lease to lapse.
        return subprocess.Popen(
            [sys.executable, "tests/crashpoint.py", step, "run", "--log-format", "json",
             "--config", str(config.source)], cwd=ROOT,
            env={**env, "SHEETSYNC_REPLICA": replica}, stderr=subprocess.PIPE, text=True)

    def wait_for(process: subprocess.Popen[str], event: str, timeout: float = 30
                 ) -> dict[str, object]:
        assert process.stderr is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = process.stderr.readline()
            if not line:
                break
            record = json.loads(line)
            if record["event"] == event:
                return dict(record)
        raise AssertionError(f"no {event!r} from the daemon")

    leader = daemon("slack-accepted", "replica-a")  # dies once Slack has taken a post
    wait_for(leader, "cycle")  # the adoption
    standby = daemon("none", "replica-b")
    try:
        wait_for(standby, "standby")
        edit(config, "Gupta Kirana Mart", Status="Escalated",
             **{"Assigned To": "Priya (Support), Rahul (Tech)"})
        assert leader.wait(timeout=30) == -signal.SIGKILL
        assert len(FakeSlack.at(tmp_path / "slack.json").messages) == 1  # taken, unrecorded
        leading = wait_for(standby, "leading")
        assert str(leading["holder"]).startswith("replica-b:")
        wait_for(standby, "cycle")
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with open_state(config) as store:
                [effect] = store.effects()
            if effect.status == "sent":
                break
            time.sleep(0.2)
        assert effect.status == "sent" and effect.result is not None
        assert effect.result["found"] is True  # looked up, not posted again
        assert FakeSlack.at(tmp_path / "slack.json").keys() == [
            "slack.message:escalation:INT-000002:1"]
    finally:
        standby.send_signal(signal.SIGTERM)
        stopped = standby.wait(timeout=30)
        leader.kill()
        for process in (leader, standby):
            process.wait(timeout=30)
            assert process.stderr is not None
            process.stderr.close()
    assert stopped == 0  # SIGTERM: a clean stop, the lease handed back
    with StateStore.postgres(server, config.settings.state.namespace) as store:
        assert store.effect_counts() == {("slack.message", "sent"): 1}


def test_doctor_reads_the_postgresql_state_and_who_holds_the_lease(
        server: str, tmp_path: Path) -> None:
    from sheetsync.app.doctor import diagnose

    config = demo_on(tmp_path / "demo", server)
    [before] = [c for c in diagnose(str(config.source), {}, tmp_path) if c.name == "state"]
    assert before.ok and "not there yet" in before.detail
    with open_state(config, lease=Lease("replica-a:1:x", 60)) as store:
        store.hold_lease(60)
    [after] = [c for c in diagnose(str(config.source), {}, tmp_path) if c.name == "state"]
    assert after.ok and f"version {len(MIGRATIONS)}" in after.detail
    assert "the lease is replica-a:1:x's" in after.detail
    [down] = [c for c in diagnose(str(config.source), {"SHEETSYNC_STATE_URL":
                                                       "postgresql:///nowhere?host=/nonexistent"},
                                  tmp_path) if c.name == "state"]
    assert down.ok is False and "PGPASSWORD" in down.fix


def test_replicas_starting_together_migrate_once(server: str) -> None:
    import threading

    namespace = f"t_{secrets.token_hex(4)}"
    errors: list[BaseException] = []

    def start() -> None:
        try:
            StateStore.postgres(server, namespace).close()
        except BaseException as exc:  # noqa: BLE001 (any failure is the finding)
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with StateStore.postgres(server, namespace) as store:
        assert store.version == len(MIGRATIONS)


def test_a_connection_the_server_dropped_is_a_passing_fault_and_nothing_half_done(
        server: str) -> None:
    from sheetsync.faults import StateUnavailable
    from sheetsync.state import CycleRecord

    namespace = f"t_{secrets.token_hex(4)}"
    effect = Effect("slack.message:escalation:INT-000002:1", "slack.message", "INT-000002",
                    {"text": "[ESCALATION]"})
    with StateStore.postgres(server, namespace) as store:
        store.commit_cycle(CycleRecord(started_at=NOW, rows=0, snapshot={}, transitions=[],
                                       effects=[effect], next_ticket_number=1))
        with psycopg.connect(server, autocommit=True) as admin:  # a restart, a failover
            admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE "
                          "pid != pg_backend_pid() AND datname = current_database()")
        with pytest.raises(StateUnavailable, match="the database is unreachable"):
            store.settle(effect.key, "sent", NOW)  # SQLAlchemy wraps psycopg's error
    with StateStore.postgres(server, namespace) as store:  # the next open: a new connection
        assert [e.status for e in store.effects()] == ["pending"]


def test_slack_actions_on_postgresql_are_as_on_sqlite(server: str, tmp_path: Path) -> None:
    from sheetsync.backends import open_backend
    from sheetsync.core.slack_actions import Click, NewTicket, Shown
    from sheetsync.jobs.actions import apply_click
    from sheetsync.jobs.tickets import add_ticket

    outcomes = []
    for name, url in (("sqlite", None), ("postgres", server)):
        config = demo_on(tmp_path / name, url,
                         extra='\n[slack.users]\n"Priya (Support)" = "U012PRIYA"\n')
        run_sync(config, NOW, sinks=open_sinks(config, {}))
        edit(config, "Gupta Kirana Mart", Status="Escalated", **{"Assigned To": "Rahul (Tech)"})
        run_sync(config, NOW, sinks=open_sinks(config, {}))
        take = Click("take", Shown("INT-000002", "Escalated", "Rahul (Tech)"), "U012PRIYA", "1.1")
        new = NewTicket("U012PRIYA", None, "V1", {"whatsapp_number": "+919845011111",
                                                  "seller_name": "Nandi Dairy",
                                                  "issue_type": "Help", "status": "Pending",
                                                  "description": "Where is my invoice?"})
        with open_state(config) as store:
            recorded = [store.record_action(take.action_id, "e1", "take", "INT-000002",
                                            "U012PRIYA", take.record(), NOW),
                        store.record_action(take.action_id, "e1", "take", "INT-000002",
                                            "U012PRIYA", take.record(), NOW),
                        store.record_action("V1:U012PRIYA:new", "e2", "new", None, "U012PRIYA",
                                            {}, NOW)]
            applied = apply_click(config, open_backend(config), store, take, NOW).status
            add_ticket(config, open_backend(config), store, "V1:U012PRIYA:new", new,
                       "Priya (Support)", NOW)
        run_sync(config, NOW + timedelta(minutes=5), sinks=open_sinks(config, {}))
        with open_state(config) as store:
            credited = store.credit_created()
            history = [(h.field, h.after, h.actor) for t in ("INT-000002", "INT-000017")
                       for h in store.history(t) if h.actor]
            left = store.unsettled_actions()
        outcomes.append((recorded, applied, credited, history, left))
    assert outcomes[0] == outcomes[1]
    assert outcomes[1][:2] == ([True, False, True], "applied")
    assert outcomes[1][3] == [("assignee", "Rahul (Tech), Priya (Support)",
                               "Priya (Support) (Slack)"),
                              ("ticket", "created", "Priya (Support) (Slack)")]
