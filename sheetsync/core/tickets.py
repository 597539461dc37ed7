"""Tickets as the rules see them: the fields whose changes matter, and a keyed hash of the row.

Field values are canonical (`resolved` reads as `Resolved`, `Priya(Support)` as
`Priya (Support)`), so a person tidying a cell is not a transition. Hashes are keyed HMACs, so a
row hash stored in the state never lets anyone recover a seller's phone number by brute force.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from itertools import repeat
from typing import Any

from sheetsync.schema import Column, Sheet, normalize
from sheetsync.core.table import is_blank
from sheetsync.core.values import people_canonical, text_of

#: Roles whose changes are transitions, in the order history lists them.
TRACKED = ("status", "assignee", "type", "priority")
#: Flags derived from the preset's conditions; their changes are transitions too, so rules need
#: not know how a preset says "escalated" (a Status, or a note in Additional Actions Taken).
FLAGS = ("escalated", "resolved", "technical")
YES = "yes"


@dataclass(frozen=True, slots=True)
class Ticket:
    """One ticket row this cycle: its ID, where it is, its tracked fields and its row hash."""

    ticket_id: str
    row: int
    fields: Mapping[str, str | None]
    row_hash: str
    in_sheet: bool = True  # the ID was read from the row, not just given to it this cycle


@dataclass(frozen=True, slots=True)
class Snapshot:
    """What the state store remembers of a ticket between cycles."""

    ticket_id: str
    row: int
    fields: Mapping[str, str | None] = field(default_factory=dict)
    row_hash: str = ""
    present: bool = True  # False once its row is gone from the tracker
    in_sheet: bool = True  # False while its ID has not yet been read back from the sheet
    marks: Mapping[str, str] = field(default_factory=dict)  # column key -> the note sheetsync
    # put on that cell (with its highlight), so it knows what to take away when fixed
    archived: bool = False  # gone from the tracker tab into the archive tab, not deleted


def tracked_fields(sheet: Sheet) -> list[dict[str, str | None]]:
    """Each row's tracked fields, by role, in canonical form.

    Rows with the same fields share one dict (most rows share a few combinations, and the
    daemon keeps every ticket's between cycles), so callers treat them as read-only.
    """
    roles = sheet.schema.roles
    columns: list[tuple[str, list[str | None] | None]] = []
    for role in TRACKED:
        key = getattr(roles, role)
        values = sheet.columns.get(key)
        if values is None:
            columns.append((role, None))
            continue
        canonical = _canonical_reader(sheet.schema.column(key))
        seen: dict[Any, str | None] = {}
        columns.append((role, [seen[v] if v in seen else seen.setdefault(v, canonical(v))
                               for v in values]))
    count = len(sheet.numbers)
    flagged = [set(sheet.where(getattr(sheet.schema.classify, flag))) for flag in FLAGS]
    names = (*TRACKED, *FLAGS)
    cells = [*(values if values is not None else repeat(None, count) for _, values in columns),
             *([YES if i in rows else None for i in range(count)] for rows in flagged)]
    shared: dict[tuple[str | None, ...], dict[str, str | None]] = {}
    return [shared.get(key) or shared.setdefault(key, dict(zip(names, key)))
            for key in zip(*cells)]


def _canonical_reader(column: Column) -> Any:
    by_normal = {normalize(v): v for v in column.values}

    def read(value: Any) -> str | None:
        if is_blank(value):
            return None
        text = text_of(value).strip()
        if column.kind == "choice":
            return by_normal.get(normalize(text), text)
        if column.kind == "people":
            return people_canonical(text).canonical or text
        return text

    return read


def row_hashes(sheet: Sheet, key: bytes) -> list[str]:
    """A keyed hash (BLAKE2b with the state's secret) of each row's person-owned values.

    Daemon-owned columns (the ticket ID it writes, Sync Notes) are left out, so the daemon's
    own writes never make a row look changed.
    """
    keys = sorted(k for k in sheet.columns if sheet.schema.column(k).owner != "daemon")
    columns = [[c if c.__class__ is str and c and not c.isspace() else
                _HASHED_BLANK if is_blank(c) else text_of(c) for c in sheet.columns[k]]
               for k in keys]
    keyed = hashlib.blake2b(key=key[:64], digest_size=16)
    hashes = []
    for cells in zip(*columns) if columns else ([()] * len(sheet.numbers)):
        digest = keyed.copy()
        digest.update("\x1f".join(cells).encode())
        hashes.append(digest.hexdigest())
    return hashes


_HASHED_BLANK = "\x00"  # a blank cell, distinct from any text

