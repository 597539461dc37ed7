"""One sync cycle on the local workbook: IDs, Sync Notes, escalations in the outbox, once."""

from __future__ import annotations

import json
import os
from datetime import datetime, timezone
from pathlib import Path

import zipfile

import openpyxl
import pytest

from sheetsync.core.cells import CellWrite
from sheetsync.backends.workbook import Workbook
from sheetsync.config import Config, load_config
from sheetsync.app.demo import make_demo
from sheetsync.jobs.sync import run_sync
from sheetsync.state import StateStore
from tests.helpers import edit

NOW = datetime(2026, 11, 23, 6, 30, tzinfo=timezone.utc)


@pytest.fixture
def demo(tmp_path: Path) -> Config:
    made = make_demo(tmp_path / "demo", "seller-support", "Asia/Kolkata", "IN", NOW)
    return load_config(made.config_path, environ={})


def sheet_rows(config: Config) -> list[dict[str, object]]:
    sheet = openpyxl.load_workbook(config.workbook_path)["Tracker"]
    header = [c.value for c in sheet[1]]
    return [dict(zip(header, (c.value for c in row))) for row in sheet.iter_rows(min_row=2)]


def outbox(config: Config) -> list[dict[str, object]]:
    if not config.outbox_path.exists():
        return []
    return [json.loads(line) for line in config.outbox_path.read_text().splitlines()]


def test_the_first_cycle_gives_every_row_an_id_and_sends_nothing(demo: Config) -> None:
    report = run_sync(demo, NOW)
    assert report.adopted and report.new_tickets == 16 and report.planned == []
    rows = sheet_rows(demo)
    assert [r["Ticket ID"] for r in rows] == [f"INT-{i:06d}" for i in range(1, 17)]
    # The guide's example entry is clean: no Sync Notes. Why its Suggested Priority differs
    # from its (blank) Priority is that cell's own note, in the guide's words.
    assert rows[0]["Sync Notes"] is None
    assert rows[0]["Suggested Priority"] == "Medium"
    sheet = openpyxl.load_workbook(demo.workbook_path)["Tracker"]
    header = [c.value for c in sheet[1]]
    suggested = sheet.cell(row=2, column=header.index("Suggested Priority") + 1)
    assert suggested.comment is not None and suggested.comment.text.endswith(
        'Suggested Priority Medium: Functionality issues affecting single seller ("Bug")')
    assert rows[2]["Sync Notes"].startswith("WhatsApp Number: The WhatsApp Number has no "
                                            "country code")
    assert outbox(demo) == []


def test_a_second_cycle_with_no_edits_writes_and_sends_nothing(demo: Config) -> None:
    run_sync(demo, NOW)
    before = demo.workbook_path.stat().st_mtime_ns
    report = run_sync(demo, NOW)
    assert (report.transitions, report.planned, report.writes) == ([], [], [])
    assert demo.workbook_path.stat().st_mtime_ns == before


def test_an_escalation_lands_in_the_outbox_once(demo: Config) -> None:
    run_sync(demo, NOW)
    edit(demo, "Vijay Auto Parts", Status="Escalated",
         **{"Assigned To": "Arjun (Support), Rahul (Tech)"})
    run_sync(demo, NOW)
    run_sync(demo, NOW)
    [line] = outbox(demo)
    assert line["kind"] == "slack.message" and line["ticket_id"] == "INT-000015"
    assert line["text"] == ("[ESCALATION] [Help] - How to print invoices for multiple orders "
                            "(Vijay Auto Parts)")
    assert line["contact"] == "+91******1000"
    assert {"key", "created_at"} <= set(line)


def test_a_new_bug_row_after_adoption_plans_a_clickup_task(demo: Config) -> None:
    run_sync(demo, NOW)
    book = openpyxl.load_workbook(demo.workbook_path)
    sheet = book["Tracker"]
    header = [c.value for c in sheet[1]]
    new = {"WhatsApp Number": "+919812300000", "Seller Name": "Nandi Dairy", "Issue Type": "Bug",
           "Description": "Cannot view inventory. The page is blank.", "Status": "Pending",
           "Timestamp": "2026-11-23 11:00"}
    sheet.append([new.get(h) for h in header])
    book.save(demo.workbook_path)
    report = run_sync(demo, NOW)
    assert [e.key for e in report.planned] == ["clickup.task:INT-000017"]
    assert outbox(demo)[0]["name"] == "[Bug] Cannot view inventory (Nandi Dairy)"
    assert sheet_rows(demo)[-1]["Ticket ID"] == "INT-000017"


def test_a_dry_run_commits_sends_and_writes_nothing(demo: Config) -> None:
    before = demo.workbook_path.read_bytes()
    report = run_sync(demo, NOW, dry_run=True)
    assert report.adopted and len(report.writes) > 16
    assert demo.workbook_path.read_bytes() == before
    assert not demo.state_path.exists() and outbox(demo) == []


def test_a_workbook_changed_during_the_cycle_is_not_written_and_is_mended_next_cycle(
    demo: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_read = Workbook.read

    def read_then_someone_saves(self: Workbook):  # type: ignore[no-untyped-def]
        grid = real_read(self)
        edit(demo, "Kaveri Foods", **{"Resolution Summary": "Apologised to the customer."})
        return grid

    monkeypatch.setattr(Workbook, "read", read_then_someone_saves)
    report = run_sync(demo, NOW)
    assert report.write_skipped == "it changed since it was read"
    assert all(r.get("Ticket ID") is None for r in sheet_rows(demo))
    monkeypatch.setattr(Workbook, "read", real_read)
    report = run_sync(demo, NOW)
    assert report.write_skipped is None
    rows = sheet_rows(demo)
    assert [r["Ticket ID"] for r in rows] == [f"INT-{i:06d}" for i in range(1, 17)]
    kaveri = next(r for r in rows if r["Seller Name"] == "Kaveri Foods")
    assert kaveri["Resolution Summary"] == "Apologised to the customer."
    with StateStore(demo.state_path) as store:
        assert [t.after for t in report.transitions if t.field == "ticket"] == []
        assert store.history("INT-000013")[0].after == "created"


def test_a_workbook_open_in_another_program_is_left_alone(demo: Config) -> None:
    (demo.workbook_path.parent / "~$tracker.xlsx").write_text("lock")
    report = run_sync(demo, NOW)
    assert report.write_skipped == "it is open in another program (~$tracker.xlsx is there)"
    assert all(r.get("Ticket ID") is None for r in sheet_rows(demo))


def test_text_that_looks_like_a_formula_is_written_as_text(tmp_path: Path) -> None:
    path = tmp_path / "t.xlsx"
    book = openpyxl.Workbook()
    book.active.title = "Tracker"
    book.active.append(["Seller Name", "Sync Notes"])
    book.active.append(["Store", None])
    book.save(path)
    workbook = Workbook(path, "Tracker")
    workbook.read()
    assert workbook.write(1, [CellWrite(2, "Sync Notes", '=HYPERLINK("http://evil")')]) is None
    cell = openpyxl.load_workbook(path)["Tracker"]["B2"]
    assert (cell.value, cell.data_type) == ('=HYPERLINK("http://evil")', "s")


def test_a_missing_column_is_added_after_the_last_header(tmp_path: Path) -> None:
    path = tmp_path / "t.xlsx"
    book = openpyxl.Workbook()
    book.active.title = "Tracker"
    book.active.append(["Seller Name", None, "Region"])
    book.active.append(["Store", "kept", "North"])
    book.save(path)
    workbook = Workbook(path, "Tracker")
    workbook.read()
    os.utime(path)  # any later change of the file stops the write ...
    assert workbook.write(1, [CellWrite(2, "Ticket ID", "INT-000001")]) == \
        "it changed since it was read"
    workbook.read()  # ... until it is read again
    assert workbook.write(1, [CellWrite(2, "Ticket ID", "INT-000001")]) is None
    sheet = openpyxl.load_workbook(path)["Tracker"]
    assert [c.value for c in sheet[1]] == ["Seller Name", None, "Region", "Ticket ID"]
    assert [c.value for c in sheet[2]] == ["Store", "kept", "North", "INT-000001"]


def test_a_workbook_with_formulas_is_written_around_them_and_recalculated_on_opening(
        demo: Config) -> None:
    run_sync(demo, NOW)
    book = openpyxl.load_workbook(demo.workbook_path)
    book["Tracker"]["Z1"] = "=COUNTA(A:A)"
    book.save(demo.workbook_path)
    edit(demo, "Vijay Auto Parts", Status="escalated",  # a Sync Note to write, too
         **{"Assigned To": "Arjun (Support), Rahul (Tech)"})
    report = run_sync(demo, NOW)
    assert [w.column for w in report.writes] == ["Sync Notes"]
    assert report.write_skipped is None
    assert [e.key for e in report.planned] == ["slack.message:escalation:INT-000015:1"]
    assert len(outbox(demo)) == 1
    sheet = openpyxl.load_workbook(demo.workbook_path)["Tracker"]
    assert sheet["Z1"].value == "=COUNTA(A:A)"
    header = [c.value for c in sheet[1]]
    notes = [r[header.index("Sync Notes")].value for r in sheet.iter_rows(min_row=2)]
    assert any(note and "escalat" in note.lower() for note in notes)
    with zipfile.ZipFile(demo.workbook_path) as archive:  # Excel computes Z1 again on opening
        assert b'fullCalcOnLoad="1"' in archive.read("xl/workbook.xml")


def test_an_effect_stuck_for_a_day_waits_for_a_person(demo: Config,
                                                       capsys: pytest.CaptureFixture[str]
                                                       ) -> None:
    from datetime import timedelta

    from sheetsync.app.cli import main

    run_sync(demo, NOW)
    edit(demo, "Vijay Auto Parts", Status="Escalated",
         **{"Assigned To": "Arjun (Support), Rahul (Tech)"})
    demo.outbox_path.mkdir()  # the sink is broken: nothing can be delivered
    run_sync(demo, NOW)
    with StateStore(demo.state_path) as store:
        [stuck] = store.effects("pending")
        assert stuck.attempts == 1 and "Is a directory" in (stuck.last_error or "")
    demo.outbox_path.rmdir()  # fixed, but a day and a bit later
    report = run_sync(demo, NOW + timedelta(hours=25))
    assert report.delivered == 0 and outbox(demo) == []
    with StateStore(demo.state_path) as store:
        assert [e.status for e in store.effects()] == ["failed"]
    capsys.readouterr()
    assert main(["outbox", "list", "--config", str(demo.source)]) == 0
    assert "failed     slack.message:escalation:INT-000015:1" in capsys.readouterr().out
    assert main(["outbox", "retry", "slack.message:escalation:INT-000015:1",
                 "--config", str(demo.source)]) == 0
    assert run_sync(demo, NOW + timedelta(hours=26)).delivered == 1
    assert [line["key"] for line in outbox(demo)] == ["slack.message:escalation:INT-000015:1"]
    assert main(["outbox", "cancel", "slack.message:escalation:INT-000015:1",
                 "--config", str(demo.source)]) == 2  # sent already: nothing to cancel
    assert main(["outbox", "retry", "nope", "--config", str(demo.source)]) == 2


def cell_of(config: Config, seller: str, column: str):  # type: ignore[no-untyped-def]
    sheet = openpyxl.load_workbook(config.workbook_path)["Tracker"]
    header = [c.value for c in sheet[1]]
    for row in sheet.iter_rows(min_row=2):
        if row[header.index("Seller Name")].value == seller:
            return row[header.index(column)]
    raise LookupError(seller)


def test_a_persons_note_and_colour_survive_a_flag_and_fix_round_trip(demo: Config) -> None:
    from openpyxl.comments import Comment
    from openpyxl.styles import PatternFill

    book = openpyxl.load_workbook(demo.workbook_path)
    sheet = book["Tracker"]
    sheet["A4"].comment = Comment("Seller prefers calls after 5pm", "Priya")  # Lakshmi's number
    sheet["E7"].fill = PatternFill("solid", start_color="FFFFFF00")  # Bhatia's status, yellow
    book.save(demo.workbook_path)
    run_sync(demo, NOW)

    phone = cell_of(demo, "Lakshmi Textiles", "WhatsApp Number")
    assert phone.comment.author == "Priya"
    assert phone.comment.text.startswith("Seller prefers calls after 5pm\n\n[sheetsync]\n")
    assert "no country code" in phone.comment.text
    assert phone.fill.fgColor.rgb == "FFFCE4E4"
    status = cell_of(demo, "Bhatia Book House", "Status")
    assert status.comment.text.startswith("[sheetsync]\nWrite Status exactly as")
    assert status.fill.fgColor.rgb == "FFFFFF00"  # a person's colour is never repainted

    edit(demo, "Lakshmi Textiles", **{"WhatsApp Number": "+919845012345"})
    edit(demo, "Bhatia Book House", Status="In Progress")
    run_sync(demo, NOW)
    phone = cell_of(demo, "Lakshmi Textiles", "WhatsApp Number")
    assert (phone.comment.text, phone.comment.author) == ("Seller prefers calls after 5pm",
                                                           "Priya")
    assert phone.fill.fill_type is None
    status = cell_of(demo, "Bhatia Book House", "Status")
    assert status.comment is None and status.fill.fgColor.rgb == "FFFFFF00"
    assert run_sync(demo, NOW).writes == []  # settled: nothing more to write


def test_a_mark_follows_its_ticket_when_the_sheet_is_sorted(demo: Config) -> None:
    from copy import copy

    from openpyxl.comments import Comment

    run_sync(demo, NOW)
    book = openpyxl.load_workbook(demo.workbook_path)
    sheet = book["Tracker"]
    rows = [[(c.value, c.comment and (c.comment.text, c.comment.author), copy(c.fill))
             for c in row] for row in sheet.iter_rows(min_row=2)]
    for r, cells in enumerate(reversed(rows), start=2):  # reversed, notes and fills moving along
        for c, (value, note, fill) in enumerate(cells, start=1):
            cell = sheet.cell(row=r, column=c, value=value)
            cell.comment = Comment(*note) if note else None
            cell.fill = fill
    book.save(demo.workbook_path)
    edit(demo, "Lakshmi Textiles", **{"WhatsApp Number": "+919845012345"})
    report = run_sync(demo, NOW)
    assert report.write_skipped is None
    fixed = cell_of(demo, "Lakshmi Textiles", "WhatsApp Number")
    assert fixed.comment is None and fixed.fill.fill_type is None
    still = cell_of(demo, "Patel Electronics", "WhatsApp Number")  # not fixed: keeps its mark
    assert "without spaces or dashes" in still.comment.text


def test_purge_from_the_command_line(demo: Config, capsys: pytest.CaptureFixture[str]) -> None:
    from sheetsync.app.cli import main

    run_sync(demo, NOW)
    assert main(["purge", "--before", "2100-01-01", "--config", str(demo.source)]) == 0
    assert "Removed 16 transitions" in capsys.readouterr().out
    assert main(["purge", "--before", "last week", "--config", str(demo.source)]) == 2
    assert 'expected a date as YYYY-MM-DD, got "last week"' in capsys.readouterr().err


def test_adoption_sends_escalations_for_tickets_already_escalated_when_asked(
    demo: Config
) -> None:
    text = demo.source.read_text() + "\n[adoption]\nescalations = true\n"  # type: ignore[union-attr]
    demo.source.write_text(text)  # type: ignore[union-attr]
    config = load_config(demo.source, environ={})
    report = run_sync(config, NOW)
    assert report.adopted
    assert [e.key for e in report.planned] == ["slack.message:escalation:INT-000005:1",
                                               "slack.message:escalation:INT-000014:1"]


def test_rows_moved_to_the_archive_tab_are_archived_not_removed(demo: Config) -> None:
    demo.source.write_text(demo.source.read_text().replace(  # type: ignore[union-attr]
        'tab = "Tracker"', 'tab = "Tracker"\narchive_tab = "Archive"'))
    config = load_config(demo.source, environ={})
    run_sync(config, NOW)
    book = openpyxl.load_workbook(config.workbook_path)
    tracker = book["Tracker"]
    archive = book.create_sheet("Archive")
    archive.append([c.value for c in tracker[1]])
    archive.append([c.value for c in tracker[2]])  # the guide's example, resolved: archived
    tracker.delete_rows(2, 2)  # and row 3 is simply deleted
    book.save(config.workbook_path)
    report = run_sync(config, NOW)
    assert sorted((t.ticket_id, t.before, t.after) for t in report.transitions) == [
        ("INT-000001", "present", "archived"), ("INT-000002", "present", "removed")]
    with StateStore(config.state_path) as store:
        assert [h.after for h in store.history("INT-000001")] == ["created", "archived"]
        assert store.snapshot()["INT-000001"].archived


def test_the_brief_descriptions_length_is_configured(demo: Config) -> None:
    demo.source.write_text(demo.source.read_text()  # type: ignore[union-attr]
                           + "\n[messages]\nbrief_length = 20\n")
    config = load_config(demo.source, environ={})
    run_sync(config, NOW)
    edit(config, "Vijay Auto Parts", Status="Escalated",
         **{"Assigned To": "Arjun (Support), Rahul (Tech)"})
    run_sync(config, NOW)
    assert outbox(config)[0]["text"] == "[ESCALATION] [Help] - How to print… " \
                                        "(Vijay Auto Parts)"


def test_ids_a_persons_save_dropped_are_written_again_to_the_same_rows_and_nothing_fires(
    demo: Config,
) -> None:
    """A program that had the file open before sheetsync's write saves over it: the IDs
    sheetsync wrote are gone from its version. The next cycle writes the same IDs to the same
    rows: no new ticket, no transition, no second message or task."""
    run_sync(demo, NOW)
    book = openpyxl.load_workbook(demo.workbook_path)
    sheet = book["Tracker"]
    header = [c.value for c in sheet[1]]
    new = {"WhatsApp Number": "+919812300000", "Seller Name": "Nandi Dairy", "Issue Type": "Bug",
           "Description": "Cannot view inventory. The page is blank.", "Status": "Escalated",
           "Assigned To": "Arjun (Support), Rahul (Tech)", "Timestamp": "2026-11-23 11:00"}
    sheet.append([new.get(h) for h in header])
    book.save(demo.workbook_path)
    opened_by_the_person = openpyxl.load_workbook(demo.workbook_path)  # before the write
    report = run_sync(demo, NOW)
    assert sorted(e.key for e in report.planned) == [
        "clickup.task:INT-000017", "slack.message:escalation:INT-000017:1"]
    assert sheet_rows(demo)[-1]["Ticket ID"] == "INT-000017"
    sent = outbox(demo)
    ids = [r["Ticket ID"] for r in sheet_rows(demo)]

    person = opened_by_the_person["Tracker"]  # their edit, saved over sheetsync's write
    person.cell(row=3, column=header.index("Resolution Summary") + 1, value="Called back.")
    opened_by_the_person.save(demo.workbook_path)
    assert sheet_rows(demo)[-1]["Ticket ID"] is None

    report = run_sync(demo, NOW)
    assert report.transitions == [] and report.planned == [] and outbox(demo) == sent
    rows = sheet_rows(demo)
    assert [r["Ticket ID"] for r in rows] == ids
    assert rows[1]["Resolution Summary"] == "Called back."
    with StateStore(demo.state_path) as store:
        assert [t.after for t in store.history("INT-000017")].count("created") == 1
