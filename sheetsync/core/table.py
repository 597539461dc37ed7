"""Plain data for a tracker tab as a backend read it, and what counts as a blank cell."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Grid:
    """Consecutive rows of one tab as a backend read them, from sheet row `first_row` on.

    A blank cell may read as None or "" (backends differ); everything downstream treats both
    as blank. The backends make their rows with `shared_row`.
    """

    tab: str
    rows: Sequence[tuple[Any, ...]]
    first_row: int = 1


def shared_row(cells: Iterable[Any]) -> tuple[Any, ...]:
    """A row as read, as a tuple with every text interned.

    A read makes a new string for every cell. Interned, a Status or an Issue Type repeated
    100k times is one string, and a row the next read finds unchanged holds the very strings
    of the last read, so the daemon, which keeps the last read between cycles, never holds
    two copies of the tab's texts.
    """
    intern = sys.intern
    return tuple([intern(v) if v.__class__ is str else v for v in cells])


def is_blank(value: Any) -> bool:
    """A cell a person left empty: nothing, or only whitespace."""
    return value is None or (isinstance(value, str) and not value.strip())


def has_content(cells: Sequence[Any]) -> bool:
    """A row with at least one cell a person filled (a wholly empty row is no ticket)."""
    for cell in cells:
        if cell is not None and (cell.__class__ is not str or (cell and not cell.isspace())):
            return True
    return False


def column_letter(index: int) -> str:
    """Spreadsheet column letters for a 0-based position: 0 -> A, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters
