"""Triage: how often the suggested priority is the one the guidelines give, how fast it is
over a whole tracker, and incidents among 500 new tickets a cycle against seeded truth.

- accuracy: each preset's labelled descriptions (bench/triage/<preset>.jsonl, labelled by the
  documents' own words; see bench/triage/README.md), on the held-out part the rules were
  never tuned on: accuracy, precision and recall per level, how many High tickets were
  suggested Low (the costly mistake), and the confusion table (labelled -> suggested);
- suggestions: a cycle's suggested priority for every row of bench/validate.py's seeded 10k
  and 100k trackers, every description made distinct: the first cycle works each one out,
  the next finds them remembered (a cycle needs every row's, so Sync Notes can be recomputed
  from the row's state);
- incidents: 500 new tickets a cycle (three hours apart), against the tickets of the last six
  hours, with planted incidents (Bugs from 3 to 6 sellers, reworded), near-misses (two
  sellers; one seller three times) and Help questions many sellers ask alike: precision and
  recall of the incidents opened, and the time the cycle's incident step takes.

    pip install -e . && python bench/triage.py [--only accuracy|speed|incidents]
                                              [--split held_out|tune|all]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from validate import generate  # noqa: E402

from sheetsync.config import load_config  # noqa: E402
from sheetsync.core.incidents import Report, detect, is_problem  # noqa: E402
from sheetsync.core.triage import rules_for, suggest  # noqa: E402
from sheetsync.jobs.sync import _suggestions  # noqa: E402
from sheetsync.schema import PRESETS, bind  # noqa: E402
from sheetsync.core.table import Grid  # noqa: E402

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)
LABELLED = Path(__file__).resolve().parent / "triage"
LEVELS = ("High", "Medium", "Low")
PROBLEMS = ["Cannot add products", "Payout has not arrived", "Orders page shows nothing",
            "WhatsApp bot not replying", "Stock sync fails with error 500",
            "Invoice download is blank", "Login code never arrives", "Images fail to upload"]
NEAR = ["Shipping label prints blank", "Coupon code is rejected", "Search shows old prices",
        "Catalogue sync is slow", "Bulk upload skips rows", "Return request stuck",
        "Delivery slot missing", "Tax shows twice on bill"]  # near-misses, apart from PROBLEMS
NOISE = ["How do I change my shop name?", "Please add a dark mode.", "Where is my invoice?",
         "The font is too small.", "Customer asks about delivery times.",
         "Need help with GST settings.", "Can I export my orders?", "Thank you for the help!"]
REWORDS = ["{p}.", "{p} since this morning!", "Hi, {p} - please help", "{p} again today",
           "urgent: {p}"]


def labelled(preset: str, split: str = "held_out") -> list[dict[str, str | None]]:
    """A preset's labelled descriptions in one split ("held_out", "tune") or "all"."""
    with open(LABELLED / f"{preset}.jsonl", encoding="utf-8") as lines:
        rows = [json.loads(line) for line in lines if line.strip()]
    return [r for r in rows if split == "all" or r["split"] == split]


def accuracy(preset: str, split: str = "held_out") -> list[str]:
    """The report's lines for one preset: accuracy, each level's precision and recall, High
    suggested Low, and the confusion table (a ticket with no suggestion counts as "none")."""
    rows = labelled(preset, split)
    rules = rules_for(preset)
    pairs = Counter()
    for row in rows:
        found = suggest(row["description"], row["issue_type"], rules)
        pairs[(str(row["label"]), found.value if found is not None else "none")] += 1
    right = sum(n for (label, got), n in pairs.items() if label == got)
    lines = [f"{preset}, {split.replace('_', '-')} ({len(rows)} descriptions): accuracy "
             f"{right / len(rows):.3f} ({right}/{len(rows)}); High suggested Low "
             f"{pairs[('High', 'Low')]}"]
    for level in LEVELS:
        suggested = sum(n for (_, got), n in pairs.items() if got == level)
        actual = sum(n for (label, _), n in pairs.items() if label == level)
        hit = pairs[(level, level)]
        lines.append(f"  {level:<6} precision {hit / suggested if suggested else 0:.3f}  recall "
                     f"{hit / actual if actual else 0:.3f}  ({actual} labelled, {suggested} "
                     f"suggested)")
    for level in LEVELS:
        row = ", ".join(f"{got} {pairs[(level, got)]}" for got in (*LEVELS, "none")
                        if pairs[(level, got)])
        lines.append(f"  labelled {level:<6} -> {row}")
    return lines


def suggestions(rows: int) -> tuple[float, float]:
    """A cycle's suggestions for every row: the first cycle, and the next (nothing changed)."""
    data, _ = generate(rows, seed=7)
    header = list(data[0])
    d = header.index("Description")
    body = [tuple(f"{v} (order {n})" if i == d else v for i, v in enumerate(row))
            for n, row in enumerate(data[1:])]  # every description distinct, as in life
    sheet = bind(Grid("Tracker", (tuple(header), *body)), PRESETS["seller-support"])
    config = load_config(None, environ={})
    times = []
    for _ in range(2):
        started = time.perf_counter()
        _suggestions(sheet, config)
        times.append(time.perf_counter() - started)
    return times[0], times[1]


def incidents(cycles: int = 20, seed: int = 3) -> tuple[int, int, int, float]:
    """Planted incidents found (true positives), false ones, missed ones, and seconds."""
    rng = random.Random(seed)
    planted: dict[str, set[str]] = {}  # incident -> its tickets
    recent: list[Report] = []
    found: list[set[str]] = []
    spent = 0.0
    number = 1
    open_incidents: list = []  # type: ignore[type-arg]
    ticket = 0
    for cycle in range(cycles):
        now = T0 + timedelta(hours=3 * cycle)
        new: list[Report] = []

        kinds: dict[str, str] = {}

        def add(seller: str, description: str, kind: str = "Bug") -> str:
            nonlocal ticket
            ticket += 1
            new.append(Report(f"INT-{ticket:06d}", seller, seller, description, now))
            kinds[new[-1].ticket_id] = kind
            return new[-1].ticket_id

        if cycle % 2 == 0:  # an incident every other cycle
            problem = PROBLEMS[(cycle // 2) % len(PROBLEMS)]
            name = f"{problem}@{cycle}"
            planted[name] = {add(f"seller-{cycle}-{k}", rng.choice(REWORDS).format(p=problem))
                             for k in range(rng.randint(3, 6))}
        near = NEAR[cycle % len(NEAR)]  # each near-miss text recurs only a day later
        add(f"near-{cycle}-a", near + ".")  # near-miss: two sellers
        add(f"near-{cycle}-b", near + " today")
        for _ in range(3):  # near-miss: one seller, three times
            add(f"lonely-{cycle}", NEAR[(cycle + 4) % len(NEAR)] + ".")
        while len(new) < 500:
            add(f"s{rng.randrange(5000)}", rng.choice(NOISE), "Help")
        window = [r for r in recent if now - r.seen_at <= timedelta(hours=6)]
        started = time.perf_counter()
        new = [r for r in new if is_problem(r, kinds[r.ticket_id])]  # as the cycle does
        opened, joined = detect(new, window + new, open_incidents, number)
        spent += time.perf_counter() - started
        number += len(opened)
        open_incidents = [i for i in open_incidents if now - i.last_at <= timedelta(hours=6)]
        open_incidents += opened
        found += [set(i.tickets) for i in opened]
        members = {t for i in opened for t in i.tickets} | {r.ticket_id for _, r in joined}
        recent = [r for r in window + new if r.ticket_id not in members]
    true = sum(1 for tickets in planted.values() if any(tickets & f for f in found))
    false = sum(1 for f in found if not any(f & tickets for tickets in planted.values()))
    return true, false, len(planted) - true, spent / cycles


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=("accuracy", "speed", "incidents"))
    parser.add_argument("--split", choices=("held_out", "tune", "all"), default="held_out")
    args = parser.parse_args()
    if args.only in (None, "accuracy"):
        for preset in ("seller-support", "saypro-interaction-log"):
            print("\n".join(accuracy(preset, args.split)))
    if args.only in (None, "speed"):
        speed()
    if args.only in (None, "incidents"):
        incident_figures()


def speed() -> None:
    for rows in (10_000, 100_000):
        first, next_ = suggestions(rows)
        print(f"suggested priority, {rows:>7} rows: first cycle {first:.2f} s, a cycle after "
              f"{next_ * 1000:.0f} ms")


def incident_figures() -> None:
    true, false, missed, seconds = incidents()
    precision = true / (true + false) if true + false else 0.0
    recall = true / (true + missed) if true + missed else 0.0
    print(f"incidents, 500 new tickets a cycle: {seconds * 1000:.1f} ms a cycle; planted "
          f"{true + missed}, found {true}, false {false}, missed {missed}: precision "
          f"{precision:.2f}, recall {recall:.2f}")


if __name__ == "__main__":
    main()
