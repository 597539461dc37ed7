"""A person's sort, insert, delete or edit landing between sheetsync's read and its write, in
the fake Google Sheets: the lost race is mended on the next cycle, with no ticket recorded as
removed, no false transition, and every effect (a ClickUp task, an incident's reply) once."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from sheetsync.integrations.dispatch import open_sinks
from sheetsync.jobs.sync import CycleReport, run_sync
from tests.fake_clickup import KEY_FIELD, LIST_ID, FakeClickUp
from tests.fake_clickup import TOKEN as CLICKUP_TOKEN
from tests.google_setup import NOW, GoogleTracker, google_tracker

CLICKUP = f'\n[clickup]\nlist_id = "{LIST_ID}"\nkey_field_id = "{KEY_FIELD}"\n'
NEW_ROW = ["+919800000001", "Nandi Dairy", "Bug", "Invoice page will not load", "Pending"]
INSERTED = ["+919800000002", "Omkar Traders", "Bug", "Refund button does nothing", "Pending"]
#: Where a person's action lands: the operation it comes just before (a few rows' write
#: reads their cells with spreadsheets.getByDataFilter).
POINTS = {"before the read": ("values.batchGet", 0),
          "between the read and the narrow read": ("spreadsheets.getByDataFilter", 0),
          "between the narrow read and the write": ("batchUpdate", 0),
          "between a 5xx and its retry": ("batchUpdate", 1)}


@dataclass
class Race:
    """A tracker with ClickUp, its cycles' reports, and the rows as adoption numbered them."""

    tracker: GoogleTracker
    clickup: FakeClickUp
    reports: list[CycleReport] = field(default_factory=list)
    ids: dict[tuple[str, str], str] = field(default_factory=dict)

    def cycle(self) -> CycleReport:
        report = run_sync(self.tracker.config, NOW, backend=self.tracker.backend(),
                          sinks=open_sinks(self.tracker.config,
                                           {"CLICKUP_API_TOKEN": CLICKUP_TOKEN}))
        self.reports.append(report)
        return report

    def rows(self) -> list[dict[str, Any]]:
        return [r for r in self.tracker.rows() if r["Seller Name"] or r["Description"]]


@contextmanager
def race(folder: Path) -> Iterator[Race]:
    """Adopted, with a new row a person has just typed below the others."""
    for tracker in google_tracker(folder, extra=CLICKUP):
        with FakeClickUp(clock=tracker.clock).installed() as clickup:
            found = Race(tracker, clickup)
            found.cycle()
            found.cycle()  # the IDs adoption wrote, read back
            found.ids = {key(r): r["Ticket ID"] for r in found.rows()}
            tracker.fake.insert_rows("Tracker", len(tracker.fake.values("Tracker")) + 1,
                                     [NEW_ROW])
            yield found


def key(row: dict[str, Any]) -> tuple[str, str]:
    return (row["Seller Name"], row["Description"])


def person(found: Race, action: str, row: int) -> tuple[Callable[[], None], dict[str, str]]:
    """The person's action, and what it should leave in the history: ticket -> field."""
    fake, column = found.tracker.fake, found.tracker.column
    if action == "sort":
        return lambda: fake.sort("Tracker", column("Seller Name"), descending=row % 2 == 0), {}
    if action == "insert":
        return lambda: fake.insert_rows("Tracker", row, [INSERTED]), {}
    values = fake.values("Tracker")
    ticket = values[row - 1][values[0].index("Ticket ID")]
    if action == "delete":
        return lambda: fake.delete_rows("Tracker", row), {ticket: "ticket"}
    return lambda: fake.edit("Tracker", row, column("Status"), "In Progress"), {ticket: "status"}


CASES = [(action, row, point) for action, row in [("sort", 2), ("insert", 2), ("delete", 5),
                                                  ("edit", 4)] for point in POINTS]


@pytest.mark.parametrize("action,row,point", CASES)
def test_a_persons_change_at_any_point_of_a_cycle_leaves_every_id_on_its_own_row(
        action: str, row: int, point: str, tmp_path: Path) -> None:
    with race(tmp_path) as found:
        fake = found.tracker.fake
        before, effect = person(found, action, row)
        operation, skipped = POINTS[point]
        for _ in range(skipped):
            fake.before(operation, lambda: None)
        fake.before(operation, before)
        if skipped:
            fake.fail(operation, "500")
        found.cycle()  # the race
        found.cycle()  # reads what the race left, and mends it
        found.cycle()  # reads the mend back
        assert found.cycle().writes == []  # settled

        rows = found.rows()
        ids = Counter(r["Ticket ID"] for r in rows)
        assert all(n == 1 and ticket for ticket, n in ids.items()), ids
        # No row is left holding only what sheetsync wrote.
        assert all(not any(r.values()) for r in found.tracker.rows() if r not in rows)
        # Every ticket adoption numbered keeps its row; the new rows have the new numbers.
        now = {key(r): r["Ticket ID"] for r in rows}
        new = {(NEW_ROW[1], NEW_ROW[3]), *([(INSERTED[1], INSERTED[3])]
                                          if action == "insert" else [])}
        assert {k: t for k, t in now.items() if k not in new} == \
            {k: t for k, t in found.ids.items() if t in ids}
        given = {now[k] for k in new}
        assert given == {f"INT-{17 + i:06d}" for i in range(len(new))}
        # History: the new tickets created once, and what the person did; nothing else.
        happened = Counter((t.ticket_id, t.field) for r in found.reports[1:]
                           for t in r.transitions)
        assert happened == {**{(t, "ticket"): 1 for t in given},
                            **{(t, f): 1 for t, f in effect.items()}}
        # Every effect once: one task per new (technical) ticket, its ID in its own row.
        assert Counter(found.clickup.keys()) == {f"clickup.task:{t}": 1 for t in given}
        planned = Counter(e.key for r in found.reports[1:] for e in r.planned)
        assert all(n == 1 for n in planned.values()), planned
        tasks = {t["id"]: f["value"] for t in found.clickup.tasks.values()
                 for f in t["custom_fields"] if f["id"] == KEY_FIELD}
        assert {r["ClickUp Task ID"]: f"clickup.task:{r['Ticket ID']}" for r in rows
                if r["ClickUp Task ID"] in tasks} == tasks


def test_a_sort_between_the_narrow_read_and_the_write_is_mended_next_cycle(
        tmp_path: Path) -> None:
    with race(tmp_path) as found:
        fake = found.tracker.fake
        fake.before("batchUpdate", lambda: fake.sort("Tracker",
                                                     found.tracker.column("Seller Name")))
        assert found.cycle().write_skipped is None
        # The new row's ID landed on the row the sort put where the new row was.
        landed = next(r for r in found.rows() if r["Ticket ID"] == "INT-000017")
        assert key(landed) != (NEW_ROW[1], NEW_ROW[3])
        report = found.cycle()
        assert report.transitions == [] and report.new_tickets == 0
        found.cycle()
        ids = {key(r): r["Ticket ID"] for r in found.rows()}
        assert ids == {**found.ids, (NEW_ROW[1], NEW_ROW[3]): "INT-000017"}
        assert found.clickup.keys() == ["clickup.task:INT-000017"]
        nandi = next(r for r in found.rows() if r["Seller Name"] == "Nandi Dairy")
        assert nandi["ClickUp Task ID"] == next(iter(found.clickup.tasks))
