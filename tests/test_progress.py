"""Progress bars as a person sees them: the real CLI on a pseudo-terminal advancing step by
step (`setup --import`, `sync`, `report`), and nothing on a pipe or with --quiet."""

from __future__ import annotations

import fcntl
import os
import re
import struct
import subprocess
import sys
import termios
from datetime import datetime, timezone
from pathlib import Path

import openpyxl
import pytest

from sheetsync.app.cli import main
from sheetsync.app.demo import make_demo
from sheetsync.jobs import reports, sync
from tests.helpers import write_workbook

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 11, 23, 6, 30, tzinfo=timezone.utc)
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}
FRAME = re.compile(r"([a-z][a-z ]+):\s+\d+%\|[^|]*\| (\d+)/(\d+) \[")


def on_a_terminal(*args: str, cwd: Path) -> tuple[int, str]:
    """Run `sheetsync ARGS` with stdout and stderr on a 100-column pseudo-terminal."""
    main, child = os.openpty()
    fcntl.ioctl(child, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    process = subprocess.Popen([sys.executable, "-m", "sheetsync", *args], cwd=cwd, env=ENV,
                               stdin=subprocess.DEVNULL, stdout=child, stderr=child)
    os.close(child)
    seen = b""
    while True:
        try:
            chunk = os.read(main, 65536)
        except OSError:  # the child end closed: the command ended
            break
        if not chunk:
            break
        seen += chunk
    os.close(main)
    return process.wait(timeout=120), seen.decode("utf-8", "replace")


def frames(screen: str) -> list[tuple[str, int, int]]:
    """Each bar as drawn: (what, done, total), in the order they appeared."""
    return [(m[1], int(m[2]), int(m[3])) for m in FRAME.finditer(screen)]


@pytest.fixture
def tickets(tmp_path: Path) -> Path:
    lines = ["Seller Name,WhatsApp Number,Status,Issue Type,Description,Timestamp"]
    lines += [f"Store {n},+9198765{n:05d},Pending,Bug,Stock will not update.,2026-11-20 10:25"
              for n in range(1200)]
    (tmp_path / "tickets.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (tmp_path / "sheetsync.toml").write_text('[tracker]\npath = "tracker.xlsx"\n',
                                             encoding="utf-8")
    return tmp_path


def test_an_import_on_a_terminal_shows_its_rows_advancing_then_says_what_it_did(
        tickets: Path) -> None:
    code, screen = on_a_terminal("setup", "--import", "tickets.csv", cwd=tickets)
    assert code == 0, screen
    drawn = frames(screen)
    counts = [done for what, done, total in drawn if what == "importing" and total == 1200]
    assert counts == sorted(counts) and counts[-1] == 1200
    assert any(0 < done < 1200 for done in counts)  # drawn while it worked, not once at the end
    assert screen.index("importing") < screen.index("created")
    assert "and 1200 imported rows" in screen and "nothing imported" not in screen


def test_no_bar_on_a_pipe_and_none_with_quiet(tickets: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["setup", "--config", str(tickets / "sheetsync.toml"), "--import",
                 str(tickets / "tickets.csv")]) == 0  # stdout and stderr are not terminals
    piped = capsys.readouterr()
    assert "and 1200 imported rows" in piped.out and piped.err == ""
    (tickets / "tracker.xlsx").unlink()
    code, screen = on_a_terminal("setup", "--import", "tickets.csv", "--quiet", cwd=tickets)
    assert code == 0 and "and 1200 imported rows" in screen
    assert frames(screen) == [] and "\r" not in screen.replace("\r\n", "")


def test_sync_and_report_on_a_terminal_show_each_step_as_it_starts(tmp_path: Path) -> None:
    demo = make_demo(tmp_path / "demo", "seller-support", "Asia/Kolkata", "IN", NOW)
    code, screen = on_a_terminal("sync", cwd=demo.folder)
    assert code == 0, screen
    steps = [what for what, _, total in frames(screen) if total == len(sync.STEPS)]
    assert list(dict.fromkeys(steps)) == list(sync.STEPS)  # every step, in order
    done = [n for _, n, total in frames(screen) if total == len(sync.STEPS)]
    assert done == sorted(done)
    assert screen.rstrip().endswith("cells written.")  # the summary under the cleared bar
    code, screen = on_a_terminal("report", "daily", cwd=demo.folder)
    assert code == 0, screen
    steps = [what for what, _, total in frames(screen) if total == len(reports.STEPS)]
    assert list(dict.fromkeys(steps)) == list(reports.STEPS)
    assert "Wrote the Daily summary" in screen


def test_an_import_into_a_new_tab_of_a_workbook_counts_its_rows_and_keeps_the_other_tabs(
        tickets: Path) -> None:
    from sheetsync.backends.workbook import Workbook
    from sheetsync.config import load_config
    from sheetsync.core.setup import plan_setup

    write_workbook(tickets / "tracker.xlsx", ["Notes"], [["the team's own tab"]], tab="Notes")
    config = load_config(tickets / "sheetsync.toml", environ={})
    plan = plan_setup(config.schema, (tickets / "tickets.csv").read_text(encoding="utf-8"))
    heard: list[tuple[int, int]] = []
    changes = Workbook(config.workbook_path, "Tracker").setup(
        plan, lambda done, total: heard.append((done, total)))
    assert heard == [(500, 1200), (1000, 1200), (1200, 1200)]
    assert changes.done[0] == "added tab 'Tracker' with 1200 imported rows"
    assert changes.skipped == []
    book = openpyxl.load_workbook(config.workbook_path, read_only=True)
    assert book.sheetnames == ["Notes", "Tracker"]
    rows = list(book["Tracker"].iter_rows(values_only=True))
    assert len(rows) == 1201 and "Store 1199" in rows[-1]
    assert next(book["Notes"].iter_rows(values_only=True)) == ("Notes",)  # the team's, kept
