"""LibreOffice as a test's reader: many workbooks to CSV in one headless `soffice` call.

Debian's libreoffice-calc provides `soffice` (`.ci/run` installs it, as root, where it is
missing). On a machine without it the tests that need it are skipped with a reason, except
where SHEETSYNC_REQUIRE_OFFICE is set (CI), where they fail.

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
from collections.abc import Sequence
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
    stems = [w.stem for w in workbooks]
    assert len(set(stems)) == len(stems), f"two workbooks share a name: {stems}"
    binary = soffice()
    folder = Path(tempfile.mkdtemp(prefix="sheetsync-office-"))
    try:
        profile, out = folder / "profile", folder / "csv"
        office = subprocess.Popen(
            [binary, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
             "--nologo", "--convert-to", CSV_FILTER, "--outdir", str(out),
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
        found: dict[Path, dict[str, list[list[str]]]] = {}
        for workbook in workbooks:
            prefix = f"{workbook.stem}-"
            found[workbook] = {
                part.stem[len(prefix):]: list(csv.reader(io.StringIO(
                    part.read_text(encoding="utf-8"), newline="")))
                for part in sorted(out.glob(f"{prefix}*.csv"))}
            assert found[workbook], f"LibreOffice wrote no sheet of {workbook}: {said}"
        return found
    finally:
        shutil.rmtree(folder, ignore_errors=True)
