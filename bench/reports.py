"""Report jobs at scale: the weekly report and the monthly analysis on a 100k-row tracker with
a year of transition history.

The tracker is bench/validate.py's seeded seller-support generator (a year of Timestamps, 17%
of rows with a mistake). The history gives every ticket its creation and, seeded, an
assignment, a status change or two, a resolution (70%), an escalation (10%) and a reopening
(3%), observed hours after its Timestamp: about 3.5 transitions a ticket. Each job runs in its
own process, so peak RSS is its own. Timed: building the ticket facts (the tracker's rows and
its history as frames) and the report; reading the workbook is bench/cycle.py's concern.

    pip install -e '.[bench]' && python bench/reports.py [--rows 100000]
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from validate import NOW, generate  # noqa: E402

from sheetsync.core import kpis  # noqa: E402
from sheetsync.config import load_config  # noqa: E402
from sheetsync.core.reports import monthly, weekly  # noqa: E402
from sheetsync.core.reporting import period_containing  # noqa: E402
from sheetsync.schema import PRESETS, bind  # noqa: E402
from sheetsync.core.table import Grid  # noqa: E402


def tracker(rows: int) -> tuple[Any, list[tuple[str, str, str | None, str | None, str]]]:
    data, _ = generate(rows, seed=7)
    header = list(data[0])
    ids = header.index("Ticket ID")
    body = [[f"INT-{n:06d}" if i == ids else v for i, v in enumerate(r)]
            for n, r in enumerate(data[1:], start=1)]
    sheet = bind(Grid("Tracker", (tuple(header), *map(tuple, body))), PRESETS["seller-support"])
    rng = random.Random(11)
    at = header.index("Timestamp")
    history = []
    for row in body:
        ticket = row[ids]
        try:
            start = datetime.strptime(str(row[at]), "%Y-%m-%d %H:%M").replace(
                tzinfo=timezone.utc)
        except ValueError:
            start = NOW - timedelta(days=rng.randrange(365))
        seen = start + timedelta(minutes=rng.randrange(5, 120))
        history.append((ticket, "ticket", None, "created", seen.isoformat()))
        later = seen + timedelta(hours=rng.randrange(1, 30))
        if rng.random() < 0.8:
            history.append((ticket, "assignee", None, "Priya (Support)", later.isoformat()))
        if rng.random() < 0.1:
            history.append((ticket, "escalated", None, "yes", later.isoformat()))
        if rng.random() < 0.7:
            done = later + timedelta(hours=rng.randrange(1, 96))
            history += [(ticket, "status", "Pending", "Resolved", done.isoformat()),
                        (ticket, "resolved", None, "yes", done.isoformat())]
            if rng.random() < 0.03:
                again = done + timedelta(hours=5)
                history.append((ticket, "resolved", "yes", None, again.isoformat()))
    history.sort(key=lambda h: h[4])
    return sheet, history


def measure(job: str, rows: int) -> dict[str, Any]:
    config = load_config(None, environ={})
    sheet, history = tracker(rows)
    started = time.perf_counter()
    facts = kpis.facts(kpis.ticket_frame(sheet, config.timezone), kpis.history_frame(history),
                       NOW - timedelta(days=366), sheet.schema.waiting)
    built = time.perf_counter()
    at = NOW.astimezone(config.timezone)
    period = period_containing(job, at - timedelta(days=31 if job == "monthly" else 7))
    report = weekly.build(facts, period, at, 24.0) if job == "weekly" else \
        monthly.build(facts, period, at)
    finished = time.perf_counter()
    return {"job": job, "rows": rows, "transitions": len(history),
            "facts_s": built - started, "report_s": finished - built,
            "total_s": finished - started, "tables": len(report.tables),
            "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--job", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.job:
        print(json.dumps(measure(args.job, args.rows)))
        return
    print(f"{'job':8} {'rows':>7} {'transitions':>11} {'facts':>7} {'report':>7} {'total':>7} "
          f"{'peak RSS':>9}")
    for job in ("weekly", "monthly"):
        out = subprocess.run([sys.executable, __file__, "--job", job, "--rows", str(args.rows)],
                             capture_output=True, text=True, check=True).stdout
        r = json.loads(out)
        print(f"{r['job']:8} {r['rows']:>7} {r['transitions']:>11} {r['facts_s']:>6.2f}s "
              f"{r['report_s']:>6.2f}s {r['total_s']:>6.2f}s {r['peak_mb']:>6.0f} MB")


if __name__ == "__main__":
    main()
