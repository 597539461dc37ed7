"""Soak: the daemon against flaky fakes, random SIGKILLs and a person editing, for a while.

The real CLI (`sheetsync run`, interval 1 s) runs in a subprocess on a demo workbook, with the
fake Slack and the fake ClickUp at the HTTP transport (tests/crashpoint.py), each call failing
at `--fault-rate` with one of the exceptions their libraries raise mid-call (a body cut short,
a reset, a TLS error, a timeout...), half of them after the service took the call. Every few
seconds the daemon is SIGKILLed and started again. Meanwhile a person, in this process,
escalates rows and adds technical tickets, holding LibreOffice's lock file while saving, as
Calc does. At the end the faults stop, the daemon drains what is owed, and the figures are
printed: escalations and tasks expected, delivered, duplicated, lost; restarts; peak RSS.

    pip install -e '.[dev]' && python bench/soak.py [--minutes 10] [--fault-rate 0.15]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

import openpyxl

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sheetsync.config import load_config  # noqa: E402
from sheetsync.app.demo import make_demo  # noqa: E402
from sheetsync.state import StateStore  # noqa: E402
from tests.fake_clickup import KEY_FIELD, LIST_ID, FakeClickUp  # noqa: E402
from tests.fake_clickup import TOKEN as CLICKUP_TOKEN  # noqa: E402
from tests.fake_slack import TOKEN, FakeSlack  # noqa: E402

MESSAGE = re.compile(r"^slack\.message:escalation:(INT-\d+):1$")


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--minutes", type=float, default=10.0)
    options.add_argument("--fault-rate", type=float, default=0.15)
    options.add_argument("--kill-every", type=float, nargs=2, default=(4.0, 15.0),
                         metavar=("MIN", "MAX"), help="seconds between SIGKILLs")
    options.add_argument("--seed", type=int, default=7)
    args = options.parse_args()
    rng = random.Random(args.seed)
    folder = Path(tempfile.mkdtemp(prefix="sheetsync-soak-"))
    made = make_demo(folder / "demo", "seller-support", "Asia/Kolkata", "IN",
                     datetime.now(timezone.utc))
    text = made.config_path.read_text(encoding="utf-8")
    text = re.sub(r"interval_seconds = \d+", "interval_seconds = 1", text)
    made.config_path.write_text(text + f'\n[slack]\nchannel = "C0SELLERS1"\n\n[clickup]\n'
                                f'list_id = "{LIST_ID}"\nkey_field_id = "{KEY_FIELD}"\n',
                                encoding="utf-8")
    config = load_config(made.config_path, environ={})
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SLACK_BOT_TOKEN": TOKEN,
           "CLICKUP_API_TOKEN": CLICKUP_TOKEN,
           "SHEETSYNC_FAKE_SLACK": str(folder / "slack.json"),
           "SHEETSYNC_FAKE_CLICKUP": str(folder / "clickup.json")}
    command = [sys.executable, str(ROOT / "tests" / "crashpoint.py"), "none"]
    subprocess.run([*command, "sync", "--config", str(made.config_path)], env=env, check=True,
                   capture_output=True)  # adoption: quiet, a baseline
    adopted_escalated = set(escalated(config.workbook_path))

    stop = threading.Event()
    person = threading.Thread(target=edit_like_a_person,
                              args=(config.workbook_path, stop, random.Random(args.seed + 1)))
    person.start()
    restarts, peak_kb, log = 0, 0, (folder / "daemon.log").open("ab")
    deadline = time.monotonic() + args.minutes * 60
    flaky = {**env, "SHEETSYNC_FAKE_FAULT_RATE": str(args.fault_rate),
             "SHEETSYNC_FAKE_FAULT_LOG": str(folder / "faults.log")}
    try:
        while time.monotonic() < deadline:
            daemon = subprocess.Popen([*command, "run", "--config", str(made.config_path),
                                       "--log-format", "json"], env=flaky, stderr=log)
            until = min(deadline, time.monotonic() + rng.uniform(*args.kill_every))
            while time.monotonic() < until and daemon.poll() is None:
                peak_kb = max(peak_kb, high_water_kb(daemon.pid))
                time.sleep(0.25)
            alive = daemon.poll() is None
            daemon.send_signal(signal.SIGKILL)
            daemon.wait()
            if not alive:
                print(f"the daemon ended by itself (exit {daemon.returncode}): see {log.name}")
            restarts += 1
    finally:
        stop.set()
        person.join()
    for _ in range(3):  # the faults stop: what is owed goes out
        subprocess.run([*command, "sync", "--config", str(made.config_path)], env=env,
                       capture_output=True, check=True)
    report(config, folder, adopted_escalated, restarts, peak_kb, args)


def edit_like_a_person(workbook: Path, stop: threading.Event, rng: random.Random) -> None:
    """Escalate a row or add a technical ticket every second or two, saving as Calc does."""
    lock = workbook.parent / f".~lock.{workbook.name}#"
    added = 0
    while not stop.wait(rng.uniform(0.5, 2.0)):
        lock.write_text("person,soak,host,01.12.2026 22:00,file:///soak;", encoding="utf-8")
        try:
            book = openpyxl.load_workbook(workbook)
        except Exception:  # noqa: BLE001 - the daemon is swapping it in; try again
            lock.unlink()
            continue
        sheet = book["Tracker"]
        header = [c.value for c in sheet[1]]
        col = {name: header.index(name) for name in header if name}
        rows = [r for r in sheet.iter_rows(min_row=2) if r[col["Ticket ID"]].value and
                r[col["Status"]].value != "Escalated"]
        if rows and rng.random() < 0.6:
            row = rng.choice(rows)
            row[col["Status"]].value = "Escalated"
            row[col["Assigned To"]].value = "Priya (Support), Rahul (Tech)"
        else:
            added += 1
            new = {"WhatsApp Number": f"+9198{rng.randrange(10**8):08d}",
                   "Seller Name": f"Soak Seller {added}", "Issue Type": "Bug",
                   "Description": f"Cannot add products (soak {added}).", "Status": "Pending",
                   "Priority": "High", "Timestamp": datetime.now().strftime("%Y-%m-%d %H:%M")}
            sheet.append([new.get(h) for h in header])
        book.save(workbook)
        lock.unlink()


def escalated(workbook: Path) -> list[str]:
    sheet = openpyxl.load_workbook(workbook, read_only=True)["Tracker"]
    rows = sheet.iter_rows(values_only=True)
    header = list(next(rows))
    return [r[header.index("Ticket ID")] for r in rows
            if r[header.index("Status")] == "Escalated" and r[header.index("Ticket ID")]]


def high_water_kb(pid: int) -> int:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    found = re.search(r"VmHWM:\s+(\d+) kB", status)
    return int(found.group(1)) if found else 0


def report(config: object, folder: Path, adopted: set[str], restarts: int, peak_kb: int,
           args: argparse.Namespace) -> None:
    workbook = config.workbook_path  # type: ignore[attr-defined]
    slack = FakeSlack.at(folder / "slack.json")
    clickup = FakeClickUp.at(folder / "clickup.json")
    posted = Counter(m["metadata"]["event_payload"]["key"] for m in slack.messages
                     if m.get("metadata") and MESSAGE.match(
                         m["metadata"]["event_payload"]["key"]))
    expected = {f"slack.message:escalation:{t}:1" for t in escalated(workbook)} - {
        f"slack.message:escalation:{t}:1" for t in adopted}
    with StateStore(config.state_path) as store:  # type: ignore[attr-defined]
        effects = store.effects()
    tasks_planned = {e.key for e in effects if e.kind == "clickup.task"}
    tasks = Counter(clickup.keys())
    statuses = Counter(e.status for e in effects)
    print(f"soak: {args.minutes:g} min, fault rate {args.fault_rate:.0%} of calls, "
          f"SIGKILL every {args.kill_every[0]:g}-{args.kill_every[1]:g} s")
    print(f"  daemon restarts (SIGKILLs): {restarts}; peak RSS of one daemon: "
          f"{peak_kb / 1024:.0f} MB")
    print(f"  escalations: expected {len(expected)}, delivered {len(set(posted) & expected)}, "
          f"duplicated {sum(n - 1 for n in posted.values())}, lost "
          f"{len(expected - set(posted))}, unexpected {len(set(posted) - expected)}")
    print(f"  ClickUp tasks: expected {len(tasks_planned)}, delivered "
          f"{len(set(tasks) & tasks_planned)}, duplicated {sum(n - 1 for n in tasks.values())}, "
          f"lost {len(tasks_planned - set(tasks))}")
    print(f"  effects in the state: {dict(statuses)}")
    injected = Counter(" ".join(line.split()[::2]) for line in (folder / "faults.log").read_text(
        encoding="utf-8").splitlines()) if (folder / "faults.log").exists() else Counter()
    shown = ", ".join(f"{where} {n}" for where, n in sorted(injected.items()))
    print(f"  faults injected: {sum(injected.values())} ({shown})")
    print(f"  daemon log lines for faults: {fault_lines(folder / 'daemon.log')}")


def fault_lines(log: Path) -> dict[str, int]:
    found: Counter[str] = Counter()
    for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            event = json.loads(line)["event"]
        except (ValueError, KeyError):
            continue
        if event in ("delivery failed", "cycle failed", "courier failed", "task poll failed"):
            found[event] += 1
    return dict(found)


if __name__ == "__main__":
    main()
