"""The state store: migrations, one transaction per cycle, effects kept once by key."""

from __future__ import annotations

import sqlite3
import stat
from datetime import datetime, timezone
from pathlib import Path

import pytest

from sheetsync.errors import InputError
from sheetsync.core.effects import Effect
from sheetsync.state import MIGRATIONS, CycleRecord, StateStore
from sheetsync.core.tickets import Snapshot
from sheetsync.core.transitions import Transition

AT = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)


def record(snapshot: dict[str, Snapshot], transitions=(), effects=(), number: int = 2
           ) -> CycleRecord:
    return CycleRecord(started_at=AT, rows=len(snapshot), snapshot=snapshot,
                       transitions=transitions, effects=effects, next_ticket_number=number)


def ticket(ticket_id: str, status: str = "Pending", present: bool = True) -> Snapshot:
    return Snapshot(ticket_id, 2, {"status": status}, "h" * 32, present)


def test_a_new_store_is_private_in_wal_mode_at_the_latest_version(tmp_path: Path) -> None:
    with StateStore(tmp_path / "s.db") as store:
        assert store.version == len(MIGRATIONS)
        assert store.adopted_at is None
        assert store.next_ticket_number == 1
    assert stat.S_IMODE((tmp_path / "s.db").stat().st_mode) == 0o600
    db = sqlite3.connect(tmp_path / "s.db")
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_state_file_from_a_newer_sheetsync_is_refused(tmp_path: Path) -> None:
    StateStore(tmp_path / "s.db").close()
    db = sqlite3.connect(tmp_path / "s.db")
    db.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    db.close()
    with pytest.raises(InputError, match="written by a newer sheetsync"):
        StateStore(tmp_path / "s.db")


def test_a_file_that_is_not_a_state_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "s.db").write_text("tickets, not a database\n" * 100)
    with pytest.raises(InputError, match="not a sheetsync state file"):
        StateStore(tmp_path / "s.db")


def test_the_hash_key_is_made_once_and_kept(tmp_path: Path) -> None:
    with StateStore(tmp_path / "s.db") as store:
        key = store.hash_key()
        assert len(key) == 32 and store.hash_key() == key
    with StateStore(tmp_path / "s.db") as store:
        assert store.hash_key() == key


def test_a_cycle_commits_snapshot_transitions_and_effects_together(tmp_path: Path) -> None:
    effect = Effect("slack.message:INT-000001:escalated:1", "slack.message", "INT-000001",
                    {"text": "[ESCALATION] [Bug] - Cannot add products (Sundar Provisions)"})
    with StateStore(tmp_path / "s.db") as store:
        store.commit_cycle(record({"INT-000001": ticket("INT-000001", "Escalated")},
                                  [Transition("INT-000001", "status", "Pending", "Escalated")],
                                  [effect]))
    with StateStore(tmp_path / "s.db") as store:
        assert store.snapshot() == {"INT-000001": ticket("INT-000001", "Escalated")}
        assert [(h.field, h.before, h.after, h.at) for h in store.history("INT-000001")] == [
            ("status", "Pending", "Escalated", AT.isoformat())]
        [pending] = store.effects("pending")
        assert (pending.key, pending.payload) == (effect.key, effect.payload)
        assert store.adopted_at == AT.isoformat()
        assert store.next_ticket_number == 2


def test_a_failed_commit_leaves_nothing_behind(tmp_path: Path) -> None:
    class Boom(Exception):
        pass

    def transitions():
        yield Transition("INT-000001", "status", "Pending", "Escalated")
        raise Boom

    with StateStore(tmp_path / "s.db") as store:
        with pytest.raises(Boom):
            store.commit_cycle(record({"INT-000001": ticket("INT-000001")}, transitions()))
        assert store.snapshot() == {} and store.history("INT-000001") == []
        assert store.adopted_at is None


def test_an_effect_planned_twice_is_kept_once_with_its_first_state(tmp_path: Path) -> None:
    effect = Effect("clickup.task:INT-000001", "clickup.task", "INT-000001", {"name": "x"})
    with StateStore(tmp_path / "s.db") as store:
        store.commit_cycle(record({}, effects=[effect]))
        store.settle(effect.key, "sent", AT, result={"id": "86a1b2c3d"})
        store.commit_cycle(record({}, effects=[effect]))
        [kept] = store.effects()
        assert (kept.status, kept.attempts, kept.result) == ("sent", 1, {"id": "86a1b2c3d"})


def test_settling_an_unknown_effect_is_an_error(tmp_path: Path) -> None:
    with StateStore(tmp_path / "s.db") as store, pytest.raises(KeyError):
        store.settle("nope", "sent", AT)


def test_only_changed_tickets_are_written(tmp_path: Path) -> None:
    with StateStore(tmp_path / "s.db") as store:
        store.commit_cycle(record({"INT-000001": ticket("INT-000001"),
                                   "INT-000002": ticket("INT-000002")}))
        snapshot = {"INT-000001": ticket("INT-000001", "Resolved"),
                    "INT-000002": ticket("INT-000002", "Resolved")}
        store.commit_cycle(CycleRecord(AT, 2, snapshot, [], [], 3,
                                       changed=frozenset({"INT-000001"})))
        assert store.snapshot()["INT-000001"].fields == {"status": "Resolved"}
        assert store.snapshot()["INT-000002"].fields == {"status": "Pending"}


def test_purge_forgets_old_history_but_nothing_owed(tmp_path: Path) -> None:
    from datetime import timedelta

    old, later = AT - timedelta(days=90), AT
    with StateStore(tmp_path / "s.db") as store:
        store.commit_cycle(CycleRecord(old, 1, {"INT-000001": ticket("INT-000001")},
                                       [Transition("INT-000001", "ticket", None, "created")],
                                       [Effect("sent-one", "slack.message", "INT-000001", {}),
                                        Effect("owed-one", "slack.message", "INT-000001", {})],
                                       2))
        store.settle("sent-one", "sent", old)
        store.commit_cycle(CycleRecord(later, 1, {"INT-000001": ticket("INT-000001", "Resolved")},
                                       [Transition("INT-000001", "status", "Pending",
                                                   "Resolved")], [], 2))
        assert store.purge(AT - timedelta(days=30)) == {"transitions": 1, "effects": 1,
                                                          "cycles": 0}
        assert [h.field for h in store.history("INT-000001")] == ["status"]
        assert [e.key for e in store.effects()] == ["owed-one"]
        assert set(store.snapshot()) == {"INT-000001"}


def test_times_from_any_timezone_are_kept_in_utc_so_their_order_is_right(
        tmp_path: Path) -> None:
    from datetime import timedelta
    from zoneinfo import ZoneInfo

    kolkata = ZoneInfo("Asia/Kolkata")
    with StateStore(tmp_path / "state.db") as store:
        utc = datetime(2026, 11, 23, 6, 0, tzinfo=timezone.utc)
        store.commit_cycle(CycleRecord(started_at=utc, rows=0, snapshot={}, transitions=[],
                                       effects=[], next_ticket_number=1))
        # 10:00 in Kolkata is 04:30 UTC: planned earlier, though its text sorts later.
        store.add_effects([Effect("b", "slack.message", None, {})],
                          datetime(2026, 11, 23, 10, 0, tzinfo=kolkata))
        store.add_effects([Effect("a", "slack.message", None, {})], utc)
        assert [e.key for e in store.effects()] == ["b", "a"]
        assert store.effects(key="b")[0].created_at == "2026-11-23T04:30:00+00:00"
        held = store.hold_stale(utc - timedelta(hours=1))  # 05:00 UTC: only b is older
        assert held == ["b"]


def sent_task(store: StateStore, ticket_id: str, task_id: str, at: datetime) -> None:
    """A task dispatch created for `ticket_id`, its send stamped `at`."""
    effect = Effect(f"clickup.task:{ticket_id}", "clickup.task", ticket_id, {"name": "x"})
    store.add_effects([effect], at)
    store.settle(effect.key, "sent", at, result={"id": task_id, "url": f"https://x/{task_id}"})


def linked(store: StateStore, now: datetime) -> list[tuple[str, str]]:
    return [(k.ticket_id, k.task_id) for k in store.link_created_tasks(now)]


def test_each_task_sheetsync_created_is_linked_once_whenever_its_send_was_stamped(
        tmp_path: Path) -> None:
    from datetime import timedelta

    later = AT + timedelta(days=3)
    with StateStore(tmp_path / "s.db") as store:
        store.commit_cycle(record({}))
        sent_task(store, "INT-000001", "86a1", AT)
        assert store.unlinked_tasks(AT) == 1
        assert linked(store, AT) == [("INT-000001", "86a1")]
        assert store.unlinked_tasks(AT) == 0 and linked(store, AT) == []
        sent_task(store, "INT-000002", "86a2", later)
        assert linked(store, later) == [("INT-000002", "86a2")]
        # a second courier's send, stamped a minute before the one already linked
        sent_task(store, "INT-000003", "86a3", later - timedelta(minutes=1))
        assert store.unlinked_tasks(later) == 1
        assert linked(store, later) == [("INT-000003", "86a3")]
    with StateStore(tmp_path / "s.db") as store:  # another process: nothing linked twice
        assert store.unlinked_tasks(later) == 0 and linked(store, later) == []
        assert sorted(store.tasks()) == ["INT-000001", "INT-000002", "INT-000003"]


def test_a_task_sent_after_the_clock_was_set_back_is_still_linked(tmp_path: Path) -> None:
    from datetime import timedelta

    ahead = AT + timedelta(days=30)  # the clock was a month fast, then put right
    with StateStore(tmp_path / "s.db") as store:
        store.commit_cycle(record({}))
        sent_task(store, "INT-000001", "86a1", ahead)
        assert linked(store, ahead) == [("INT-000001", "86a1")]
        sent_task(store, "INT-000002", "86a2", AT)
        assert store.unlinked_tasks(AT) == 1
        assert linked(store, AT) == [("INT-000002", "86a2")]

