"""Race: a person saving the tracker both ways as fast as they can while the daemon cycles.

The real daemon (`sheetsync run`, interval 1 s, local outbox) and a person process that
reads, adds a row, edits an earlier row and saves, alternating a rename over the tracker (as
Excel and LibreOffice save) and an in-place save (tests/race.py). Prints the person's saves,
those found in the final file, the daemon's writes done and held back (and why), failed
cycles, and how long the daemon took to give every row an ID once the person stopped.

    pip install -e '.[dev]' && python bench/race.py [--seconds 30] [--seed 7]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.race import race  # noqa: E402


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--seconds", type=float, default=30.0)
    options.add_argument("--seed", type=int, default=7)
    args = options.parse_args()
    result = race(Path(tempfile.mkdtemp(prefix="sheetsync-race-")), args.seconds, args.seed)
    final = {str(r["Seller Name"]): r["Resolution Summary"] for r in result.rows
             if str(r["Seller Name"]).startswith("Race Seller ")}
    saves = result.saves
    kept = sum(1 for s in saves if f"Race Seller {s['save']}" in final)
    ways = {way: sum(1 for s in saves if s["way"] == way) for way in ("rename", "in place")}
    ids = [r["Ticket ID"] for r in result.rows]
    print(f"race: {args.seconds:g} s of a person saving, the daemon at interval 1 s")
    print(f"  person's saves: {len(saves)} ({ways['rename']} by rename, {ways['in place']} in "
          f"place); in the final file: {kept}; last save's edits intact: "
          f"{final == (saves[-1]['held'] if saves else {})}")
    print(f"  daemon cycles: {result.cycles}; writes done: {result.outcomes['written']}; "
          f"held back: {dict((k, v) for k, v in result.outcomes.items() if k != 'written')}")
    print(f"  failed cycles: {sum(result.failed_cycles.values())} "
          f"{dict(result.failed_cycles)}")
    print(f"  daemon alive at the end: {result.alive}; stopped cleanly: "
          f"{result.stopped_cleanly}; every row with its own ID "
          f"{result.settle_seconds:.1f} s after the last save: "
          f"{all(ids) and len(set(ids)) == len(ids)}")


if __name__ == "__main__":
    main()
