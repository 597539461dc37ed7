"""Delivery isolated by destination: a backlog or a broken channel holds up only itself, and a
cycle hands its effects off without waiting for them."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from sheetsync.app import metrics
from sheetsync.config import load_config
from sheetsync.integrations.couriers import Couriers
from sheetsync.app.demo import make_demo
from sheetsync.integrations.dispatch import SLACK_KINDS, Sinks, delivery_order
from sheetsync.core.effects import Effect
from sheetsync.integrations.outbox import LocalOutbox
from sheetsync.integrations.pacing import Pacer
from sheetsync.integrations.slack import SlackSink
from sheetsync.app.metrics import Health
from sheetsync.jobs.sync import run_sync
from sheetsync.core.rules import (
    SLACK_DIGEST,
    SLACK_INCIDENT,
    SLACK_MESSAGE,
    SLACK_REMINDER,
    SLACK_REPLY,
    SLACK_SLA,
)
from sheetsync.state import CycleRecord, StateStore
from tests.fake_slack import TOKEN, FakeSlack
from tests.helpers import edit

NOW = datetime(2026, 11, 23, 6, 30, tzinfo=timezone.utc)


def effect(kind: str, key: str, ticket: str | None = None, **payload: Any) -> Effect:
    return Effect(key, kind, ticket, {"text": key, **payload})


def escalation(ticket: str, **payload: Any) -> Effect:
    return effect(SLACK_MESSAGE, f"{SLACK_MESSAGE}:escalation:{ticket}:1", ticket,
                  ticket_id=ticket, **payload)


# --- the order within a destination (pure) -----------------------------------------------------

def test_urgent_effects_go_first_but_never_ahead_of_their_own_tickets_earlier_ones() -> None:
    digest = effect(SLACK_DIGEST, "slack.digest:daily:2026-11-22")
    reminder = effect(SLACK_REMINDER, "slack.reminder:INT-000001", "INT-000001")
    first = escalation("INT-000002")
    reply = effect(SLACK_REPLY, "slack.reply:INT-000002:resolved", "INT-000002",
                   parent=first.key)
    incident = effect(SLACK_INCIDENT, "slack.incident:INC-1")
    breach = effect(SLACK_SLA, "slack.sla:first-response:breached:INT-000003", "INT-000003")
    later = escalation("INT-000004")
    order = delivery_order([digest, reminder, first, reply, incident, breach, later])
    assert [e.key for e in order] == [first.key, later.key, breach.key, incident.key,
                                      reply.key, reminder.key, digest.key]
    # An escalation planned after a reminder of the same ticket waits for it.
    again = escalation("INT-000001")
    assert [e.key for e in delivery_order([reminder, again])] == [reminder.key, again.key]


# --- couriers ----------------------------------------------------------------------------------

@pytest.fixture
def demo(tmp_path: Path) -> Path:
    made = make_demo(tmp_path / "demo", "seller-support", "Asia/Kolkata", "IN", NOW)
    with made.config_path.open("a", encoding="utf-8") as config:
        config.write('\n[slack]\nchannel = "C0SELLERS1"\n')
    return made.config_path


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack().installed() as slack:
        yield slack


def slack_sinks(outbox: Path, pace: float = 0.002) -> Sinks:
    """Slack paced at `pace` real seconds a message (Slack's is 1 s: the order is the same)."""
    sink = SlackSink(TOKEN, "C0SELLERS1", pacer=Pacer(pace), jitter=lambda: 0.0)
    return Sinks(LocalOutbox(outbox), {kind: sink for kind in SLACK_KINDS})


def until(condition: Callable[[], bool], seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "not reached in time"
        time.sleep(0.01)


def pending(config_path: Path) -> list[Effect]:
    with StateStore(load_config(config_path, environ={}).state_path) as store:
        return store.effects("pending")


def test_a_backlog_on_one_channel_does_not_delay_an_escalation_on_another(
        demo: Path, fake: FakeSlack) -> None:
    config = load_config(demo, environ={})
    sinks = slack_sinks(config.outbox_path)
    health = Health(30)  # no cycle runs here: only the couriers' deliveries are progress
    couriers = Couriers(config, sinks, on_progress=health.progressed)
    try:
        with StateStore(config.state_path) as store:
            backlog = [escalation(f"INT-{n:06d}") for n in range(1, 1001)]
            store.commit_cycle(CycleRecord(started_at=NOW, rows=0, snapshot={}, transitions=[],
                                           effects=backlog, next_ticket_number=1))
            couriers.wake(store, NOW)
            until(lambda: len(fake.messages) >= 5)  # the backlog is draining
            other = escalation("INT-009999", channel="C0TECHSUP1")
            store.add_effects([other], NOW)
            couriers.wake(store, NOW)
        until(lambda: any(m["channel"] == "C0TECHSUP1" for m in fake.messages))
        left = [e for e in pending(demo) if e.ticket_id != "INT-009999"]
        assert len(left) > 500  # it went while most of the backlog still waited
        assert health.status()[0] == 200  # a backlog draining is healthy
        assert sorted(couriers.destinations()) == ["slack:C0SELLERS1", "slack:C0TECHSUP1"]
        depth = metrics.REGISTRY.get_sample_value(
            "sheetsync_queue_depth", {"tracker": "", "destination": "slack:C0SELLERS1"})
        assert depth is not None and depth > 0
    finally:
        couriers.stop()


def test_a_failing_channel_delays_no_other(demo: Path, fake: FakeSlack) -> None:
    config = load_config(demo, environ={})
    couriers = Couriers(config, slack_sinks(config.outbox_path))
    try:
        with StateStore(config.state_path) as store:
            store.commit_cycle(CycleRecord(
                started_at=NOW, rows=0, snapshot={}, transitions=[], next_ticket_number=1,
                effects=[escalation("INT-000001", channel="C0NOWHERE1"),
                         *(escalation(f"INT-{n:06d}") for n in range(2, 10))]))
            couriers.wake(store, NOW)
        def settled() -> bool:  # the eight recorded as sent, the stuck one with its error
            left = pending(demo)
            return len(fake.messages) == 8 and len(left) == 1 and bool(left[0].last_error)

        until(settled)
        [stuck] = pending(demo)
        assert stuck.ticket_id == "INT-000001" and "channel_not_found" in (stuck.last_error or "")
    finally:
        couriers.stop()


def test_a_cycle_hands_its_effects_off_and_does_not_wait_for_delivery(
        demo: Path, fake: FakeSlack) -> None:
    config = load_config(demo, environ={})
    sinks = slack_sinks(config.outbox_path)
    run_sync(config, NOW, sinks=sinks)  # the baseline
    gate = threading.Event()
    real = fake.handle

    def slow(*args: Any) -> Any:  # Slack does not answer until the test says so
        gate.wait(30)
        return real(*args)

    fake.handle = slow  # type: ignore[method-assign]
    couriers = Couriers(config, sinks)
    try:
        for seller in ("Gupta Kirana Mart", "Kaveri Foods"):
            edit(config, seller, Status="Escalated", **{"Assigned To": "Priya (Support), Rahul"})
        report = run_sync(config, NOW, sinks=sinks)
        assert len(report.planned) == 2 and report.delivered == 0
        assert len(pending(demo)) == 2  # committed, handed off, and the cycle returned
        gate.set()
        until(lambda: not pending(demo))
        assert len(fake.messages) == 2
    finally:
        gate.set()
        couriers.stop()


def test_the_running_daemon_delivers_what_a_person_retried_without_a_change_in_the_sheet(
        demo: Path, fake: FakeSlack) -> None:
    from sheetsync.app.daemon import run_daemon

    demo.write_text(demo.read_text(encoding="utf-8").replace("interval_seconds = 30",
                                                             "interval_seconds = 1"),
                    encoding="utf-8")
    config = load_config(demo, environ={})
    run_sync(config, NOW, sinks=slack_sinks(config.outbox_path))  # the baseline
    with StateStore(config.state_path) as store:  # planned now: not stale
        store.add_effects([escalation("INT-000005")], datetime.now(timezone.utc))
    stop = threading.Event()
    daemon = threading.Thread(target=run_daemon, args=(config,),
                              kwargs={"stop": stop, "environ": {"SLACK_BOT_TOKEN": TOKEN}})
    daemon.start()
    try:
        until(lambda: "slack.message:escalation:INT-000005:1" in fake.keys())
    finally:
        stop.set()
        daemon.join(30)
    assert not daemon.is_alive()
    assert fake.keys().count("slack.message:escalation:INT-000005:1") == 1


def test_an_effect_deferred_to_the_end_of_quiet_hours_holds_no_escalation_back(
        demo: Path, fake: FakeSlack) -> None:
    from sheetsync.integrations.dispatch import dispatch

    config = load_config(demo, environ={})
    later = datetime(2026, 11, 23, 12, 0, tzinfo=timezone.utc)
    with StateStore(config.state_path) as store:
        store.commit_cycle(CycleRecord(
            started_at=NOW, rows=0, snapshot={}, transitions=[], next_ticket_number=1,
            effects=[effect(SLACK_REMINDER, "slack.reminder:INT-000001", "INT-000001",
                            not_before=later.isoformat()),  # quiet hours: waits
                     escalation("INT-000001")]))
        assert dispatch(store, slack_sinks(config.outbox_path), NOW) == 1
        assert fake.keys() == ["slack.message:escalation:INT-000001:1"]
        assert dispatch(store, slack_sinks(config.outbox_path), later) == 1
    assert fake.keys() == ["slack.message:escalation:INT-000001:1", "slack.reminder:INT-000001"]
