"""LibreOffice as a test's reader: many workbooks to CSV, or to PDF as they print, in one
headless `soffice` call.

Debian's libreoffice-calc provides `soffice`, and poppler-utils the `pdfinfo` and `pdftotext`
that read the PDFs (`.ci/run` installs both, as root, where they are missing). On a machine
without them the tests that need them are skipped with a reason, except where
SHEETSYNC_REQUIRE_OFFICE is set (CI), where they fail.

Every sheet of every file is written out (the CSV filter's 12th option, -1: LibreOffice 7.2
and later, one `NAME-SHEET.csv` per sheet), as stored values rather than as shown, in UTF-8.
The profile is a private one in a temporary folder, so a person's LibreOffice (or another
test's) is never touched and never blocks the call.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import pytest

#: separator `,`, quote `"`, UTF-8, from line 1, ..., values as stored (not as shown), every
#: sheet to a file of its own.
CSV_FILTER = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1"


def soffice() -> str:
    """The soffice binary, or a skip (a failure where SHEETSYNC_REQUIRE_OFFICE is set)."""
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if found is None:
        reason = ("no LibreOffice on this machine (soffice not found): install Debian's "
                  "libreoffice-calc package to run the office tests")
        if os.environ.get("SHEETSYNC_REQUIRE_OFFICE"):
            pytest.fail(reason)
        pytest.skip(reason)
    return found


def sheets_as_csv(workbooks: Sequence[Path], timeout: float = 120
                  ) -> dict[Path, dict[str, list[list[str]]]]:
    """Each workbook's sheets, by name, as LibreOffice reads them: rows of cell texts."""
    with _converted(workbooks, CSV_FILTER, timeout) as (out, said):
        found: dict[Path, dict[str, list[list[str]]]] = {}
        for workbook in workbooks:
            prefix = f"{workbook.stem}-"
            found[workbook] = {
                part.stem[len(prefix):]: list(csv.reader(io.StringIO(
                    part.read_text(encoding="utf-8"), newline="")))
                for part in sorted(out.glob(f"{prefix}*.csv"))}
            assert found[workbook], f"LibreOffice wrote no sheet of {workbook}: {said}"
        return found


def as_pdf(workbooks: Sequence[Path], folder: Path, timeout: float = 120) -> dict[Path, Path]:
    """Each workbook printed to PDF by LibreOffice (every sheet, as its page setup says), in
    `folder`: the PDF of each."""
    with _converted(workbooks, "pdf", timeout) as (out, said):
        found = {}
        for workbook in workbooks:
            made = out / f"{workbook.stem}.pdf"
            assert made.exists(), f"LibreOffice wrote no PDF of {workbook}: {said}"
            found[workbook] = Path(shutil.copy(made, folder / made.name))
        return found


def poppler(tool: str) -> str:
    """A poppler-utils tool (pdfinfo, pdftotext), or a skip as for `soffice`."""
    found = shutil.which(tool)
    if found is None:
        reason = f"no {tool} on this machine: install Debian's poppler-utils package"
        if os.environ.get("SHEETSYNC_REQUIRE_OFFICE"):
            pytest.fail(reason)
        pytest.skip(reason)
    return found


@contextmanager
def _converted(workbooks: Sequence[Path], target: str, timeout: float
               ) -> Iterator[tuple[Path, str]]:
    """One headless soffice call converting every workbook to `target`: the folder of what
    it wrote (removed afterwards) and what it said."""
    stems = [w.stem for w in workbooks]
    assert len(set(stems)) == len(stems), f"two workbooks share a name: {stems}"
    binary = soffice()
    folder = Path(tempfile.mkdtemp(prefix="sheetsync-office-"))
    try:
        profile, out = folder / "profile", folder / "out"
        office = subprocess.Popen(
            [binary, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
             "--nologo", "--convert-to", target, "--outdir", str(out),
             *map(str, workbooks)],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            start_new_session=True)
        try:
            said, _ = office.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(office.pid, signal.SIGKILL)  # its own session: soffice alone
            office.communicate()
            raise
        assert office.returncode == 0, said
        yield out, said
    finally:
        shutil.rmtree(folder, ignore_errors=True)
