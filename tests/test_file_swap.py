"""Replacing the tracker only if it is still the file read: both ways people's programs save,
with an exchange (Linux) and without one (elsewhere, or a file system that refuses it)."""

from __future__ import annotations

import ctypes
import errno
import os
import sys
from pathlib import Path
from typing import Any

import pytest

from sheetsync.backends import file_swap
from sheetsync.backends.file_swap import FileStamp, replace_if_unchanged, restore_late_save


def _refusing_renameat2(*_: Any) -> int:
    ctypes.set_errno(errno.EINVAL)  # what overlay, network and FUSE file systems answer
    return -1


@pytest.fixture(params=["exchange", "no renameat2", "file system refuses"])
def swapping(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "exchange" and file_swap._RENAMEAT2 is None:
        pytest.skip("no renameat2 here (not Linux with glibc 2.28 or later)")
    if request.param == "no renameat2":
        monkeypatch.setattr(file_swap, "_RENAMEAT2", None)
    if request.param == "file system refuses":
        monkeypatch.setattr(file_swap, "_RENAMEAT2", _refusing_renameat2)
    return str(request.param)


def tracker(tmp_path: Path, text: str = "as read") -> Path:
    path = tmp_path / "tracker.xlsx"
    path.write_text(text)
    path.chmod(0o640)
    return path


def ours(tmp_path: Path, text: str = "sheetsync's") -> Path:
    path = tmp_path / ".tracker.xlsx.abc.tmp"
    path.write_text(text)
    return path


def save_by_rename(path: Path, text: str) -> None:
    """As Excel and LibreOffice save: a new file renamed over the tracker."""
    temporary = path.with_name("person.tmp")
    temporary.write_text(text)
    os.replace(temporary, path)


def others(tmp_path: Path) -> list[str]:
    return sorted(p.name for p in tmp_path.iterdir() if p.name != "tracker.xlsx")


def test_an_unchanged_tracker_is_replaced_keeping_its_mode(tmp_path: Path, swapping: str
                                                           ) -> None:
    path = tracker(tmp_path)
    read = FileStamp.of(path)
    assert replace_if_unchanged(path, ours(tmp_path), read)
    assert path.read_text() == "sheetsync's"
    assert path.stat().st_mode & 0o777 == 0o640
    [kept] = others(tmp_path)  # the file replaced, kept until the next read looks at it
    assert kept.startswith(".~sheetsync-replaced.") and kept.endswith(".tracker.xlsx")
    assert not restore_late_save(path)  # nobody wrote into it: it goes
    assert others(tmp_path) == [] and path.read_text() == "sheetsync's"


def test_a_save_by_rename_after_the_read_is_kept(tmp_path: Path, swapping: str) -> None:
    path = tracker(tmp_path)
    read = FileStamp.of(path)
    save_by_rename(path, "the person's save")
    assert not replace_if_unchanged(path, ours(tmp_path), read)
    assert path.read_text() == "the person's save"
    assert others(tmp_path) == []


def test_a_save_in_place_after_the_read_is_kept(tmp_path: Path, swapping: str) -> None:
    path = tracker(tmp_path)
    read = FileStamp.of(path)
    with path.open("w") as same_inode:
        same_inode.write("the person's save, longer")
    assert not replace_if_unchanged(path, ours(tmp_path), read)
    assert path.read_text() == "the person's save, longer"
    assert FileStamp.of(path).inode == read.inode
    assert others(tmp_path) == []


def test_a_save_in_place_that_lands_after_the_replace_is_put_back_next_read(
    tmp_path: Path, swapping: str
) -> None:
    path = tracker(tmp_path)
    read = FileStamp.of(path)
    with path.open("r+") as opened_before:  # a program that opened the file before the swap
        assert replace_if_unchanged(path, ours(tmp_path), read)
        opened_before.write("the person's late save")
    assert path.read_text() == "sheetsync's"
    assert restore_late_save(path)
    assert path.read_text() == "the person's late save"
    assert others(tmp_path) == []


def test_a_late_save_older_than_the_persons_next_save_is_not_put_back(tmp_path: Path,
                                                                    swapping: str) -> None:
    path = tracker(tmp_path)
    read = FileStamp.of(path)
    with path.open("r+") as opened_before:
        assert replace_if_unchanged(path, ours(tmp_path), read)
        opened_before.write("the person's late save")
    save_by_rename(path, "the person's next save")
    assert not restore_late_save(path)
    assert path.read_text() == "the person's next save"
    assert others(tmp_path) == []


def test_a_tracker_moved_away_since_the_read_is_not_recreated(tmp_path: Path, swapping: str
                                                              ) -> None:
    path = tracker(tmp_path)
    read = FileStamp.of(path)
    path.rename(tmp_path / "renamed.xlsx")
    assert not replace_if_unchanged(path, ours(tmp_path), read)
    assert not path.exists() and others(tmp_path) == ["renamed.xlsx"]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="renameat2 is Linux's")
def test_linux_with_a_recent_glibc_exchanges(tmp_path: Path) -> None:
    """The exchange is what runs here (glibc 2.28+ on a local file system), not the fallback."""
    first, second = tracker(tmp_path, "first"), ours(tmp_path, "second")
    assert file_swap._exchange(first, second)
    assert (first.read_text(), second.read_text()) == ("second", "first")
