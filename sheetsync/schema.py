"""The tracker schema: columns, their kinds and vocabularies, who owns them, and the two presets.

A schema is data. The presets transcribe the source documents (the Seller Support Tracker
Guide and the SayPro User Support Interaction Log Template); a team adapts one through the
config (a renamed column, an extra vocabulary value, an added column) without touching code.
Columns bind to a tab by header text, never by position.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import compress, count, zip_longest
from operator import not_
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from sheetsync.errors import TrackerError
from sheetsync.core.perf import without_gc
from sheetsync.core.column_scan import column_text
from sheetsync.core.table import Grid, column_letter, has_content, is_blank
from sheetsync.core.values import text_of

ColumnKind = Literal[
    "text",  # free text; only the required check applies
    "phone",  # a WhatsApp number, +<country code><number>
    "choice",  # one value of a vocabulary
    "timestamp",  # YYYY-MM-DD HH:MM, or a real date-time cell
    "date",  # YYYY-MM-DD, a real date cell, or N/A
    "duration",  # 30 minutes, 2 hours, 1 hour 30 minutes
    "ticket_id",  # INT-000123
    "task_id",  # a ClickUp task ID
    "contact",  # an e-mail address or a phone number
    "people",  # Name (Role), Name (Role)
    "notes",  # written by sheetsync only
]
Owner = Literal[
    "person",  # people type it; sheetsync never writes it
    "daemon",  # sheetsync writes it; people's edits are replaced
    "shared",  # people may type it; sheetsync fills only blank cells
]

#: How many rows from the top of a tab are searched for the header row.
HEADER_SEARCH_ROWS = 20
_LOOSE_ID = re.compile(r"([A-Za-z]*)[\s\-_#]*([0-9]+)")  # int-1234, INT 1234, #1234


class Column(BaseModel):
    """One tracker column: how it is found, what it holds and who may write it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    key: str
    header: str
    kind: ColumnKind = "text"
    aliases: tuple[str, ...] = ()
    values: tuple[str, ...] = ()
    required: bool = False  # a value must be present in every ticket row
    optional: bool = False  # the column may be missing from the tab
    owner: Owner = "person"

    @property
    def names(self) -> tuple[str, ...]:
        return (self.header, *self.aliases)


class Condition(BaseModel):
    """A declarative test on one column: its value is one of `values`, or contains a phrase."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    column: str
    values: tuple[str, ...] = ()
    contains: tuple[str, ...] = ()
    _normalized: frozenset[str] = PrivateAttr(default=frozenset())
    _phrases: tuple[str, ...] = PrivateAttr(default=())

    def model_post_init(self, context: Any, /) -> None:
        self._normalized = frozenset(normalize(v) for v in self.values)
        self._phrases = tuple(p.casefold() for p in self.contains)

    def matches_value(self, value: Any) -> bool:
        """True when the value is one of `values` (any case or spacing) or contains a phrase."""
        if is_blank(value):
            return False
        text = str(value)
        if normalize(text) in self._normalized:
            return True
        lowered = text.casefold()
        return any(phrase in lowered for phrase in self._phrases)


class Classify(BaseModel):
    """What makes a ticket escalated, resolved or technical, as conditions (any one matches)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    escalated: tuple[Condition, ...] = ()
    resolved: tuple[Condition, ...] = ()
    technical: tuple[Condition, ...] = ()


class TicketIdFormat(BaseModel):
    """Ticket IDs are a prefix and a zero-padded number: INT-000001."""

    model_config = ConfigDict(frozen=True, extra="forbid", use_attribute_docstrings=True)

    prefix: str = Field(default="INT-", min_length=1)
    """ticket ID prefix (default: the preset's, `"INT-"`)"""
    digits: int = Field(default=6, ge=1, le=12)
    """zero-padded digits, 1 to 12 (default: the preset's, 6: `INT-000123`)"""

    def format(self, number: int) -> str:
        return f"{self.prefix}{number:0{self.digits}d}"

    @property
    def pattern(self) -> str:
        """A regular expression for IDs written canonically (no extra leading zeros)."""
        return f"{re.escape(self.prefix)}(?:[0-9]{{{self.digits}}}|[1-9][0-9]{{{self.digits},}})"

    def read(self, cell: Any) -> str | None:
        """The ticket ID a cell holds, written canonically: `int-1234`, `INT 1234` or `1234`
        read as `INT-001234`. None when the cell is blank or holds no such ID."""
        if cell.__class__ is str and cell.startswith(self.prefix):
            digits = cell[len(self.prefix):]
            if digits.isascii() and digits.isdigit() and (
                    len(digits) == self.digits or (len(digits) > self.digits and digits[0] != "0")):
                return str(cell)  # already canonical: the common case
        if is_blank(cell):
            return None
        match = _LOOSE_ID.fullmatch(text_of(cell).strip())
        if not match:
            return None
        letters, number = match.groups()
        if letters and normalize(letters) != normalize(self.prefix):
            return None
        return self.format(int(number))


class Roles(BaseModel):
    """Which column plays each part the rules and reports need, by column key."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    ticket_id: str
    status: str
    type: str
    seller: str  # the seller's identity (WhatsApp number; User ID)
    seller_name: str
    assignee: str
    description: str
    timestamp: str
    resolution: str
    priority: str
    contact: str
    task_id: str
    sync_notes: str
    followup_required: str | None = None
    followup_date: str | None = None
    first_response: str | None = None  # a column holding the time to first response
    resolution_time: str | None = None  # a column holding the time to resolution
    feedback: str | None = None  # the user's feedback on the resolution
    level: str | None = "escalation_level"  # L1, L2, L3, where the team records it


class Schema(BaseModel):
    """A preset with a team's overrides applied: everything needed to bind and check a tab."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    columns: tuple[Column, ...]
    roles: Roles
    ticket_id: TicketIdFormat = TicketIdFormat()
    classify: Classify
    waiting: tuple[str, ...] = ()  # statuses that wait on the seller (not first-contact)
    people_example: str = "Priya (Support), Rahul (Tech)"  # two people, as its messages show

    def column(self, key: str) -> Column:
        for column in self.columns:
            if column.key == key:
                return column
        raise KeyError(key)


def normalize(text: str) -> str:
    """Header and vocabulary matching ignores case, spaces and punctuation."""
    return re.sub(r"[\W_]+", "", text.casefold())


# --- presets -------------------------------------------------------------------------------

LEVEL_COLUMN = Column(key="escalation_level", header="Escalation Level", kind="choice",
                      optional=True, values=("L1", "L2", "L3"),
                      aliases=("Level", "Support Level"))
SUGGESTED_PRIORITY = "suggested_priority"
SUGGESTED_CATEGORY = "suggested_category"  # the SayPro preset's automated categorisation


def _daemon_columns() -> tuple[Column, ...]:
    """Columns sheetsync adds to any tracker: the ClickUp link, its own notes, and the
    priority the guide's guidelines suggest."""
    return (
        Column(key="clickup_task_id", header="ClickUp Task ID", kind="task_id", owner="shared",
               optional=True, aliases=("ClickUp Task", "ClickUp ID", "ClickUp")),
        Column(key="sync_notes", header="Sync Notes", kind="notes", owner="daemon",
               optional=True, aliases=("sheetsync Notes", "Sheetsync")),
        Column(key=SUGGESTED_PRIORITY, header="Suggested Priority", kind="notes",
               owner="daemon", optional=True),
    )


SELLER_SUPPORT = Schema(
    name="seller-support",
    columns=(
        Column(key="ticket_id", header="Ticket ID", kind="ticket_id", owner="daemon", optional=True,
               aliases=("Ticket", "Ticket No", "Ticket Number")),
        Column(key="whatsapp_number", header="WhatsApp Number", kind="phone", required=True,
               aliases=("WhatsApp", "WhatsApp No", "Phone", "Phone Number", "Mobile",
                        "Mobile Number", "Contact Number")),
        Column(key="seller_name", header="Seller Name", required=True,
               aliases=("Seller", "Business Name", "Store Name")),
        Column(key="issue_type", header="Issue Type", kind="choice", required=True,
               values=("Bug", "Help", "Feature Request", "Complaint"),
               aliases=("Type", "Issue Category")),
        Column(key="description", header="Description", required=True,
               aliases=("Issue Description", "Details", "Issue")),
        Column(key="status", header="Status", kind="choice", required=True,
               values=("Pending", "In Progress", "Resolved", "Escalated",
                       "Awaiting Seller Response"),
               aliases=("Ticket Status", "State")),
        Column(key="assigned_to", header="Assigned To", kind="people",
               aliases=("Assignee", "Owner", "Assigned")),
        Column(key="resolution_summary", header="Resolution Summary",
               aliases=("Resolution", "Resolution Notes")),
        Column(key="timestamp", header="Timestamp", kind="timestamp", required=True,
               aliases=("Reported At", "Date Reported", "Created At", "Date")),
        Column(key="priority", header="Priority", kind="choice", optional=True,
               values=("High", "Medium", "Low"), aliases=("Urgency",)),
        LEVEL_COLUMN,
        *_daemon_columns(),
    ),
    roles=Roles(
        ticket_id="ticket_id", status="status", type="issue_type", seller="whatsapp_number",
        seller_name="seller_name", assignee="assigned_to", description="description",
        timestamp="timestamp", resolution="resolution_summary", priority="priority",
        contact="whatsapp_number", task_id="clickup_task_id", sync_notes="sync_notes",
    ),
    classify=Classify(
        escalated=(Condition(column="status", values=("Escalated",)),),
        resolved=(Condition(column="status", values=("Resolved",)),),
        technical=(Condition(column="issue_type", values=("Bug",)),),
    ),
    waiting=("Awaiting Seller Response",),
)

SAYPRO_INTERACTION_LOG = Schema(
    name="saypro-interaction-log",
    columns=(
        Column(key="interaction_id", header="Interaction ID", kind="ticket_id", owner="shared",
               optional=True, aliases=("Ticket ID", "Ticket")),
        Column(key="interaction_at", header="Date and Time of Interaction", kind="timestamp",
               required=True,
               aliases=("Date and Time", "Date/Time", "Interaction Date", "Timestamp")),
        Column(key="user_id", header="User ID/Username", required=True,
               aliases=("User ID", "Username", "User")),
        Column(key="user_contact", header="User Contact Information", kind="contact",
               required=True,
               aliases=("User Contact", "Contact", "Contact Information", "Contact Info")),
        Column(key="description", header="Issue/Request Description", required=True,
               aliases=("Description", "Issue Description", "Request Description")),
        Column(key="category", header="Category of Issue/Request", kind="choice",
               values=("Account-related", "Listing-related", "Transaction-related",
                       "Technical", "General inquiry"),
               aliases=("Category", "Issue Category")),
        Column(key="urgency", header="Urgency Level", kind="choice",
               values=("High", "Medium", "Low"), aliases=("Urgency", "Priority")),
        LEVEL_COLUMN,
        Column(key="agent", header="Assigned Support Agent", kind="people",
               aliases=("Support Agent", "Agent", "Assigned To")),
        Column(key="method", header="Support Interaction Method", kind="choice", optional=True,
               values=("Live chat", "Phone support", "Support ticket system", "Email"),
               aliases=("Interaction Method", "Channel", "Method")),
        Column(key="initial_response_time", header="Initial Response Time", kind="duration",
               optional=True, aliases=("First Response Time", "Response Time")),
        Column(key="resolution_time", header="Resolution Time", kind="duration", optional=True),
        Column(key="resolution_provided", header="Resolution Provided",
               aliases=("Resolution",)),
        Column(key="additional_actions", header="Additional Actions Taken", optional=True,
               aliases=("Additional Actions", "Actions Taken")),
        Column(key="feedback", header="Feedback from User", optional=True,
               aliases=("Feedback", "User Feedback")),
        Column(key="followup_required", header="Follow-up Required", kind="choice",
               optional=True, values=("Yes", "No"), aliases=("Follow-up", "Followup Needed")),
        Column(key="followup_date", header="Follow-up Date", kind="date", optional=True),
        Column(key="final_outcome", header="Final Outcome", kind="choice",
               values=("Resolved and closed", "Pending further investigation",
                       "User did not respond to follow-up"),
               aliases=("Outcome", "Status")),
        *_daemon_columns(),
        Column(key=SUGGESTED_CATEGORY, header="Suggested Category", kind="notes",
               owner="daemon", optional=True),
    ),
    roles=Roles(
        ticket_id="interaction_id", status="final_outcome", type="category", seller="user_id",
        seller_name="user_id", assignee="agent", description="description",
        timestamp="interaction_at", resolution="resolution_provided", priority="urgency",
        contact="user_contact", task_id="clickup_task_id", sync_notes="sync_notes",
        followup_required="followup_required", followup_date="followup_date",
        first_response="initial_response_time", resolution_time="resolution_time",
        feedback="feedback",
    ),
    waiting=("User did not respond to follow-up",),
    people_example="Sarah L., Sipho N.",  # the template's agents, as it names them
    classify=Classify(
        # The template records an escalation in Additional Actions Taken ("Escalation to a
        # higher level of support or development team").
        escalated=(Condition(column="additional_actions",
                             contains=("escalated to", "escalation to", "escalate to")),),
        resolved=(Condition(column="final_outcome", values=("Resolved and closed",)),),
        technical=(Condition(column="category", values=("Technical",)),),
    ),
)

PRESETS: Mapping[str, Schema] = {s.name: s for s in (SELLER_SUPPORT, SAYPRO_INTERACTION_LOG)}


# --- overrides from the config ------------------------------------------------------------

class ColumnOverride(BaseModel):
    """A team's change to one column, or a new column (which then needs a header)."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    header: str | None = None
    """the header text; matching ignores case, spaces and punctuation"""
    aliases: list[str] = []
    """more header texts for the same column"""
    kind: ColumnKind | None = None
    """what the column holds, and so how its cells are checked"""
    values: list[str] | None = None
    """the vocabulary of a `choice` column (replaces the preset's)"""
    extra_values: list[str] = []
    """values added to the preset's vocabulary"""
    required: bool | None = None
    """every ticket row needs a value"""
    optional: bool | None = None
    """the column may be missing from the tab"""
    owner: Owner | None = None
    """only for the ticket ID column: `daemon` (sheetsync writes it) or `shared` (people may
    type IDs; sheetsync fills blanks)"""


class SchemaOverrideError(ValueError):
    """An override that does not fit the preset; `path` is the key path in the config."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(message)
        self.path = path
        self.message = message


def apply_overrides(
    preset: Schema,
    columns: Mapping[str, ColumnOverride] | None = None,
    ticket_id: TicketIdFormat | None = None,
    classify: Mapping[str, Sequence[Condition]] | None = None,
) -> Schema:
    """The preset with a team's column, ticket ID and classification overrides applied."""
    by_key = {c.key: c for c in preset.columns}
    for key, override in (columns or {}).items():
        path = f"columns.{key}"
        by_key[key] = _override_column(path, key, by_key.get(key), override)
    schema = preset.model_copy(update={
        "columns": tuple(by_key.values()),
        "ticket_id": ticket_id or preset.ticket_id,
        "classify": preset.classify.model_copy(update=dict(classify or {})),
    })
    _check_consistent(schema)
    return schema


def _override_column(path: str, key: str, base: Column | None, o: ColumnOverride) -> Column:
    if base is None:
        if not o.header:
            raise SchemaOverrideError(
                path, "not a column of this preset; to add a column, give it a header")
        base = Column(key=key, header=o.header, optional=True)
    if o.owner is not None and o.owner != base.owner and base.kind != "ticket_id":
        raise SchemaOverrideError(f"{path}.owner", "only the ticket ID column's owner can change")
    kind = o.kind or base.kind
    if (o.values is not None or o.extra_values) and kind != "choice":
        raise SchemaOverrideError(path, f'values apply to choice columns; this one is "{kind}"')
    values = tuple(o.values) if o.values is not None else base.values
    values += tuple(v for v in o.extra_values if v not in values)
    if kind == "choice" and not values:
        raise SchemaOverrideError(f"{path}.values", "a choice column needs at least one value")
    return base.model_copy(update={
        "header": o.header or base.header,
        "aliases": base.aliases + tuple(a for a in o.aliases if a not in base.aliases),
        "kind": kind,
        "values": values,
        "required": base.required if o.required is None else o.required,
        "optional": base.optional if o.optional is None else o.optional,
        "owner": o.owner or base.owner,
    })


def _check_consistent(schema: Schema) -> None:
    """Every header or alias reads as one column only, and conditions name real columns."""
    seen: dict[str, str] = {}
    for column in schema.columns:
        for name in column.names:
            other = seen.setdefault(normalize(name), column.key)
            if other != column.key:
                raise SchemaOverrideError(
                    f"columns.{column.key}",
                    f'"{name}" would also match column {other}; headers and aliases must be unique')
    keys = {c.key for c in schema.columns}
    for kind in ("escalated", "resolved", "technical"):
        for i, condition in enumerate(getattr(schema.classify, kind)):
            if condition.column not in keys:
                raise SchemaOverrideError(
                    f"classify.{kind}[{i}].column",
                    f'"{condition.column}" is not a column key (expected one of: '
                    f'{", ".join(sorted(keys))})')


# --- binding a tab ------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Binding:
    """Where each schema column sits in one tab, found by header text."""

    tab: str
    header_row: int
    positions: Mapping[str, int]  # column key -> 0-based position
    headers: Mapping[str, str]  # column key -> header text as the sheet spells it
    unknown: tuple[str, ...]  # headers sheetsync does not know; kept and left alone
    absent: tuple[str, ...]  # keys of optional columns the tab does not have


@dataclass(frozen=True)
class Sheet:
    """A tab bound to a schema: its ticket rows, held column by column (checks and rules scan
    a column's distinct values once, rather than every row)."""

    schema: Schema
    binding: Binding
    numbers: Sequence[int]  # the sheet row number of each ticket row
    columns: Mapping[str, Sequence[Any]]  # column key -> one value per ticket row

    def text(self, key: str | None, position: int) -> str | None:
        """A cell's text, stripped; None when blank or when the sheet has no such column."""
        values = self.columns.get(key) if key else None
        value = values[position] if values is not None else None
        return None if is_blank(value) else text_of(value).strip()

    def header(self, key: str) -> str:
        """The column's header as the sheet spells it (the schema's when absent)."""
        return self.binding.headers.get(key) or self.schema.column(key).header

    def subset(self, positions: Sequence[int]) -> Sheet:
        """The same tab with only the rows at these positions (row numbers kept), for work on
        the rows that changed."""
        return Sheet(self.schema, self.binding, [self.numbers[p] for p in positions],
                     {key: [values[p] for p in positions]
                      for key, values in self.columns.items()})

    def where(self, conditions: Sequence[Condition]) -> Sequence[int]:
        """Positions (in `numbers`) of the rows any condition matches, in order (each
        column's distinct values tested once, the rows found in C)."""
        found: list[Iterable[int]] = []
        for condition in conditions:
            column = self.columns.get(condition.column)
            if column is None:
                continue
            hits = {v for v in set(column) if condition.matches_value(v)}
            if hits:
                found.append(compress(count(), map(hits.__contains__, column)))
        return list(found[0]) if len(found) == 1 else sorted(set().union(*found))


@without_gc
def bind(grid: Grid, schema: Schema) -> Sheet:
    """Find the header row, bind columns by header text, and read the ticket rows under it.

    Raises TrackerError naming the tab when no header row is found, when two columns read
    as the same one, or when a column the schema requires is missing.
    """
    header_row, header = find_header(grid, schema)
    lookup = header_lookup(schema)
    positions: dict[str, int] = {}
    headers: dict[str, str] = {}
    unknown: list[str] = []
    for position, cell in enumerate(header):
        if is_blank(cell):
            continue
        text = str(cell).strip()
        key = lookup.get(normalize(text))
        if key is None:
            unknown.append(text)
        elif key in positions:
            first = positions[key]
            raise TrackerError(
                f'tab "{grid.tab}" has two columns for {schema.column(key).header}: '
                f'{column_letter(first)} ("{headers[key]}") and '
                f'{column_letter(position)} ("{text}"); rename or remove one')
        else:
            positions[key] = position
            headers[key] = text
    missing = [c.header for c in schema.columns
               if c.key not in positions and not c.optional and c.owner == "person"]
    if missing:
        plural = "s" if len(missing) > 1 else ""
        raise TrackerError(
            f'tab "{grid.tab}" is missing required column{plural} {", ".join(missing)} '
            f"(header row {header_row} has: {', '.join(map(str, filter(None, header)))})")
    binding = Binding(
        tab=grid.tab, header_row=header_row, positions=positions, headers=headers,
        unknown=tuple(unknown),
        absent=tuple(c.key for c in schema.columns if c.key not in positions),
    )
    rows = grid.rows[header_row + 1 - grid.first_row:]
    transposed = list(zip_longest(*rows)) if rows else []
    numbers: Sequence[int] = range(header_row + 1, header_row + 1 + len(rows))
    kept = _ticket_rows(rows, transposed[0] if transposed else ())
    if kept is not None:  # wholly empty rows are no tickets
        numbers = tuple(compress(numbers, kept))
        transposed = [tuple(compress(column, kept)) for column in transposed]
    width = len(transposed)
    columns = {key: transposed[p] if p < width else (None,) * len(numbers)
               for key, p in positions.items()}
    return Sheet(schema=schema, binding=binding, numbers=numbers, columns=columns)


def header_lookup(schema: Schema) -> dict[str, str]:
    """Every header (and alias) the schema knows, normalized, to its column's key."""
    return {normalize(name): column.key for column in schema.columns for name in column.names}


def find_header(grid: Grid, schema: Schema) -> tuple[int, tuple[Any, ...]]:
    """The row near the top that names the most schema columns: its number and its cells."""
    known = header_lookup(schema)
    best: tuple[int, int, tuple[Any, ...]] | None = None
    for number, cells in enumerate(grid.rows[:HEADER_SEARCH_ROWS], start=grid.first_row):
        score = sum(1 for cell in cells if isinstance(cell, str) and normalize(cell) in known)
        if score >= 2 and (best is None or score > best[0]):
            best = (score, number, cells)
    if best is None:
        expected = ", ".join(c.header for c in schema.columns if not c.optional)
        raise TrackerError(
            f'tab "{grid.tab}" has no header row: none of its first {HEADER_SEARCH_ROWS} rows '
            f"names the {schema.name} columns ({expected})")
    return best[1], best[2]


_PRINTABLE_LEAD = re.compile(r"[^\x00- ]")  # a first character after the space
_DOUBTFUL_LEAD = re.compile(r"\n[\x00- ]")  # a line empty, or a space or control first


def _ticket_rows(rows: Sequence[tuple[Any, ...]], firsts: Sequence[Any]) -> list[bool] | None:
    """Which rows under the header hold a ticket (not wholly empty); None when all do.

    Most rows start with text that starts with a letter or digit, told for the whole first
    column by one search in C; only the rows that do not need a closer look.
    """
    text = column_text(firsts)
    if text is None:  # a number, date or blank cell first somewhere
        doubtful: Iterable[int] = [i for i, lead in enumerate(firsts) if lead.__class__ is not str
                                   or not lead or lead[0] <= " "]
    elif _DOUBTFUL_LEAD.search(text) is None:
        return None
    else:
        doubtful = compress(count(), map(not_, map(_PRINTABLE_LEAD.match, firsts)))
    empty = {i for i in doubtful if not has_content(rows[i])}
    return [i not in empty for i in range(len(rows))] if empty else None
