"""A person saving the tracker as fast as they can, both ways, while the real daemon cycles.

The daemon (`sheetsync run`, interval 1 s, the local outbox) runs in a subprocess on a demo
tracker; the person, in another process, reads the tracker, adds a row and edits one of the
rows they added before, and saves, alternating the two ways programs save: a temporary file
renamed over the tracker (as Excel and LibreOffice do) and in place (truncate and write, as
openpyxl does). Every completed save is logged with what it holds. When the person stops, the
daemon gets a few cycles to give every row an ID, and `race` returns what it takes to judge:
the person's log, the final rows, whether the daemon stayed alive, and its write outcomes.
Used by tests/test_race.py (bounded) and bench/race.py (30 s, figures).
"""

from __future__ import annotations

import json
import multiprocessing
import os
import random
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import openpyxl

from sheetsync.app.demo import make_demo

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Race:
    """What a race left behind."""

    saves: list[dict[str, Any]]  # each completed save of the person: how, and what it held
    rows: list[dict[str, Any]]  # the tracker's rows at the end
    alive: bool  # the daemon was running when the person stopped
    stopped_cleanly: bool  # ... and ended with 0 on SIGTERM
    cycles: int
    outcomes: Counter[str]  # the daemon's write outcomes: "written", or why skipped
    failed_cycles: Counter[str]  # cycles that failed, by their message's start
    settle_seconds: float  # from the person's last save to every row having an ID


def race(folder: Path, seconds: float, seed: int = 7) -> Race:
    """Run the daemon and the person for `seconds`, then let the daemon settle."""
    made = make_demo(folder / "demo", "seller-support", "Asia/Kolkata", "IN",
                     datetime.now(timezone.utc))
    text = made.config_path.read_text(encoding="utf-8")
    made.config_path.write_text(re.sub(r"interval_seconds = \d+", "interval_seconds = 1", text),
                                encoding="utf-8")
    tracker = made.config_path.parent / "tracker.xlsx"
    env = {k: v for k, v in os.environ.items()
           if k not in ("SLACK_BOT_TOKEN", "CLICKUP_API_TOKEN", "SHEETSYNC_CONFIG")}
    env["PYTHONPATH"] = str(ROOT)
    log_path = folder / "daemon.log"
    with log_path.open("wb") as log:
        daemon = subprocess.Popen([sys.executable, "-m", "sheetsync", "run", "--config",
                                   str(made.config_path), "--log-format", "json"],
                                  env=env, stdout=log, stderr=log)
        try:
            _wait_for(lambda: _has_ids(tracker), 60)  # adopted: every demo row has its ID
            saves_path = folder / "saves.jsonl"
            person = multiprocessing.get_context("spawn").Process(
                target=save_like_a_person, args=(tracker, seconds, seed, saves_path))
            person.start()
            person.join(seconds + 60)
            alive = daemon.poll() is None
            done_at = time.monotonic()
            _wait_for(lambda: _has_ids(tracker), 60)
            settle = time.monotonic() - done_at
        finally:
            daemon.send_signal(signal.SIGTERM)
            try:
                code = daemon.wait(30)
            except subprocess.TimeoutExpired:
                daemon.kill()
                code = daemon.wait()
    lines = [json.loads(line) for line in log_path.read_text().splitlines()
             if line.startswith("{")]
    cycles = [line for line in lines if line.get("event") == "cycle"]
    skipped = Counter(line["reason"] for line in lines if line.get("event") == "write skipped")
    written = sum(1 for line in cycles if line.get("written")) - sum(skipped.values())
    failed = Counter(str(line.get("error", ""))[len(str(tracker)):][:60]
                     for line in lines if line.get("event") == "cycle failed")
    return Race(saves=[json.loads(line) for line in saves_path.read_text().splitlines()],
                rows=_rows(tracker), alive=alive, stopped_cleanly=code == 0,
                cycles=len(cycles), outcomes=Counter({"written": written, **skipped}),
                failed_cycles=failed, settle_seconds=settle)


def save_like_a_person(tracker: Path, seconds: float, seed: int, saves_path: Path) -> None:
    """Read, add a row, edit an earlier row of theirs, save; again, as fast as possible."""
    rng = random.Random(seed)
    deadline = time.monotonic() + seconds
    number = 0
    with saves_path.open("w", encoding="utf-8") as saves:
        while time.monotonic() < deadline:
            book = openpyxl.load_workbook(tracker)  # (sheetsync only ever renames a whole file)
            sheet = book["Tracker"]
            header = [c.value for c in sheet[1]]
            seller, summary = header.index("Seller Name"), header.index("Resolution Summary")
            number += 1
            mine = [row for row in sheet.iter_rows(min_row=2)
                    if str(row[seller].value or "").startswith("Race Seller ")]
            if mine:
                rng.choice(mine)[summary].value = f"edited in save {number}"
            sheet.append([{"WhatsApp Number": f"+9198{rng.randrange(10**8):08d}",
                           "Seller Name": f"Race Seller {number}", "Issue Type": "Help",
                           "Description": f"How to print invoices (race {number}).",
                           "Status": "Pending", "Priority": "Low",
                           "Timestamp": datetime.now().strftime("%Y-%m-%d %H:%M"),
                           }.get(str(h)) for h in header])
            way = "rename" if number % 2 else "in place"
            if way == "rename":
                temporary = tracker.with_name(f"person-{number}.tmp")
                book.save(temporary)
                os.replace(temporary, tracker)
            else:
                book.save(tracker)
            held = {str(row[seller].value): row[summary].value for row in sheet.iter_rows(
                min_row=2) if str(row[seller].value or "").startswith("Race Seller ")}
            saves.write(json.dumps({"save": number, "way": way, "held": held}) + "\n")
            saves.flush()


def _rows(tracker: Path) -> list[dict[str, Any]]:
    sheet = openpyxl.load_workbook(tracker)["Tracker"]
    header = [c.value for c in sheet[1]]
    return [dict(zip(header, (c.value for c in row))) for row in sheet.iter_rows(min_row=2)]


def _has_ids(tracker: Path) -> bool:
    try:
        rows = _rows(tracker)
    except Exception:  # noqa: BLE001 - being replaced this moment: ask again
        return False
    return bool(rows) and all(row.get("Ticket ID") for row in rows)


def _wait_for(condition: Any, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"not within {seconds} s")
        time.sleep(0.2)
