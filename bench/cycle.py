"""Sync cycle cost on the local workbook: where the time goes, and what openpyxl costs alone.

For seeded seller-support trackers of 10k and 100k rows (the generator of bench/validate.py,
about 17% of rows with a mistake, and a ClickUp task ID on 40% of rows, so the state follows
as many task links), each in its own process so peak RSS is its own:

- first cycle: adoption, with Sync Notes written for every row with a finding;
- idle: the daemon's change probe on an unchanged workbook (no read at all);
- 10 edits, whole: the cycle after a person changed the status of 10 rows, in a new process
  (`sheetsync sync`, or the daemon's first cycle after a restart): the whole tab is redone;
- 10 edits, daemon: the same edits between cycles of one running process, which redoes only
  the rows that changed (the edits are made by another process, as a person's would be); the
  median of 5 such cycles, stage by stage;
- write, 10 cells: sheetsync's writer putting 10 ticket IDs (one a new column) and a note
  into the tracker, with its inflate, splice and deflate printed apart (and the RSS it adds
  to the process's peak), beside
- openpyxl alone: a read-only load of the same values, and a full load and save (what the
  writer replaced).

Stages: read (the tab, by python-calamine), detect (one pass comparing the rows with the last
read), core (checks, identity, transitions, rules, suggestions), state (the SQLite store),
write (the workbook edited in place, xlsx_package).

    pip install -e . && python bench/cycle.py [--rows 10000 100000]
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import openpyxl

from sheetsync.jobs.sync import CycleReport

sys.path.insert(0, str(Path(__file__).resolve().parent))
from validate import generate  # noqa: E402  (the same seeded trackers)

NOW = datetime(2026, 11, 23, 6, 30, tzinfo=timezone.utc)
REPEATS = 5  # edited daemon cycles; their median is shown


TASK_SHARE = 0.4  # of rows with a ClickUp task


def make_tracker(folder: Path, rows: int) -> Path:
    data, _ = generate(rows, seed=7)
    rng = random.Random(7)
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("Tracker")
    sheet.append([*data[0], "ClickUp Task ID"])
    for row in data[1:]:
        task = f"86c{rng.randrange(36 ** 6):06x}" if rng.random() < TASK_SHARE else None
        sheet.append([*row, task])
    book.save(folder / "tracker.xlsx")
    (folder / "sheetsync.toml").write_text('[tracker]\npath = "tracker.xlsx"\n')
    return folder / "sheetsync.toml"


def edit_statuses(workbook: Path, count: int, offset: int = 0) -> None:
    book = openpyxl.load_workbook(workbook)
    sheet = book["Tracker"]
    header = [c.value for c in sheet[1]]
    column = header.index("Status") + 1
    for row in range(2 + offset, 2 + offset + count * 997, 997):
        cell = sheet.cell(row=row, column=column)
        cell.value = "In Progress" if cell.value != "In Progress" else "Resolved"
    book.save(workbook)


def peak_mb() -> float:
    """This process's own peak RSS (VmHWM). Not ru_maxrss: Linux hands a child the parent's
    peak at fork and keeps it across exec, so every worker started after this script's
    openpyxl edits of the 100k tracker (about 1.1 GB) reported that as its own peak."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def worker(scenario: str, config_path: Path) -> dict[str, Any]:
    from sheetsync.backends.workbook import Workbook
    from sheetsync.config import load_config
    from sheetsync.jobs.sync import CycleMemory, run_sync

    config = load_config(config_path, environ={})
    if scenario in ("first cycle", "10 edits, whole"):
        return figures(run_sync(config, NOW))
    if scenario == "10 edits, daemon":
        memory = CycleMemory()  # the daemon's, for this tracker
        run_sync(config, NOW, memory=memory)  # its first cycle in this process: the whole tab
        run_sync(config, NOW + timedelta(minutes=1), memory=memory)  # nothing changed
        cycles = []
        for n in range(REPEATS):
            subprocess.run([sys.executable, __file__, "--edit", str(config.workbook_path),
                            str(n + 1)], check=True)
            cycles.append(figures(run_sync(config, NOW + timedelta(minutes=2 + n),
                                           memory=memory)))
        return {key: statistics.median(c.get(key, 0.0) for c in cycles) for key in cycles[0]}
    if scenario == "idle probe":
        workbook = Workbook(config.workbook_path, "Tracker")
        start = time.perf_counter()
        for _ in range(1000):
            workbook.probe()
        return {"seconds": (time.perf_counter() - start) / 1000}
    if scenario == "write, 10 cells":
        from sheetsync.core.cells import CellMark, CellWrite

        copy = shutil.copy(config.workbook_path, config.workbook_path.with_name("write.xlsx"))
        workbook = Workbook(Path(copy), "Tracker")  # (a copy: the cycles start from the same)
        workbook._stamp = workbook.probe()  # as read by the cycle before
        before = peak_mb()
        start = time.perf_counter()
        skipped = workbook.write(1, [CellWrite(2 + i * 997, "Ticket ID", f"INT-{i:06d}")
                                     for i in range(10)], [CellMark(5, "Status", "odd")])
        assert skipped is None, skipped
        spent = workbook.timings
        return {"seconds": time.perf_counter() - start, "inflate": spent.inflate,
                "splice": spent.splice, "deflate": spent.deflate, "added_mb": peak_mb() - before}
    if scenario == "openpyxl read":
        start = time.perf_counter()
        book = openpyxl.load_workbook(config.workbook_path, read_only=True, data_only=True)
        rows = sum(1 for _ in book["Tracker"].iter_rows(values_only=True))
        book.close()
        return {"seconds": time.perf_counter() - start, "rows": rows}
    if scenario == "openpyxl load+save":
        start = time.perf_counter()
        book = openpyxl.load_workbook(config.workbook_path)
        book.save(config.workbook_path.with_name("copy.xlsx"))
        return {"seconds": time.perf_counter() - start}
    raise ValueError(scenario)


def task_look(folder: Path, links: int) -> tuple[float, float]:
    """The look for tasks sheetsync created and has not linked, on a state where `links`
    task effects were sent (a task a minute) and linked: seconds through the watermark (what a cycle and the
    daemon's idle check now pay), and for the scan of every sent task effect they made before
    it, the median of 5 each."""
    from sheetsync.core.effects import Effect
    from sheetsync.state import CycleRecord, StateStore

    path = folder / "looks.db"
    with StateStore(path) as store:
        store.commit_cycle(CycleRecord(NOW, 0, {}, [], [
            Effect(f"clickup.task:INT-{n:06d}", "clickup.task", f"INT-{n:06d}", {"name": "x"})
            for n in range(links)], 1))
    with sqlite3.connect(path) as db:  # a task a minute until NOW (settling each is slow)
        db.executemany("UPDATE effects SET status = 'sent', result = json_object('id', rowid), "
                       "updated_at = ? WHERE rowid = ?",
                       [((NOW - timedelta(minutes=links - n)).isoformat(), n + 1)
                        for n in range(links)])
    with StateStore(path) as store:
        assert len(store.link_created_tasks(NOW)) == links
        later = NOW + timedelta(minutes=1)
        watermark = _median_seconds(lambda: store.unlinked_tasks(later))
    with sqlite3.connect(path) as db:
        every = _median_seconds(lambda: db.execute(
            "SELECT count(*) FROM effects WHERE kind = 'clickup.task' AND status = 'sent' "
            "AND json_extract(result, '$.id') IS NOT NULL "
            "AND ticket_id NOT IN (SELECT ticket_id FROM tasks)").fetchone())
    return watermark, every


def _median_seconds(call: Any) -> float:
    spent = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        call()
        spent.append(time.perf_counter() - start)
    return statistics.median(spent)


def figures(report: CycleReport) -> dict[str, Any]:
    return {"seconds": report.seconds, **report.timings, "writes": len(report.writes),
            "transitions": len(report.transitions), "redone": report.redone}


def run(scenario: str, config_path: Path) -> dict[str, Any]:
    out = subprocess.run([sys.executable, __file__, "--worker", scenario, str(config_path)],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--worker", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--edit", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.edit:
        edit_statuses(Path(args.edit[0]), 10, offset=int(args.edit[1]))
        return
    if args.worker:
        result = worker(args.worker[0], Path(args.worker[1]))
        print(json.dumps({**result, "peak_rss_mb": peak_mb()}))
        return
    stages = ("read", "detect", "core", "state", "dispatch", "write")
    print(f"{'rows':>8}  {'scenario':<20} {'total s':>8} "
          + " ".join(f"{s:>7}" for s in stages) + f" {'peak RSS MB':>12}  notes")
    for rows in args.rows:
        with tempfile.TemporaryDirectory() as folder:
            config = make_tracker(Path(folder), rows)
            results = {name: run(name, config) for name in
                       ("openpyxl read", "openpyxl load+save", "write, 10 cells",
                        "first cycle", "idle probe")}
            shutil.copy(Path(folder) / "tracker.xlsx", Path(folder) / "adopted.xlsx")
            shutil.copy(Path(folder) / "sheetsync.db", Path(folder) / "adopted.db")
            edit_statuses(Path(folder) / "tracker.xlsx", 10)
            results["10 edits, whole"] = run("10 edits, whole", config)
            shutil.copy(Path(folder) / "adopted.xlsx", Path(folder) / "tracker.xlsx")
            shutil.copy(Path(folder) / "adopted.db", Path(folder) / "sheetsync.db")
            results["10 edits, daemon"] = run("10 edits, daemon", config)
            look = task_look(Path(folder), int(rows * TASK_SHARE))
        for name, r in results.items():
            shown = [f"{r[s]:7.3f}" if s in r else f"{'':>7}" for s in stages]
            notes = f"{r['redone']} rows redone, {r['writes']} cells written, " \
                    f"{r['transitions']} transitions" if "writes" in r else \
                f"inflate {r['inflate']:.3f} s, splice {r['splice']:.3f} s, deflate " \
                f"{r['deflate']:.3f} s; +{r['added_mb']:.0f} MB to the peak" \
                if "splice" in r else ""
            total = f"{r['seconds'] * 1e6:6.1f}µs" if name == "idle probe" \
                else f"{r['seconds']:8.3f}"
            print(f"{rows:>8}  {name:<20} {total:>8} {' '.join(shown)} "
                  f"{r['peak_rss_mb']:>12.0f}  {notes}")
        print(f"{rows:>8}  unlinked-task look at {int(rows * TASK_SHARE)} linked task effects: "
              f"{look[0] * 1000:.2f} ms from the watermark, {look[1] * 1000:.1f} ms scanning "
              "every sent task effect (before it)")


if __name__ == "__main__":
    main()
