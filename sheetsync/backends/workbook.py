"""The local tracker: an .xlsx workbook read with calamine, every cell left as a person typed
it, and edited in place (xlsx_package): only sheetsync's cells, notes, highlights, setup and
report tabs change; everything else in the file is carried through byte for byte."""

from __future__ import annotations

import re
from datetime import date, datetime, time
from xml.etree import ElementTree
import os
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from python_calamine import CalamineWorkbook

from sheetsync.backends import report_tabs
from sheetsync.backends.file_locks import find_lock
from sheetsync.backends.file_swap import FileStamp, restore_late_save
from sheetsync.backends.xlsx_package import (
    CHUNK,
    NotReady,
    Package,
    SheetEdit,
    Timings,
    opened,
    read_only_reason,
    rows_of,
    save,
    stamp,
)
from sheetsync.core import xlsx_parts as parts
from sheetsync.core import xlsx_sheet as sheet
from sheetsync.core import xlsx_xml as x
from sheetsync.core.cells import NOTE_SECTION, CellMark, CellWrite
from sheetsync.core.reporting import Report
from sheetsync.core.setup import MARK, Changes, TrackerSetup, validation_message
from sheetsync.core.table import Grid, is_blank, shared_row
from sheetsync.core.xlsx_sheet import CellEdit
from sheetsync.errors import TrackerError
from sheetsync.faults import HALF_WRITTEN
from sheetsync.schema import find_header, normalize

HIGHLIGHT = parts.HIGHLIGHT
#: A read that fails may have met a person's program saving the file in place.
_NOT_READY = "; if a program is saving it this moment, sheetsync reads it again next cycle"
_CHANGED_WHILE_READ: tuple[type[Exception], ...] = (*HALF_WRITTEN, KeyError,
                                                     ElementTree.ParseError)


class Workbook:
    """One tab of a local .xlsx workbook, read with calamine and edited in place
    (xlsx_package): only the rows, notes and styles sheetsync writes change."""

    def __init__(self, path: Path, tab: str) -> None:
        self.path = path
        self.tab = tab
        self._stamp: FileStamp | None = None  # the file as it was read
        self.timings = Timings()  # the last write's, for bench/cycle.py

    def read(self) -> Grid:
        """Every row of the tab as values (formulas read as their last computed value)."""
        self._check_file()
        restore_late_save(self.path)  # a person's save that went into the file last replaced
        self._stamp = stamp(self.path)
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
            raise TrackerError(f"{self.path}: not a readable .xlsx workbook ({exc}){_NOT_READY}"
                               ) from None
        if tab not in book.sheet_names:
            if missing_ok:
                return Grid(tab=tab, rows=())
            raise TrackerError(
                f'{self.path}: no tab named "{tab}" (tabs: {", ".join(book.sheet_names)}); '
                "set tracker.tab in sheetsync.toml")
        try:
            found = book.get_sheet_by_name(tab)
            # Row by row, so only one row of calamine's own objects is alive at a time. Its
            # rows start at row 1 but at the first used column: the columns before it are
            # put back, blank, as `to_python(skip_empty_area=False)` has them.
            indent = [""] * (found.start[1] if found.start else 0)
            rows = [shared_row(indent + row) for row in found.iter_rows()]
        except Exception as exc:
            raise TrackerError(f'{self.path}: tab "{tab}" cannot be read ({exc}){_NOT_READY}'
                               ) from None
        dated = [(r, c) for r, row in enumerate(rows) if date in map(type, row)
                 for c, value in enumerate(row) if type(value) is date]
        if dated:  # calamine reads a date-time at exactly 00:00 as a date: ask its format
            try:
                timed = _timed_cells(self.path, book.sheet_names.index(tab), set(dated))
            except _CHANGED_WHILE_READ as exc:
                raise TrackerError(f"{self.path}: changed while read ({exc}){_NOT_READY}"
                                   ) from None
            for r, c in timed:
                rows[r] = (*rows[r][:c], datetime.combine(rows[r][c], time(0)), *rows[r][c + 1:])
        return Grid(tab=tab, rows=tuple(rows))

    def reads(self) -> None:
        return None  # a local file costs no quota to read

    def save_blockers(self) -> list[str]:
        """Why sheetsync can only read this workbook, with the fix (empty: it can edit it):
        an encrypted or legacy file, or Strict Open XML. Charts, images, macros, formulas
        and everything else a workbook holds are carried through its edits."""
        self._check_file()
        reason = read_only_reason(self.path)
        return [reason] if reason else []

    def write(self, header_row: int, cells: Sequence[CellWrite],
              marks: Sequence[CellMark] = ()) -> str | None:
        """Write cells sheetsync owns and its marks; None when written, else why not.

        It skips the write, to try again next cycle, when the file changed since it was read,
        is open for editing in another program (its lock file is there) or is being saved
        this moment. A missing column is added after the last header, in the header row's
        style (and inside the filter). Text is written as text: a value starting with `=`
        never becomes a formula.
        """
        if not cells and not marks:
            return None
        return self._edit(lambda package: _plan_write(package, self.tab, header_row, cells,
                                                      marks))

    def write_report(self, report: Report, tab: str, keep: int | None) -> str | None:
        """Write a report into its own tab (replacing what that tab held) and remove the job's
        oldest period tabs beyond `keep`; None when written, else why not (as `write`)."""
        def plan(package: Package) -> None:
            report_tabs.put(package, report, tab)
            if keep is not None:
                report_tabs.prune(package, report.period.job, keep)
        return self._edit(plan)

    def _edit(self, plan: Callable[[Package], object], check_stamp: bool = True
              ) -> str | None:
        """Edit the package as `plan` says and save it; None when saved, else why not."""
        self._check_file()
        blocked = self._blocked(check_stamp)
        if blocked:
            return blocked
        self.timings = Timings()
        try:
            with opened(self.path) as package:
                plan(package)
                skipped = save(package, self.path, self._stamp if check_stamp else None,
                               self.timings)
        except NotReady:
            return "it was being saved by another program; trying again next cycle"
        if skipped is None:
            self._stamp = stamp(self.path)
        return skipped

    def _blocked(self, check_stamp: bool) -> str | None:
        reason = read_only_reason(self.path)
        if reason:
            return f"sheetsync can only read it: {reason}"
        if (lock := find_lock(self.path)) is not None:
            return lock.skip_reason()
        if check_stamp and stamp(self.path) != self._stamp:
            return "it changed since it was read"
        return None

    def setup(self, plan: TrackerSetup, progress: Callable[[int, int], None]) -> Changes:
        """Prepare the tab (create the workbook or the tab when missing): header, frozen
        header row, filter, dropdowns. Excel has no warning-only protection, so the columns
        sheetsync writes are not protected here; its notes say so instead."""
        changes = Changes()
        created = not self.path.exists()
        if created:
            write_new_workbook(self.path, self.tab, plan.header, plan.rows, progress)
            changes.done.append(f"created {self.path} with tab {self.tab!r}"
                                + (f" and {len(plan.rows)} imported rows" if plan.rows else ""))
        self._check_file()
        grid = self.read_tab(self.tab, missing_ok=True)

        def edit(package: Package) -> None:
            if self.tab not in package.sheet_parts():
                report_tabs.put_sheet(package, self.tab, [list(plan.header),
                                                          *map(list, plan.rows)], progress)
                changes.done.append(f"added tab {self.tab!r}" + (
                    f" with {len(plan.rows)} imported rows" if plan.rows else ""))
                rows: Sequence[Sequence[Any]] = [plan.header, *plan.rows]
            else:
                rows = grid.rows
                if plan.rows and not created:
                    changes.skipped.append(f"tab {self.tab!r} exists: nothing imported (import "
                                           "into a new tab, or a new workbook)")
            _plan_setup(package, self.tab, rows, plan, changes)

        before = len(changes.done)
        skipped = self._edit_if(edit, lambda: len(changes.done) > before)
        if skipped:
            raise TrackerError(f"{self.path}: not prepared: {skipped}")
        return changes

    def remove_setup(self, plan: TrackerSetup) -> Changes:
        """Take back what setup and the daemon added: dropdowns, notes, highlights."""
        changes = Changes()
        self._check_file()
        skipped = self._edit_if(lambda package: _plan_removal(package, self.tab, changes),
                                lambda: bool(changes.done))
        if skipped:
            raise TrackerError(f"{self.path}: not changed: {skipped}")
        return changes

    def _edit_if(self, plan: Callable[[Package], object], wanted: Callable[[], bool]
                 ) -> str | None:
        """Edit and save, when `plan` found something to change (setup's runs after the
        first change nothing)."""
        blocked = self._blocked(check_stamp=False)
        if blocked:
            return blocked
        try:
            with opened(self.path) as package:
                plan(package)
                if not wanted():
                    return None
                skipped = save(package, self.path, None, self.timings)
        except NotReady:
            return "it was being saved by another program; try again in a moment"
        self._stamp = stamp(self.path)
        return skipped

    def probe(self) -> FileStamp | None:
        """A cheap token that changes when the file does (no read): inode, mtime and size."""
        try:
            return stamp(self.path)
        except OSError:
            return None

    def row_link(self, row: int) -> str | None:
        return None  # a local file has no address a message could link to

    def tab_link(self, tab: str) -> str | None:
        return None

    def settled(self, before: object | None) -> object | None:
        """The probe token a completed cycle leaves as "seen": the one taken before it read,
        so a person's save made while it ran is read by the next cycle (sheetsync's own
        write earns one more read, which finds nothing to do)."""
        return before

    def _check_file(self) -> None:
        if not self.path.exists():
            raise TrackerError(
                f"{self.path}: no such workbook; run `sheetsync demo` to create a demo tracker, "
                "or set tracker.path in sheetsync.toml")
        if self.path.suffix.lower() not in (".xlsx", ".xlsm"):
            raise TrackerError(f"{self.path}: sheetsync reads .xlsx workbooks; "
                               "save the tracker as .xlsx")


# --- a cycle's write ---------------------------------------------------------------------------


def _sheet_part(package: Package, tab: str) -> str:
    found = package.sheet_parts()
    if tab not in found:
        raise TrackerError(f'{package.path}: no tab named "{tab}" (tabs: '
                           f'{", ".join(found)}); set tracker.tab in sheetsync.toml')
    return found[tab]


def _header(package: Package, part: str, header_row: int) -> tuple[dict[str, int], int | None]:
    """The header row's columns by normalised text, and the style of its last header."""
    row = package.row(part, header_row)
    cells = sheet.row_cells(row) if row else {}
    indices = {int(v) for tag in cells.values() if x.attribute(tag, "t") == "s"
               for v in [sheet.cell_text(tag, lambda i: str(i))] if v.isdigit()}
    shared = package.shared_strings(indices)
    texts = {column: sheet.cell_text(tag, lambda i: shared.get(i, "")).strip()
             for column, tag in cells.items()}
    header = {normalize(text): column for column, text in sorted(texts.items()) if text}
    last = max((c for c, text in texts.items() if text), default=None)
    style = x.attribute(cells[last], "s") if last is not None else None
    return header, int(style) if style else None


def _plan_write(package: Package, tab: str, header_row: int, cells: Sequence[CellWrite],
                marks: Sequence[CellMark]) -> None:
    """Register a cycle's cells and marks as edits of the package."""
    part = _sheet_part(package, tab)
    header, header_style = _header(package, part, header_row)
    next_column = max(header.values(), default=0) + 1
    rows: dict[int, dict[int, CellEdit]] = {}
    added: list[int] = []
    for write in cells:
        column = header.get(normalize(write.column))
        if column is None:
            column = header[normalize(write.column)] = next_column
            next_column += 1
            added.append(column)
            rows.setdefault(header_row, {})[column] = CellEdit(write.column, header_style)
        rows.setdefault(write.row, {})[column] = CellEdit(write.value)
    notes: dict[tuple[int, int], str | None] = {}
    for mark in marks:
        column = header.get(normalize(mark.column))
        if column is None:
            continue
        cell = rows.setdefault(mark.row, {})
        cell[column] = CellEdit(cell[column].value if column in cell else sheet.KEEP,
                                mark=mark.note is not None)
        notes[(mark.row, column)] = mark.note
    styles = package.styles()
    edit = SheetEdit(rows=rows)
    skeleton = _note_parts(package, part, notes)
    every = [(r, c) for r, columns in rows.items() for c in columns]

    def edit_skeleton(xml: bytes) -> bytes:
        xml = skeleton(xml)
        if every:
            xml = sheet.with_dimension(xml, min(r for r, _ in every), min(c for _, c in every),
                                       max(r for r, _ in every), max(c for _, c in every))
        found = sheet.filter_area(xml)
        if added and found and found[0] == header_row and found[3] < max(added):
            xml = sheet.with_filter(xml, found[0], found[1], found[2], max(added))
        return xml

    edit.skeleton = edit_skeleton
    package.edit_sheet(part, edit)
    _drop_calc_chain_if_stale(package, tab, set(every))
    _recalculate_when_referenced(package, tab, part, edit)


def _note_parts(package: Package, part: str, notes: Mapping[tuple[int, int], str | None]
                ) -> Callable[[bytes], bytes]:
    """Put the notes in the sheet's comments part and VML drawing (made, with their
    relationships and content types, when the sheet has none); the skeleton edit that
    links the drawing to the sheet when it is new."""
    if not notes:
        return lambda xml: xml
    existing = package.related(part, parts.COMMENTS)
    comments = parts.Comments(package.read(existing[0]) if existing else None)
    added, removed = [], set()
    for (row, column), note in sorted(notes.items()):
        change = comments.set(f"{x.column_letter(column)}{row}", note)
        if change.kind == "added":
            added.append((row, column))
        elif change.kind == "removed":
            removed.add((row, column))
    if not comments.changed:
        return lambda xml: xml
    name = existing[0] if existing else package.free_name("xl/comments{}.xml")
    package.put_streamed(name, comments.pieces)
    if not existing:
        package.link(part, parts.COMMENTS, name)
        package.content_type(name, parts.COMMENTS_TYPE)
    drawings = package.related(part, parts.VML)
    if drawings:
        if added or removed:  # (notes changed in place keep their shapes as they are)
            drawing = drawings[0]
            package.put_streamed(drawing, lambda: parts.vml_edited(
                package.chunks(drawing), removed, added))
        return lambda xml: xml
    vml_name = package.free_name("xl/drawings/vmlDrawing{}.vml")
    package.put_streamed(vml_name, lambda: parts.vml_edited(None, set(), added))
    rid = package.link(part, parts.VML, vml_name)
    package.default_type("vml", parts.VML_TYPE)

    def link(xml: bytes) -> bytes:
        return sheet.with_legacy_drawing(xml, rid) if sheet.legacy_drawing(xml) is None else xml
    return link


def _drop_calc_chain_if_stale(package: Package, tab: str, cells: set[tuple[int, int]]) -> None:
    """Remove calcChain.xml when a written cell is one of its formula cells: Excel rebuilds
    the chain, and a chain naming a cell with no formula is what it calls damage."""
    chains = package.related(package.workbook, parts.CALC_CHAIN)
    chain = package.read(chains[0]) if chains else None
    if not chain or not cells:
        return
    entry = next((s for s in parts.sheets(package.read(package.workbook) or b"")
                  if s.name == tab), None)
    if entry is None:
        return
    sheet_id, listed = "", False
    for ref, index in re.findall(rb'<(?:\w+:)?c\b[^>]*?\br="([A-Z]+\d+)"(?:[^>]*?\bi="(\d+)")?',
                                 chain):
        sheet_id = index.decode() or sheet_id
        if sheet_id == str(entry.sheet_id) and x.cell_position(ref.decode()) in cells:
            listed = True
            break
    if listed:
        package.drop({chains[0]})
        rels = parts.rels_of(package.workbook)
        package.put(rels, parts.without_relationships(
            package.read(rels) or b"", lambda r: r.type == parts.CALC_CHAIN))


def _recalculate_when_referenced(package: Package, tab: str, part: str, edit: SheetEdit
                                 ) -> None:
    """Set fullCalcOnLoad once the splice has seen whether a formula may read a written
    cell: any formula on the tab itself, a defined name naming the tab, or a formula on
    another sheet naming it (a conservative check: it never misses one, and at worst makes
    Excel compute once more on opening)."""
    workbook = package.workbook
    original = package.read(workbook) or b""

    def make() -> bytes | None:
        current = package.read(workbook) or original
        named = tab in parts.defined_names_text(current)
        if edit.has_formula or named or _named_by_formulas(package, tab, part):
            recalculated = parts.with_full_calculation(current)
            return None if recalculated == original else recalculated
        return None if current == original else current

    package.put_late(workbook, make)


def _named_by_formulas(package: Package, tab: str, part: str) -> bool:
    """Whether a formula on another sheet names the tab (read a chunk at a time)."""
    needle = x.escape(tab)
    for other in package.sheet_parts().values():
        if other == part or not package.exists(other):
            continue
        with package.open_stream(other) as stream:
            tail = b""
            while chunk := stream.read(CHUNK):
                window = tail + chunk
                if needle in window and re.search(rb"<(?:\w+:)?f[\s>]", window):
                    return True
                tail = window[-(len(needle) + 64):]
    return False


# --- setup ---------------------------------------------------------------------------------------


def _plan_setup(package: Package, tab: str, rows: Sequence[Sequence[Any]], plan: TrackerSetup,
                changes: Changes) -> None:
    """Register setup's edits of the tab: the frozen header, the filter (grown to cover
    every column of the header), the dropdowns (never over a validation of the team's)."""
    part = _sheet_part(package, tab)
    header_row = find_header(Grid(tab=tab, rows=tuple(map(tuple, rows[:20]))),
                             plan.schema)[0]
    header = {normalize(str(v)): c for c, v in enumerate(rows[header_row - 1], start=1)
              if not is_blank(v)} if len(rows) >= header_row else {}
    last_column = max(header.values(), default=1)
    last_row = max(len(rows), header_row + 1)
    skeleton = package.skeleton(part)
    if sheet.frozen_below(skeleton) != header_row + 1:
        skeleton = sheet.with_frozen_header(skeleton, header_row)
        changes.done.append(f"froze the header (row {header_row})")
    found = sheet.filter_area(skeleton)
    if found is None:
        skeleton = sheet.with_filter(skeleton, header_row, 1, last_row, last_column)
        changes.done.append("turned on the filter")
    elif found[0] == header_row and found[3] < last_column:
        skeleton = sheet.with_filter(skeleton, found[0], found[1], max(found[2], last_row),
                                     last_column)
        changes.done.append(f"the filter covers every column, to {x.column_letter(last_column)}")
    skeleton = _dropdowns(skeleton, header_row, header, plan, changes)
    final = skeleton
    package.edit_sheet(part, SheetEdit(skeleton=lambda _: final))


def _dropdowns(skeleton: bytes, header_row: int, header: Mapping[str, int], plan: TrackerSetup,
               changes: Changes) -> bytes:
    """The sheet's validations with sheetsync's dropdown on each vocabulary column."""
    existing = sheet.validations(skeleton)
    ours = {v.prompt: v for v in existing if v.prompt.startswith(MARK)}
    theirs = [a for v in existing if not v.prompt.startswith(MARK) for a in v.areas] + \
        sheet.extension_validation_areas(skeleton)
    replaced: set[str] = set()
    added: list[bytes] = []
    p = sheet.prefix_of(skeleton)
    for title in plan.choices:
        column = header.get(normalize(title))
        if column is None:
            continue
        values = plan.choices[title]
        listed = '"' + ",".join(values) + '"'
        if len(listed) > 257 or any("," in v or '"' in v for v in values):
            changes.skipped.append(f"no dropdown for {title}: Excel lists hold 255 "
                                   "characters and no commas")
            continue
        message = validation_message(values)
        target = (header_row + 1, column, sheet.LAST_ROW, column)
        if message in ours and ours[message].areas == (target,):
            continue
        if any(sheet.overlaps(target, area) for area in theirs):
            changes.skipped.append(f"no dropdown for {title}: the column has a validation "
                                   "of the team's own, kept as it is")
            continue
        if message in ours:
            replaced.add(message)
        added.append(sheet.list_validation(title, message, listed, header_row + 1, column, p))
        changes.done.append(f"dropdown on {title}")
    if not added and not replaced:
        return skeleton
    return sheet.with_validations(skeleton, lambda v: v.prompt not in replaced, added)


def _plan_removal(package: Package, tab: str, changes: Changes) -> None:
    """Register `setup --remove`'s edits: sheetsync's dropdowns, notes and highlights off."""
    part = _sheet_part(package, tab)
    skeleton = package.skeleton(part)
    ours = [v for v in sheet.validations(skeleton) if v.prompt.startswith(MARK)]
    if ours:
        skeleton = sheet.with_validations(skeleton, lambda v: not v.prompt.startswith(MARK), [])
        changes.done.append(f"removed {len(ours)} dropdowns")
    existing = package.related(part, parts.COMMENTS)
    comments = parts.Comments(package.read(existing[0]) if existing else None)
    noted = {x.cell_position(ref) for ref in comments.refs()
             if NOTE_SECTION in (comments.text(ref) or "")}
    styles = package.styles()
    filled = set()
    with package.open_stream(part) as stream:
        for number, element in rows_of(stream):
            for column, tag in sheet.row_cells(element).items():
                style = x.attribute(tag, "s")
                if style and styles.has_our_fill(int(style)):
                    filled.add((number, column))
    cells = noted | filled
    if not cells:
        final = skeleton
        package.edit_sheet(part, SheetEdit(skeleton=lambda _: final))
        return
    link = _note_parts(package, part, {cell: None for cell in noted})
    rows: dict[int, dict[int, CellEdit]] = {}
    for row, column in cells:
        rows.setdefault(row, {})[column] = CellEdit(mark=False)
    final = skeleton
    package.edit_sheet(part, SheetEdit(rows=rows, skeleton=lambda _: link(final)))
    changes.done.append(f"removed sheetsync's notes and highlights from {len(cells)} cells")


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


def write_new_workbook(
    path: Path, tab: str, header: Sequence[str], rows: Sequence[Sequence[Any]],
    progress: Callable[[int, int], None] = lambda done, total: None,
) -> None:
    """Create a tracker workbook (the demo's, an import's), atomically: a temporary file,
    then a rename. Written as a stream (openpyxl's write-only mode), so each row is on its
    way to the file as `progress` (rows done, rows in all) counts it, not held until a save."""
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet(tab)
    for position, title in enumerate(header, start=1):  # widths go before the first row
        width = max([len(title)] + [len(str(row[position - 1] or "")) for row in rows
                                    if len(row) >= position])
        sheet.column_dimensions[get_column_letter(position)].width = min(max(width, 10), 60) + 2
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(max(len(header), 1))}{len(rows) + 1}"
    font, fill = Font(bold=True), PatternFill("solid", start_color="DDEBF7")
    titles = []
    for title in header:
        cell = WriteOnlyCell(sheet, value=title)
        cell.font, cell.fill = font, fill
        titles.append(cell)
    sheet.append(titles)
    for done, row in enumerate(rows, start=1):
        sheet.append(list(row))
        if done % _PROGRESS_STEP == 0 or done == len(rows):
            progress(done, len(rows))
    path.parent.mkdir(parents=True, exist_ok=True)
    _save_atomically(book, path)


_PROGRESS_STEP = 500  # rows between two progress calls


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
