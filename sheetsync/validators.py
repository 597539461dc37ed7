"""Pure checks over a bound tracker tab: one finding per (row, column, code), nothing changed.

Cell checks depend only on the cell's value (and the configured timezone, region and clock),
so each distinct value is checked once per column: a tracker has far fewer distinct phone
numbers and vocabulary values than rows. Cross-field rules (a Resolved ticket has a resolution,
an Escalated one names two people, a follow-up has its date) and duplicate ticket IDs follow.
"""

from __future__ import annotations

import difflib
import re
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sheetsync.schema import Column, Schema, Sheet, normalize
from sheetsync.table import Row, is_blank
from sheetsync.values import (
    NOT_APPLICABLE,
    TIMESTAMP_FORMAT,
    check_phone,
    is_email,
    looks_like_phone,
    parse_date,
    parse_duration,
    parse_timestamp,
    people_canonical,
    split_people,
    text_of,
)

#: Every finding code, with what it means. The README's table is checked against this.
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


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem in one cell, said so that a support agent can fix it."""

    row: int
    ticket_id: str | None
    column: str
    code: str
    message: str
    value: str | None
    suggestion: str | None = None


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


def check(sheet: Sheet, context: CheckContext) -> list[Finding]:
    """Every finding in the tab, ordered by row, then column position, then code."""
    schema = sheet.schema
    ticket_key = schema.roles.ticket_id
    findings: list[Finding] = []

    def finding(row: Row, key: str, issue: Issue, value: Any) -> Finding:
        ticket = row.get(ticket_key)
        return Finding(
            row=row.number,
            ticket_id=None if is_blank(ticket) else text_of(ticket).strip(),
            column=sheet.header(key),
            code=issue.code,
            message=issue.message,
            value=None if is_blank(value) else _display(value, context.timezone),
            suggestion=issue.suggestion,
        )

    for column in schema.columns:
        if column.key not in sheet.binding.positions:
            continue
        cell_check = _cell_check(column, schema, context)
        required = Issue("required.missing", f"{column.header} is empty; it is required.")
        memo: dict[Any, Issue | None] = {}
        for row in sheet.rows:
            value = row.values[column.key]
            if is_blank(value):
                if column.required:
                    findings.append(finding(row, column.key, required, value))
                continue
            if cell_check is None:
                continue
            try:
                issue = memo[value]
            except KeyError:
                issue = memo[value] = cell_check(value)
            if issue is not None:
                findings.append(finding(row, column.key, issue, value))

    for row, key, issue in _cross_field(sheet):
        findings.append(finding(row, key, issue, row.get(key)))
    for row, issue in _duplicate_ticket_ids(sheet):
        findings.append(finding(row, ticket_key, issue, row.get(ticket_key)))

    position = {sheet.header(key): p for key, p in sheet.binding.positions.items()}
    findings.sort(key=lambda f: (f.row, position.get(f.column, 0), f.code))
    return findings


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
        "people": lambda: _people_check(column),
    }
    return factories[column.kind]()


def _phone_check(column: Column, region: str) -> CellCheck:
    name = column.header

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
                         "code, e.g. +91.", result.e164)
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


def _timestamp_check(column: Column, context: CheckContext) -> CellCheck:
    latest = context.now + FUTURE_TOLERANCE

    def check_cell(value: Any) -> Issue | None:
        parsed = parse_timestamp(value, context.timezone)
        if parsed.value is None:
            return Issue("timestamp.invalid",
                         f"{column.header} {parsed.problem}; write it as YYYY-MM-DD HH:MM.")
        if parsed.value > latest:
            return Issue("timestamp.in_future",
                         f"{column.header} is in the future "
                         f"(now is {context.now.strftime(TIMESTAMP_FORMAT)}); check the date.")
        if not parsed.exact:
            return Issue("timestamp.format",
                         f"Write {column.header} as YYYY-MM-DD HH:MM.", parsed.canonical)
        return None

    return check_cell


def _date_check(column: Column, tz: ZoneInfo) -> CellCheck:
    def check_cell(value: Any) -> Issue | None:
        parsed = parse_date(value, tz)
        if parsed.value is None:
            return Issue("date.invalid",
                         f"{column.header} {parsed.problem}; write it as YYYY-MM-DD, or "
                         f"{NOT_APPLICABLE} when there is none.")
        if not parsed.exact:
            return Issue("date.format", f"Write {column.header} as YYYY-MM-DD or "
                                        f"{NOT_APPLICABLE}.", parsed.canonical)
        return None

    return check_cell


def _duration_check(column: Column) -> CellCheck:
    def check_cell(value: Any) -> Issue | None:
        parsed = parse_duration(value)
        if parsed.value is None:
            return Issue("duration.invalid",
                         f"{column.header} {parsed.problem}; write it like 30 minutes or 2 hours.")
        if not parsed.exact:
            return Issue("duration.format",
                         f"Write {column.header} like 30 minutes or 2 hours.", parsed.canonical)
        return None

    return check_cell


def _ticket_id_check(column: Column, schema: Schema) -> CellCheck:
    fmt = schema.ticket_id
    pattern = re.compile(re.escape(fmt.prefix) + r"\d{%d,}" % fmt.digits)
    example = fmt.format(123)

    def check_cell(value: Any) -> Issue | None:
        text = text_of(value)
        if pattern.fullmatch(text):
            return None
        return Issue("ticket_id.format", f"{column.header} should look like {example}.",
                     canonical_ticket_id(text, schema))

    return check_cell


def canonical_ticket_id(text: str, schema: Schema) -> str | None:
    """`int-1234`, `INT 1234` or `1234` -> `INT-001234`; None when it cannot be read as one."""
    fmt = schema.ticket_id
    match = re.fullmatch(r"([A-Za-z]*)[\s\-_#]*(\d+)", text.strip())
    if not match:
        return None
    letters, number = match.groups()
    if letters and normalize(letters) != normalize(fmt.prefix):
        return None
    return fmt.format(int(number))


_TASK_ID = re.compile(r"[A-Za-z0-9]+(?:[-_][A-Za-z0-9]+)*")
_TASK_LINK = re.compile(r"https?://(?:app\.)?clickup\.com/t/(?:\d+/)?([A-Za-z0-9_-]+)/?\S*",
                        re.IGNORECASE)


def _task_id_check(value: Any) -> Issue | None:
    text = text_of(value)
    if _TASK_ID.fullmatch(text) and len(text) <= 64:
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


def _people_check(column: Column) -> CellCheck:
    def check_cell(value: Any) -> Issue | None:
        parsed = people_canonical(value)
        if parsed.exact:
            return None
        return Issue("people.format",
                     f"Write {column.header} as Name (Role), separated by commas, "
                     "e.g. Priya (Support), Rahul (Tech).", parsed.canonical)

    return check_cell


# --- rules across fields and rows ----------------------------------------------------------

def _cross_field(sheet: Sheet) -> Iterator[tuple[Row, str, Issue]]:
    """The guide's and the template's rules that relate two fields of one row."""
    schema, roles, bound = sheet.schema, sheet.schema.roles, sheet.binding.positions
    resolution_bound = roles.resolution in bound
    assignee_bound = roles.assignee in bound
    required_key, date_key = roles.followup_required, roles.followup_date
    followup = bool(required_key and date_key and required_key in bound and date_key in bound)
    for row in sheet.rows:
        if resolution_bound and is_blank(row.get(roles.resolution)) and schema.is_resolved(row):
            yield row, roles.resolution, Issue(
                "resolution.missing",
                f"This ticket is resolved but {sheet.header(roles.resolution)} is empty; "
                "note the steps taken and any workaround.")
        if assignee_bound and schema.is_escalated(row):
            people = split_people(row.get(roles.assignee) or "")
            if len(people) < 2:
                yield row, roles.assignee, Issue(
                    "escalation.contact_missing",
                    "An escalated ticket names both the support executive and the escalation "
                    "contact, e.g. Priya (Support), Rahul (Tech).")
        if followup and required_key and date_key and _says_yes(row.get(required_key)):
            date = row.get(date_key)
            if is_blank(date) or normalize(text_of(date)) in {"na", "notapplicable", "none"}:
                yield row, date_key, Issue(
                    "followup.date_missing",
                    "Follow-up is required, so set the Follow-up Date (YYYY-MM-DD).")


def _says_yes(value: Any) -> bool:
    return not is_blank(value) and normalize(text_of(value)) in {"yes", "y", "true"}


def _duplicate_ticket_ids(sheet: Sheet) -> Iterator[tuple[Row, Issue]]:
    """Rows sharing a ticket ID (as written, or once written canonically) are each flagged."""
    key = sheet.schema.roles.ticket_id
    if key not in sheet.binding.positions:
        return
    rows_by_id: dict[str, list[Row]] = defaultdict(list)
    for row in sheet.rows:
        value = row.get(key)
        if not is_blank(value):
            text = text_of(value).strip()
            rows_by_id[canonical_ticket_id(text, sheet.schema) or text].append(row)
    for ticket, rows in rows_by_id.items():
        if len(rows) < 2:
            continue
        for row in rows:
            others = ", ".join(str(r.number) for r in rows if r is not row)
            yield row, Issue(
                "ticket_id.duplicate",
                f"{ticket} is also the ticket ID of row{'s' if len(rows) > 2 else ''} {others}; "
                "each ticket needs its own ID.")
