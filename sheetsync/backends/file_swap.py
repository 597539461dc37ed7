"""Replace-if-unchanged for the tracker file: sheetsync's version goes in only over the file read.

People's programs save a workbook two ways: Excel and LibreOffice write a temporary file and
rename it over the tracker (a new inode at the tracker's name); others (openpyxl, many
scripts) truncate the tracker and write into it in place (the same inode, a new mtime and
size). `FileStamp` (inode, mtime_ns, size), taken when sheetsync read the file, tells both
apart from "still the one read".

On Linux the replacement is an exchange, `renameat2(..., RENAME_EXCHANGE)` (glibc 2.28 and
later export it; `ctypes` on libc), which swaps the two names in one step: nothing can land
at the tracker's name between a check and the replace. The file swapped out is then checked:
if it is not the one read (a person's save landed after the read), the swap is undone and the
person's version is the tracker again; `replace_if_unchanged` says False, and the next cycle
reads it. Where there is no `renameat2` (another platform, an old libc) or the file system
refuses an exchange (EINVAL, ENOSYS: some network and FUSE file systems), a stat just before
`os.replace` is the check, leaving the moment between the two open.

The window that remains, on every platform, is a program that had the tracker open before
the replace and writes into it afterwards (an in-place save that began before sheetsync's
check): its bytes go into the old inode, no longer at the tracker's name. So the old inode is
kept, as a hidden file beside the tracker (`.~sheetsync-replaced.<stamps>.<name>`, its name
recording sheetsync's version and the stamp the old one had), and `restore_late_save`,
called before every read, looks at it: unchanged, it is removed; written to since, the
person's late save is put back as the tracker (by the same exchange) if the tracker is still
sheetsync's version, and the next cycle redoes sheetsync's writes (its IDs are found again by
their rows). Out of reach stay: a write into a descriptor opened before the replace that
starts only after the next read removed the kept file (a program holding the workbook open
without a lock file for a whole cycle); a write within the file system's timestamp tick that
leaves the size alone; where there is no exchange, a rename landing between the stat and
`os.replace`; and a rename landing in the microseconds between an exchange and its undoing
(the person's newest file would be left at sheetsync's temporary name).
"""

from __future__ import annotations

import ctypes
import errno
import os
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2
_REFUSED = (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP)  # no exchange on this file system


@dataclass(frozen=True)
class FileStamp:
    """Which file a name held, and as what: inode, modification time (ns) and size."""

    inode: int
    mtime_ns: int
    size: int

    @classmethod
    def of(cls, path: Path) -> FileStamp:
        stat = path.stat()
        return cls(stat.st_ino, stat.st_mtime_ns, stat.st_size)


def replace_if_unchanged(path: Path, replacement: Path, read: FileStamp) -> bool:
    """Put `replacement` at `path` if `path` is still the file stamped `read`; whether it did.

    `replacement` is consumed either way (moved in, or removed) and takes `path`'s mode. The
    replaced file is kept beside it for `restore_late_save` (see the module).
    """
    try:
        os.chmod(replacement, path.stat().st_mode & 0o7777)
    except FileNotFoundError:  # moved away since the read: nothing to replace
        replacement.unlink(missing_ok=True)
        return False
    ours = FileStamp.of(replacement)
    kept = path.with_name(f"{_KEPT_PREFIX}{ours.inode}-{ours.mtime_ns}-{ours.size}-"
                          f"{read.mtime_ns}-{read.size}.{path.name}")
    swapped = _swap_in(replacement, path, read)
    if swapped is None:  # no exchange here: a stat just before the replace
        if FileStamp.of(path) != read:
            replacement.unlink()
            return False
        _link_quietly(path, kept)
        os.replace(replacement, path)
        return True
    if swapped:
        os.replace(replacement, kept)  # (the file read, now at the temporary name)
    else:
        _remove_if(replacement, ours)
    return swapped


def restore_late_save(path: Path) -> bool:
    """Put back a person's save that went into the file sheetsync replaced; whether one did.

    Each kept file is looked at once: untouched since the replace, it is removed; written to,
    it becomes the tracker again if the tracker is still the version sheetsync put there
    (else a later save of theirs is the tracker, and the kept one is older).
    """
    restored = False
    for kept in path.parent.glob(f"{_KEPT_PREFIX}*.{_glob_escape(path.name)}"):
        found = _KEPT.fullmatch(kept.name)
        if found is None:
            continue
        ours_inode, ours_mtime, ours_size, mtime_ns, size = map(int, found.groups())
        ours = FileStamp(ours_inode, ours_mtime, ours_size)
        try:
            now = FileStamp.of(kept)
            late = (now.mtime_ns, now.size) != (mtime_ns, size)
            if late and FileStamp.of(path) == ours:
                swapped = _swap_in(kept, path, ours)
                if swapped is None:
                    os.replace(kept, path)
                restored = restored or swapped is not False
        except FileNotFoundError:
            pass
        kept.unlink(missing_ok=True)
    return restored


_KEPT_PREFIX = ".~sheetsync-replaced."
_KEPT = re.compile(re.escape(_KEPT_PREFIX) + r"(\d+)-(\d+)-(\d+)-(\d+)-(\d+)\..+")


def _swap_in(new: Path, path: Path, expected: FileStamp) -> bool | None:
    """Exchange `new` with `path` and keep the exchange only if the file swapped out is the
    one `expected`; whether it was kept, None where no exchange is possible."""
    if not _exchange(new, path):
        return None
    if FileStamp.of(new) == expected:
        return True
    _exchange(new, path)  # someone saved after the check: their file is `path` again
    return False


def _glob_escape(name: str) -> str:
    return re.sub(r"([*?\[])", r"[\1]", name)


def _remove_if(path: Path, stamp: FileStamp) -> None:
    """Remove `path` only if it is still the file stamped `stamp` (never a person's)."""
    try:
        if FileStamp.of(path) == stamp:
            path.unlink()
    except FileNotFoundError:
        pass


def _link_quietly(path: Path, kept: Path) -> None:
    try:
        os.link(path, kept)
    except OSError:  # no hard links here (FAT, some shares): nothing kept, the window stays
        pass


def _renameat2() -> Callable[..., int] | None:
    """libc's renameat2, where this is Linux with a glibc that exports it."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        function = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return None
    function.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p,
                         ctypes.c_uint]
    function.restype = ctypes.c_int
    return function


_RENAMEAT2 = _renameat2()


def _exchange(first: Path, second: Path) -> bool:
    """Swap the two names in one step; False where the platform or file system cannot."""
    if _RENAMEAT2 is None:
        return False
    if _RENAMEAT2(_AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second),
                  _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in _REFUSED:
        return False
    raise OSError(code, os.strerror(code), str(first), None, str(second))
