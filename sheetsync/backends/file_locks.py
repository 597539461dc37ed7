"""The lock files office programs leave beside a workbook they have open: who holds it, since when.

While Excel has `tracker.xlsx` open it keeps an owner file `~$tracker.xlsx` beside it, and
LibreOffice keeps `.~lock.tracker.xlsx#`; sheetsync holds its writes back while either is
there (a save of theirs would replace sheetsync's, or sheetsync's theirs). A program that
crashed leaves its lock file behind, so after `tracker.lock_wait_minutes` the lock is named,
with its owner, where a person looks (`held_back`), and how to end it.

The formats, as LibreOffice reads and writes them (svl/source/misc/lockfilecommon.cxx and
msodocumentlockfile.cxx in https://github.com/LibreOffice/core):

- LibreOffice: one UTF-8 line of five fields, each ended by `,` and the last by `;`, with `\\`
  escaping `,`, `;` and `\\` inside a field: the name from Tools > Options > User Data (empty
  when unset), the system user, the host, the time it was opened (`DD.MM.YYYY HH:MM`, the
  holder's local clock) and the holder's profile URL: `,priya,laptop,02.12.2026 10:02,file:///...;`.
- Excel: 165 bytes. The user name's length in one byte, the name in the Windows code page,
  spaces up to byte 55, then the length again in two bytes and the name in UTF-16-LE (Word's
  owner files put the second copy at byte 54). It holds no time: the file's own is used.

"Since" is the lock file's modification time in both cases, on this machine's clock (the
holder's clock and time zone may differ).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo
from pathlib import Path

from sheetsync.config import Config


@dataclass(frozen=True)
class Lock:
    """A lock file beside the tracker and what it says of its holder."""

    file: str  # its name: ~$tracker.xlsx or .~lock.tracker.xlsx#
    program: str  # "Excel" or "LibreOffice"
    owner: str | None  # the person's name, None when the file does not say
    host: str | None  # LibreOffice's only
    since: datetime  # when the lock file was written (aware)

    def holder(self) -> str:
        """"LibreOffice by Priya on laptop", as much as the file tells."""
        if self.owner is None:
            return "another program"
        return f"{self.program} by {self.owner}" + (f" on {self.host}" if self.host else "")

    def skip_reason(self) -> str:
        """Why a write is held back, for the cycle summary."""
        return f"it is open in {self.holder()} ({self.file} is there)"


def find_lock(path: Path) -> Lock | None:
    """The lock file an office program keeps beside `path`, if one is there."""
    for name, program, parse in ((f"~${path.name}", "Excel", _excel_owner),
                                 (f".~lock.{path.name}#", "LibreOffice", _libreoffice_owner)):
        lock = path.parent / name
        try:
            data = lock.read_bytes()
            since = datetime.fromtimestamp(lock.stat().st_mtime, timezone.utc)
        except FileNotFoundError:
            continue
        except OSError:  # there, but not ours to read (another user's share): still a lock
            data, since = b"", datetime.now(timezone.utc)
        owner, host = parse(data)
        return Lock(name, program, owner, host, since)
    return None


def lock_line(lock: Lock, now: datetime, zone: tzinfo) -> str:
    """The lock in one line for status, doctor and /healthz, with what a person can do."""
    minutes = max(0, int((now - lock.since).total_seconds() // 60))
    return (f"held back for {minutes} min: open in {lock.holder()} since "
            f"{lock.since.astimezone(zone):%H:%M} ({lock.file}); close it there or remove the "
            "lock file if that program is gone")


def held_back(config: Config, now: datetime) -> str | None:
    """The line naming the lock that has held the local tracker's writes back for at least
    `tracker.lock_wait_minutes`; None when there is none (or the tracker is not local)."""
    if config.settings.tracker.backend != "local":
        return None
    lock = find_lock(config.workbook_path)
    wait = timedelta(minutes=config.settings.tracker.lock_wait_minutes)
    if lock is None or now - lock.since < wait:
        return None
    return lock_line(lock, now, config.timezone)


def _libreoffice_owner(data: bytes) -> tuple[str | None, str | None]:
    fields = [re.sub(r"\\(.)", r"\1", f) for f in
              re.findall(r"((?:[^,;\\]|\\.)*)[,;]", data.decode("utf-8", "replace"))]
    if len(fields) < 3:
        return None, None
    return (fields[0].strip() or fields[1].strip() or None), (fields[2].strip() or None)


def _excel_owner(data: bytes) -> tuple[str | None, None]:
    if len(data) < 57 or not 0 < data[0] <= 52:
        return None, None
    at = 54  # Word's position; Excel's (and PowerPoint's) is 55, after a space
    if data[54] == 0x20 and (data[53] or data[52]):
        at = 55
    length = data[at]
    wide = data[at + 2: at + 2 + 2 * length]
    if 0 < length <= 52 and len(wide) == 2 * length:
        return wide.decode("utf-16-le", "replace").strip() or None, None
    return data[1: 1 + data[0]].decode("cp1252", "replace").strip() or None, None
