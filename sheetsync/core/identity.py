"""Ticket identity: every row gets a stable ID, never reused, and a copied row is told apart.

Pure: it sees each row's ID cell, hash and tracked fields, and what the state store knows of
every ticket ever seen. It decides which ID each row has, which new IDs to write, and which
IDs are in dispute (two rows claiming one ID where people own the column), so that no effect
fires for them until a person settles it.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sheetsync.schema import Owner, Sheet, TicketIdFormat
from sheetsync.core.table import is_blank
from sheetsync.core.tickets import TRACKED, Snapshot, Ticket, row_hashes, tracked_fields
from sheetsync.core.values import text_of


@dataclass(frozen=True, slots=True)
class RowKey:
    """What identity needs of one row: its ID cell, where it is, its hash and tracked fields."""

    id_cell: Any
    row: int
    row_hash: str
    fields: Mapping[str, str | None]


@dataclass(frozen=True)
class Identity:
    """Each row's ticket ID after assignment, and what the daemon must write or say about it."""

    ids: tuple[str | None, ...]  # by row position; None while the row's ID is in dispute
    written: Mapping[int, str]  # row position -> the ID to write into its Ticket ID cell
    notes: Mapping[int, str]  # row position -> what Sync Notes says about its identity
    disputed: frozenset[str]  # IDs two rows claim where people own the column
    next_number: int  # the first number never used; stored so IDs are never reused
    fresh: frozenset[int] = frozenset()  # positions given their ID this cycle, not read from it
    # Each ticket's row position (a ticket in dispute has none); worked out from `ids` when
    # not given (a carried identity passes the last cycle's, extended).
    position: Mapping[str, int] = field(default_factory=dict)
    # Positions where sheetsync's own last write had put another new ticket's ID (a lost
    # race): position -> that ID, rewritten now with the row's own (see `_lost_races`), or
    # cleared where the row holds nothing else a person typed (its ID is None).
    mended: Mapping[int, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.position:
            object.__setattr__(self, "position", {ticket: i for i, ticket in enumerate(self.ids)
                                                  if ticket is not None})


def assign(
    rows: Sequence[RowKey],
    known: Mapping[str, Snapshot],
    fmt: TicketIdFormat,
    owner: Owner,
    next_number: int,
    rehash: Callable[[int], str | None] | None = None,
) -> Identity:
    """Give every row its ticket ID.

    A row whose ID another row also carries is a copy unless it is the original: the row
    that matches the stored snapshot best (same hash, then most tracked fields in common, then
    nearest the row it was last seen on). Where sheetsync owns the column, copies get new IDs;
    where people own it, every row claiming the ID is left for a person and the ID is in
    dispute. Rows without an ID get the next numbers in row order. A new ID sheetsync's write
    left on another ticket's row is put right first (`rehash` gives a row's hash without the
    task ID that write may have left there too, None when nothing else is left in it).
    """
    ids: list[str | None] = [None] * len(rows)
    written: dict[int, str] = {}
    notes: dict[int, str] = {}
    disputed: set[str] = set()
    claims: dict[str, list[int]] = defaultdict(list)
    blank: list[int] = []
    for position, row in enumerate(rows):
        ticket = fmt.read(row.id_cell)
        if ticket is None and not is_blank(row.id_cell) and owner != "daemon":
            ticket = text_of(row.id_cell).strip()  # a person's own ID: tracked as written
        if ticket is None:
            blank.append(position)
            if not is_blank(row.id_cell):
                notes[position] = f'Replaced the unreadable ticket ID "{text_of(row.id_cell)}".'
            continue
        claims[ticket].append(position)
        if owner == "daemon" and ticket != text_of(row.id_cell):
            written[position] = ticket  # int-5 -> INT-000005, in the column sheetsync owns
    mended = _lost_races(rows, claims, known, fmt, rehash)
    for position, ticket in mended.items():  # sheetsync's own ID on another ticket's row
        claimed = fmt.read(rows[position].id_cell)
        assert claimed is not None  # (a lost race is an ID sheetsync wrote)
        claims[claimed].remove(position)
        if not claims[claimed]:
            del claims[claimed]
        if ticket is not None:  # else the row is only what that write left: no ticket
            claims[ticket].append(position)
            written[position] = ticket
    copies: list[tuple[int, str, int]] = []  # (position, claimed ID, original's row)
    for ticket, positions in claims.items():
        original = positions[0] if len(positions) == 1 else \
            _original(ticket, positions, rows, known.get(ticket))  # a copy: which is which
        if len(positions) > 1 and owner != "daemon":
            disputed.add(ticket)
            for position in positions:
                others = ", ".join(str(rows[p].row) for p in positions if p != position)
                notes[position] = (f"Ticket ID {ticket} is also on row {others}; give the copy "
                                   "a new ID (or clear it and sheetsync will).")
            continue
        ids[original] = ticket
        copies += [(p, ticket, rows[original].row) for p in positions if p != original]
    number = max(next_number, _highest(known, fmt) + 1, _highest(claims, fmt) + 1)
    # An ID given out last cycle whose write never reached the sheet (the file changed under
    # it) is found again, by the row's hash or else its row, so the ticket keeps its ID and
    # history. Only such IDs: one a person saw in the sheet is never handed to another row.
    unwritten = {t: s for t, s in known.items()
                 if s.present and not s.in_sheet and t not in claims}
    by_hash = {s.row_hash: t for t, s in unwritten.items()}
    by_row = {s.row: t for t, s in unwritten.items()}
    blank_at = set(blank)  # a set: a list made adopting 100k rows without IDs quadratic
    for position in sorted([*blank, *(p for p, _, _ in copies)]):
        ticket = None
        if position in blank_at:
            ticket = by_hash.get(rows[position].row_hash) or by_row.get(rows[position].row)
            if ticket is not None:
                by_hash.pop(unwritten[ticket].row_hash, None)
                by_row.pop(unwritten[ticket].row, None)
        if ticket is None:
            ticket = fmt.format(number)
            number += 1
        ids[position] = written[position] = ticket
    for position, claimed, original_row in copies:
        notes[position] = (f"This row copied ticket {claimed} (row {original_row}); "
                           f"it is now ticket {ids[position]}.")
    # A mended row's ID is not in the sheet until the rewrite is read back.
    fresh = frozenset([*blank, *(p for p, _, _ in copies), *mended])
    return Identity(tuple(ids), written, notes, frozenset(disputed), number, fresh,
                    mended={p: text_of(rows[p].id_cell) for p in mended})


def _lost_races(rows: Sequence[RowKey], claims: Mapping[str, Sequence[int]],
                known: Mapping[str, Snapshot], fmt: TicketIdFormat,
                rehash: Callable[[int], str | None] | None) -> dict[int, str | None]:
    """Rows where sheetsync's last write put a new ID on another ticket's row (a person
    sorted, inserted or deleted rows after sheetsync last looked, before its write landed):
    row position -> the ticket the row is.

    Only an ID sheetsync gave out and has not yet read back (so only its own write can have
    put it there), written exactly as it writes IDs, on a row whose content is not that new
    ticket's but is exactly one other ticket's snapshot, whose own ID is on no other row (it
    was written over); or (None) on a row holding nothing else a person typed (rows were
    deleted: the write landed past the last one). Anything less certain is left to the rules for copies and disputes,
    and nothing is rewritten.
    """
    suspects = {p: t for t, positions in claims.items()
                if (s := known.get(t)) is not None and s.present and not s.in_sheet
                for p in positions
                if rows[p].row_hash != s.row_hash and text_of(rows[p].id_cell) == t}
    if not suspects:
        return {}
    without = {p: rehash(p) for p in suspects} if rehash is not None else {}
    hashes = {p: {rows[p].row_hash, *(h for h in [without.get(p)] if h is not None)}
              for p in suspects}
    owners: dict[str, set[str]] = defaultdict(set)
    wanted = set().union(*hashes.values())
    for ticket, snapshot in known.items():
        if snapshot.present and snapshot.row_hash in wanted:
            owners[snapshot.row_hash].add(ticket)
    alike = Counter(h for found in hashes.values() for h in found)
    mended: dict[int, str | None] = {}
    for p, claimed in suspects.items():
        found = set().union(*(owners.get(h, set()) for h in hashes[p]))
        if p in without and without[p] is None and not found:
            mended[p] = None
            continue
        if len(found) != 1 or any(alike[h] != 1 for h in hashes[p] if h in owners) or \
                claimed in found or fmt.read(next(iter(found))) is None:
            continue
        ticket = next(iter(found))
        if all(q in suspects for q in claims.get(ticket, ())):
            mended[p] = ticket
    return mended


def carry(
    last: Identity,
    id_cells: Sequence[Any],
    edited: Mapping[int, Any],
    known: Mapping[str, Snapshot],
    fmt: TicketIdFormat,
    owner: Owner,
) -> Identity | None:
    """The last cycle's identity after some rows were edited and rows added below, or None
    when only `assign` over the whole tab can tell.

    `id_cells` is the ID column now (the added rows after the last cycle's), `edited` the
    ID cell each edited row had before. The identity carries over when every ID given out
    last cycle reads back from its row and no edited row's ID changed but by that write (a
    person typing, clearing or copying an ID, or a row in dispute, needs the whole tab); an
    added row keeps an ID no other row or earlier ticket has, or gets the next number.
    """
    for i, given in last.written.items():
        if _text(id_cells[i]) != given:
            return None  # given out but not in the sheet: `assign` finds it a row again
    for i, before in edited.items():
        if last.ids[i] is None:
            return None  # in dispute
        if id_cells[i] != before and last.written.get(i) is None:
            return None
    ids: list[str | None] = [*last.ids, *[None] * (len(id_cells) - len(last.ids))]
    position = dict(last.position)
    written: dict[int, str] = {}
    blank: list[int] = []
    claims: dict[str, int] = {}
    for i in range(len(last.ids), len(id_cells)):
        cell = id_cells[i]
        ticket = fmt.read(cell)
        if ticket is None and not is_blank(cell) and owner != "daemon":
            ticket = text_of(cell).strip()
        if ticket is None:
            if not is_blank(cell):
                return None  # unreadable: `assign` replaces it and says so
            blank.append(i)
        elif ticket in known or ticket in position or ticket in claims:
            return None  # a copy, or a ticket coming back: `assign` tells which is which
        else:
            claims[ticket] = i
            if owner == "daemon" and ticket != text_of(cell):
                written[i] = ticket
    number = max(last.next_number, _highest(claims, fmt) + 1)
    for i in blank:
        claims[fmt.format(number)] = i
        written[i] = fmt.format(number)
        number += 1
    for ticket, i in claims.items():
        ids[i] = ticket
        position[ticket] = i
    notes = {i: note for i, note in last.notes.items() if i not in last.written}  # disputes
    return Identity(tuple(ids), written, notes, last.disputed, number, frozenset(blank),
                    position)


def _text(cell: Any) -> str | None:
    return None if is_blank(cell) else text_of(cell).strip()


def _highest(ids: Iterable[str], fmt: TicketIdFormat) -> int:
    """The highest number among IDs in the tracker's format (0 when there is none).

    Canonical IDs sort like their numbers within one length, so the highest is the greatest
    of the longest, found without parsing every ID.
    """
    canonical = re.compile(fmt.pattern).fullmatch
    ours = [t for t in ids if canonical(t)]
    if not ours:
        return 0
    longest = max(map(len, ours))
    return int(max(t for t in ours if len(t) == longest)[len(fmt.prefix):])


def _original(ticket: str, positions: Sequence[int], rows: Sequence[RowKey],
              known: Snapshot | None) -> int:
    """Which of the rows claiming an ID is the ticket it was: the best match to its snapshot."""
    if known is None:
        return min(positions, key=lambda p: rows[p].row)

    def likeness(position: int) -> tuple[bool, int, int, int]:
        row = rows[position]
        shared = sum(1 for role in TRACKED if row.fields.get(role) == known.fields.get(role))
        return (row.row_hash == known.row_hash, shared, -abs(row.row - known.row), -row.row)

    return max(positions, key=likeness)


def identify(
    sheet: Sheet, known: Mapping[str, Snapshot], hash_key: bytes, next_number: int
) -> tuple[Identity, list[Ticket]]:
    """Assign IDs to a bound tab and return its tickets (rows in dispute are left out)."""
    hashes = row_hashes(sheet, hash_key)
    fields = tracked_fields(sheet)
    id_key = sheet.schema.roles.ticket_id
    id_cells = sheet.columns.get(id_key) or (None,) * len(sheet.numbers)
    rows = [RowKey(id_cells[i], number, hashes[i], fields[i])
            for i, number in enumerate(sheet.numbers)]
    task_key = sheet.schema.roles.task_id

    def rehash(position: int) -> str | None:  # the row without its task ID
        one = sheet.subset([position])
        if task_key in one.columns:
            one.columns[task_key][0] = None  # type: ignore[index]
        if not any(not is_blank(values[0]) for key, values in one.columns.items()
                   if sheet.schema.column(key).owner != "daemon"):
            return None
        return row_hashes(one, hash_key)[0]

    identity = assign(rows, known, sheet.schema.ticket_id, sheet.schema.column(id_key).owner,
                      next_number, rehash)
    tickets = [Ticket(ticket, rows[i].row, rows[i].fields, rows[i].row_hash,
                      in_sheet=i not in identity.fresh)
               for i, ticket in enumerate(identity.ids) if ticket is not None]
    return identity, tickets
