"""`/ticket` in Slack: one ticket as its row holds it now, and a new row typed into a modal.

A lookup reads the tracker afresh and masks every phone number in what it shows. A new row
is checked with the tracker's own validators first (its problems go back into the modal and
nothing is written), then written below the last row through the backend's `write`; the next
cycle gives it its ticket ID, and the state credits its `created` transition to the person.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sheetsync.backends import TrackerBackend
from sheetsync.config import Config
from sheetsync.core.cells import CellWrite
from sheetsync.core.privacy import mask_free_text, mask_phone
from sheetsync.core.slack_actions import NewTicket, required_inputs
from sheetsync.core.slack_blocks import SlackMessage, ticket_card
from sheetsync.core.table import Grid
from sheetsync.core.tickets import tracked_fields
from sheetsync.core.values import TIMESTAMP_FORMAT, format_duration, parse_timestamp
from sheetsync.jobs.actions import find_row
from sheetsync.schema import Sheet, bind
from sheetsync.state import StateStore
from sheetsync.validators import CheckContext, check


def ticket_answer(config: Config, backend: TrackerBackend, ticket: str,
                  now: datetime) -> SlackMessage | str:
    """`/ticket INT-000123`: status, assignee, age, findings and task link, as the row holds
    them now, phone numbers masked; or why the tracker shows no such ticket."""
    schema = config.schema
    sheet = bind(backend.read(), schema)
    found = find_row(sheet, ticket)
    if isinstance(found, str):
        return found.removeprefix("Nothing written: ")
    row = sheet.subset([found])
    fields = tracked_fields(row)[0]
    roles, region = schema.roles, config.settings.phone_region

    def cell(key: str | None) -> str | None:
        return row.text(key, 0)

    contact = cell(roles.contact)
    reported = parse_timestamp(row.columns[roles.timestamp][0], config.timezone).value \
        if roles.timestamp in row.columns else None
    age = format_duration(now - reported) if isinstance(reported, datetime) else None
    findings = [f"{f.column}: {mask_free_text(f.message, region)}"
                for f in check(row, _context(config, now))]
    return ticket_card([
        ("Ticket", ticket), ("Status", fields.get("status")),
        ("Assigned to", fields.get("assignee")), ("Priority", fields.get("priority")),
        ("Age", age), ("Issue type", fields.get("type")),
        ("Seller", mask_free_text(cell(roles.seller_name) or "", region)),
        ("Contact", mask_phone(contact) if contact and "@" not in contact else contact),
        ("Description", mask_free_text(cell(roles.description) or "", region)),
        ("ClickUp task", cell(roles.task_id))], findings)


def ticket_problems(config: Config, new: NewTicket, now: datetime) -> dict[str, str]:
    """What the validators find in a `/ticket new` modal, by its input's block ID (a column
    key); empty when the row may be written."""
    sheet = _new_row(config, new, now)
    headers = {sheet.header(key): key for key, *_ in required_inputs(config.schema)}
    problems: dict[str, str] = {}
    for finding in check(sheet, _context(config, now)):
        key = headers.get(finding.column)
        if key is not None and key not in problems:
            problems[key] = finding.message[:150]
    return problems


def add_ticket(config: Config, backend: TrackerBackend, store: StateStore, action_id: str,
               new: NewTicket, actor: str, now: datetime, *, redo: bool = False) -> str:
    """Write a `/ticket new` row below the last one; returns what the person is told. A
    `redo` (the action recorded by a run that died) first looks for the row that run may
    have written: one holding these very values is taken as it."""
    sheet = bind(backend.read(), config.schema)
    values = _new_row(config, new, now)
    row = (_written_before(sheet, new) if redo else None) or (
        max(sheet.numbers, default=sheet.binding.header_row) + 1)
    if row not in sheet.numbers:
        skipped = backend.write(sheet.binding.header_row, [
            CellWrite(row, sheet.header(key), text) for key in values.columns
            if key in sheet.binding.positions and (text := values.text(key, 0)) is not None])
        if skipped is not None:
            told = (f"Nothing written: the tracker could not be written ({skipped}). Try "
                    "again.")
            store.settle_action(action_id, "refused", told, now, details={})
            return told
    told = f"Added to the tracker in row {row}; the next cycle gives it its ticket ID."
    # The values are in the sheet now: the state keeps no copy of them (a phone number).
    store.settle_action(action_id, "applied", told, now,
                        details={"row": row, "actor": f"{actor} (Slack)", "channel": new.channel})
    return told


def _new_row(config: Config, new: NewTicket, now: datetime) -> Sheet:
    """The modal's values as a one-row tab of the tracker, stamped with `now`."""
    schema = config.schema
    stamp = now.astimezone(config.timezone).strftime(TIMESTAMP_FORMAT)
    columns = [c for c in schema.columns if c.owner == "person"]
    values: Mapping[str, str] = {**new.values, schema.roles.timestamp: stamp}
    return bind(Grid(tab="new", rows=(tuple(c.header for c in columns),
                                      tuple(values.get(c.key) for c in columns))), schema)


def _written_before(sheet: Sheet, new: NewTicket) -> int | None:
    """The row an earlier attempt at this very submission wrote (a restart's redo)."""
    for i, number in enumerate(sheet.numbers):
        if new.values and all(sheet.text(key, i) == value.strip()
                              for key, value in new.values.items()):
            return number
    return None


def _context(config: Config, now: datetime) -> CheckContext:
    return CheckContext(now=now.astimezone(config.timezone), timezone=config.timezone,
                        phone_region=config.settings.phone_region)
