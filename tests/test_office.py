"""Trackers made by office software go through setup, a sync with an escalation and a report
with everything of the team's intact and every write of sheetsync's done; LibreOffice itself
reads the results (one headless call for all), and openpyxl and calamine load them.

The fixtures (tests/fixtures/README.md): one made and re-saved by LibreOffice Calc, through
UNO; one built with the parts Excel writes (calcChain, x14 extLst, threaded comments, VML).
"""

from __future__ import annotations

import io
import json
import shutil
import warnings
import zipfile
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.utils import range_boundaries
import pytest
from python_calamine import CalamineWorkbook

import sheetsync.app.cli as cli
from sheetsync.app.cli import main
from tests.office import sheets_as_csv

FIXTURES = Path(__file__).parent / "fixtures"
KINDS = ("libreoffice", "excel-style")
TEAM_COLUMNS = 12  # A..L: the preset's columns the team had, and their formula column
COMMENT = "Called the seller twice, no answer."
CONFIG = """\
preset = "seller-support"
timezone = "Asia/Kolkata"
phone_region = "IN"

[tracker]
backend = "local"
path = "{name}.xlsx"
tab = "Tracker"

[state]
path = "sheetsync.db"

[outbox]
path = "outbox.jsonl"

[adoption]
escalations = true
"""


#: The fixtures' tickets are of 1-24 November 2026; sheetsync adopts them on the 22nd, and
#: reports on that week (a week wholly before the adoption gets no tab).
ADOPTED = datetime(2026, 11, 22, 12, 0, tzinfo=timezone.utc)
WEEK = "2026-W47"


@dataclass
class Run:
    """One fixture through setup, sync and a report: what each command said, and the file."""

    before: Path  # the fixture as it came
    after: Path  # the tracker after the three commands
    said: dict[str, tuple[int, str, str]]  # command -> (exit code, stdout, stderr)
    outbox: list[dict[str, Any]]

    def json(self, command: str) -> dict[str, Any]:
        return json.loads(self.said[command][1])  # type: ignore[no-any-return]


def command(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Run]:
    made = {}
    for kind in KINDS:
        folder = tmp_path_factory.mktemp(kind)
        tracker = folder / f"{kind}.xlsx"
        shutil.copy(FIXTURES / f"{kind}-tracker.xlsx", tracker)
        config = folder / "sheetsync.toml"
        config.write_text(CONFIG.format(name=kind), encoding="utf-8")
        with pytest.MonkeyPatch.context() as patch:  # adopted in the tickets' last week
            patch.setattr(cli, "_now", lambda: ADOPTED)
            said = {"setup": command("setup", "--config", str(config)),
                    "sync": command("sync", "--config", str(config), "--format", "json"),
                    "report": command("report", "weekly", "--for", WEEK, "--config",
                                      str(config), "--format", "json")}
        outbox = folder / "outbox.jsonl"
        made[kind] = Run(FIXTURES / f"{kind}-tracker.xlsx", tracker, said,
                         [json.loads(line) for line in outbox.read_text().splitlines()]
                         if outbox.exists() else [])
    return made


@pytest.fixture(scope="module")
def read_by_libreoffice(runs: dict[str, Run]) -> dict[Path, dict[str, list[list[str]]]]:
    """The fixtures and sheetsync's outputs, as LibreOffice reads them: one soffice call."""
    return sheets_as_csv([p for run in runs.values() for p in (run.before, run.after)])


def load(path: Path) -> Any:
    """The workbook in openpyxl, its warnings put aside (the warning test compares them)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return openpyxl.load_workbook(path)


def escalated_rows(path: Path) -> list[int]:
    sheet = load(path)["Tracker"]
    header = [c.value for c in sheet[1]]
    return [row[0].row for row in sheet.iter_rows(min_row=2)
            if row[header.index("Status")].value == "Escalated"]


@pytest.mark.parametrize("kind", KINDS)
def test_setup_sync_and_report_each_write_the_tracker(runs: dict[str, Run], kind: str) -> None:
    run = runs[kind]
    assert run.said["setup"][0] == 0, run.said["setup"][2]
    assert run.json("sync")["write_skipped"] is None
    report = run.json("report")
    assert (report["written"], report["skipped"], report["tab"]) == (
        True, None, f"Weekly {WEEK}")


@pytest.mark.parametrize("kind", KINDS)
def test_the_escalations_go_to_the_outbox_once_each(runs: dict[str, Run], kind: str) -> None:
    run = runs[kind]
    messages = [line for line in run.outbox if line["kind"] == "slack.message"]
    escalations = [m for m in messages if m["key"].startswith("slack.message:escalation:")]
    assert len(escalations) == len(escalated_rows(run.before)) >= 1
    assert len({m["key"] for m in escalations}) == len(escalations)


@pytest.mark.parametrize("kind", KINDS)
def test_libreoffice_reads_every_id_and_the_report_and_the_teams_values_unchanged(
    runs: dict[str, Run], read_by_libreoffice: dict[Path, dict[str, list[list[str]]]],
    kind: str,
) -> None:
    run = runs[kind]
    before, after = read_by_libreoffice[run.before], read_by_libreoffice[run.after]
    team = [row[:TEAM_COLUMNS] for row in before["Tracker"] if any(row)]
    tracker = [row for row in after["Tracker"] if any(row)]
    assert [row[:TEAM_COLUMNS] for row in tracker] == team  # formula values included
    header = tracker[0]
    assert {"Ticket ID", "Suggested Priority"} <= set(header), header
    ids = [row[header.index("Ticket ID")] for row in tracker[1:]]
    assert ids == [f"INT-{n:06d}" for n in range(1, len(team))]
    notes = [row[header.index("Suggested Priority")] for row in tracker[1:]]
    assert all(notes)
    figures = run.json("report")["figures"]  # what sheetsync says it wrote ...
    shown = {row[0]: row[1] for row in after[f"Weekly {WEEK}"] if len(row) > 1}
    assert figures["Total reported"] >= 1  # ... is what LibreOffice reads in the report tab
    read = {k: shown.get(k) for k in figures}
    assert {k: v for k, v in read.items() if v is None or v == "n/a"} == {
        k: "n/a" for k, v in figures.items() if v is None}  # one marker for an unknown
    for name, value in figures.items():  # a share shown as 25%, with no decimals
        if value is not None:
            text = str(read[name])
            number = float(text[:-1]) / 100 if text.endswith("%") else float(text)
            assert number == pytest.approx(value, abs=0.005 if text.endswith("%") else 0), name


@pytest.mark.parametrize("kind", KINDS)
def test_the_teams_comment_colours_dropdown_frozen_row_and_formulas_are_intact(
    runs: dict[str, Run], kind: str
) -> None:
    run = runs[kind]
    before, after = load(run.before)["Tracker"], load(run.after)["Tracker"]
    assert after.freeze_panes == before.freeze_panes == "A2"
    comment = after["G3"].comment
    assert comment is not None and COMMENT in comment.text
    for row in escalated_rows(run.before):
        assert after.cell(row=row, column=5).fill.fgColor.rgb == \
            before.cell(row=row, column=5).fill.fgColor.rgb == "FFFFF2CC"
    teams = [(str(v.sqref), v.formula1) for v in before.data_validations.dataValidation]
    assert teams and set(teams) <= {(str(v.sqref), v.formula1)
                                    for v in after.data_validations.dataValidation}
    header = [c.value for c in after[1] if c.value is not None]
    filtered = range_boundaries(str(after.auto_filter.ref))  # the filter covers every column
    assert filtered[:2] == (1, 1) and filtered[2] >= len(header)
    formulas = [after.cell(row=r, column=TEAM_COLUMNS).value for r in range(2, 6)]
    assert formulas == [f"=LEN(D{r})" for r in range(2, 6)]
    cached = CalamineWorkbook.from_path(str(run.after)).get_sheet_by_name("Tracker").to_python()
    assert [row[TEAM_COLUMNS - 1] for row in cached[1:5]] == [
        float(len(str(row[3]))) for row in cached[1:5]]


@pytest.mark.parametrize(("kind", "parts"), [
    ("libreoffice", ("xl/charts/", "xl/drawings/drawing")),
    ("excel-style", ("xl/threadedComments/", "xl/persons/person.xml")),
])
def test_charts_and_the_parts_excel_writes_are_carried_byte_for_byte(
    runs: dict[str, Run], kind: str, parts: tuple[str, ...]
) -> None:
    run = runs[kind]
    with zipfile.ZipFile(run.before) as before, zipfile.ZipFile(run.after) as after:
        kept = [n for n in before.namelist() if n.startswith(parts)]
        assert kept
        for name in kept:
            assert after.read(name) == before.read(name), name
        if kind == "excel-style":
            sheet = after.read("xl/worksheets/sheet1.xml")
            assert b"<x14:conditionalFormattings>" in sheet  # the x14 extLst of the sheet
            assert b"x14:slicerStyles" in after.read("xl/styles.xml")
            assert "xl/calcChain.xml" in after.namelist() or b"fullCalcOnLoad" in after.read(
                "xl/workbook.xml")


def openpyxl_warnings(path: Path) -> list[str]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        openpyxl.load_workbook(path)
    return sorted(str(w.message) for w in caught)


@pytest.mark.parametrize("kind", KINDS)
def test_openpyxl_and_calamine_load_every_output_without_a_new_warning(
    runs: dict[str, Run], kind: str
) -> None:
    run = runs[kind]
    assert openpyxl_warnings(run.after) == openpyxl_warnings(run.before)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        book = CalamineWorkbook.from_path(str(run.after))
        for name in book.sheet_names:
            book.get_sheet_by_name(name).to_python()
