"""`sheetsync setup`: what preparing a tracker means, as plain data each backend applies.

A prepared tracker has the preset's header, a frozen header row and a filter, a dropdown on
every column with a vocabulary (shown, not strict: a person's odd value is flagged by
sheetsync, never rejected by the sheet), and a warning on the columns sheetsync writes. Every
piece is marked as sheetsync's, so running setup again adds nothing and `setup --remove`
takes back exactly what setup and the daemon added, leaving people's data and columns.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field

from sheetsync.errors import InputError
from sheetsync.schema import Schema, header_lookup, normalize

MARK = "sheetsync"  # starts the description of everything setup adds


@dataclass(frozen=True)
class TrackerSetup:
    """What a prepared tracker tab has."""

    schema: Schema
    header: tuple[str, ...]  # a new tab's header: every column of the preset
    choices: dict[str, tuple[str, ...]]  # column header -> its vocabulary, for a dropdown
    owned: tuple[str, ...]  # headers of the columns sheetsync writes
    rows: Sequence[Sequence[str]] = field(default_factory=tuple)  # tickets to import


@dataclass
class Changes:
    """What a setup run changed, in words, for the command's output."""

    done: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # what it could not do, and why


def plan_setup(schema: Schema, imported: str | None = None) -> TrackerSetup:
    """The preset's tab, with the tickets of an imported CSV (its header row bound by text,
    as the tracker's is: columns in any order, missing ones added, unknown ones kept)."""
    header = tuple(c.header for c in schema.columns)
    rows: list[list[str]] = []
    if imported is not None:
        header, rows = _imported(imported, schema)
    return TrackerSetup(
        schema=schema,
        header=header,
        choices={c.header: c.values for c in schema.columns
                 if c.kind == "choice" and c.values and c.owner == "person"},
        owned=tuple(c.header for c in schema.columns if c.owner == "daemon"),
        rows=rows)


def validation_message(values: Sequence[str]) -> str:
    """The help a dropdown shows; sheetsync knows its own validations by it."""
    return f"{MARK}: one of {', '.join(values)}"


def protection_description(header: str) -> str:
    return f"{MARK}: {header} is written by sheetsync; an edit here is replaced"


def _imported(text: str, schema: Schema) -> tuple[tuple[str, ...], list[list[str]]]:
    """The preset's header (then the CSV's own extra columns) and the CSV's rows laid out
    under it, each value under the column its header names."""
    try:
        table = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    except csv.Error as exc:
        raise InputError(f"--import: not a readable CSV file ({exc})") from None
    if not table:
        raise InputError("--import: the CSV file is empty; its first row must be the header")
    found = [cell.strip() for cell in table[0]]
    known = header_lookup(schema)
    if sum(1 for h in found if normalize(h) in known) < 2:
        raise InputError(
            f"--import: the CSV's first row ({', '.join(found)}) names none of the "
            f"{schema.name} columns; it must be the header")
    long = next((n for n, row in enumerate(table[1:], start=2) if len(row) > len(found)), None)
    if long is not None:
        raise InputError(f"--import: row {long} of the CSV has more cells than its header")
    header = [c.header for c in schema.columns]
    keys = [c.key for c in schema.columns]
    place = []
    for title in found:
        key = known.get(normalize(title))
        if key is not None and key in keys:
            place.append(keys.index(key))
        else:
            place.append(len(header))
            header.append(title)
    rows = []
    for row in table[1:]:
        if not any(cell.strip() for cell in row):
            continue
        laid = [""] * len(header)
        for position, value in zip(place, row):
            laid[position] = value
        rows.append(laid)
    return tuple(header), rows
