"""Pure checks over a bound tracker tab: one finding per (row, column, code), nothing changed.

Cell checks depend only on the cell's value (and the configured timezone, region and clock),
so each distinct value is checked once per column: a tracker has far fewer distinct phone
numbers and vocabulary values than rows. Cross-field rules (a Resolved ticket has a resolution,
an Escalated one names two people, a follow-up has its date) and duplicate ticket IDs follow.
"""

from __future__ import annotations

import difflib
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from itertools import compress, count, islice, repeat
from operator import add as add_tuples, lt, not_
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from sheetsync.core.perf import without_gc
from sheetsync.core.column_scan import unmatched
from sheetsync.core.phone_patterns import unproven_e164
from sheetsync.schema import Column, Schema, Sheet, normalize
from sheetsync.core.table import is_blank
from sheetsync.core.values import (
    EMAIL,
    NOT_APPLICABLE,
    TIMESTAMP_FORMAT,
    Parsed,
    VALID_DATE,
    VALID_TIMESTAMP,
    check_phone,
    country_code,
    is_email,
    looks_like_phone,
    means_not_applicable,
    parse_date,
    parse_duration,
    parse_timestamp,
    people_canonical,
    split_people,
    text_of,
)

#: Every finding code, with what it means. The docs' table (docs/reference/findings.md) is checked
#: against this.
CODES: Mapping[str, str] = {
    "required.missing": "A required field is empty.",
    "phone.missing_country_code": "A valid number written without + and the country code.",
    "phone.format": "A valid number written with spaces, dashes, brackets or a 00 prefix.",
    "phone.invalid": "Not a valid phone number for any country.",
    "choice.format": "A vocabulary value written in another case or spacing.",
    "choice.unknown": "Not a value of the column's vocabulary (close misspellings get a suggestion).",
    "timestamp.format": "A readable date and time not written as YYYY-MM-DD HH:MM.",
    "timestamp.invalid": "Not a date and time, a date without a time, or an ambiguous date.",
    "timestamp.in_future": "A report time later than now.",
    "date.format": "A readable date not written as YYYY-MM-DD (or N/A).",
    "date.invalid": "Not a date.",
    "duration.format": "A readable duration not written as the template does (30 minutes, 2 hours).",
    "duration.invalid": "Not a duration.",
    "ticket_id.format": "A ticket ID not in the tracker's format (INT-000123).",
    "ticket_id.duplicate": "Two or more rows carry the same ticket ID.",
    "task_id.format": "Not a ClickUp task ID (a pasted task link gets the ID as suggestion).",
    "contact.invalid": "User contact information that is neither an e-mail address nor a phone number.",
    "people.format": "Assigned people not written as Name (Role), separated by commas.",
    "resolution.missing": "A resolved ticket without a resolution summary.",
    "escalation.contact_missing": "An escalated ticket that does not name both the support "
                                  "executive and the escalation contact.",
    "followup.date_missing": "Follow-up Required is Yes but Follow-up Date is empty or N/A.",
}

#: Clock skew allowed between the person who typed a time and the machine checking it.
FUTURE_TOLERANCE = timedelta(minutes=5)


class Finding(NamedTuple):
    """One problem in one cell, said so that a support agent can fix it.

    A named tuple: immutable plain data that is cheap to make by the thousand.
    """

    row: int
    ticket_id: str | None
    column: str
    code: str
    message: str
    value: str | None
    suggestion: str | None = None


#: The one check that spans rows: a cycle redoing some rows cannot settle it alone.
DUPLICATE_ID = "ticket_id.duplicate"
#: Codes whose verdict on an unchanged cell the clock alone may change (a report time that
#: was in the future stops being so): a cycle that redoes only changed rows redoes these too.
CLOCK_CODES = frozenset({"timestamp.in_future"})


@dataclass(frozen=True, slots=True)
class CheckContext:
    """What the checks may know beyond the sheet: the clock, the timezone, the phone region."""

    now: datetime
    timezone: ZoneInfo
    phone_region: str


class Issue(NamedTuple):
    """A cell check's verdict before it is tied to a row (made once per distinct bad value)."""

    code: str
    message: str
    suggestion: str | None = None


CellCheck = Callable[[Any], Issue | None]


@dataclass(frozen=True, slots=True)
class QuickPass:
    """Text this pattern wholly matches (and, with `at_most`, that sorts no later) needs no check.

    Proves most cells of a high-cardinality column (ticket IDs, timestamps) valid in C, so the
    full check runs only on the rest. `pattern` is a regular expression's source that matches
    within one line (see `column_scan`).
    """

    pattern: str | None = None
    at_most: str | None = None
    # Or all of a column's values at once to the ones not proven valid (phone numbers).
    unproven: Callable[[Collection[Any]], set[Any]] | None = None


#: A bad value's part of its findings: code, message, the value as shown, suggestion.
Tail = tuple[str, str, str | None, str | None]


@without_gc
def check(sheet: Sheet, context: CheckContext) -> list[Finding]:
    """Every finding in the tab, ordered by row, then column position, then code."""
    schema = sheet.schema
    ticket_key = schema.roles.ticket_id
    tickets = sheet.columns.get(ticket_key)
    names: Callable[[Iterable[int]], Iterable[str | None]] = lambda at: repeat(None)
    findings: list[Finding] = []

    def add(key: str, at: Sequence[int], tails: Iterable[Tail]) -> None:
        """Findings for one column at positions `at`, put together in C (thousands of them
        in a column of distinct values)."""
        heads = zip(map(sheet.numbers.__getitem__, at), names(at), repeat(sheet.header(key)))
        findings.extend(map(_finding, map(add_tuples, heads, tails)))

    ticket_tails: Mapping[Any, Tail] = {}
    # The ticket column first: whether every ID is written canonically decides how the
    # other columns' findings name their rows.
    for column in sorted(schema.columns, key=lambda c: c.key != ticket_key):
        values = sheet.columns.get(column.key)
        if values is None:
            continue
        check_cell = _cell_check(column, schema, context)
        suspects = _suspects(values, column, check_cell, _quick_pass(column, schema, context))
        tails = _tails(suspects, column, check_cell, context.timezone)
        if column.key == ticket_key:
            ticket_tails = tails
            names = _row_names(values, as_written=not suspects and schema.ticket_id.prefix
                               == schema.ticket_id.prefix.strip())
        if 0 in suspects or 1 in suspects:  # 0, 0.0 and False are one value to a set
            add(column.key, *_typed_tails(values, tails, column, check_cell, context.timezone))
        elif tails:
            at = list(compress(count(), map(tails.__contains__, values)))
            add(column.key, at, map(tails.__getitem__, map(values.__getitem__, at)))
    shown = partial(_shown, tz=context.timezone)
    for i, key, issue in _cross_field(sheet):
        add(key, [i], [_tail_of(issue, shown(sheet.columns[key][i]))])
    for i, issue in _duplicate_ticket_ids(sheet, ticket_tails):
        add(ticket_key, [i], [_tail_of(issue, shown(sheet.columns[ticket_key][i]))])
    position = {sheet.header(key): p for key, p in sheet.binding.positions.items()}
    findings.sort(key=lambda f: (f.row, position.get(f.column, 0), f.code))
    return findings


_finding: Callable[[tuple[Any, ...]], Finding] = partial(tuple.__new__, Finding)


def _row_names(tickets: Sequence[Any], as_written: bool
               ) -> Callable[[Iterable[int]], Iterable[str | None]]:
    """How findings name the rows at some positions: by ticket ID, None where there is none.

    `as_written` when every ID is already canonical text (so stripped and not blank).
    """
    if as_written:
        return partial(map, tickets.__getitem__)
    return lambda at: map(_ticket_text, map(tickets.__getitem__, at))


def _ticket_text(ticket: Any) -> str | None:
    """A row's ticket ID as a finding names it (None: the row has none)."""
    if ticket is None:
        return None
    return (ticket if ticket.__class__ is str else text_of(ticket)).strip() or None


def _tail_of(issue: Issue, shown: str | None) -> Tail:
    return issue.code, issue.message, shown, issue.suggestion


def _suspects(values: Sequence[Any], column: Column, cell_check: CellCheck | None,
              quick: QuickPass | None) -> set[Any]:
    """The distinct values of a column that may have an issue: all but those proven valid.

    Scans run over the column list, not a set of it: for columns of mostly unique values
    (descriptions, ticket IDs, timestamps) a set costs more than it saves.
    """
    if cell_check is None:
        return _blanks(values) if column.required else set()
    if quick is not None and quick.unproven is not None:
        return quick.unproven(_distinct_if_repeating(values))
    if quick is not None and quick.pattern is not None:
        return _not_proven(values, quick.pattern, quick.at_most)
    return set(values)


def _distinct_if_repeating(values: Sequence[Any], sample: int = 10_000) -> Collection[Any]:
    """The column's distinct values when they repeat (a seller writes in many times), else the
    column itself, where a set costs more than it saves. Every n-th value tells which: among
    10k of them, fewer than 8k distinct means at most about 22k distinct in all."""
    step = max(len(values) // sample, 1)
    picked = values[::step]
    return set(values) if len(set(picked)) < 0.8 * len(picked) else values


def _tails(suspects: Iterable[Any], column: Column, cell_check: CellCheck | None,
           tz: ZoneInfo) -> dict[Any, Tail]:
    """The findings' tail of each distinct value that has an issue, judged once.

    (Cells equal as Python values, such as 1 and 1.0, share a verdict; no check tells them
    apart. A check cell and a number are told apart by `_typed_tails`.)
    """
    required = ("required.missing", f"{column.header} is empty; it is required.", None, None)
    tails: dict[Any, Tail] = {}
    for value in suspects:
        shown = _shown(value, tz)
        if shown is None:
            if column.required:
                tails[value] = required
        elif cell_check is not None and (issue := cell_check(value)) is not None:
            tails[value] = _tail_of(issue, shown)
    return tails


def _typed_tails(values: Sequence[Any], tails: Mapping[Any, Tail], column: Column,
                 cell_check: CellCheck | None, tz: ZoneInfo) -> tuple[list[int], list[Tail]]:
    """Positions and tails where a check cell and a number cell may be equal as values (False
    and 0, True and 1.0): each cell that is not text is judged as what it is, by its type."""
    own: dict[tuple[type, Any], Tail | None] = {}
    at: list[int] = []
    found: list[Tail] = []
    for i, value in enumerate(values):
        if value.__class__ is str:
            tail = tails.get(value)
        else:
            key = (value.__class__, value)
            if key not in own:
                own[key] = _tails([value], column, cell_check, tz).get(value)
            tail = own[key]
        if tail is not None:
            at.append(i)
            found.append(tail)
    return at, found


def _blanks(values: Sequence[Any]) -> set[Any]:
    """The values that are not text or are empty or only spaces (told in C for text)."""
    try:
        return set(compress(values, map(str.isspace, values))) | set(
            compress(values, map(not_, values)))
    except TypeError:  # not all text
        return {v for v in values if v.__class__ is not str or not v or v.isspace()}


def _not_proven(values: Sequence[Any], pattern: str, top: str | None) -> set[Any]:
    """The values that are not text the pattern wholly matches (sorting no later than `top`).

    A column of single-line text is judged by one `findall` over it (`column_scan`); a column
    with number or date cells, value by value.
    """
    suspects = unmatched(values, pattern)
    if suspects is None:  # not all single-line text
        match = re.compile(pattern).fullmatch
        return {v for v in values if v.__class__ is not str or "\n" in v or not match(v)
                or (top is not None and v > top)}
    if top is not None:
        suspects.update(compress(values, map(top.__lt__, values)))
    return suspects


def _shown(value: Any, tz: ZoneInfo) -> str | None:
    """The offending value as text (None when blank); date-time cells in ISO 8601 with their
    offset."""
    if value.__class__ is str:
        return value if value and not value.isspace() else None
    if value is None:
        return None
    if isinstance(value, datetime):
        return (value.replace(tzinfo=tz) if value.tzinfo is None else value).isoformat()
    return text_of(value)


# --- cell checks, one factory per column kind ---------------------------------------------

def _cell_check(column: Column, schema: Schema, context: CheckContext) -> CellCheck | None:
    factories: dict[str, Callable[[], CellCheck | None]] = {
        "text": lambda: None,
        "notes": lambda: None,
        "phone": lambda: _phone_check(column, context.phone_region),
        "choice": lambda: _choice_check(column),
        "timestamp": lambda: _timestamp_check(column, context),
        "date": lambda: _date_check(column, context.timezone),
        "duration": lambda: _duration_check(column),
        "ticket_id": lambda: _ticket_id_check(column, schema),
        "task_id": lambda: _task_id_check,
        "contact": lambda: _contact_check(column, context.phone_region),
        "people": lambda: _people_check(column, schema.people_example),
    }
    return factories[column.kind]()


def _quick_pass(column: Column, schema: Schema, context: CheckContext) -> QuickPass | None:
    if column.kind == "ticket_id":
        return QuickPass(schema.ticket_id.pattern)
    if column.kind == "timestamp":
        # Canonical texts sort in time order; any up to a day before the future cut-off
        # (whatever the zone's offset changes) is certainly not in the future.
        latest = (context.now + FUTURE_TOLERANCE).astimezone(context.timezone)
        return QuickPass(VALID_TIMESTAMP.pattern, at_most=(latest - timedelta(days=1)).strftime(
            TIMESTAMP_FORMAT))
    if column.kind == "phone":
        return QuickPass(unproven=unproven_e164)
    quick = {"date": VALID_DATE, "task_id": _TASK_ID, "contact": EMAIL}.get(column.kind)
    return QuickPass(quick.pattern) if quick is not None else None


def _phone_check(column: Column, region: str) -> CellCheck:
    name = column.header
    code = country_code(region)  # the example fits the team's region
    problems = {
        "format": ("phone.format",
                   f"Write the {name} without spaces or dashes, as +<country code><number>."),
        "missing_country_code": ("phone.missing_country_code",
                                 f"The {name} has no country code; start it with + and the "
                                 f"country code, e.g. {code}."),
    }

    def check_cell(value: Any) -> Issue | None:
        result = check_phone(value, region)
        if result.problem is None:
            return None
        known = problems.get(result.problem)
        if known is not None:
            return Issue(*known, result.e164)
        return Issue("phone.invalid", f"This {name} is not a valid phone number: {result.reason}.")

    return check_cell


def _choice_check(column: Column) -> CellCheck:
    allowed = set(column.values)
    by_normal = {normalize(v): v for v in column.values}
    listing = ", ".join(column.values)

    def check_cell(value: Any) -> Issue | None:
        text = text_of(value)
        if text in allowed:
            return None
        exact = by_normal.get(normalize(text))
        if exact is not None:
            return Issue("choice.format", f'Write {column.header} exactly as "{exact}".', exact)
        close = difflib.get_close_matches(normalize(text), list(by_normal), n=1, cutoff=0.75)
        hint = f' Did you mean "{by_normal[close[0]]}"?' if close else ""
        return Issue("choice.unknown",
                     f"{column.header} must be one of: {listing}.{hint}",
                     by_normal[close[0]] if close else None)

    return check_cell


def _parsed_check(
    column: Column, kind: str, parse: Callable[[Any], Parsed], how: str,
    also: Callable[[Any], Issue | None] | None = None,
) -> CellCheck:
    """For kinds read by a parser: `<kind>.invalid` when unreadable, `<kind>.format` when
    readable but written otherwise (suggesting the canonical form); `also` sees readable values
    first."""
    invalid, misformatted = f"{kind}.invalid", f"{kind}.format"
    rewrite = f"Write {column.header} {how}."

    def check_cell(value: Any) -> Issue | None:
        parsed = parse(value)
        if parsed.value is None:
            return Issue(invalid, f"{column.header} {parsed.problem}; write it {how}.")
        issue = also(parsed.value) if also is not None else None
        if issue is None and not parsed.exact:
            return Issue(misformatted, rewrite, parsed.canonical)
        return issue

    return check_cell


def _timestamp_check(column: Column, context: CheckContext) -> CellCheck:
    latest = context.now + FUTURE_TOLERANCE
    # The message names the timezone, not the time now: a note that changed every minute
    # would be rewritten every cycle.
    future = Issue("timestamp.in_future",
                   f"{column.header} is in the future (times are read in "
                   f"{context.timezone.key}); check the date.")
    return _parsed_check(column, "timestamp", partial(parse_timestamp, tz=context.timezone),
                         "as YYYY-MM-DD HH:MM", also=lambda when: future if when > latest else None)


def _date_check(column: Column, tz: ZoneInfo) -> CellCheck:
    return _parsed_check(column, "date", partial(parse_date, tz=tz),
                         f"as YYYY-MM-DD, or {NOT_APPLICABLE} when there is none")


def _duration_check(column: Column) -> CellCheck:
    return _parsed_check(column, "duration", parse_duration, "like 30 minutes or 2 hours")


def _ticket_id_check(column: Column, schema: Schema) -> CellCheck:
    fmt = schema.ticket_id
    example = fmt.format(123)

    def check_cell(value: Any) -> Issue | None:
        canonical = fmt.read(value)
        if canonical is not None and canonical == value:
            return None
        return Issue("ticket_id.format", f"{column.header} should look like {example}.",
                     canonical)

    return check_cell


# At most 64 characters: a run of ID characters that long, then none (or the end).
_TASK_ID = re.compile(r"(?=[A-Za-z0-9_-]{1,64}(?![A-Za-z0-9_-]))[A-Za-z0-9]+(?:[-_][A-Za-z0-9]+)*")
_TASK_LINK = re.compile(r"https?://(?:app\.)?clickup\.com/t/(?:\d+/)?([A-Za-z0-9_-]+)/?\S*",
                        re.IGNORECASE)


def _task_id_check(value: Any) -> Issue | None:
    text = text_of(value)
    if _TASK_ID.fullmatch(text):
        return None
    link = _TASK_LINK.fullmatch(text.strip())
    bare = text.strip().lstrip("#")
    suggestion = link.group(1) if link else bare if _TASK_ID.fullmatch(bare) else None
    return Issue("task_id.format",
                 "Put only the ClickUp task ID here (such as 86a1b2c3d), not a link or a note.",
                 suggestion)


def _contact_check(column: Column, region: str) -> CellCheck:
    phone = _phone_check(column, region)

    def check_cell(value: Any) -> Issue | None:
        text = text_of(value).strip()
        if "@" in text:
            if is_email(text):
                return None if text == text_of(value) else Issue(
                    "contact.invalid", f"Remove the spaces around the {column.header}.", text)
            return Issue("contact.invalid",
                         f"{column.header} is not a valid e-mail address.")
        if looks_like_phone(text):
            return phone(value)
        return Issue("contact.invalid",
                     f"{column.header} must be an e-mail address or a phone number "
                     "with its country code.")

    return check_cell


def _for_example(example: str) -> str:
    """`e.g. Sarah L., Sipho N.`: the sentence's end, with one full stop."""
    return f"e.g. {example}" + ("" if example.endswith(".") else ".")


def _people_check(column: Column, example: str) -> CellCheck:
    def check_cell(value: Any) -> Issue | None:
        parsed = people_canonical(value)
        if parsed.exact:
            return None
        return Issue("people.format",
                     f"Write {column.header} as Name (Role), separated by commas, "
                     + _for_example(example), parsed.canonical)

    return check_cell


# --- rules across fields and rows ----------------------------------------------------------

def _cross_field(sheet: Sheet) -> Iterator[tuple[int, str, Issue]]:
    """The guide's and the template's rules that relate two fields of one row."""
    schema, roles = sheet.schema, sheet.schema.roles
    resolved = sheet.where(schema.classify.resolved)
    if resolved and roles.resolution in sheet.columns:
        issue = Issue("resolution.missing",
                      f"This ticket is resolved but {sheet.header(roles.resolution)} is empty; "
                      "note the steps taken and any workaround.")
        for i in _rows_with(sheet, resolved, roles.resolution, is_blank):
            yield i, roles.resolution, issue
    escalated = sheet.where(schema.classify.escalated)
    if escalated and roles.assignee in sheet.columns:
        issue = Issue("escalation.contact_missing",
                      "An escalated ticket names both the support executive and the escalation "
                      "contact, " + _for_example(schema.people_example))
        for i in _rows_with(sheet, escalated, roles.assignee, _names_fewer_than_two):
            yield i, roles.assignee, issue
    required_key, date_key = roles.followup_required, roles.followup_date
    if required_key and date_key and required_key in sheet.columns and date_key in sheet.columns:
        flags = sheet.columns[required_key]
        yes = {v for v in set(flags) if _says_yes(v)}
        if yes:
            issue = Issue("followup.date_missing",
                          "Follow-up is required, so set the Follow-up Date (YYYY-MM-DD).")
            for i in _rows_with(sheet, list(compress(count(), map(yes.__contains__, flags))),
                                date_key, _no_date):
                yield i, date_key, issue


def _rows_with(sheet: Sheet, rows: Sequence[int], key: str, bad: Callable[[Any], bool]
               ) -> Iterator[int]:
    """The positions in `rows` whose `key` cell is bad, each distinct value judged once."""
    values = list(map(sheet.columns[key].__getitem__, rows))
    bad_values = {v for v in set(values) if bad(v)}
    if bad_values:
        yield from compress(rows, map(bad_values.__contains__, values))


def _names_fewer_than_two(value: Any) -> bool:
    return is_blank(value) or len(split_people(value)) < 2


def _no_date(value: Any) -> bool:
    return is_blank(value) or means_not_applicable(value)


def _says_yes(value: Any) -> bool:
    return not is_blank(value) and normalize(text_of(value)) in {"yes", "y", "true"}


def _distinct_but_blanks(values: Sequence[Any]) -> bool:
    """Whether no value but an empty cell (None or "") is in `values` twice."""
    try:
        if all(map(lt, values, islice(values, 1, None))):
            return True  # in rising order, as sheetsync assigns IDs: told by one pass in C
    except TypeError:  # blank or number cells among the text
        pass
    blanks = sum(max(values.count(blank) - 1, 0) for blank in (None, ""))
    return len(set(values)) == len(values) - blanks


def _duplicate_ticket_ids(
    sheet: Sheet, misformatted: Mapping[Any, Tail]
) -> Iterator[tuple[int, Issue]]:
    """Rows sharing a ticket ID (as written, or once written canonically) are each flagged.

    `misformatted` holds the column's format findings, whose suggestions are the canonical IDs;
    every other non-blank value is already canonical.
    """
    tickets = sheet.columns.get(sheet.schema.roles.ticket_id)
    if tickets is None:
        return
    canonical = {v: tail[3] or text_of(v).strip() for v, tail in misformatted.items()}
    if not canonical and _distinct_but_blanks(tickets):
        return  # the common case, told by a set in C: no ID written twice
    counts = Counter(tickets)
    # Only values written twice, misformatted values, and the IDs those stand for can clash.
    suspects = {v for v, n in counts.items() if n > 1} | set(canonical) | \
        {key for key in canonical.values() if key in counts}
    by_key: Counter[str] = Counter()
    for value in suspects:
        if not is_blank(value):
            by_key[canonical.get(value, value)] += counts[value]
    repeated = {key for key, n in by_key.items() if n > 1}
    if not repeated:
        return
    clashing = {v for v in suspects if not is_blank(v) and canonical.get(v, v) in repeated}
    positions: dict[str, list[int]] = defaultdict(list)
    for i, value in enumerate(tickets):
        if value in clashing:
            positions[canonical.get(value, value)].append(i)
    for ticket, where in positions.items():
        for i in where:
            others = ", ".join(str(sheet.numbers[j]) for j in where if j != i)
            yield i, Issue(
                DUPLICATE_ID,
                f"{ticket} is also the ticket ID of row{'s' if len(where) > 2 else ''} {others}; "
                "each ticket needs its own ID.")
