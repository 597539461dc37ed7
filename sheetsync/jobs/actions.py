"""Applying a person's Slack action to the tracker: a fresh read, the row found by its ticket
ID, compare-and-set on what the message showed, the write, then one transaction for the
snapshot, the history (with the actor) and the thread's reply and message update.

The write goes through the backends' own `write`, which refuses when the file changed since
the read (the workbook) or a cell changed since it was read (Google Sheets); values are
written as text, never as formulas. Nothing a person typed is overwritten: a cell that no
longer holds what the message showed is reported to the clicker, not written.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sheetsync.backends import TrackerBackend
from sheetsync.config import Config
from sheetsync.core.cells import CellWrite
from sheetsync.core.effects import Effect
from sheetsync.core.rules import SLACK_INCIDENT, SLACK_MESSAGE, SLACK_REPLY, SLACK_UPDATE
from sheetsync.core.slack_actions import Click, Edit, Refusal, choices, decide, people
from sheetsync.core.tickets import tracked_fields
from sheetsync.core.transitions import Transition
from sheetsync.schema import Sheet, bind
from sheetsync.state import StateStore
from sheetsync.state.actions import ActionStatus

#: What a workbook's write says when a person has the file open: the change waits, it is
#: not refused (see backends.workbook).
_LOCKED = ("open in another program", "being saved")


@dataclass(frozen=True, slots=True)
class Outcome:
    """How an action went: applied, refused (and why), or waiting for the file to close;
    `text` is what the clicker is told."""

    status: ActionStatus
    text: str


def apply_click(config: Config, backend: TrackerBackend, store: StateStore, click: Click,
                now: datetime) -> Outcome:
    """Apply one recorded click, or say why not; the state records the outcome."""
    outcome = _apply(config, backend, store, click, now)
    if outcome.status == "refused":  # (applied: settled with the write's transaction)
        store.settle_action(click.action_id, "refused", outcome.text, now, details=kept(click))
    elif outcome.status == "waiting":  # its summary still to write
        store.settle_action(click.action_id, "waiting", outcome.text, now)
    return outcome


def kept(click: Click) -> dict[str, Any]:
    """What the state keeps of a settled click: not the Resolution Summary a person typed
    (it is in the sheet, or was refused; it may hold a phone number)."""
    return {**click.record(), "summary": None}


def _apply(config: Config, backend: TrackerBackend, store: StateStore, click: Click,
           now: datetime) -> Outcome:
    ticket = click.shown.ticket_id
    sheet = bind(backend.read(), config.schema)
    found = find_row(sheet, ticket)
    if isinstance(found, str):
        return Outcome("refused", found)
    before = tracked_fields(sheet.subset([found]))[0]
    decision = decide(click, before, people(config.settings.slack.users),
                      choices(config.schema))
    if isinstance(decision, Refusal):
        return Outcome("refused", decision.text)
    roles = config.schema.roles
    keys = {role: getattr(roles, role) for role in decision.writes}
    row = sheet.numbers[found]
    skipped = backend.write(sheet.binding.header_row, [
        CellWrite(row, sheet.header(keys[role]), value)
        for role, value in decision.writes.items()])
    if skipped is not None:
        if any(words in skipped for words in _LOCKED):
            return Outcome("waiting", f"The tracker is open in another program ({skipped}): "
                           f"your change to {ticket} waits until the file is closed, and is "
                           "made then if the row still holds what the message showed.")
        return Outcome("refused", f"Nothing written: the sheet changed while sheetsync was "
                                  f"writing ({skipped}). Try again.")
    after = tracked_fields(_written(sheet, found, {keys[r]: v
                                                   for r, v in decision.writes.items()}))[0]
    changed = {role: value for role, value in after.items() if value != before.get(role)}
    known = store.ticket_fields(ticket) or dict(before)
    transitions = [Transition(ticket, role, known.get(role), value)
                   for role, value in changed.items() if known.get(role) != value]
    store.commit_action(click.action_id, ticket, {**known, **changed}, transitions,
                        decision.actor, _thread(store, click, decision, {**known, **changed}),
                        decision.said, now, kept(click))
    return Outcome("applied", decision.said)


def find_row(sheet: Sheet, ticket: str) -> int | str:
    """The position of the one row holding `ticket` in its ID column, or why there is none."""
    read = sheet.schema.ticket_id.read
    ids = sheet.columns.get(sheet.schema.roles.ticket_id) or ()
    rows = [i for i, cell in enumerate(ids) if read(cell) == ticket]
    if len(rows) == 1:
        return rows[0]
    if rows:
        return (f"Nothing written: {ticket} is in {len(rows)} rows of the tracker "
                f"({', '.join(str(sheet.numbers[i]) for i in rows)}); settle which is it first.")
    return f"Nothing written: {ticket} is not in the tracker now (moved to the archive, or deleted)."


def _written(sheet: Sheet, position: int, cells: Mapping[str, str]) -> Sheet:
    """The ticket's row as the write left it."""
    row = sheet.subset([position])
    return Sheet(row.schema, row.binding, row.numbers,
                 {**row.columns, **{key: [value] for key, value in cells.items()}})


def _thread(store: StateStore, click: Click, edit: Edit, fields: Mapping[str, str | None]
            ) -> Sequence[Effect]:
    """One reply saying who did it, in the thread of the message clicked (the ticket's
    escalation, or the incident listing it), and the escalation message updated to show the
    ticket now (its buttons with it), all keyed by the action."""
    clicked = store.message_at(click.channel, click.message_ts) \
        if click.channel and click.message_ts else None
    planned: list[Effect] = []
    if clicked is not None and clicked.startswith(f"{SLACK_INCIDENT}:"):
        incident = clicked.removeprefix(f"{SLACK_INCIDENT}:")
        planned.append(_reply(f"{SLACK_REPLY}:incident:{incident}:action:{click.action_id}",
                              clicked, edit))
    shown = store.shown_message(edit.ticket_id)
    if shown is None:
        return planned  # no escalation message, or not sheetsync's record any more (purged)
    parent, payload = shown
    thread = parent.removeprefix(f"{SLACK_MESSAGE}:")
    if not planned:
        planned.append(_reply(f"{SLACK_REPLY}:{thread}:action:{click.action_id}", parent,
                              edit))
    message: dict[str, Any] = {key: value for key, value in payload.items()
                               if key not in ("escalation", "channel", "parent")}
    message.update(status=fields.get("status"), assignee=fields.get("assignee"))
    planned.append(Effect(f"{SLACK_UPDATE}:{thread}:action:{click.action_id}", SLACK_UPDATE,
                          edit.ticket_id, {"parent": parent, **message}))
    return planned


def _reply(key: str, parent: str, edit: Edit) -> Effect:
    return Effect(key, SLACK_REPLY, edit.ticket_id, {"parent": parent, "event": "action",
                                                     "text": edit.said, "by": edit.actor})
