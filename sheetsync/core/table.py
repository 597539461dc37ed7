"""Plain data for a tracker tab as a backend read it, and what counts as a blank cell."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Grid:
    """Consecutive rows of one tab as a backend read them, from sheet row `first_row` on.

    A blank cell may read as None or "" (backends differ); everything downstream treats both
    as blank.
    """

    tab: str
    rows: Sequence[tuple[Any, ...]]
    first_row: int = 1


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
