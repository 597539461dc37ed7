"""Run the sheetsync CLI in this process and SIGKILL it at a named step of the cycle.

Used by the crash test: `python tests/crashpoint.py STEP sheetsync-args...`. The steps wrap
the real functions, so the process dies exactly as a power cut or an OOM kill would take it.
With `SHEETSYNC_FAKE_SLACK=state.json` (or `SHEETSYNC_FAKE_CLICKUP=...`) in the environment,
Slack (or ClickUp) is the fake, its state kept in that file across processes; the step
`hold-commit` holds the cycle inside its commit's transaction, its effects inserted and not
yet committed (touching the file `SHEETSYNC_HOLD` names, then sleeping until a signal ends
it), `slack-accepted` (`clickup-accepted`) dies once the service has taken a post (created a
task), before its answer arrives, `slack-acked` dies once a Slack click is recorded and
acknowledged, before its row is written (`SHEETSYNC_FAKE_SOCKET` is the fake Socket Mode
endpoint's URL), and `none` runs without dying. With
`SHEETSYNC_FAKE_FAULT_RATE=0.1`, each call to a fake fails at that rate with one of the
exceptions its libraries raise mid-call (tests.edge_faults.NETWORK), before or after the
service took it (the soak).
"""

from __future__ import annotations

import os
import random
import signal
import sys
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sheetsync.backends import workbook, xlsx_package  # noqa: E402
from sheetsync.app.cli import main  # noqa: E402
from sheetsync.integrations import slack_desk  # noqa: E402
from sheetsync.integrations.outbox import LocalOutbox  # noqa: E402
from sheetsync.state import StateStore  # noqa: E402
from tests.fake_clickup import FakeClickUp  # noqa: E402
from tests.edge_faults import NETWORK  # noqa: E402
from tests.fake_slack import FakeSlack  # noqa: E402


def die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def kill_around(owner: Any, name: str, when: str) -> None:
    real = getattr(owner, name)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if when == "before":
            die()
        result = real(*args, **kwargs)
        die()
        return result

    setattr(owner, name, wrapper)


def hold_inside_the_commit() -> None:
    real = StateStore._insert_effects

    def held(*args: Any, **kwargs: Any) -> Any:
        result = real(*args, **kwargs)
        Path(os.environ["SHEETSYNC_HOLD"]).touch()
        time.sleep(120)
        return result

    StateStore._insert_effects = staticmethod(held)  # type: ignore[method-assign]


STEPS = {
    "before-commit": (StateStore, "commit_cycle", "before"),
    "after-commit": (StateStore, "commit_cycle", "after"),
    "after-delivery": (LocalOutbox, "deliver", "after"),  # sent, not yet recorded as sent
    "after-settle": (StateStore, "settle", "after"),
    "mid-save": (xlsx_package.os, "replace", "before"),  # the new workbook written, not renamed
    "after-write": (workbook.Workbook, "write", "after"),
}

def flaky(fake: type, rate: float, rng: random.Random) -> None:
    """Each call to `fake` fails at `rate`: half before it takes the call, half after."""
    real = fake.handle
    names = sorted(NETWORK)

    def handle(self: Any, *args: Any) -> Any:
        if rng.random() >= rate:
            return real(self, *args)
        name = rng.choice(names)
        fault, after = NETWORK[name](), rng.random() < 0.5
        if os.environ.get("SHEETSYNC_FAKE_FAULT_LOG"):  # for the soak's count
            with open(os.environ["SHEETSYNC_FAKE_FAULT_LOG"], "a", encoding="utf-8") as log:
                log.write(f"{fake.__name__} {name} {'after' if after else 'before'}\n")
        if after:
            real(self, *args)
        raise fault

    fake.handle = handle  # type: ignore[method-assign]


if __name__ == "__main__":
    step, args = sys.argv[1], sys.argv[2:]
    if step in STEPS:
        kill_around(*STEPS[step])
    if step == "hold-commit":
        hold_inside_the_commit()
    if step == "slack-acked":  # a click recorded and acknowledged, the row not yet written
        kill_around(slack_desk, "apply_click", "before")
    rate = float(os.environ.get("SHEETSYNC_FAKE_FAULT_RATE") or 0)
    if rate:
        for fake in (FakeSlack, FakeClickUp):
            flaky(fake, rate, random.Random())
    with ExitStack() as fakes:
        if "SHEETSYNC_FAKE_SLACK" in os.environ:
            slack = FakeSlack.at(Path(os.environ["SHEETSYNC_FAKE_SLACK"]),
                                 socket_url=os.environ.get("SHEETSYNC_FAKE_SOCKET", ""))
            if step == "slack-accepted":
                slack.on_accept = die
            fakes.enter_context(slack.installed())
        if "SHEETSYNC_FAKE_CLICKUP" in os.environ:
            clickup = FakeClickUp.at(Path(os.environ["SHEETSYNC_FAKE_CLICKUP"]))
            if step == "clickup-accepted":
                clickup.on_accept = die
            fakes.enter_context(clickup.installed())
        sys.exit(main(args))
