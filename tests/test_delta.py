"""A cycle after another redoes only the rows that changed, and decides exactly what a cycle
reading the whole tab decides."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sheetsync.core.cells import CellMark, CellWrite
from sheetsync.config import Config, load_config
from sheetsync.integrations.dispatch import open_sinks
from sheetsync.jobs.sync import CycleMemory, CycleReport, run_sync
from sheetsync.state import StateStore
from sheetsync.core.table import Grid

NOW = datetime(2026, 11, 23, 6, 30, tzinfo=timezone.utc)
HEADER = ["Ticket ID", "Timestamp", "WhatsApp Number", "Seller Name", "Issue Type",
          "Description", "Status", "Priority", "Assigned To", "Resolution Summary"]
STATUSES = ["Pending", "In Progress", "Resolved", "Escalated", "escalated", "Awaiting Seller "
            "Response", "Closed?"]
VALUES: dict[str, list[Any]] = {
    "Timestamp": ["2026-11-20 10:00", "2026-11-23 12:45", "2026-11-23 13:30", "20/11/2026",
                  None],  # (NOW is 12:00 in Kolkata: two are in the future for a while)
    "WhatsApp Number": ["+919876543210", "9876543210", "+91 98765", None],
    "Seller Name": ["Sharma General Store", "Gupta Traders", None],
    "Issue Type": ["Bug", "Feature Request", "Account", "Bugg", None],
    "Description": ["Unable to update stock for Rice product. It fails.",
                    "Cannot add products to the catalogue", "Payment failed twice",
                    "How do I change my shop name?", None],
    "Status": STATUSES,
    "Priority": ["High", "Medium", "Low", "Urgent", None],
    "Assigned To": ["Priya (Support)", "Priya (Support), Rahul (Tech)", "priya(support)", None],
    "Resolution Summary": ["Fixed in backend.", None],
}


SAYPRO = ["Interaction ID", "Date and Time of Interaction", "User ID/Username",
          "User Contact Information", "Issue/Request Description", "Category of Issue/Request",
          "Urgency Level", "Assigned Support Agent", "Resolution Provided",
          "Additional Actions Taken", "Final Outcome"]


def interaction(n: int, ticket: str | None, escalated: bool = False) -> list[Any]:
    return [ticket, "2026-11-20 10:00", f"user{n}", f"user{n}@example.com",
            f"Password reset not working for account {n}", "Account-related", "High",
            "Sarah L.", None, "Escalated to the development team" if escalated else "None",
            "Pending"]


SAYPRO_VALUES: dict[str, list[Any]] = {
    "Date and Time of Interaction": ["2026-11-20 10:00", "2026-11-23 12:45", "yesterday", None],
    "User Contact Information": ["user1@example.com", "+919876543210", "12345", None],
    "Issue/Request Description": ["Password reset not working.", "Cannot log in at all",
                                  "Payment failed twice", None],
    "Category of Issue/Request": ["Account-related", "Technical", "Billing", "Other?", None],
    "Urgency Level": ["High", "Medium", "Low", "Urgent", None],
    "Assigned Support Agent": ["Sarah L.", "Tom K.", None],
    "Additional Actions Taken": ["Escalated to the development team", "None", None],
    "Final Outcome": ["Pending", "Resolved and closed", "Escalated", None],
}


class MemoryTracker:
    """A tracker tab held in memory, written the way the real backends write: cells by
    header, a missing column added after the last header, sheetsync's notes kept apart."""

    def __init__(self, rows: Sequence[Sequence[Any]], header: Sequence[str] = HEADER) -> None:
        self.rows = [list(header), *map(list, rows)]
        self.notes: dict[tuple[int, str], str] = {}
        self.locked = False  # the next write is skipped, as for a workbook open elsewhere

    def read(self) -> Grid:
        width = len(self.rows[0])
        return Grid("Tracker", [tuple([*r, *[None] * (width - len(r))]) for r in self.rows])

    def read_tab(self, tab: str, missing_ok: bool = False) -> Grid:
        return Grid(tab, [])

    def row_link(self, row: int) -> str | None:
        return None

    def write(self, header_row: int, cells: Sequence[CellWrite],
              marks: Sequence[CellMark] = ()) -> str | None:
        if self.locked:
            self.locked = False
            return "locked"
        for cell in cells:
            column = self._column(cell.column)
            cells_of = self.rows[cell.row - 1]
            cells_of.extend([None] * (column + 1 - len(cells_of)))
            cells_of[column] = cell.value
        for mark in marks:
            key = (mark.row, self.rows[0][self._column(mark.column)])
            if mark.note is None:
                self.notes.pop(key, None)
            else:
                self.notes[key] = mark.note
        return None

    def _column(self, header: str) -> int:
        if header not in self.rows[0]:
            self.rows[0].append(header)
        return self.rows[0].index(header)


def tracker(folder: Path, preset: str = "seller-support") -> Config:
    folder.mkdir()
    (folder / "sheetsync.toml").write_text(
        f'preset = "{preset}"\n[tracker]\npath = "tracker.xlsx"\n')
    return load_config(folder / "sheetsync.toml", environ={})


def row(n: int, status: str = "Pending", ticket: str | None = None) -> list[Any]:
    return [ticket, "2026-11-20 10:00", f"+9198765{n:05d}", f"Store {n}", "Bug",
            f"Unable to update stock for product {n}", status, "High", "Priya (Support)", None]


#: Each tracker's memory of its last cycle, as the daemon keeps one per tracker.
MEMORY: dict[Path, CycleMemory] = {}


def cycle(config: Config, backend: MemoryTracker, at: datetime) -> CycleReport:
    memory = MEMORY.setdefault(config.state_path, CycleMemory())
    return run_sync(config, at, sinks=open_sinks(config, {}), backend=backend,  # type: ignore[arg-type]
                    memory=memory)


def forget_last_cycle(config: Config | None = None) -> None:
    """The next cycle of this tracker (of every one, by default) reads its tab whole."""
    for path, memory in MEMORY.items():
        if config is None or path == config.state_path:
            memory.forget()


def test_an_edit_redoes_only_the_edited_rows(tmp_path: Path) -> None:
    # (With its Sync Notes column there from the start: a column added is a header edit.)
    config, backend = tracker(tmp_path / "t"), MemoryTracker([row(n) for n in range(200)],
                                                             [*HEADER, "Sync Notes"])
    assert cycle(config, backend, NOW).redone == 200  # adoption reads the whole tab
    cycle(config, backend, NOW)  # the IDs and notes it wrote, read back
    assert cycle(config, backend, NOW).redone == 0
    for r in (5, 60, 150):
        backend.rows[r][HEADER.index("Status")] = "Escalated"
    report = cycle(config, backend, NOW + timedelta(minutes=1))
    assert report.redone == 3
    assert sorted(t.field for t in report.transitions) == ["escalated"] * 3 + ["status"] * 3
    assert [e.kind for e in report.planned].count("slack.message") == 3
    # The rows it wrote to (the escalation contact is missing) are looked at once more.
    assert cycle(config, backend, NOW + timedelta(minutes=2)).redone == 3


def test_a_row_added_below_gets_the_next_id_without_reading_the_whole_tab(
        tmp_path: Path) -> None:
    config, backend = tracker(tmp_path / "t"), MemoryTracker([row(n) for n in range(50)])
    cycle(config, backend, NOW)
    cycle(config, backend, NOW)
    backend.rows.append(row(99, "Escalated"))
    report = cycle(config, backend, NOW + timedelta(minutes=1))
    assert report.redone == 1 and report.new_tickets == 1
    assert backend.rows[-1][0] == "INT-000051"
    assert {(e.kind, e.ticket_id) for e in report.planned} >= {
        ("slack.message", "INT-000051"), ("clickup.task", "INT-000051")}


def test_a_sort_or_an_id_a_person_typed_reads_the_whole_tab(tmp_path: Path) -> None:
    config, backend = tracker(tmp_path / "t"), MemoryTracker([row(n) for n in range(30)])
    cycle(config, backend, NOW)
    cycle(config, backend, NOW)
    backend.rows[1:] = sorted(backend.rows[1:], key=lambda r: str(r[3]))
    assert cycle(config, backend, NOW).redone == 30
    assert cycle(config, backend, NOW).redone == 0
    backend.rows[7][0] = backend.rows[8][0]  # a person copies an ID
    report = cycle(config, backend, NOW)
    assert report.redone == 30 and report.findings_by_code.get("ticket_id.duplicate") == 2


def test_a_finding_the_clock_takes_away_goes_without_an_edit(tmp_path: Path) -> None:
    rows = [row(n) for n in range(20)]
    rows[4][1] = "2026-11-23 12:45"  # 45 minutes after NOW in Kolkata
    config, backend = tracker(tmp_path / "t"), MemoryTracker(rows)
    assert cycle(config, backend, NOW).findings_by_code == {"timestamp.in_future": 1}
    cycle(config, backend, NOW)

    def notes() -> str:
        return str(backend.rows[5][backend.rows[0].index("Sync Notes")])

    assert notes().startswith("Timestamp: Timestamp is in the future")
    report = cycle(config, backend, NOW + timedelta(hours=1))
    assert report.findings == 0 and report.redone == 1
    # Its note comes off the Timestamp cell (the suggestions' reasons stay on theirs).
    assert "Timestamp" not in notes() and not [c for _, c in backend.notes if c == "Timestamp"]


# --- the property: carried over or read whole, a cycle decides the same --------------------

def rounds(values: dict[str, list[Any]], header: list[str]) -> st.SearchStrategy[Any]:
    """Rounds of a person's edits between two cycles."""
    typed = st.tuples(st.just("set"), st.integers(0, 40),  # the common case: weighed more
                      st.sampled_from([(h, v) for h, vs in values.items() for v in vs]))
    edit = st.one_of(
        typed, typed, typed,
        st.tuples(st.just("append"), st.integers(0, 99), st.booleans()),
        st.tuples(st.just("lock"), st.none(), st.none()),  # the next write is skipped
        st.tuples(st.just("id"), st.integers(0, 40), st.sampled_from(
            ["clear", "copy", "INT-000500", "int-7", "garbage"])),
        st.tuples(st.just("sort"), st.sampled_from(header[1:]), st.booleans()),
        st.tuples(st.just("delete"), st.integers(0, 40), st.none()),
        st.tuples(st.just("blank row"), st.integers(0, 40), st.none()),
    )
    return st.lists(st.lists(edit, max_size=4), min_size=1, max_size=6)


def new_row(preset: str, n: int, escalated: bool) -> list[Any]:
    if preset == "seller-support":
        return row(n, "Escalated" if escalated else "Pending")
    return interaction(n, None, escalated)


def apply(backend: MemoryTracker, change: tuple[str, Any, Any], preset: str) -> None:
    kind, where, what = change
    body = backend.rows[1:]
    header = backend.rows[0]
    at = 1 + where % len(body) if body and isinstance(where, int) else None
    if kind == "set" and at is not None:
        backend.rows[at][header.index(what[0])] = what[1]
    elif kind == "append":
        cells = new_row(preset, where, what)
        backend.rows.append(cells + [None] * (len(header) - len(cells)))
    elif kind == "id" and at is not None:
        value = {"clear": None, "copy": backend.rows[1 + (where + 1) % len(body)][0]}.get(
            what, what)
        backend.rows[at][0] = value
    elif kind == "sort":
        column = header.index(where)
        backend.rows[1:] = sorted(body, key=lambda r: str(r[column]), reverse=what)
    elif kind == "delete" and at is not None:
        del backend.rows[at]
    elif kind == "blank row" and at is not None:
        backend.rows.insert(at, [None] * len(header))
    elif kind == "lock":
        backend.locked = True


def seen(report: CycleReport) -> tuple[Any, ...]:
    """What a person or a service would notice of a cycle."""
    return (report.rows, report.adopted, report.new_tickets,
            sorted((t.ticket_id, t.field, str(t.before), str(t.after))
                   for t in report.transitions),
            report.findings, dict(report.findings_by_code),
            sorted((e.key, e.kind, json.dumps(e.payload, sort_keys=True, default=str))
                   for e in report.planned),
            sorted((w.row, w.column, str(w.value)) for w in report.writes))


def remembered(config: Config) -> dict[str, Any]:
    with StateStore(config.state_path) as store:
        return {t: (s.row, dict(s.fields), s.present, s.in_sheet, dict(s.marks), s.archived)
                for t, s in store.snapshot().items()}


def check_carried_against_whole(folder: Path, preset: str, header: list[str],
                                rows: list[list[Any]],
                                rounds: list[list[tuple[str, Any, Any]]]) -> None:
    carried, whole = tracker(folder / "carried", preset), tracker(folder / "whole", preset)
    one, other = MemoryTracker(rows, header), MemoryTracker(rows, header)
    forget_last_cycle()  # (another example's trackers)
    for number, edits in enumerate([[], [], *rounds]):
        at = NOW + timedelta(minutes=20 * number)
        for change in edits:
            apply(one, change, preset)
            apply(other, change, preset)
        expected = seen(cycle(carried, one, at))
        forget_last_cycle(whole)
        assert seen(cycle(whole, other, at)) == expected, (number, edits)
        assert (one.rows, one.notes) == (other.rows, other.notes)
    assert remembered(carried) == remembered(whole)


SETTINGS = settings(max_examples=80, deadline=None, suppress_health_check=[
    HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


@SETTINGS
@given(start=st.integers(3, 25), rounds=rounds(VALUES, HEADER))
def test_a_carried_cycle_decides_what_a_whole_read_decides(
        tmp_path_factory: Any, start: int, rounds: list[list[tuple[str, Any, Any]]]) -> None:
    rows = [row(n, STATUSES[n % len(STATUSES)]) for n in range(start)]
    rows[0][1] = "2026-11-23 12:45"  # in the future for the first cycles only
    check_carried_against_whole(tmp_path_factory.mktemp("delta"), "seller-support", HEADER,
                                rows, rounds)


@SETTINGS
@given(start=st.integers(3, 25), rounds=rounds(SAYPRO_VALUES, SAYPRO))
def test_where_people_own_ids_a_carried_cycle_decides_what_a_whole_read_decides(
        tmp_path_factory: Any, start: int, rounds: list[list[tuple[str, Any, Any]]]) -> None:
    check_carried_against_whole(tmp_path_factory.mktemp("delta"), "saypro-interaction-log",
                                SAYPRO, [interaction(n, f"INT-{n + 1:06d}", n % 3 == 0)
                                         for n in range(start)], rounds)


def test_where_people_own_ids_a_new_row_with_its_own_id_is_carried_and_a_copy_is_not(
        tmp_path: Path) -> None:
    folder = tmp_path / "saypro"
    folder.mkdir()
    (folder / "sheetsync.toml").write_text(
        'preset = "saypro-interaction-log"\n[tracker]\npath = "tracker.xlsx"\n')
    config = load_config(folder / "sheetsync.toml", environ={})
    backend = MemoryTracker([interaction(n, f"INT-{n:06d}") for n in range(1, 21)], SAYPRO)
    cycle(config, backend, NOW)
    cycle(config, backend, NOW)
    backend.rows.append(interaction(77, "INT-000077"))
    report = cycle(config, backend, NOW)
    assert report.redone == 1
    assert [(t.ticket_id, t.after) for t in report.transitions] == [("INT-000077", "created")]
    assert backend.rows[-1][0] == "INT-000077"  # the person's own ID, left as typed
    backend.rows.append(interaction(78, "INT-000005"))  # a copy of another row's ID
    report = cycle(config, backend, NOW)
    assert report.redone == 22 and report.findings_by_code["ticket_id.duplicate"] == 2
    assert report.planned == []  # nothing fires for an ID in dispute


def test_task_links_and_incident_lines_are_kept_across_cycles_not_loaded_again(
        tmp_path: Path, monkeypatch: Any) -> None:
    # 40 typed task links: a daemon's cycle of a few edits must not load them all again.
    header = [*HEADER, "ClickUp Task ID"]
    config = tracker(tmp_path / "t")
    backend = MemoryTracker([[*row(n), f"86c{n:05d}" if n % 2 else None] for n in range(80)],
                            header)
    loads: list[str] = []
    for method in ("tasks", "incident_members"):
        original = getattr(StateStore, method)
        monkeypatch.setattr(StateStore, method, lambda self, _o=original, _m=method: (
            loads.append(_m), _o(self))[1])
    cycle(config, backend, NOW)
    cycle(config, backend, NOW)
    loads.clear()
    backend.rows[3][header.index("ClickUp Task ID")] = "86cnew01"  # a person links a task
    backend.rows[9][header.index("Status")] = "In Progress"
    assert cycle(config, backend, NOW + timedelta(minutes=1)).redone == 2
    assert loads == []  # what changed came from the rows, the rest from the last cycle
    with StateStore(config.state_path) as store:
        links = store.tasks()
    assert len(links) == 41 and links[backend.rows[3][0]].task_id == "86cnew01"
    # Another process commits a cycle (a one-shot `sheetsync sync`): the daemon's memory is
    # no longer the state's, so its next cycle asks the state again.
    backend.rows[5][header.index("ClickUp Task ID")] = "86cother"
    run_sync(config, NOW + timedelta(minutes=2), sinks=open_sinks(config, {}),
             backend=backend)  # type: ignore[arg-type]
    loads.clear()
    backend.rows[5][header.index("Status")] = "Resolved"
    cycle(config, backend, NOW + timedelta(minutes=3))
    assert loads.count("tasks") == 1
    with StateStore(config.state_path) as store:
        assert store.tasks()[backend.rows[5][0]].task_id == "86cother"
