"""The local tracker: an .xlsx workbook read with openpyxl, every cell left as a person typed it."""

from __future__ import annotations

import os
import tempfile
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException

from sheetsync.errors import TrackerError
from sheetsync.table import Grid

#: Parts of an .xlsx that openpyxl drops or damages when it saves a workbook it loaded.
_UNSAVEABLE_PARTS = (
    ("xl/vbaProject.bin", "macros"),
    ("xl/charts/", "charts"),
    ("xl/media/", "images"),
    ("xl/drawings/", "drawings"),
    ("xl/pivotTables/", "pivot tables"),
    ("xl/slicers/", "slicers"),
    ("xl/timelines/", "timelines"),
    ("xl/activeX/", "form controls"),
    ("xl/ctrlProps/", "form controls"),
)


class Workbook:
    """One tab of a local .xlsx workbook."""

    def __init__(self, path: Path, tab: str) -> None:
        self.path = path
        self.tab = tab

    def read(self) -> Grid:
        """Every row of the tab as values (formulas read as their last computed value)."""
        self._check_file()
        try:
            book = openpyxl.load_workbook(self.path, read_only=True, data_only=True)
        except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError) as exc:
            raise TrackerError(f"{self.path}: not a readable .xlsx workbook ({exc})") from None
        try:
            if self.tab not in book.sheetnames:
                raise TrackerError(
                    f'{self.path}: no tab named "{self.tab}" (tabs: {", ".join(book.sheetnames)}); '
                    "set tracker.tab in sheetsync.toml")
            sheet = book[self.tab]
            rows = tuple(sheet.iter_rows(values_only=True))
        finally:
            book.close()
        return Grid(tab=self.tab, rows=rows)

    def save_blockers(self) -> list[str]:
        """What this workbook holds that a save through openpyxl would lose."""
        self._check_file()
        try:
            with zipfile.ZipFile(self.path) as archive:
                names = archive.namelist()
        except zipfile.BadZipFile:
            return []
        found: list[str] = []
        for part, label in _UNSAVEABLE_PARTS:
            if label not in found and any(n.startswith(part) for n in names):
                found.append(label)
        if self.path.suffix.lower() == ".xlsm" and "macros" not in found:
            found.append("macros")
        return found

    def _check_file(self) -> None:
        if not self.path.exists():
            raise TrackerError(
                f"{self.path}: no such workbook; run `sheetsync demo` to create a demo tracker, "
                "or set tracker.path in sheetsync.toml")
        if self.path.suffix.lower() not in (".xlsx", ".xlsm"):
            raise TrackerError(f"{self.path}: sheetsync reads .xlsx workbooks; "
                               "save the tracker as .xlsx")


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
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        book.save(temporary)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
