"""The race stress test: a person saving both ways as fast as they can, the daemon cycling
every second. Nothing the person saved is lost, the daemon lives, every row gets its ID.

Bounded for the suite (SHEETSYNC_RACE_SECONDS, 10 s of saving by default); bench/race.py runs
it for 30 s and prints the figures.
"""

from __future__ import annotations

import os
from pathlib import Path

from tests.race import race

SECONDS = float(os.environ.get("SHEETSYNC_RACE_SECONDS", "10"))


def test_a_person_saving_as_fast_as_they_can_never_loses_a_save_to_the_daemon(
    tmp_path: Path,
) -> None:
    result = race(tmp_path, SECONDS)
    assert result.alive and result.stopped_cleanly
    saves = result.saves
    assert {s["way"] for s in saves} == {"rename", "in place"} and len(saves) > 10
    # Every save is in the final file: each save holds every earlier one (it is built on the
    # file as the person last read it), so a save the daemon replaced would be missing here.
    final = {str(r["Seller Name"]): r["Resolution Summary"] for r in result.rows
             if str(r["Seller Name"]).startswith("Race Seller ")}
    assert sorted(final) == sorted(f"Race Seller {s['save']}" for s in saves)
    assert final == saves[-1]["held"]
    # The daemon raced for real: its writes were held back for the person's saves; once the
    # person stopped, every row got an ID, each its own.
    assert result.outcomes["it changed since it was read"] + result.outcomes[
        "it changed while sheetsync was writing"] >= 1
    ids = [r["Ticket ID"] for r in result.rows]
    assert all(ids) and len(set(ids)) == len(ids) == 16 + len(saves)
