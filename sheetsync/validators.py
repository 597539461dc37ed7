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
from itertools import compress, count, repeat
from operator import add as add_tuples, not_
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from sheetsync.core.perf import without_gc
from sheetsync.core.phone_patterns import valid_e164
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


@dataclass(frozen=True, slots=True)
class Issue:
    """A cell check's verdict before it is tied to a row."""

    code: str
    message: str
    suggestion: str | None = None


CellCheck = Callable[[Any], Issue | None]


@dataclass(frozen=True, slots=True)
class QuickPass:
    """Text this pattern matches (and, with `at_most`, that sorts no later) needs no check.

    Proves most cells of a high-cardinality column (ticket IDs, timestamps) valid in C, so the
    full check runs only on the rest.
    """

    pattern: re.Pattern[str] | None = None
    at_most: str | None = None
    # Or all of a column's values at once to the ones proven valid (phone numbers).
    proven: Callable[[Collection[Any]], set[Any]] | None = None


@without_gc
def check(sheet: Sheet, context: CheckContext) -> list[Finding]:
    """Every finding in the tab, ordered by row, then column position, then code."""
    schema = sheet.schema
    tickets = sheet.columns.get(schema.roles.ticket_id)
    tz = context.timezone
    findings: list[Finding] = []

    def add(positions: Iterable[int], key: str, issue_of: Callable[[Any], Issue]) -> None:
        """Findings for one column at the given positions; each bad value is rendered and
        judged once, and the findings are put together in C (thousands in a distinct column).
        """
        at = list(positions)
        values = list(map(sheet.columns[key].__getitem__, at))
        tails = {}  # per value: code, message, value as shown, suggestion
        for value in set(values):
            issue = issue_of(value)
            tails[value] = (issue.code, issue.message,
                            None if is_blank(value) else _display(value, tz), issue.suggestion)
        ids = repeat(None) if tickets is None else map(_ticket_text, map(tickets.__getitem__, at))
        heads = zip(map(sheet.numbers.__getitem__, at), ids, repeat(sheet.header(key)))
        findings.extend(map(_finding, map(add_tuples, heads, map(tails.__getitem__, values))))

    ticket_issues: dict[Any, Issue] = {}
    for column in schema.columns:
        values = sheet.columns.get(column.key)
        if values is None:
            continue
        issues = _issues_by_value(values, column, _cell_check(column, schema, context),
                                  _quick_pass(column, schema, context))
        if column.key == schema.roles.ticket_id:
            ticket_issues = issues
        if issues:
            add(compress(count(), map(issues.__contains__, values)), column.key,
                issues.__getitem__)
    for i, key, issue in _cross_field(sheet):
        add([i], key, partial(_same, issue))
    for i, issue in _duplicate_ticket_ids(sheet, ticket_issues):
        add([i], schema.roles.ticket_id, partial(_same, issue))
    position = {sheet.header(key): p for key, p in sheet.binding.positions.items()}
    findings.sort(key=lambda f: (f.row, position.get(f.column, 0), f.code))
    return findings


_finding: Callable[[tuple[Any, ...]], Finding] = partial(tuple.__new__, Finding)


def _ticket_text(ticket: Any) -> str | None:
    """A row's ticket ID as a finding names it (None: the row has none)."""
    if ticket is None:
        return None
    return (ticket if ticket.__class__ is str else text_of(ticket)).strip() or None


def _same(issue: Issue, value: Any) -> Issue:
    return issue


def _issues_by_value(
    values: Sequence[Any], column: Column, cell_check: CellCheck | None,
    quick: QuickPass | None,
) -> dict[Any, Issue]:
    """The issue of each distinct value in a column that has one.

    Each distinct value is checked once. (Cells equal as Python values, such as 1 and 1.0,
    share a verdict; no check tells them apart.)
    """
    # Scans run over the column list, not a set of it: for columns of mostly unique values
    # (descriptions, ticket IDs, timestamps) a set costs more than it saves.
    if cell_check is None:
        if not column.required:
            return {}
        suspects = _blanks(values)
    elif quick is not None and quick.proven is not None:
        suspects = set(values)
        suspects -= quick.proven(suspects)
    elif quick is None or quick.pattern is None:
        suspects = set(values)
    else:
        suspects = _not_proven(values, quick.pattern, quick.at_most)
    required = Issue("required.missing", f"{column.header} is empty; it is required.")
    issues: dict[Any, Issue] = {}
    for value in suspects:
        if is_blank(value):
            if column.required:
                issues[value] = required
        elif cell_check is not None:
            issue = cell_check(value)
            if issue is not None:
                issues[value] = issue
    return issues


def _blanks(values: Sequence[Any]) -> set[Any]:
    """The values that are not text or are empty or only spaces (told in C for text)."""
    try:
        return set(compress(values, map(str.isspace, values))) | set(
            compress(values, map(not_, values)))
    except TypeError:  # not all text
        return {v for v in values if v.__class__ is not str or not v or v.isspace()}


def _not_proven(values: Sequence[Any], pattern: re.Pattern[str], top: str | None
                ) -> set[Any]:
    """The values that are not text the pattern wholly matches (sorting no later than `top`).

    A column of text is matched by `map` in C, about twice as fast as a comprehension on a
    column of distinct values; the comprehension takes a column with number or date cells.
    """
    match = pattern.fullmatch
    try:
        suspects = set(compress(values, map(not_, map(match, values))))
    except TypeError:  # not all text
        if top is None:
            return {v for v in values if v.__class__ is not str or not match(v)}
        return {v for v in values if v.__class__ is not str or v > top or not match(v)}
    if top is not None:
        suspects.update(compress(values, map(top.__lt__, values)))
    return suspects


def _display(value: Any, tz: ZoneInfo) -> str:
    """The offending value as text; date-time cells in ISO 8601 with their offset."""
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
        return QuickPass(re.compile(schema.ticket_id.pattern))
    if column.kind == "timestamp":
        # Canonical texts sort in time order; any up to a day before the future cut-off
        # (whatever the zone's offset changes) is certainly not in the future.
        latest = (context.now + FUTURE_TOLERANCE).astimezone(context.timezone)
        return QuickPass(VALID_TIMESTAMP, at_most=(latest - timedelta(days=1)).strftime(
            TIMESTAMP_FORMAT))
    if column.kind == "phone":
        return QuickPass(proven=valid_e164)
    quick = {"date": VALID_DATE, "task_id": _TASK_ID, "contact": EMAIL}.get(column.kind)
    return QuickPass(quick) if quick is not None else None


def _phone_check(column: Column, region: str) -> CellCheck:
    name = column.header
    code = country_code(region)  # the example fits the team's region

    def check_cell(value: Any) -> Issue | None:
        result = check_phone(value, region)
        if result.problem is None:
            return None
        if result.problem == "format":
            return Issue("phone.format",
                         f"Write the {name} without spaces or dashes, as +<country code><number>.",
                         result.e164)
        if result.problem == "missing_country_code":
            return Issue("phone.missing_country_code",
                         f"The {name} has no country code; start it with + and the country "
                         f"code, e.g. {code}.", result.e164)
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
    def check_cell(value: Any) -> Issue | None:
        parsed = parse(value)
        if parsed.value is None:
            return Issue(f"{kind}.invalid", f"{column.header} {parsed.problem}; write it {how}.")
        issue = also(parsed.value) if also is not None else None
        if issue is None and not parsed.exact:
            return Issue(f"{kind}.format", f"Write {column.header} {how}.", parsed.canonical)
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


_TASK_ID = re.compile(r"(?=.{1,64}\Z)[A-Za-z0-9]+(?:[-_][A-Za-z0-9]+)*")
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
    schema, roles, columns = sheet.schema, sheet.schema.roles, sheet.columns
    resolution = columns.get(roles.resolution)
    if resolution is not None:
        for i in sorted(sheet.where(schema.classify.resolved)):
            if is_blank(resolution[i]):
                yield i, roles.resolution, Issue(
                    "resolution.missing",
                    f"This ticket is resolved but {sheet.header(roles.resolution)} is empty; "
                    "note the steps taken and any workaround.")
    assignees = columns.get(roles.assignee)
    if assignees is not None:
        people_count: dict[Any, int] = {}
        for i in sorted(sheet.where(schema.classify.escalated)):
            value = assignees[i]
            if value not in people_count:
                people_count[value] = 0 if is_blank(value) else len(split_people(value))
            if people_count[value] < 2:
                yield i, roles.assignee, Issue(
                    "escalation.contact_missing",
                    "An escalated ticket names both the support executive and the escalation "
                    "contact, " + _for_example(schema.people_example))
    required_key, date_key = roles.followup_required, roles.followup_date
    if required_key and date_key and required_key in columns and date_key in columns:
        dates = columns[date_key]
        for i, flag in enumerate(columns[required_key]):
            if _says_yes(flag) and (is_blank(dates[i]) or means_not_applicable(dates[i])):
                yield i, date_key, Issue(
                    "followup.date_missing",
                    "Follow-up is required, so set the Follow-up Date (YYYY-MM-DD).")


def _says_yes(value: Any) -> bool:
    return not is_blank(value) and normalize(text_of(value)) in {"yes", "y", "true"}


def _distinct_but_blanks(values: Sequence[Any]) -> bool:
    """Whether no value but an empty cell (None or "") is in `values` twice."""
    blanks = sum(max(values.count(blank) - 1, 0) for blank in (None, ""))
    return len(set(values)) == len(values) - blanks


def _duplicate_ticket_ids(
    sheet: Sheet, misformatted: Mapping[Any, Issue]
) -> Iterator[tuple[int, Issue]]:
    """Rows sharing a ticket ID (as written, or once written canonically) are each flagged.

    `misformatted` holds the column's format issues, whose suggestions are the canonical IDs;
    every other non-blank value is already canonical.
    """
    tickets = sheet.columns.get(sheet.schema.roles.ticket_id)
    if tickets is None:
        return
    canonical = {v: issue.suggestion or text_of(v).strip() for v, issue in misformatted.items()}
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
