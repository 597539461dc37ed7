"""Slack escalations through slack-sdk's real WebClient, against the stateful fake Slack.

Every failure mode the issue names is here: dropped connections and timeouts after Slack
accepted a post, 5xx, 429 bursts, revoked tokens, unknown channels, a bot outside the channel,
a missing history scope. Each ends with exactly one message, or with the effect waiting
visibly for a fix, never with a duplicate or a loss. Time is an injected clock.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from io import StringIO
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from sheetsync.app import logs
from sheetsync.app.cli import main
from sheetsync.app.daemon import run_daemon
from sheetsync.config import Config, load_config
from sheetsync.app.demo import make_demo
from sheetsync.integrations.dispatch import SLACK_KINDS, Sinks, dispatch, open_sinks
from sheetsync.errors import ConfigError
from sheetsync.core.effects import Effect
from sheetsync.integrations.outbox import LocalOutbox
from sheetsync.integrations.pacing import Pacer
from sheetsync.integrations.slack import PACE_SECONDS, SlackSink
from sheetsync.jobs.sync import run_sync
from sheetsync.core.rules import SLACK_MESSAGE, SLACK_REPLY, SLACK_UPDATE
from sheetsync.state import CycleRecord, StateStore
from tests.fake_slack import TOKEN, FakeSlack
from tests.helpers import Clock, Killed, edit

NOW = datetime(2026, 11, 23, 6, 30, tzinfo=timezone.utc)
KEY = "slack.message:escalation:INT-000002:1"


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
def fake(clock: Clock) -> Iterator[FakeSlack]:
    with FakeSlack(clock=clock).installed() as slack:
        yield slack


@pytest.fixture
def store(tmp_path: Path) -> Iterator[StateStore]:
    with StateStore(tmp_path / "state.db") as opened:
        yield opened


def slack_sink(clock: Clock, channel: str = "#seller-support",
               token: str = TOKEN) -> SlackSink:
    return SlackSink(token, channel, pacer=Pacer(PACE_SECONDS, clock, clock.sleep),
                     sleep=clock.sleep, jitter=lambda: 0.5)


def sinks_for(sink: SlackSink, tmp_path: Path) -> Sinks:
    return Sinks(LocalOutbox(tmp_path / "outbox.jsonl"),
                 {kind: sink for kind in SLACK_KINDS})


def escalation(ticket: str = "INT-000002", **payload: Any) -> Effect:
    return Effect(f"{SLACK_MESSAGE}:escalation:{ticket}:1", SLACK_MESSAGE, ticket, {
        "text": f"[ESCALATION] [Bug] - Cannot add products ({ticket} Store)",
        "ticket_id": ticket, "contact": "+91******0000", "status": "Escalated", **payload})


def plan(store: StateStore, *effects: Effect) -> None:
    store.commit_cycle(CycleRecord(started_at=NOW, rows=0, snapshot={}, transitions=[],
                                   effects=effects, next_ticket_number=1))


def run(store: StateStore, sink: SlackSink, tmp_path: Path) -> int:
    return dispatch(store, sinks_for(sink, tmp_path), NOW)


def only(store: StateStore, key: str = KEY) -> Effect:
    return store.effects(key=key)[0]


# --- delivered once -----------------------------------------------------------------------------

def test_an_escalation_is_posted_once_with_its_key_in_the_metadata(
        fake: FakeSlack, store: StateStore, clock: Clock, tmp_path: Path) -> None:
    plan(store, escalation())
    sink = slack_sink(clock)
    assert run(store, sink, tmp_path) == 1
    assert run(store, sink, tmp_path) == 0
    [message] = fake.messages
    assert message["text"] == "[ESCALATION] [Bug] - Cannot add products (INT-000002 Store)"
    assert message["metadata"] == {"event_type": "sheetsync_effect",
                                   "event_payload": {"key": KEY}}
    assert message["parse"] == "none" and message["link_names"] is False
    effect = only(store)
    assert effect.status == "sent" and not effect.unclear
    assert effect.result == {"channel": "C0SELLERS1", "ts": message["ts"]}


@pytest.mark.parametrize("fault", ["drop-after-accept", "timeout-after-accept"])
def test_a_post_slack_accepted_but_never_answered_is_found_not_posted_again(
        fake: FakeSlack, store: StateStore, clock: Clock, tmp_path: Path, fault: str) -> None:
    plan(store, escalation())
    fake.fail("chat.postMessage", fault)
    assert run(store, slack_sink(clock), tmp_path) == 1
    assert fake.keys() == [KEY]
    assert [m for m, _ in fake.calls] == ["conversations.list", "chat.postMessage",
                                          "conversations.history"]
    assert only(store).result == {"channel": "C0SELLERS1", "ts": fake.messages[0]["ts"],
                                  "found": True}


@pytest.mark.parametrize("fault", ["drop", "500"])
def test_a_post_slack_never_took_is_looked_for_then_sent(
        fake: FakeSlack, store: StateStore, clock: Clock, tmp_path: Path, fault: str) -> None:
    plan(store, escalation())
    fake.fail("chat.postMessage", fault)
    assert run(store, slack_sink(clock), tmp_path) == 1
    assert fake.keys() == [KEY]
    assert [m for m, _ in fake.calls][1:] == ["chat.postMessage", "conversations.history",
                                              "chat.postMessage"]
    assert clock.slept and max(clock.slept) <= 1.0  # bounded backoff, with jitter


def test_slack_down_for_longer_leaves_the_effect_pending_and_unclear(
        fake: FakeSlack, store: StateStore, clock: Clock, tmp_path: Path,
        caplog: pytest.LogCaptureFixture) -> None:
    plan(store, escalation(), escalation("INT-000003"))
    for _ in range(3):
        fake.fail("chat.postMessage", "drop")
    sink = slack_sink(clock)
    assert run(store, sink, tmp_path) == 0
    effect = only(store)
    assert effect.status == "pending" and effect.unclear
    assert "no answer from Slack (ConnectionResetError)" in (effect.last_error or "")
    assert only(store, "slack.message:escalation:INT-000003:1").attempts == 0  # order kept
    assert run(store, sink, tmp_path) == 2  # Slack is back: looked up, then posted once
    assert fake.keys() == [KEY, "slack.message:escalation:INT-000003:1"]


def test_a_process_killed_after_slack_accepted_finds_its_message_on_restart(
        fake: FakeSlack, store: StateStore, clock: Clock, tmp_path: Path) -> None:
    plan(store, escalation())

    def kill() -> None:
        raise Killed

    fake.on_accept = kill
    with pytest.raises(Killed):
        run(store, slack_sink(clock), tmp_path)
    fake.on_accept = lambda: None
    assert only(store).unclear  # marked before the post, durably
    assert run(store, slack_sink(clock), tmp_path) == 1  # a new process
    assert fake.keys() == [KEY]


# --- 429s and pacing ----------------------------------------------------------------------------

def test_a_429_is_retried_after_retry_after_on_the_clock(
        fake: FakeSlack, store: StateStore, clock: Clock, tmp_path: Path) -> None:
    plan(store, escalation())
    fake.fail("chat.postMessage", "429", retry_after=7)
    assert run(store, slack_sink(clock), tmp_path) == 1
    assert fake.keys() == [KEY]
    assert 7 in clock.slept
    assert "conversations.history" not in [m for m, _ in fake.calls]  # a 429 posted nothing


def test_a_persistent_429_is_bounded_and_tried_again_next_cycle(
        fake: FakeSlack, store: StateStore, clock: Clock, tmp_path: Path) -> None:
    plan(store, escalation())
    for _ in range(4):
        fake.fail("chat.postMessage", "429", retry_after=2)
    sink = slack_sink(clock)
    assert run(store, sink, tmp_path) == 0
    effect = only(store)
    assert effect.status == "pending" and not effect.unclear
    assert "rate limit" in (effect.last_error or "")
    assert sink.rate_limits.received == 3
    assert run(store, sink, tmp_path) == 1 and fake.keys() == [KEY]


def test_a_burst_of_200_escalations_arrives_complete_in_order_without_a_429(
        store: StateStore, clock: Clock, tmp_path: Path) -> None:
    tickets = [f"INT-{n:06d}" for n in range(1, 201)]
    plan(store, *(escalation(t) for t in tickets))
    with FakeSlack(clock=clock, limit_per_second=1.0).installed() as fake:
        assert run(store, slack_sink(clock), tmp_path) == 200
    assert fake.keys() == [f"{SLACK_MESSAGE}:escalation:{t}:1" for t in tickets]
    assert fake.rate_limited == 0
    assert clock.now - NOW.timestamp() == pytest.approx(199 * PACE_SECONDS)


# --- faults a person must fix -------------------------------------------------------------------

@pytest.mark.parametrize(("token", "channel", "members", "says"), [
    ("xoxb-revoked", "#seller-support", None, "set a valid bot token in SLACK_BOT_TOKEN"),
    (TOKEN, "C0NOSUCHCH", None, "check slack.channel in the config"),
    (TOKEN, "#no-such-channel", None, "slack.channel: no channel #no-such-channel"),
    (TOKEN, "#seller-support", (), "invite the app to the channel"),
])
def test_a_configuration_fault_is_logged_once_and_the_effect_waits_for_the_fix(
        store: StateStore, clock: Clock, tmp_path: Path, caplog: pytest.LogCaptureFixture,
        token: str, channel: str, members: tuple[str, ...] | None, says: str) -> None:
    plan(store, escalation(), escalation("INT-000003"))
    options = {} if members is None else {"members": members}
    with FakeSlack(clock=clock, **options).installed() as fake:
        broken = slack_sink(clock, channel=channel, token=token)
        with caplog.at_level(logging.ERROR, logger="sheetsync"):
            for _ in range(3):
                assert run(store, broken, tmp_path) == 0
        failures = [r for r in caplog.records if r.getMessage() == "delivery failed"]
        assert len(failures) == 1 and says in failures[0].__dict__["fields"]["error"]
        assert TOKEN not in caplog.text and "xoxb-revoked" not in caplog.text
        assert [e.status for e in store.effects()] == ["pending", "pending"]
        assert says in (only(store).last_error or "")
        fake.members = ("C0SELLERS1",)
        assert run(store, slack_sink(clock), tmp_path) == 2  # fixed: delivered, once
        assert len(fake.messages) == 2


def test_without_the_history_scope_an_unclear_post_is_held_for_a_person(
        store: StateStore, clock: Clock, tmp_path: Path) -> None:
    plan(store, escalation())
    with FakeSlack(clock=clock, scopes=("chat:write", "channels:read")).installed() as fake:
        fake.fail("chat.postMessage", "drop-after-accept")
        assert run(store, slack_sink(clock), tmp_path) == 0
        held = only(store)
        assert held.status == "failed" and held.unclear
        assert "lacks the channels:history scope" in (held.last_error or "")
        assert f"sheetsync outbox retry {KEY} --not-sent" in (held.last_error or "")
        assert len(fake.messages) == 1  # it was posted: sheetsync did not guess
        store.decide(KEY, "cancelled", NOW)  # the person looked, found it, and cancelled
        assert run(store, slack_sink(clock), tmp_path) == 0 and len(fake.messages) == 1


def test_a_person_who_checked_can_send_a_held_post(store: StateStore, clock: Clock,
                                                   tmp_path: Path) -> None:
    plan(store, escalation())
    with FakeSlack(clock=clock, scopes=("chat:write", "channels:read")).installed() as fake:
        fake.fail("chat.postMessage", "drop")  # never reached Slack
        run(store, slack_sink(clock), tmp_path)
        assert only(store).status == "failed"
        store.decide(KEY, "pending", NOW)  # a plain retry still asks Slack first
        run(store, slack_sink(clock), tmp_path)
        assert only(store).status == "failed" and fake.messages == []
        store.decide(KEY, "pending", NOW, checked=True)  # "--not-sent": the person looked
        assert run(store, slack_sink(clock), tmp_path) == 1 and fake.keys() == [KEY]


def test_a_message_slack_refuses_is_held_and_the_rest_go_on(
        fake: FakeSlack, store: StateStore, clock: Clock, tmp_path: Path) -> None:
    plan(store, escalation(), escalation("INT-000003"))
    fake.fail("chat.postMessage", "error", error="msg_too_long")
    assert run(store, slack_sink(clock), tmp_path) == 1
    assert only(store).status == "failed"
    assert "Slack refused the message (msg_too_long)" in (only(store).last_error or "")
    assert fake.keys() == ["slack.message:escalation:INT-000003:1"]


def test_the_channel_name_is_looked_up_once(fake: FakeSlack, store: StateStore,
                                            clock: Clock, tmp_path: Path) -> None:
    sink = slack_sink(clock)
    for ticket in ("INT-000002", "INT-000003"):
        plan(store, escalation(ticket))
        run(store, sink, tmp_path)
    assert [m for m, _ in fake.calls].count("conversations.list") == 1
    assert [m for m, _ in fake.calls if m == "chat.postMessage"] == ["chat.postMessage"] * 2


def test_a_channel_id_needs_no_lookup_and_no_channels_read_scope(
        store: StateStore, clock: Clock, tmp_path: Path) -> None:
    plan(store, escalation())
    with FakeSlack(clock=clock, scopes=("chat:write", "channels:history")).installed() as fake:
        assert run(store, slack_sink(clock, channel="C0SELLERS1"), tmp_path) == 1
    assert [m for m, _ in fake.calls] == ["chat.postMessage"]


# --- the thread ---------------------------------------------------------------------------------

def reply(event: str = "resolved", n: int = 1) -> Effect:
    return Effect(f"{SLACK_REPLY}:escalation:INT-000002:1:{event}#{n}", SLACK_REPLY,
                  "INT-000002", {"parent": KEY, "event": event,
                                 "text": f"INT-000002 {event}", "broadcast": False})


def test_replies_go_in_the_thread_once_and_the_message_is_updated(
        fake: FakeSlack, store: StateStore, clock: Clock, tmp_path: Path) -> None:
    plan(store, escalation())
    sink = slack_sink(clock)
    run(store, sink, tmp_path)
    parent_ts = fake.messages[0]["ts"]
    update = Effect(f"{SLACK_UPDATE}:escalation:INT-000002:1:status=Resolved#1", SLACK_UPDATE,
                    "INT-000002", {**escalation().payload, "status": "Resolved",
                                   "parent": KEY})
    plan(store, reply(), update)
    fake.fail("chat.postMessage", "drop-after-accept")
    assert run(store, sink, tmp_path) == 2
    [answer] = fake.replies(parent_ts)
    assert answer["text"] == "INT-000002 resolved"
    assert [m for m, _ in fake.calls][-2:] == ["conversations.replies", "chat.update"]
    fields = [f["text"] for f in fake.messages[0]["blocks"][1]["fields"]]
    assert fake.messages[0]["edited"] and "*Status*\nResolved" in fields
    assert fake.messages[0]["metadata"]["event_payload"] == {"key": KEY}


def test_a_reply_waits_for_its_escalation_and_is_cancelled_with_it(
        fake: FakeSlack, store: StateStore, clock: Clock, tmp_path: Path) -> None:
    plan(store, escalation(), reply())
    fake.fail("chat.postMessage", "error", error="msg_too_long")
    run(store, slack_sink(clock), tmp_path)
    assert [e.status for e in store.effects()] == ["failed", "pending"]  # waits, not tried
    assert only(store, reply().key).attempts == 0
    store.decide(KEY, "cancelled", NOW)
    run(store, slack_sink(clock), tmp_path)
    assert only(store, reply().key).status == "cancelled" and fake.messages == []


# --- the whole cycle ----------------------------------------------------------------------------

def slack_demo(tmp_path: Path) -> Config:
    made = make_demo(tmp_path / "demo", "seller-support", "Asia/Kolkata", "IN", NOW)
    with made.config_path.open("a", encoding="utf-8") as config:
        config.write('\n[slack]\nchannel = "#seller-support"\n')
    return load_config(made.config_path, environ={})


def test_an_escalated_row_posts_the_guides_message_and_its_follow_ups_in_the_thread(
        fake: FakeSlack, clock: Clock, tmp_path: Path) -> None:
    config = slack_demo(tmp_path)
    sinks = sinks_for(slack_sink(clock), tmp_path)
    run_sync(config, NOW, sinks=sinks)  # the baseline: nothing sent
    assert fake.messages == []
    edit(config, "Vijay Auto Parts", Status="Escalated",
         **{"Assigned To": "Arjun (Support)"})
    run_sync(config, NOW, sinks=sinks)
    [message] = fake.top_level()
    assert message["text"] == ("[ESCALATION] [Help] - How to print invoices for multiple "
                               "orders (Vijay Auto Parts)")
    fields = [f["text"] for f in message["blocks"][1]["fields"]]
    assert fields[:2] == ["*Ticket*\nINT-000015", "*WhatsApp*\n+91******1000"]
    edit(config, "Vijay Auto Parts", **{"Assigned To": "Arjun (Support), Rahul (Tech)"})
    run_sync(config, NOW, sinks=sinks)
    edit(config, "Vijay Auto Parts", Status="Resolved")
    run_sync(config, NOW, sinks=sinks)
    run_sync(config, NOW, sinks=sinks)  # nothing new: nothing sent
    assert [m["text"] for m in fake.replies(message["ts"])] == [
        "INT-000015 assigned to Arjun (Support), Rahul (Tech) (was Arjun (Support))",
        "INT-000015 resolved (status Escalated → Resolved)"]
    status = [f["text"] for f in fake.messages[0]["blocks"][1]["fields"]][2]
    assert status == "*Status*\nResolved"
    assert len(fake.top_level()) == 1 and not config.outbox_path.exists()


def test_slack_settings_and_the_token_choose_the_sink(tmp_path: Path) -> None:
    config = slack_demo(tmp_path)
    assert isinstance(open_sinks(config, environ={}).for_kind(SLACK_MESSAGE), LocalOutbox)
    slack = open_sinks(config, environ={"SLACK_BOT_TOKEN": TOKEN}).for_kind(SLACK_MESSAGE)
    assert isinstance(slack, SlackSink) and slack.channel == "#seller-support"
    assert isinstance(open_sinks(config, environ={"SLACK_BOT_TOKEN": TOKEN}).for_kind(
        "clickup.task"), LocalOutbox)
    bare = load_config(None, environ={}, cwd=tmp_path)
    with pytest.raises(ConfigError, match="slack.channel: SLACK_BOT_TOKEN is set but "
                                          "slack.channel is not; add it under \\[slack\\]"):
        open_sinks(bare, environ={"SLACK_BOT_TOKEN": TOKEN})


def test_the_cycle_goes_on_while_slack_is_unreachable(
        fake: FakeSlack, clock: Clock, tmp_path: Path) -> None:
    config = slack_demo(tmp_path)
    sinks = sinks_for(slack_sink(clock, token="xoxb-revoked"), tmp_path)
    run_sync(config, NOW, sinks=sinks)
    edit(config, "Vijay Auto Parts", Status="Escalated")
    report = run_sync(config, NOW, sinks=sinks)
    assert report.delivered == 0 and report.write_skipped is None
    with StateStore(config.state_path) as store:
        [effect] = store.effects("pending")
    assert "SLACK_BOT_TOKEN" in (effect.last_error or "")
    run_sync(config, NOW, sinks=sinks_for(slack_sink(clock), tmp_path))  # the token fixed
    assert len(fake.messages) == 1


def test_status_shows_a_held_post_and_retry_not_sent_clears_the_doubt(
        clock: Clock, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = slack_demo(tmp_path)
    with StateStore(config.state_path) as store:
        plan(store, escalation())
        with FakeSlack(clock=clock, scopes=("chat:write", "channels:read")).installed() as fake:
            fake.fail("chat.postMessage", "drop")
            run(store, slack_sink(clock), tmp_path)
    capsys.readouterr()
    assert main(["status", "--config", str(config.source)]) == 0
    shown = capsys.readouterr().out
    assert "Effects: 0 pending, 1 failed" in shown
    # where it queues as this environment routes it (no token here: the local outbox)
    assert f"failed: {KEY} to outbox (cannot check whether {KEY} reached Slack" in shown
    assert main(["status", "--format", "json", "--config", str(config.source)]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["failed_effects"] == [KEY]
    assert shown["destinations"] == {KEY: "outbox"}
    assert "lacks the channels:history scope" in shown["errors"][KEY]
    assert main(["outbox", "cancel", KEY, "--not-sent", "--config", str(config.source)]) == 2
    assert main(["outbox", "retry", KEY, "--not-sent", "--config", str(config.source)]) == 0
    with StateStore(config.state_path) as store:
        effect = only(store)
    assert effect.status == "pending" and not effect.unclear


def test_pacing_counts_from_the_end_of_a_slow_call(clock: Clock) -> None:
    pacer = Pacer(1.0, clock, clock.sleep)
    pacer.wait("C0SELLERS1")
    clock.sleep(0.4)  # Slack took 0.4 s to answer (or the SDK retried a 429 inside the call)
    pacer.done("C0SELLERS1")
    ended = clock.now
    pacer.wait("C0SELLERS1")
    assert clock.now - ended == pytest.approx(1.0)  # a full second after the answer
    pacer.wait("C0OTHER001")  # another channel has its own limit
    assert clock.now - ended == pytest.approx(1.0)


@pytest.mark.parametrize(("token", "logged"), [
    (TOKEN, "info slack ready target=C0SELLERS1"),
    ("xoxb-revoked", "error slack not ready error=\"Slack refused the token (invalid_auth): "
                     "set a valid bot token in SLACK_BOT_TOKEN\""),
])
def test_the_daemon_checks_the_token_and_finds_the_channel_at_start(
        fake: FakeSlack, tmp_path: Path, token: str, logged: str) -> None:
    config = slack_demo(tmp_path)
    stream = StringIO()
    logs.setup("text", stream)
    assert run_daemon(config, once=True, environ={"SLACK_BOT_TOKEN": token}) == 0
    assert logged in stream.getvalue()
    assert token not in stream.getvalue()
    assert [m for m, _ in fake.calls][:2] == ["auth.test", "conversations.list"][
        :1 if token != TOKEN else 2]  # a refused token: no point looking for the channel


def test_a_reply_to_an_escalation_that_went_to_the_outbox_is_held_not_posted_loose(
        fake: FakeSlack, store: StateStore, clock: Clock, tmp_path: Path) -> None:
    plan(store, escalation())
    dispatch(store, Sinks(LocalOutbox(tmp_path / "outbox.jsonl")), NOW)  # no token back then
    plan(store, reply())
    assert run(store, slack_sink(clock), tmp_path) == 0
    held = only(store, reply().key)
    assert held.status == "failed" and "was not posted to Slack" in (held.last_error or "")
    assert fake.messages == []


def test_the_configured_api_url_is_where_requests_go(fake: FakeSlack, tmp_path: Path) -> None:
    made = make_demo(tmp_path / "demo", "seller-support", "Asia/Kolkata", "IN", NOW)
    with made.config_path.open("a", encoding="utf-8") as config_file:
        config_file.write('\n[slack]\nchannel = "C0SELLERS1"\n'
                          'api_url = "https://slack-proxy.example.org/api"\n')
    config = load_config(made.config_path, environ={})
    sinks = open_sinks(config, environ={"SLACK_BOT_TOKEN": TOKEN})
    with StateStore(config.state_path) as store:
        plan(store, escalation())
        assert dispatch(store, sinks, NOW) == 1
    assert [url for _, url, *_ in fake.exchanges] == [
        "https://slack-proxy.example.org/api/chat.postMessage"]


def test_an_escalation_goes_to_its_levels_channel_and_raising_it_replies_in_the_thread(
        fake: FakeSlack, clock: Clock, tmp_path: Path) -> None:
    config = slack_demo(tmp_path)
    assert config.source is not None
    with config.source.open("a", encoding="utf-8") as file:
        file.write('level_channels = { L2 = "#tech-support" }\n')
    config = load_config(config.source, environ={})
    sinks = sinks_for(slack_sink(clock), tmp_path)
    run_sync(config, NOW, sinks=sinks)
    edit(config, "Lakshmi Textiles", Status="Escalated")  # a Bug: technical, so L2
    run_sync(config, NOW, sinks=sinks)
    [message] = fake.top_level()
    assert message["channel"] == "C0TECHSUP1"
    assert "*Level*\nL2" in [f["text"] for f in message["blocks"][1]["fields"]]
    edit(config, "Lakshmi Textiles", **{"Escalation Level": "L3"})
    run_sync(config, NOW, sinks=sinks)
    [reply] = fake.replies(message["ts"])
    assert reply["text"] == "INT-000003 raised to L3 (from L2)"
    assert "*Level*\nL3" in [f["text"] for f in fake.messages[0]["blocks"][1]["fields"]]
    with StateStore(config.state_path) as store:
        assert ("level", "L2", "L3") in [(h.field, h.before, h.after)
                                         for h in store.history("INT-000003")]


def test_an_sla_alert_mentions_the_assignees_slack_user(
        fake: FakeSlack, store: StateStore, clock: Clock, tmp_path: Path) -> None:
    plan(store, Effect("slack.sla:first-response:breach:INT-000009", "slack.sla", "INT-000009",
                       {"text": "INT-000009 missed its 24 h first response target (Priya)",
                        "assignee": "Priya (Support), Rahul (Tech)"}))
    sink = SlackSink(TOKEN, "#seller-support", pacer=Pacer(PACE_SECONDS, clock, clock.sleep),
                     sleep=clock.sleep, users={"Priya (Support)": "U0PRIYA001"})
    assert run(store, sink, tmp_path) == 1
    assert fake.messages[0]["text"].startswith("<@U0PRIYA001> INT-000009 missed")
