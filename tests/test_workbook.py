"""The local workbook backend: reading a tab, clear errors, and workbooks it must never save."""

from __future__ import annotations

import shutil
import zipfile
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest

from sheetsync.backends.workbook import Workbook, write_new_workbook
from sheetsync.core.cells import CellWrite
from sheetsync.errors import TrackerError
from sheetsync.core.table import is_blank
from tests.helpers import GUIDE_EXAMPLE, stored_entries, write_workbook


def test_reads_every_row_numbered_as_the_sheet_numbers_them(tmp_path: Path) -> None:
    path = write_workbook(tmp_path / "t.xlsx", list(GUIDE_EXAMPLE),
                          [list(GUIDE_EXAMPLE.values()), [], ["+919812345670"]])
    grid = Workbook(path, "Tracker").read()
    assert (grid.first_row, len(grid.rows)) == (1, 4)
    assert grid.rows[0][:2] == ("WhatsApp Number", "Seller Name")
    assert len(grid.rows[2]) == 8 and all(is_blank(c) for c in grid.rows[2])
    assert grid.rows[3][0] == "+919812345670"


def test_date_cells_come_back_as_datetimes(tmp_path: Path) -> None:
    path = write_workbook(tmp_path / "t.xlsx", ["Timestamp"], [[datetime(2024, 3, 5, 14, 5)]])
    assert Workbook(path, "Tracker").read().rows[1][0] == datetime(2024, 3, 5, 14, 5)


def test_a_formula_reads_as_its_last_computed_value_not_its_text(tmp_path: Path) -> None:
    path = write_workbook(tmp_path / "t.xlsx", ["Seller Name"], [["=UPPER(\"x\")"]])
    # openpyxl stores no computed value, so a formula it wrote reads as empty, never as text
    rows = Workbook(path, "Tracker").read().rows
    assert rows[0] == ("Seller Name",)
    assert all(is_blank(cell) for row in rows[1:] for cell in row)


def test_a_missing_workbook_names_the_path_and_the_demo(tmp_path: Path) -> None:
    with pytest.raises(TrackerError) as error:
        Workbook(tmp_path / "tracker.xlsx", "Tracker").read()
    assert str(tmp_path / "tracker.xlsx") in str(error.value)
    assert "sheetsync demo" in str(error.value)


def test_a_missing_tab_lists_the_tabs_there_are(tmp_path: Path) -> None:
    path = write_workbook(tmp_path / "t.xlsx", ["a"], [], tab="Sheet1", extra_tabs=["Archive"])
    with pytest.raises(TrackerError, match=r'no tab named "Tracker" \(tabs: Sheet1, Archive\)'):
        Workbook(path, "Tracker").read()


def test_a_file_that_is_not_a_workbook_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "t.xlsx"
    path.write_text("WhatsApp Number,Seller Name\n")
    with pytest.raises(TrackerError, match="not a readable .xlsx workbook"):
        Workbook(path, "Tracker").read()


def test_a_csv_is_refused_with_what_to_do(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("WhatsApp Number,Seller Name\n")
    with pytest.raises(TrackerError, match="reads .xlsx workbooks; save the tracker as .xlsx"):
        Workbook(path, "Tracker").read()


def test_a_plain_tracker_may_be_saved(tmp_path: Path) -> None:
    path = write_workbook(tmp_path / "t.xlsx", list(GUIDE_EXAMPLE), [])
    assert Workbook(path, "Tracker").save_blockers() == []


def test_only_an_encrypted_legacy_or_strict_workbook_is_read_only(tmp_path: Path) -> None:
    plain = write_workbook(tmp_path / "plain.xlsx", list(GUIDE_EXAMPLE), [])
    encrypted = tmp_path / "encrypted.xlsx"
    encrypted.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504)
    [reason] = Workbook(encrypted, "Tracker").save_blockers()
    assert "encrypted" in reason and "Protect Workbook" in reason
    strict = tmp_path / "strict.xlsx"
    with zipfile.ZipFile(plain) as source, zipfile.ZipFile(strict, "w") as out:
        for name in source.namelist():
            data = source.read(name)
            out.writestr(name, data.replace(
                b"http://schemas.openxmlformats.org/spreadsheetml/2006/main",
                b"http://purl.oclc.org/ooxml/spreadsheetml/main"))
    [reason] = Workbook(strict, "Tracker").save_blockers()
    assert "Strict Open XML" in reason
    assert Workbook(strict, "Tracker").write(1, [CellWrite(2, "Ticket ID", "X")]) == \
        f"sheetsync can only read it: {reason}"


def test_a_workbook_with_macros_and_images_is_written_with_them_byte_for_byte(
        tmp_path: Path) -> None:
    path = tmp_path / "rich.xlsm"
    shutil.copy(write_workbook(tmp_path / "plain.xlsx", list(GUIDE_EXAMPLE),
                               [list(GUIDE_EXAMPLE.values())]), path)
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("xl/vbaProject.bin", b"\0macro" * 100)
        archive.writestr("xl/media/image1.png", b"\x89PNG" + bytes(range(256)))
    assert Workbook(path, "Tracker").save_blockers() == []
    before = stored_entries(path)
    workbook = Workbook(path, "Tracker")
    workbook.read()
    assert workbook.write(1, [CellWrite(2, "Ticket ID", "INT-000001")]) is None
    after = stored_entries(path)
    assert after["xl/vbaProject.bin"] == before["xl/vbaProject.bin"]
    assert after["xl/media/image1.png"] == before["xl/media/image1.png"]
    assert Workbook(path, "Tracker").read().rows[1][-1] == "INT-000001"


def test_a_new_workbook_is_written_whole_or_not_at_all(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "t.xlsx"
    write_new_workbook(path, "Tracker", ["A", "B"], [["1", "2"]])
    assert Workbook(path, "Tracker").read().rows == (("A", "B"), ("1", "2"))
    assert [p.name for p in path.parent.iterdir()] == ["t.xlsx"]


def test_a_date_time_cell_at_midnight_is_a_timestamp_and_a_date_cell_is_not(
        tmp_path: Path) -> None:
    """python-calamine reads both as a date; sheetsync asks the cell's number format."""
    import datetime as dt

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Tracker"
    sheet.append(["Timestamp", "Logged"])
    sheet.append([dt.datetime(2026, 11, 21, 0, 0), dt.date(2026, 11, 21)])
    path = tmp_path / "tracker.xlsx"
    book.save(path)
    rows = Workbook(path, "Tracker").read().rows
    assert rows[1] == (dt.datetime(2026, 11, 21, 0, 0), dt.date(2026, 11, 21))


def test_setup_on_a_new_workbook_creates_it_from_a_csv_and_runs_twice_quietly(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from sheetsync.app.cli import main

    (tmp_path / "tickets.csv").write_text(
        "Seller Name,WhatsApp Number,Status,Issue Type,Description,Timestamp,Channel\n"
        "Sharma General Store,+919876543210,Pending,Bug,Stock will not update.,"
        "2026-11-20 10:25,WhatsApp\n", encoding="utf-8")
    config = tmp_path / "sheetsync.toml"
    config.write_text('[tracker]\npath = "tracker.xlsx"\n', encoding="utf-8")
    assert main(["setup", "--config", str(config), "--import",
                 str(tmp_path / "tickets.csv")]) == 0
    out = capsys.readouterr().out
    assert "created" in out and "1 imported rows" in out
    book = openpyxl.load_workbook(tmp_path / "tracker.xlsx")
    sheet = book["Tracker"]
    header = [c.value for c in sheet[1]]
    assert header[-1] == "Channel" and "Resolution Summary" in header  # preset + its own
    row = dict(zip(header, (c.value for c in sheet[2])))
    assert row["Seller Name"] == "Sharma General Store" and row["Channel"] == "WhatsApp"
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref
    rules = {r.promptTitle: r for r in sheet.data_validations.dataValidation}
    status = rules["Status"]
    assert status.type == "list" and status.errorStyle == "information"
    assert not status.showDropDown  # openpyxl's showDropDown=True would hide the arrow
    assert main(["setup", "--config", str(config)]) == 0
    assert capsys.readouterr().out.strip().endswith("nothing to change.")
    assert main(["setup", "--config", str(config), "--remove"]) == 0
    sheet = openpyxl.load_workbook(tmp_path / "tracker.xlsx")["Tracker"]
    assert sheet.data_validations.dataValidation == []
    assert sheet.cell(row=2, column=header.index("Seller Name") + 1).value == \
        "Sharma General Store"  # people's data stays


def test_setup_remove_takes_sheetsyncs_notes_and_highlights_off_the_workbook(
        tmp_path: Path) -> None:
    from sheetsync.config import load_config
    from sheetsync.app.demo import make_demo
    from sheetsync.integrations.dispatch import open_sinks
    from sheetsync.core.setup import plan_setup
    from sheetsync.jobs.sync import run_sync

    made = make_demo(tmp_path / "demo", "seller-support", "Asia/Kolkata", "IN",
                     datetime(2026, 11, 23, 12, 0))
    config = load_config(made.config_path, environ={})
    run_sync(config, datetime(2026, 11, 23, 12, 0).astimezone(), sinks=open_sinks(config, {}))
    marked = [c for row in openpyxl.load_workbook(made.workbook_path)["Tracker"].iter_rows()
              for c in row if c.comment is not None]
    assert marked
    removed = Workbook(made.workbook_path, "Tracker").remove_setup(plan_setup(config.schema))
    assert removed.done == [f"removed sheetsync's notes and highlights from {len(marked)} cells"]
    sheet = openpyxl.load_workbook(made.workbook_path)["Tracker"]
    assert all(c.comment is None and c.fill.fill_type is None
               for row in sheet.iter_rows(min_row=2) for c in row)
