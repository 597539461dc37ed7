"""Slack exchanges replayed by vcrpy through slack-sdk's real WebClient (no network).

The cassettes in `cassettes/slack/` are played with `record_mode="none"`, matching method,
URI and body: a request sheetsync did not send before fails the test. They were written from
the fake Slack (`tests/fake_slack.py`, its shapes from Slack's method reference) because no
machine here reaches Slack. To rewrite them from the fake, or re-record them against a real
workspace (see cassettes/README.md):

    python -m tests.test_slack_cassettes fake
    SLACK_BOT_TOKEN=xoxb-... python -m tests.test_slack_cassettes real
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import pytest
import vcr

from sheetsync.integrations.dispatch import Sinks, dispatch
from sheetsync.core.effects import Effect
from sheetsync.integrations.outbox import LocalOutbox
from sheetsync.integrations.pacing import Pacer
from sheetsync.integrations.slack import PACE_SECONDS, SlackSink
from sheetsync.core.rules import SLACK_MESSAGE, SLACK_REPLY, SLACK_UPDATE
from sheetsync.state import CycleRecord, StateStore
from tests.fake_slack import TOKEN, FakeSlack
from tests.helpers import Clock

ROOT = Path(__file__).resolve().parent.parent
CASSETTES = ROOT / "cassettes" / "slack"
NOW = datetime(2026, 11, 23, 6, 30, tzinfo=timezone.utc)
KEY = "slack.message:escalation:INT-000002:1"
SCRUBBED = "Bearer xoxb-scrubbed"
MATCH_ON = ["method", "scheme", "host", "port", "path", "query", "body"]


@dataclass
class Run:
    """One scenario's world: its state store, its Slack sink and a clock that never waits."""

    store: StateStore
    sink: SlackSink
    folder: Path
    clock: Clock

    def dispatch(self) -> int:
        sinks = Sinks(LocalOutbox(self.folder / "outbox.jsonl"),
                      {k: self.sink for k in (SLACK_MESSAGE, SLACK_REPLY, SLACK_UPDATE)})
        return dispatch(self.store, sinks, NOW)

    def plan(self, *effects: Effect) -> None:
        self.store.commit_cycle(CycleRecord(started_at=NOW, rows=0, snapshot={},
                                            transitions=[], effects=effects,
                                            next_ticket_number=1))

    def effect(self, key: str = KEY) -> Effect:
        return self.store.effects(key=key)[0]


def escalation() -> Effect:
    return Effect(KEY, SLACK_MESSAGE, "INT-000002", {
        "text": "[ESCALATION] [Bug] - Cannot add products <!channel> (Gupta Kirana Mart)",
        "ticket_id": "INT-000002", "contact": "+91******1234", "status": "Escalated",
        "priority": "High", "assignee": "Priya (Support), Rahul (Tech)",
        "reported_at": "2026-11-23 11:00", "description": "Cannot add products.",
        "task_id": None, "row_url": None})


def post_escalation(run: Run) -> None:
    run.plan(escalation())
    assert run.dispatch() == 1
    effect = run.effect()
    assert effect.status == "sent" and effect.result and effect.result["ts"]


def find_after_a_crash(run: Run) -> None:
    post_escalation(run)
    # The process died after Slack took the post and before the record: unclear, pending.
    run.store.begin_attempt(KEY, NOW)
    run.store.settle(KEY, "pending", NOW, unclear=True)
    posted = run.effect().result
    assert run.dispatch() == 1
    assert run.effect().result == {**(posted or {}), "found": True}


def thread(run: Run) -> None:
    post_escalation(run)
    run.plan(Effect(f"{SLACK_REPLY}:escalation:INT-000002:1:resolved#1", SLACK_REPLY,
                    "INT-000002", {"parent": KEY, "event": "resolved", "broadcast": True,
                                   "text": "INT-000002 resolved (status Escalated → Resolved)"}),
             Effect(f"{SLACK_UPDATE}:escalation:INT-000002:1:status=Resolved#1", SLACK_UPDATE,
                    "INT-000002", {**escalation().payload, "status": "Resolved",
                                   "parent": KEY}))
    assert run.dispatch() == 2
    assert [e.status for e in run.store.effects()] == ["sent"] * 3


def revoked_token(run: Run) -> None:
    run.plan(escalation())
    assert run.dispatch() == 0
    effect = run.effect()
    assert effect.status == "pending" and "SLACK_BOT_TOKEN" in (effect.last_error or "")


def rate_limited(run: Run) -> None:
    post_escalation(run)
    assert 1 in run.clock.slept  # waited out Retry-After, on the clock


#: name -> (the scenario, its token is the right one, the fake's planned fault)
SCENARIOS: dict[str, tuple[Callable[[Run], None], bool, str | None]] = {
    "post_escalation": (post_escalation, True, None),
    "find_after_a_crash": (find_after_a_crash, True, None),
    "thread": (thread, True, None),
    "revoked_token": (revoked_token, False, None),
    "rate_limited": (rate_limited, True, "429"),  # cannot be forced on a real workspace
}


@contextmanager
def scenario_run(folder: Path, token: str, channel: str) -> Iterator[Run]:
    clock = Clock(NOW)
    with StateStore(folder / "state.db") as store:
        yield Run(store, SlackSink(token, channel, pacer=Pacer(PACE_SECONDS, clock, clock.sleep),
                                   sleep=clock.sleep, jitter=lambda: 0.5), folder, clock)


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_the_recorded_exchange_replays_exactly(name: str, tmp_path: Path) -> None:
    scenario, right_token, _ = SCENARIOS[name]
    cassette_path = CASSETTES / f"{name}.yaml"
    with vcr.use_cassette(str(cassette_path), record_mode="none", match_on=MATCH_ON,
                          filter_headers=[("authorization", SCRUBBED)]) as cassette, \
            scenario_run(tmp_path, "xoxb-replay" if right_token else "xoxb-revoked",
                         "#seller-support") as run:
        scenario(run)
    assert cassette.all_played, f"{name}: a recorded request was not sent"
    assert "xoxb-" not in cassette_path.read_text(encoding="utf-8").replace(
        "xoxb-scrubbed", "")


def test_the_escalation_sent_matches_the_cassettes_request_body() -> None:
    text = (CASSETTES / "post_escalation.yaml").read_text(encoding="utf-8")
    assert "&lt;!channel&gt;" in text and "<!channel>" not in text
    assert '\\"verbatim\\": true' in text or '"verbatim": true' in text


def record(mode: str, folder: Path) -> None:
    """Rewrite every cassette: from the fake, or from a real workspace."""
    import os
    import tempfile

    for name, (scenario, right_token, fault) in SCENARIOS.items():
        path = CASSETTES / f"{name}.yaml"
        with tempfile.TemporaryDirectory(dir=folder) as scratch:
            if mode == "fake":
                fake = FakeSlack()
                if fault:
                    fake.fail("chat.postMessage", fault, retry_after=1)
                with fake.installed(), scenario_run(
                        Path(scratch), TOKEN if right_token else "xoxb-revoked",
                        "#seller-support") as run:
                    fake.clock = run.clock
                    scenario(run)
                fake.write_cassette(path, f"Slack scenario {name!r}: written from the fake "
                                          "Slack (tests/fake_slack.py), shapes from Slack's "
                                          "method reference; see cassettes/README.md.")
            elif fault is None:
                token = os.environ["SLACK_BOT_TOKEN"] if right_token else "xoxb-revoked"
                path.unlink(missing_ok=True)  # "all" would keep the fake's exchanges too
                with vcr.use_cassette(str(path), record_mode="all", match_on=MATCH_ON,
                                      filter_headers=[("authorization", SCRUBBED)]), \
                        scenario_run(Path(scratch), token, "#seller-support") as run:
                    scenario(run)
        print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    record(sys.argv[1] if len(sys.argv) > 1 else "fake", Path.cwd())

