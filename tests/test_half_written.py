"""A tracker caught while a person's program writes it in place: "not ready, next cycle",
the whole of one version, never a crash and never a mix of two."""

from __future__ import annotations

import io
import random
import threading
from pathlib import Path

import openpyxl
import pytest

from sheetsync.backends.workbook import Workbook
from sheetsync.errors import TrackerError

NOT_READY = "sheetsync reads it again next cycle"


def version(tag: str, rows: int) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Tracker"
    sheet.append(["Seller Name", "Description", "Logged"])
    for i in range(rows):
        sheet.append([f"{tag} seller {i}", "x" * (i % 40), f"2026-11-{1 + i % 28:02d} 10:00"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


OLD, NEW = version("old", 60), version("new", 75)


def contents(path: Path) -> str:
    """Which whole version a read saw: "old" or "new" (anything else fails the test)."""
    grid = Workbook(path, "Tracker").read()
    tags = {str(row[0]).split(" ")[0] for row in grid.rows[1:]}
    assert [grid.rows[0][:3], len(grid.rows) - 1] in (
        [("Seller Name", "Description", "Logged"), 60],
        [("Seller Name", "Description", "Logged"), 75]), grid.rows[:2]
    assert len(tags) == 1, tags
    return tags.pop()


@pytest.mark.parametrize("seed", range(3))
def test_a_file_cut_or_overwritten_part_way_is_not_ready(tmp_path: Path, seed: int) -> None:
    """The states an in-place save passes through: the new file cut short (truncated, then
    written from the start), and the new file's start over the old file's rest."""
    rng = random.Random(seed)
    path = tmp_path / "tracker.xlsx"
    seen = set()
    for _ in range(60):
        cut = rng.randrange(len(NEW))
        path.write_bytes(NEW[:cut] if rng.random() < 0.5 else NEW[:cut] + OLD[cut:])
        try:
            seen.add(contents(path))
        except TrackerError as exc:
            assert NOT_READY in str(exc)
            seen.add("not ready")
    assert "not ready" in seen


def test_reads_while_a_person_saves_in_place_as_fast_as_they_can(tmp_path: Path) -> None:
    path = tmp_path / "tracker.xlsx"
    path.write_bytes(OLD)
    stop = threading.Event()

    def person() -> None:
        rng = random.Random(7)
        while not stop.is_set():
            data = NEW if rng.random() < 0.5 else OLD
            with path.open("r+b") as same_inode:  # in place: truncate, write in pieces
                same_inode.truncate(0)
                at = 0
                while at < len(data):
                    step = rng.randrange(1, 4096)
                    same_inode.write(data[at:at + step])
                    same_inode.flush()
                    at += step

    writer = threading.Thread(target=person)
    writer.start()
    seen: list[str] = []
    try:
        for _ in range(150):
            try:
                seen.append(contents(path))
            except TrackerError as exc:
                assert NOT_READY in str(exc)
                seen.append("not ready")
    finally:
        stop.set()
        writer.join()
    assert "not ready" in seen
    assert set(seen) <= {"old", "new", "not ready"}
