"""What sheetsync writes into a tracker, whatever the backend: cells it owns and its marks."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class CellWrite:
    """A value sheetsync owns, for one cell: its sheet row and its column's header."""

    row: int
    column: str
    value: str | None


@dataclass(frozen=True, slots=True)
class CellMark:
    """sheetsync's note (and highlight) on a person's cell; `note=None` takes it away."""

    row: int
    column: str
    note: str | None


NOTE_AUTHOR = "sheetsync"
NOTE_SECTION = "[sheetsync]\n"  # starts sheetsync's part of a note, kept apart from a person's


def merged_note(current: str | None, ours: str | None) -> str | None:
    """A cell's note with sheetsync's part set to `ours` (None: taken away) and a person's
    own text, before it, kept as it was."""
    persons = (current or "").split(NOTE_SECTION)[0].rstrip("\n")
    return "\n\n".join(part for part in (persons, ours and NOTE_SECTION + ours) if part) or None


def persons_note(current: str | None) -> str:
    """The part of a note a person wrote (sheetsync's part left out)."""
    return (current or "").split(NOTE_SECTION)[0].rstrip("\n")
