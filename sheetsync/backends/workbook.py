"""The local tracker: an .xlsx workbook read with openpyxl, every cell left as a person typed it."""

from __future__ import annotations

import html
import os
import re
from datetime import date, datetime, time
from xml.etree import ElementTree
import tempfile
import warnings
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.comments import Comment
from python_calamine import CalamineWorkbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from sheetsync.core.cells import (
    NOTE_AUTHOR,
    NOTE_SECTION,
    CellMark,
    CellWrite,
    merged_note,
    persons_note,
)
from sheetsync.core.report_layout import is_report_tab
from sheetsync.backends.report_tabs import prune, render, set_value
from sheetsync.faults import HALF_WRITTEN
from sheetsync.errors import TrackerError
from sheetsync.core.reporting import Report
from sheetsync.core.setup import MARK, Changes, TrackerSetup, validation_message
from sheetsync.schema import find_header, normalize
from sheetsync.core.table import Grid, is_blank

#: Parts of an .xlsx that openpyxl drops or damages when it saves a workbook it loaded.
_UNSAVEABLE_PARTS = (
    ("xl/vbaProject.bin", "macros"),
    ("xl/charts/", "charts"),
    ("xl/media/", "images"),
    ("xl/drawings/drawing", "drawings"),  # shapes; xl/drawings/vmlDrawing holds cell notes
    ("xl/pivotTables/", "pivot tables"),
    ("xl/slicers/", "slicers"),
    ("xl/timelines/", "timelines"),
    ("xl/activeX/", "form controls"),
    ("xl/ctrlProps/", "form controls"),
)


HIGHLIGHT = "FFFCE4E4"  # sheetsync's fill; a cell with a fill of its own is never repainted


class Workbook:
    """One tab of a local .xlsx workbook."""

    def __init__(self, path: Path, tab: str) -> None:
        self.path = path
        self.tab = tab
        self._stamp: tuple[int, int] | None = None  # the file as it was read: (mtime, size)

    def read(self) -> Grid:
        """Every row of the tab as values (formulas read as their last computed value)."""
        self._check_file()
        self._stamp = self._file_stamp()
        return self.read_tab(self.tab)

    def read_tab(self, tab: str, missing_ok: bool = False) -> Grid:
        """Every row of another tab (the archive); an empty grid if it is missing and may be.

        Read with calamine, about ten times faster than openpyxl: formulas read as their last
        computed value, empty cells as "" (blank, as in the Sheets API), numbers as floats.
        """
        self._check_file()
        try:
            book = CalamineWorkbook.from_path(str(self.path))
        except Exception as exc:  # calamine's errors share no base class but Exception
            raise TrackerError(f"{self.path}: not a readable .xlsx workbook ({exc})") from None
        if tab not in book.sheet_names:
            if missing_ok:
                return Grid(tab=tab, rows=())
            raise TrackerError(
                f'{self.path}: no tab named "{tab}" (tabs: {", ".join(book.sheet_names)}); '
                "set tracker.tab in sheetsync.toml")
        try:
            rows = book.get_sheet_by_name(tab).to_python(skip_empty_area=False)
        except Exception as exc:
            raise TrackerError(f'{self.path}: tab "{tab}" cannot be read ({exc})') from None
        grid: list[list[Any]] = [list(row) for row in rows]
        dated = [(r, c) for r, row in enumerate(grid) for c, value in enumerate(row)
                 if type(value) is date]
        if dated:  # calamine reads a date-time at exactly 00:00 as a date: ask its format
            for r, c in _timed_cells(self.path, book.sheet_names.index(tab), set(dated)):
                grid[r][c] = datetime.combine(grid[r][c], time(0))
        return Grid(tab=tab, rows=tuple(map(tuple, grid)))

    def reads(self) -> None:
        return None  # a local file costs no quota to read

    def save_blockers(self) -> list[str]:
        """What this workbook holds that a save through openpyxl would lose."""
        self._check_file()
        try:
            return self._save_blockers()
        except HALF_WRITTEN:
            return []  # being saved this moment: the load for the write finds out

    def _save_blockers(self) -> list[str]:
        try:
            archive = zipfile.ZipFile(self.path)
        except zipfile.BadZipFile:
            return []
        with archive:
            names = archive.namelist()
            found: list[str] = []
            ours = _only_report_charts(archive, names)
            for part, label in _UNSAVEABLE_PARTS:
                if label in ("charts", "drawings") and ours:
                    continue  # sheetsync's own report charts, which openpyxl reads back whole
                if label not in found and any(n.startswith(part) for n in names):
                    found.append(label)
            if self.path.suffix.lower() == ".xlsm" and "macros" not in found:
                found.append("macros")
            # openpyxl saves formulas without their computed values, so every later read
            # (sheetsync's own included) would see those cells empty until Excel recomputes.
            if any(_has_formula(archive, n) for n in names
                   if n.startswith("xl/worksheets/") and n.endswith(".xml")):
                found.append("formulas")
        return found

    def write(self, header_row: int, cells: Sequence[CellWrite],
              marks: Sequence[CellMark] = ()) -> str | None:
        """Write cells sheetsync owns and its marks, atomically; None when written, else why not.

        It skips the write, to try again next cycle, when the file changed since it was read
        or is open for editing in another program (its lock file is there), and never saves a
        workbook holding what openpyxl would lose. A missing column is added after the last
        header. Text is written as text: a value starting with `=` never becomes a formula.
        """
        if not cells and not marks:
            return None
        book = self._open_for_write()
        if isinstance(book, str):
            return book
        sheet = book[self.tab]
        header = {normalize(str(c.value)): c.column for c in sheet[header_row]
                  if not is_blank(c.value)}
        next_column = max(header.values(), default=0) + 1
        for write in cells:
            column = header.get(normalize(write.column))
            if column is None:
                column = header[normalize(write.column)] = next_column
                next_column += 1
                sheet.cell(row=header_row, column=column, value=write.column).font = Font(bold=True)
            set_value(sheet.cell(row=write.row, column=column), write.value)
        for mark in marks:
            column = header.get(normalize(mark.column))
            if column is not None:
                _mark(sheet.cell(row=mark.row, column=column), mark.note)
        return self._save(book)

    def write_report(self, report: Report, tab: str, keep: int | None) -> str | None:
        """Write a report into its own tab (replacing what that tab held) and remove the job's
        oldest period tabs beyond `keep`; None when written, else why not (as `write`)."""
        book = self._open_for_write()
        if isinstance(book, str):
            return book
        render(book, report, tab)
        if keep is not None:
            prune(book, report.period.job, keep)
        return self._save(book)

    def setup(self, plan: TrackerSetup, progress: Callable[[int, int], None]) -> Changes:
        """Prepare the tab (create the workbook or the tab when missing): header, frozen
        header row, filter, dropdowns. Excel has no warning-only protection, so the columns
        sheetsync writes are not protected here; its notes say so instead."""
        changes = Changes()
        if not self.path.exists():
            write_new_workbook(self.path, self.tab, plan.header, plan.rows)
            progress(len(plan.rows), len(plan.rows))
            changes.done.append(f"created {self.path} with tab {self.tab!r}"
                                + (f" and {len(plan.rows)} imported rows" if plan.rows else ""))
            self._stamp = self._file_stamp()
        book = self._open_for_write(check_stamp=False)
        if isinstance(book, str):
            raise TrackerError(f"{self.path}: not prepared: {book}")
        if self.tab not in book.sheetnames:
            sheet = book.create_sheet(self.tab)
            for row in [list(plan.header), *map(list, plan.rows)]:
                sheet.append(row)
            for cell in sheet[1]:
                cell.font = Font(bold=True)
            progress(len(plan.rows), len(plan.rows))
            changes.done.append(f"added tab {self.tab!r}"
                                + (f" with {len(plan.rows)} imported rows" if plan.rows else ""))
        elif plan.rows:
            changes.skipped.append(f"tab {self.tab!r} exists: nothing imported (import into "
                                   "a new tab, or a new workbook)")
        sheet = book[self.tab]
        header_row = self._header_row(sheet, plan)
        if sheet.freeze_panes != f"A{header_row + 1}":
            sheet.freeze_panes = f"A{header_row + 1}"
            changes.done.append(f"froze the header (row {header_row})")
        if not sheet.auto_filter.ref:
            sheet.auto_filter.ref = f"A{header_row}:{get_column_letter(sheet.max_column)}" \
                                    f"{max(sheet.max_row, header_row + 1)}"
            changes.done.append("turned on the filter")
        ours = {v.prompt: v for v in sheet.data_validations.dataValidation
                if (v.prompt or "").startswith(MARK)}
        for header, column in self._columns(sheet, header_row, plan.choices).items():
            values = plan.choices[header]
            listed = '"' + ",".join(values) + '"'
            if len(listed) > 257 or any("," in v or '"' in v for v in values):
                changes.skipped.append(f"no dropdown for {header}: Excel lists hold 255 "
                                       "characters and no commas")
                continue
            message = validation_message(values)
            letter = get_column_letter(column)
            if message in ours and str(ours[message].sqref) == f"{letter}{header_row + 1}:" \
                    f"{letter}1048576":
                continue
            if message in ours:
                sheet.data_validations.dataValidation.remove(ours[message])
            # openpyxl's showDropDown=True *hides* the arrow; errorStyle "information"
            # lets a person keep an odd value, for sheetsync to flag.
            rule = DataValidation(type="list", formula1=listed, allow_blank=True,
                                  showDropDown=False, showErrorMessage=True,
                                  errorStyle="information", showInputMessage=True,
                                  promptTitle=header, prompt=message)
            rule.add(f"{letter}{header_row + 1}:{letter}1048576")
            sheet.add_data_validation(rule)
            changes.done.append(f"dropdown on {header}")
        if changes.done:
            _save_atomically(book, self.path)
            self._stamp = self._file_stamp()
        return changes

    def remove_setup(self, plan: TrackerSetup) -> Changes:
        """Take back what setup and the daemon added: dropdowns, notes, highlights."""
        changes = Changes()
        book = self._open_for_write(check_stamp=False)
        if isinstance(book, str):
            raise TrackerError(f"{self.path}: not changed: {book}")
        sheet = book[self.tab]
        ours = [v for v in sheet.data_validations.dataValidation
                if (v.prompt or "").startswith(MARK)]
        for rule in ours:
            sheet.data_validations.dataValidation.remove(rule)
        if ours:
            changes.done.append(f"removed {len(ours)} dropdowns")
        marked = 0
        for row in sheet.iter_rows():
            for cell in row:
                if cell.comment is not None and NOTE_SECTION in cell.comment.text or \
                        _has_our_fill(cell):
                    _mark(cell, None)
                    marked += 1
        if marked:
            changes.done.append(f"removed sheetsync's notes and highlights from {marked} cells")
        if changes.done:
            _save_atomically(book, self.path)
        return changes

    def _header_row(self, sheet: Any, plan: TrackerSetup) -> int:
        rows = [tuple(c.value for c in row) for row in sheet.iter_rows(max_row=20)]
        return find_header(Grid(tab=self.tab, rows=rows), plan.schema)[0]

    @staticmethod
    def _columns(sheet: Any, header_row: int, wanted: Mapping[str, Any]) -> dict[str, int]:
        names = {normalize(h): h for h in wanted}
        return {names[normalize(str(c.value))]: c.column for c in sheet[header_row]
                if not is_blank(c.value) and normalize(str(c.value)) in names}

    def _open_for_write(self, check_stamp: bool = True) -> Any:
        """The workbook loaded for a write, or why it must not be written now (`check_stamp`:
        that it changed since sheetsync read it)."""
        blockers = self.save_blockers()
        if blockers:
            return f"it holds {', '.join(blockers)}, which a save would lose"
        for lock in (f"~${self.path.name}", f".~lock.{self.path.name}#"):
            if (self.path.parent / lock).exists():
                return f"it is open in another program ({lock} is there)"
        if check_stamp and self._file_stamp() != self._stamp:
            return "it changed since it was read"
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                book = openpyxl.load_workbook(self.path)
            except HALF_WRITTEN:  # a person's program is saving it this very moment
                return "it was being saved by another program; trying again next cycle"
        lost = [str(w.message) for w in caught if "will be removed" in str(w.message)]
        if lost:
            return f"a save would lose: {'; '.join(lost)}"
        return book

    def _save(self, book: Any) -> str | None:
        if self._file_stamp() != self._stamp:
            return "it changed while sheetsync was writing"
        for leftover in self.path.parent.glob(f".{self.path.name}.*.tmp"):
            leftover.unlink(missing_ok=True)  # a save a crash cut short
        _save_atomically(book, self.path)
        self._stamp = self._file_stamp()
        return None

    def probe(self) -> tuple[int, int] | None:
        """A cheap token that changes when the file does (no read): its mtime and size."""
        try:
            return self._file_stamp()
        except OSError:
            return None

    def row_link(self, row: int) -> str | None:
        return None  # a local file has no address a message could link to

    def tab_link(self, tab: str) -> str | None:
        return None

    def settled(self, before: object | None) -> object | None:
        """The stamp a completed cycle leaves as "seen": the file as sheetsync's own save
        left it (a save compares stamps first, so no person's edit hides in it)."""
        return self.probe()

    def _file_stamp(self) -> tuple[int, int]:
        stat = self.path.stat()
        return stat.st_mtime_ns, stat.st_size

    def _check_file(self) -> None:
        if not self.path.exists():
            raise TrackerError(
                f"{self.path}: no such workbook; run `sheetsync demo` to create a demo tracker, "
                "or set tracker.path in sheetsync.toml")
        if self.path.suffix.lower() not in (".xlsx", ".xlsm"):
            raise TrackerError(f"{self.path}: sheetsync reads .xlsx workbooks; "
                               "save the tracker as .xlsx")


def _mark(cell: Any, note: str | None) -> None:
    """Put sheetsync's note and highlight on a cell, or take them away, leaving a person's own.

    A person's note keeps its text and author, with sheetsync's part after it; a cell with a
    fill of its own keeps it (the note alone marks it), and only sheetsync's own fill is ever
    taken away.
    """
    own = cell.comment.text if cell.comment is not None else ""
    author = cell.comment.author if cell.comment is not None else NOTE_AUTHOR
    persons = persons_note(own)
    text = merged_note(own, note)
    cell.comment = Comment(text, author if persons else NOTE_AUTHOR, height=120, width=320) \
        if text else None
    fill = cell.fill
    ours = _has_our_fill(cell)
    if note and (fill is None or fill.fill_type is None):
        cell.fill = PatternFill("solid", start_color=HIGHLIGHT, end_color=HIGHLIGHT)
    elif not note and ours:
        cell.fill = PatternFill(fill_type=None)


def _has_our_fill(cell: Any) -> bool:
    fill = cell.fill
    return fill is not None and fill.fill_type == "solid" and fill.fgColor.rgb == HIGHLIGHT


def _only_report_charts(archive: zipfile.ZipFile, names: Sequence[str]) -> bool:
    """Whether every drawing in the workbook is charts only, on sheetsync's report tabs."""
    drawings = [n for n in names if n.startswith("xl/drawings/drawing") and n.endswith(".xml")]
    if not drawings:
        return True
    workbook = archive.read("xl/workbook.xml").decode()
    rels = archive.read("xl/_rels/workbook.xml.rels").decode()
    targets = dict(re.findall(r'Id="(rId\d+)"[^>]*Target="/?(?:xl/)?([^"]+)"', rels) +
                   [(i, t) for t, i in re.findall(r'Target="/?(?:xl/)?([^"]+)"[^>]*Id="(rId\d+)"',
                                                  rels)])
    owners: dict[str, str] = {}
    for name, rid in re.findall(r'<sheet [^>]*name="([^"]+)"[^>]*r:id="(rId\d+)"', workbook):
        sheet = targets.get(rid, "")
        sheet_rels = f"xl/worksheets/_rels/{sheet.rsplit('/', 1)[-1]}.rels"
        if sheet_rels in names:
            for drawing in re.findall(r'drawings/(drawing\d+\.xml)', archive.read(
                    sheet_rels).decode()):
                owners[f"xl/drawings/{drawing}"] = html.unescape(name)
    for drawing in drawings:
        owner = owners.get(drawing)
        content = archive.read(drawing)
        if owner is None or not is_report_tab(owner) or any(
                shape in content for shape in (b"<xdr:sp>", b"<xdr:sp ", b"<xdr:pic",
                                               b"<xdr:cxnSp")):
            return False
    return True


_TIME_CODE = re.compile(r"[hs]", re.IGNORECASE)
_BUILTIN_TIMED = {18, 19, 20, 21, 22, 45, 46, 47}  # Excel's built-in formats with a time


def _timed_cells(path: Path, index: int, cells: set[tuple[int, int]]
                 ) -> list[tuple[int, int]]:
    """Which of these (row, column) cells of the tab at `index` have a number format with a
    time in it: a date-time that happens to be at midnight, not a date alone."""
    ns = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    with zipfile.ZipFile(path) as archive:
        styles = ElementTree.fromstring(archive.read("xl/styles.xml"))
        codes = {int(f.get("numFmtId", "0")): f.get("formatCode", "")
                 for f in styles.iter(f"{ns}numFmt")}
        xfs = styles.find(f"{ns}cellXfs")
        timed_styles = set()
        for position, xf in enumerate(xfs if xfs is not None else []):
            number = int(xf.get("numFmtId", "0"))
            code = re.sub(r'"[^"]*"|\\.|\[[^]]*\]', "", codes.get(number, ""))
            if number in _BUILTIN_TIMED or _TIME_CODE.search(code):
                timed_styles.add(str(position))
        rels = archive.read("xl/_rels/workbook.xml.rels").decode()
        sheets = re.findall(r'<sheet [^>]*r:id="(rId\d+)"', archive.read("xl/workbook.xml")
                            .decode())
        target = re.search(rf'Id="{sheets[index]}"[^>]*Target="/?(?:xl/)?([^"]+)"', rels) or \
            re.search(rf'Target="/?(?:xl/)?([^"]+)"[^>]*Id="{sheets[index]}"', rels)
        if target is None or not timed_styles:
            return []
        found = []
        with archive.open(f"xl/{target.group(1)}") as sheet:
            for _, element in ElementTree.iterparse(sheet):
                if element.tag == f"{ns}c":
                    if element.get("s") in timed_styles:
                        row, column = _cell_position(element.get("r", ""))
                        if (row, column) in cells:
                            found.append((row, column))
                    element.clear()
        return found


def _cell_position(reference: str) -> tuple[int, int]:
    """"B12" -> (11, 1): zero-based row and column."""
    letters = re.match(r"[A-Z]+", reference)
    column = 0
    for letter in letters.group(0) if letters else "":
        column = column * 26 + ord(letter) - 64
    return int(reference[len(letters.group(0)) if letters else 0:] or 0) - 1, column - 1


def _has_formula(archive: zipfile.ZipFile, name: str) -> bool:
    with archive.open(name) as part:
        tail = b""
        while chunk := part.read(1 << 20):
            if b"<f>" in tail + chunk or b"<f " in tail + chunk:
                return True
            tail = chunk[-3:]
    return False


def write_new_workbook(
    path: Path, tab: str, header: Sequence[str], rows: Iterable[Sequence[Any]]
) -> None:
    """Create a tracker workbook (the demo's), atomically: a temporary file, then a rename."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = tab
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    for position, title in enumerate(header, start=1):
        cell = sheet.cell(row=1, column=position)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", start_color="DDEBF7")
        width = max([len(title)] + [len(str(c.value or "")) for c in sheet[get_column_letter(position)]])
        sheet.column_dimensions[get_column_letter(position)].width = min(max(width, 10), 60) + 2
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions
    path.parent.mkdir(parents=True, exist_ok=True)
    _save_atomically(book, path)


def _save_atomically(book: Any, path: Path) -> None:
    """Save to a temporary file beside the workbook, then rename it over: all or nothing."""
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        book.save(temporary)
        if path.exists():
            os.chmod(temporary, path.stat().st_mode & 0o777)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
