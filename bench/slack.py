"""Slack delivery: 1,000 escalations through the fake Slack, paced, and what the outbox costs.

The fake holds Slack's one-message-per-second-per-channel limit scaled up by `--scale` (so
the run takes seconds, not 18 minutes), and sheetsync's pacer is scaled the same way; the time
projected to Slack's real limit is printed beside the measured one. Two runs:

- clean: every post answered;
- faulty: every 50th post accepted by Slack and then the connection dropped (sheetsync must
  find it by its key, not post it again), and five 429s with Retry-After at the start.

Printed for each: messages delivered, duplicates (must be 0), posts found by their key after
a dropped connection (instead of posted again), 429s received, wall time and
its projection, and the outbox bookkeeping per message (state store reads and writes: the
dispatch time not spent inside Slack calls).

    pip install -e '.[dev]' && python bench/slack.py [--count 1000] [--scale 50]
"""

from __future__ import annotations

import argparse
import http.client
import logging
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sheetsync.integrations.dispatch import Sinks, dispatch  # noqa: E402
from sheetsync.core.effects import Effect  # noqa: E402
from sheetsync.integrations.outbox import LocalOutbox  # noqa: E402
from sheetsync.integrations.pacing import Pacer  # noqa: E402
from sheetsync.integrations.slack import PACE_SECONDS, SlackSink  # noqa: E402
from sheetsync.core.rules import SLACK_MESSAGE  # noqa: E402
from sheetsync.state import CycleRecord, StateStore  # noqa: E402
from tests.fake_slack import TOKEN, FakeSlack  # noqa: E402


def escalations(count: int) -> list[Effect]:
    return [Effect(f"{SLACK_MESSAGE}:escalation:INT-{n:06d}:1", SLACK_MESSAGE, f"INT-{n:06d}",
                   {"text": f"[ESCALATION] [Bug] - Cannot add products (Seller {n})",
                    "ticket_id": f"INT-{n:06d}", "contact": "+91******0000",
                    "status": "Escalated", "priority": "High",
                    "description": "Cannot add products. The button does nothing."})
            for n in range(1, count + 1)]


def run(count: int, scale: float, faulty: bool) -> dict[str, Any]:
    fake = FakeSlack(limit_per_second=scale)
    posts = 0

    def drop_every_50th() -> None:
        nonlocal posts
        posts += 1
        if faulty and posts % 50 == 0:
            raise http.client.RemoteDisconnected("dropped after Slack took the post")

    fake.on_accept = drop_every_50th
    if faulty:
        for _ in range(5):
            fake.fail("chat.postMessage", "429", retry_after=0)
    with tempfile.TemporaryDirectory() as folder, fake.installed(), \
            StateStore(Path(folder) / "state.db") as store:
        sink = SlackSink(TOKEN, "C0SELLERS1", pacer=Pacer(PACE_SECONDS / scale))
        inside = 0.0
        deliver = sink.deliver

        def timed(*args: Any) -> Any:
            nonlocal inside
            started = time.perf_counter()
            try:
                return deliver(*args)
            finally:
                inside += time.perf_counter() - started

        sink.deliver = timed  # type: ignore[method-assign]
        store.commit_cycle(CycleRecord(started_at=datetime.now(timezone.utc), rows=count,
                                       snapshot={}, transitions=[], effects=escalations(count),
                                       next_ticket_number=count + 1))
        sinks = Sinks(LocalOutbox(Path(folder) / "outbox.jsonl"),
                      {SLACK_MESSAGE: sink})
        started = time.perf_counter()
        delivered, rounds = 0, 0
        while store.effects("pending") and rounds < 10:  # a cycle stops at a passing fault
            delivered += dispatch(store, sinks, datetime.now(timezone.utc))
            rounds += 1
        wall = time.perf_counter() - started
        found = sum(1 for e in store.effects() if e.result and e.result.get("found"))
    keys = Counter(fake.keys())
    return {"run": "faulty" if faulty else "clean", "delivered": delivered,
            "in_channel": len(keys), "duplicates": sum(n - 1 for n in keys.values()),
            "found": found, "429s": fake.rate_limited, "cycles": rounds, "wall_s": wall,
            "projected_s": count * PACE_SECONDS, "bookkeeping_ms": (wall - inside) / count * 1000}


def main() -> None:
    logging.getLogger("sheetsync").disabled = True  # the faulty run's one expected line
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--scale", type=float, default=50.0,
                        help="how many times faster than Slack's 1 message/s the fake allows")
    args = parser.parse_args()
    print(f"{args.count} escalations, fake Slack limit {args.scale:g} messages/s "
          f"(Slack: 1/s), sheetsync paced at one per {PACE_SECONDS / args.scale * 1000:.1f} ms")
    print(f"{'run':7} {'delivered':>9} {'in channel':>10} {'duplicates':>10} "
          f"{'found by key':>12} {'429s':>5} "
          f"{'cycles':>6} {'wall':>7} {'pacing at 1/s':>14} {'bookkeeping/msg':>15}")
    for faulty in (False, True):
        r = run(args.count, args.scale, faulty)
        print(f"{r['run']:7} {r['delivered']:>9} {r['in_channel']:>10} {r['duplicates']:>10} "
              f"{r['found']:>12} {r['429s']:>5} {r['cycles']:>6} {r['wall_s']:>6.1f}s "
              f"{r['projected_s'] / 60:>12.1f}min {r['bookkeeping_ms']:>12.2f} ms")


if __name__ == "__main__":
    main()
