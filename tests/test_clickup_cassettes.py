"""ClickUp exchanges replayed by vcrpy through sheetsync's client and a real requests session.

The cassettes in `cassettes/clickup/` are played with `record_mode="none"`, matching method,
URI (query included) and body. They were written from the fake ClickUp
(`tests/fake_clickup.py`, its requests checked against ClickUp's published API v2 reference)
because no machine here reaches ClickUp. To rewrite them, or re-record them against a real
list (see cassettes/README.md):

    python -m tests.test_clickup_cassettes fake
    CLICKUP_API_TOKEN=pk_... CLICKUP_LIST_ID=... CLICKUP_KEY_FIELD_ID=... \\
        python -m tests.test_clickup_cassettes real
"""

from __future__ import annotations

import re
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
from sheetsync.integrations.clickup import ClickUpSink
from sheetsync.integrations.outbox import LocalOutbox
from sheetsync.core.rules import CLICKUP_TASK
from sheetsync.state import CycleRecord, StateStore
from tests.cassettes import Exchange, write_cassette
from tests.fake_clickup import KEY_FIELD, LIST_ID, TOKEN, FakeClickUp
from tests.helpers import Clock

ROOT = Path(__file__).resolve().parent.parent
CASSETTES = ROOT / "cassettes" / "clickup"
NOW = datetime(2026, 11, 23, 6, 30, tzinfo=timezone.utc)
KEY = "clickup.task:INT-000017"
MATCH_ON = ["method", "scheme", "host", "port", "path", "query", "body"]
SCRUBBED = "pk_scrubbed"
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


@dataclass
class Run:
    store: StateStore
    sink: ClickUpSink
    folder: Path
    clock: Clock

    def plan(self, *effects: Effect) -> None:
        self.store.commit_cycle(CycleRecord(started_at=NOW, rows=0, snapshot={},
                                            transitions=[], effects=effects,
                                            next_ticket_number=1))

    def dispatch(self) -> int:
        return dispatch(self.store, Sinks(LocalOutbox(self.folder / "outbox.jsonl"),
                                          {CLICKUP_TASK: self.sink}, self.sink), NOW)

    def effect(self) -> Effect:
        return self.store.effects(key=KEY)[0]


def bug() -> Effect:
    return Effect(KEY, CLICKUP_TASK, "INT-000017", {
        "name": "[Bug] Cannot add products (Nandi Dairy)", "ticket_id": "INT-000017",
        "issue_type": "Bug", "description": "Cannot add products. [x](https://evil.example)",
        "seller": "Nandi Dairy", "status": "Pending", "priority": "High",
        "assignee": "Rahul (Tech)", "reported_at": "2026-11-23 11:00",
        "contact": "+91******0000", "task_id": None, "row_url": None})


def create_task(run: Run) -> None:
    assert run.sink.start().startswith("list ")
    run.plan(bug())
    assert run.dispatch() == 1
    assert run.effect().status == "sent" and (run.effect().result or {}).get("id")


def find_after_a_crash(run: Run) -> None:
    create_task(run)
    created = run.effect().result or {}
    run.store.begin_attempt(KEY, NOW)  # killed after ClickUp made it, before the record
    run.store.settle(KEY, "pending", NOW, unclear=True)
    assert run.dispatch() == 1
    assert run.effect().result == {**created, "found": True}


def revoked_token(run: Run) -> None:
    run.plan(bug())
    assert run.dispatch() == 0
    assert "CLICKUP_API_TOKEN" in (run.effect().last_error or "")


def rate_limited(run: Run) -> None:
    create_task(run)
    assert max(run.clock.slept) >= 1  # waited for X-RateLimit-Reset, on the clock


def follow_closed(run: Run) -> None:
    create_task(run)
    task_id = str((run.effect().result or {})["id"])
    run.clock.sleep(60)
    if FAKE is not None:
        FAKE.close(task_id)
    [state] = [s for s in run.sink.updated_since(int(NOW.timestamp() * 1000)) if
               s.task_id == task_id]
    assert state.closed and state.status == "complete"


FAKE: FakeClickUp | None = None  # the fake while writing cassettes from it

#: name -> (scenario, its token is the right one, the fake's planned fault, recordable for real)
SCENARIOS: dict[str, tuple[Callable[[Run], None], bool, str | None, bool]] = {
    "create_task": (create_task, True, None, True),
    "find_after_a_crash": (find_after_a_crash, True, None, True),
    "revoked_token": (revoked_token, False, None, True),
    "rate_limited": (rate_limited, True, "429", False),
    "follow_closed": (follow_closed, True, None, False),  # someone must close the task
}


@contextmanager
def scenario_run(folder: Path, token: str, list_id: str = LIST_ID,
                 key_field: str = KEY_FIELD) -> Iterator[Run]:
    clock = Clock(NOW)
    with StateStore(folder / "state.db") as store:
        yield Run(store, ClickUpSink(token, list_id, key_field,
                                     user_ids={"Rahul (Tech)": 81234567}, clock=clock,
                                     sleep=clock.sleep, jitter=lambda: 0.5), folder, clock)


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_the_recorded_exchange_replays_exactly(name: str, tmp_path: Path) -> None:
    scenario, right_token, _, _ = SCENARIOS[name]
    path = CASSETTES / f"{name}.yaml"
    with vcr.use_cassette(str(path), record_mode="none", match_on=MATCH_ON,
                          filter_headers=[("authorization", SCRUBBED)]) as cassette, \
            scenario_run(tmp_path, "pk_replay" if right_token else "pk_revoked") as run:
        scenario(run)
    assert cassette.all_played, f"{name}: a recorded request was not sent"
    text = path.read_text(encoding="utf-8")
    assert "pk_" not in text.replace(SCRUBBED, "")


def record(mode: str) -> None:
    """Rewrite the cassettes: from the fake, or from a real list (then scrubbed)."""
    global FAKE
    import os
    import tempfile

    for name, (scenario, right_token, fault, real_ok) in SCENARIOS.items():
        path = CASSETTES / f"{name}.yaml"
        with tempfile.TemporaryDirectory() as scratch:
            if mode == "fake":
                FAKE = FakeClickUp()
                if fault:
                    FAKE.fail("CreateTask", fault)
                with FAKE.installed(), scenario_run(
                        Path(scratch), TOKEN if right_token else "pk_revoked") as run:
                    FAKE.clock = run.clock
                    scenario(run)
                write_cassette(path, [
                    Exchange(r.method or "", r.url or "", r.body if isinstance(r.body, bytes)
                             else (r.body or "").encode(), r.headers.get("Content-Type"),
                             a.status_code, {"Content-Type": a.headers["Content-Type"],
                                             **{k: v for k, v in a.headers.items()
                                                if k.startswith("X-RateLimit")}}, a.content)
                    for r, a in FAKE.exchanges],
                    f"ClickUp scenario {name!r}: written from the fake ClickUp "
                    "(tests/fake_clickup.py), requests checked against ClickUp's API v2 "
                    "reference; see cassettes/README.md.")
                FAKE = None
            elif real_ok:
                real = (os.environ["CLICKUP_LIST_ID"], os.environ["CLICKUP_KEY_FIELD_ID"])
                token = os.environ["CLICKUP_API_TOKEN"] if right_token else "pk_revoked"
                path.unlink(missing_ok=True)  # "all" would keep the fake's exchanges too
                with vcr.use_cassette(str(path), record_mode="all", match_on=MATCH_ON,
                                      filter_headers=[("authorization", SCRUBBED)]), \
                        scenario_run(Path(scratch), token, *real) as run:
                    scenario(run)
                text = path.read_text(encoding="utf-8")  # the replay's IDs, not the workspace's
                text = EMAIL.sub("person@example.com", text.replace(real[0], LIST_ID))
                path.write_text(text.replace(real[1], KEY_FIELD), encoding="utf-8")
            else:
                continue
        print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    record(sys.argv[1] if len(sys.argv) > 1 else "fake")
