"""ClickUp delivery: 500 technical tickets at once through the fake ClickUp, under its limit.

The fake holds ClickUp's per-token limit (100 requests a minute) scaled up by `--scale`, and
sheetsync's client is given the scaled rate, so the run takes seconds; the drain time at the
real 100 a minute is printed beside the measured one. Two runs: clean, and faulty (every 25th
create accepted by ClickUp and then the connection dropped, so sheetsync must find the task by
its key instead of creating it again). Printed: tasks created, duplicates (must be 0), tasks
found by key, 429s received, cycles, wall time and the projection.

    pip install -e '.[dev]' && python bench/clickup.py [--count 500] [--scale 60]
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sheetsync.integrations.dispatch import Sinks, dispatch  # noqa: E402
from sheetsync.core.effects import Effect  # noqa: E402
from sheetsync.integrations.clickup import ClickUpSink  # noqa: E402
from sheetsync.integrations.outbox import LocalOutbox  # noqa: E402
from sheetsync.core.rules import CLICKUP_TASK  # noqa: E402
from sheetsync.state import CycleRecord, StateStore  # noqa: E402
from tests.fake_clickup import KEY_FIELD, LIST_ID, TOKEN, FakeClickUp  # noqa: E402

REAL_PER_MINUTE = 100


def bugs(count: int) -> list[Effect]:
    return [Effect(f"{CLICKUP_TASK}:INT-{n:06d}", CLICKUP_TASK, f"INT-{n:06d}",
                   {"name": f"[Bug] Cannot add products (Seller {n})",
                    "ticket_id": f"INT-{n:06d}", "issue_type": "Bug", "priority": "High",
                    "description": "Cannot add products.", "seller": f"Seller {n}",
                    "contact": "+91******0000", "assignee": "Rahul (Tech)"})
            for n in range(1, count + 1)]


def run(count: int, scale: float, faulty: bool) -> dict[str, Any]:
    per_minute = int(REAL_PER_MINUTE * scale)
    fake = FakeClickUp(limit_per_minute=per_minute)
    created = 0

    def drop_every_25th() -> None:
        nonlocal created
        created += 1
        if faulty and created % 25 == 0:
            raise requests.ConnectionError("dropped after ClickUp made the task")

    fake.on_accept = drop_every_25th
    with tempfile.TemporaryDirectory() as folder, fake.installed(), \
            StateStore(Path(folder) / "state.db") as store:
        sink = ClickUpSink(TOKEN, LIST_ID, KEY_FIELD, requests_per_minute=per_minute)
        store.commit_cycle(CycleRecord(started_at=datetime.now(timezone.utc), rows=count,
                                       snapshot={}, transitions=[], effects=bugs(count),
                                       next_ticket_number=count + 1))
        sinks = Sinks(LocalOutbox(Path(folder) / "outbox.jsonl"), {CLICKUP_TASK: sink}, sink)
        started = time.perf_counter()
        cycles = 0
        while store.effects("pending") and cycles < 10:
            dispatch(store, sinks, datetime.now(timezone.utc))
            cycles += 1
        wall = time.perf_counter() - started
        found = sum(1 for e in store.effects() if e.result and e.result.get("found"))
        sent = len(store.effects("sent"))
    keys = Counter(fake.keys())
    requests_made = len(fake.calls)
    return {"run": "faulty" if faulty else "clean", "created": sent, "tasks": len(keys),
            "duplicates": sum(n - 1 for n in keys.values()), "found": found,
            "429s": fake.rate_limited, "requests": requests_made, "cycles": cycles,
            "wall_s": wall, "projected_min": requests_made * 1.1 / REAL_PER_MINUTE}


def main() -> None:
    logging.getLogger("sheetsync").disabled = True
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=500)
    parser.add_argument("--scale", type=float, default=60.0,
                        help="how many times ClickUp's 100 requests/min the fake allows")
    args = parser.parse_args()
    print(f"{args.count} technical tickets, fake ClickUp limit "
          f"{int(REAL_PER_MINUTE * args.scale)} requests/min (real: {REAL_PER_MINUTE}/min), "
          f"sheetsync 10% under it")
    print(f"{'run':7} {'created':>7} {'tasks':>6} {'duplicates':>10} {'found by key':>12} "
          f"{'429s':>5} {'requests':>8} {'cycles':>6} {'wall':>7} {'at 100/min':>10}")
    for faulty in (False, True):
        r = run(args.count, args.scale, faulty)
        print(f"{r['run']:7} {r['created']:>7} {r['tasks']:>6} {r['duplicates']:>10} "
              f"{r['found']:>12} {r['429s']:>5} {r['requests']:>8} {r['cycles']:>6} "
              f"{r['wall_s']:>6.1f}s {r['projected_min']:>7.1f}min")


if __name__ == "__main__":
    main()
