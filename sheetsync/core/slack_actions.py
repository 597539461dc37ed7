"""Slack interactions as plain data, and the decision whether a click may edit its row.

Pure. `parse` turns what Slack delivers over Socket Mode (a button click, a modal submitted,
a slash command) into one of the dataclasses below; `decide` takes a click, the row's cells
as read just now and the people map, and answers with the cells to write or a refusal that
says what the cells hold now. A click edits the row only if its cells still hold what the
message showed (compare-and-set), and only for a person the team mapped in `slack.users`:
sheetsync never writes a person's column on its own account.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sheetsync.core.values import split_people
from sheetsync.schema import Schema, normalize

TAKE, WAIT, RESOLVE = "take", "wait", "resolve"
KINDS = (TAKE, WAIT, RESOLVE)
LABELS = {TAKE: "Take it", WAIT: "Waiting on seller", RESOLVE: "Resolve..."}
#: The same, in a message of several tickets (an incident's), each button naming its ticket
NAMED = {TAKE: "Take {}", WAIT: "{} waiting on seller", RESOLVE: "Resolve {}..."}
ACTION_PREFIX = "sheetsync_"  # each button's action_id: sheetsync_take, ...
RESOLVE_VIEW = "sheetsync_resolve"  # the modal asking for the Resolution Summary
NEW_VIEW = "sheetsync_new"  # the modal of `/ticket new`
SUMMARY = "summary"  # the Resolution Summary input's block and action ID
WAITING_STATUS = "Awaiting Seller Response"  # the status *Waiting on seller* sets
COMMAND = "/ticket"
UNMAPPED = ("Slack does not know you as anyone in the tracker yet: ask an admin to add you "
            "to slack.users in sheetsync's config.")


@dataclass(frozen=True, slots=True)
class Shown:
    """What an escalation message showed of its ticket, carried in each button's value."""

    ticket_id: str
    status: str | None
    assignee: str | None


@dataclass(frozen=True, slots=True)
class Click:
    """A mapped or unmapped person's action on a ticket: a button, or the Resolve modal sent.

    `action_id` is what makes it one action however often Slack delivers it: the click's
    `action_ts`, the user, the ticket and the kind.
    """

    kind: str
    shown: Shown
    user: str
    action_ts: str
    channel: str | None = None
    message_ts: str | None = None
    response_url: str | None = None
    summary: str | None = None  # the Resolution Summary, for RESOLVE

    @property
    def action_id(self) -> str:
        return f"{self.action_ts}:{self.user}:{self.shown.ticket_id}:{self.kind}"

    def record(self) -> dict[str, Any]:
        """The click as the state keeps it until it is applied or refused."""
        return {"kind": self.kind, "ticket_id": self.shown.ticket_id,
                "status": self.shown.status, "assignee": self.shown.assignee,
                "user": self.user, "action_ts": self.action_ts, "channel": self.channel,
                "message_ts": self.message_ts, "response_url": self.response_url,
                "summary": self.summary}

    @classmethod
    def recorded(cls, data: Mapping[str, Any]) -> Click:
        """A click the state kept (`record`), as it was received."""
        return cls(str(data["kind"]), Shown(str(data["ticket_id"]), data.get("status"),
                                            data.get("assignee")),
                   str(data["user"]), str(data["action_ts"]), data.get("channel"),
                   data.get("message_ts"), data.get("response_url"), data.get("summary"))


@dataclass(frozen=True, slots=True)
class OpenResolve:
    """*Resolve...* clicked: the modal is opened (with `trigger_id`, valid 3 s) and the
    click's identity travels in it until it is submitted."""

    click: Click
    trigger_id: str


@dataclass(frozen=True, slots=True)
class TicketQuery:
    """`/ticket INT-000123`: the ticket as its row holds it, to the one who asked."""

    text: str
    user: str
    channel: str | None
    response_url: str | None


@dataclass(frozen=True, slots=True)
class NewTicketForm:
    """`/ticket new`: the modal of the preset's required person-entered columns."""

    user: str
    channel: str | None
    trigger_id: str
    response_url: str | None = None


@dataclass(frozen=True, slots=True)
class NewTicket:
    """The `/ticket new` modal submitted: the values by column key, and where it was typed."""

    user: str
    channel: str | None
    view_id: str
    values: Mapping[str, str]


Interaction = Click | OpenResolve | TicketQuery | NewTicketForm | NewTicket


@dataclass(frozen=True, slots=True)
class Edit:
    """The cells a click writes, by role (status, assignee, resolution), and who did it."""

    ticket_id: str
    writes: Mapping[str, str]
    actor: str  # who, for history: the name Assigned To writes, and through what
    said: str  # the thread's line: "INT-000001 taken by Priya (Support) (Slack)"


@dataclass(frozen=True, slots=True)
class Refusal:
    """Nothing written, and why, for the clicker alone."""

    text: str


@dataclass(frozen=True, slots=True)
class Choices:
    """What the preset lets the buttons set: each kind's status (None: no status; a kind
    missing: its button is not shown)."""

    statuses: Mapping[str, str | None] = field(default_factory=dict)

    @property
    def kinds(self) -> tuple[str, ...]:
        return tuple(k for k in KINDS if k in self.statuses)


def choices(schema: Schema) -> Choices:
    """The buttons this preset can take: *Take it* where there is an assignee column,
    *Waiting on seller* where Status has Awaiting Seller Response, *Resolve...* where a
    Status value is what makes a ticket resolved."""
    status = schema.column(schema.roles.status)
    values = {normalize(v): v for v in status.values}
    statuses: dict[str, str | None] = {TAKE: None}
    if (waiting := values.get(normalize(WAITING_STATUS))) is not None:
        statuses[WAIT] = waiting
    resolved = next((v for c in schema.classify.resolved if c.column == status.key
                     for v in status.values if c.matches_value(v)), None)
    if resolved is not None and schema.roles.resolution:
        statuses[RESOLVE] = resolved
    return Choices({k: statuses[k] for k in KINDS if k in statuses})


def people(users: Mapping[str, str]) -> dict[str, str]:
    """Slack user ID -> the name Assigned To writes, from `slack.users` (name -> ID). An ID
    given to two names maps to neither: nobody can tell which one acts (doctor says so)."""
    by_id: dict[str, list[str]] = {}
    for name, user in users.items():
        by_id.setdefault(user, []).append(name)
    return {user: names[0] for user, names in by_id.items() if len(names) == 1}


def button_value(kind: str, shown: Shown) -> str:
    """A button's `value`: the ticket and what the message showed (Slack's limit: 2,000)."""
    return json.dumps({"k": kind, "t": shown.ticket_id, "s": shown.status,
                       "a": shown.assignee}, separators=(",", ":"), ensure_ascii=False)


def parse(kind: str, payload: Mapping[str, Any]) -> Interaction | None:
    """One Socket Mode envelope's payload (`kind`: its type, `interactive` or
    `slash_commands`) as sheetsync's data; None when it is nothing sheetsync sent."""
    if kind == "slash_commands":
        return _command(payload)
    if kind != "interactive":
        return None
    if payload.get("type") == "block_actions":
        return _block_action(payload)
    if payload.get("type") == "view_submission":
        return _submission(payload)
    return None


def _command(payload: Mapping[str, Any]) -> Interaction | None:
    if payload.get("command") != COMMAND:
        return None
    text, user = str(payload.get("text") or "").strip(), str(payload.get("user_id") or "")
    channel = payload.get("channel_id")
    if text.casefold() == "new":
        return NewTicketForm(user, channel, str(payload.get("trigger_id") or ""),
                             payload.get("response_url"))
    return TicketQuery(text, user, channel, payload.get("response_url"))


def _block_action(payload: Mapping[str, Any]) -> Interaction | None:
    actions = payload.get("actions") or []
    if not actions:
        return None
    action = actions[0]
    action_id = str(action.get("action_id") or "")
    shown, kind = _shown(action.get("value"))
    if shown is None or action_id != f"{ACTION_PREFIX}{kind}":
        return None
    container = payload.get("container") or {}
    click = Click(kind, shown, str((payload.get("user") or {}).get("id") or ""),
                  str(action.get("action_ts") or ""),
                  channel=(payload.get("channel") or {}).get("id")
                  or container.get("channel_id"),
                  message_ts=container.get("message_ts")
                  or (payload.get("message") or {}).get("ts"),
                  response_url=payload.get("response_url"))
    if kind == RESOLVE:
        return OpenResolve(click, str(payload.get("trigger_id") or ""))
    return click


def _shown(value: Any) -> tuple[Shown | None, str]:
    try:
        data = json.loads(str(value))
        shown = Shown(str(data["t"]), data.get("s"), data.get("a"))
        return shown, str(data["k"])
    except (ValueError, KeyError, TypeError):
        return None, ""


def _submission(payload: Mapping[str, Any]) -> Interaction | None:
    view = payload.get("view") or {}
    user = str((payload.get("user") or {}).get("id") or "")
    state: Mapping[str, Mapping[str, Any]] = (view.get("state") or {}).get("values") or {}
    texts = {block: _input_text(next(iter(inputs.values()))) for block, inputs in state.items()
             if inputs}
    if view.get("callback_id") == RESOLVE_VIEW:
        try:
            meta = json.loads(view.get("private_metadata") or "")
        except ValueError:
            return None
        shown, kind = _shown(meta.get("value"))
        if shown is None or kind != RESOLVE:
            return None
        return Click(RESOLVE, shown, user, str(meta.get("action_ts") or ""),
                     channel=meta.get("channel"), message_ts=meta.get("message_ts"),
                     summary=texts.get(SUMMARY, ""))
    if view.get("callback_id") == NEW_VIEW:
        return NewTicket(user, view.get("private_metadata") or None, str(view.get("id") or ""),
                         {k: v for k, v in texts.items() if v})
    return None


def _input_text(element: Mapping[str, Any]) -> str:
    """The text of one modal input: typed, or the option chosen."""
    if element.get("type") == "static_select":
        return str(((element.get("selected_option") or {}).get("value")) or "")
    return str(element.get("value") or "").strip()


def decide(click: Click, now: Mapping[str, str | None], users: Mapping[str, str],
           choices: Choices) -> Edit | Refusal:
    """Apply or refuse: the cells `click` writes, if the clicker is mapped and the cell it
    changes (Assigned To for *Take it*, else Status; `now` is the row's tracked fields,
    canonical, read just before) still holds what the message showed; else a refusal saying
    what it holds now. Pure: the caller writes."""
    name = users.get(click.user)
    if name is None:
        return Refusal(UNMAPPED)
    if click.kind not in choices.statuses:
        return Refusal(f"This tracker has no status for {LABELS.get(click.kind, click.kind)}.")
    ticket, shown = click.shown.ticket_id, click.shown
    # The cell this click writes must hold what the message showed (the Resolution Summary
    # goes with the Status, and the message shows none).
    compared = ("Assigned To", "assignee", shown.assignee) if click.kind == TAKE else \
        ("Status", "status", shown.status)
    moved = [f"{label} is now {_quoted(now.get(role))} (the message showed "
             f"{_quoted(was)})" for label, role, was in (compared,)
             if not _same(now.get(role), was)]
    if moved:
        return Refusal(f"Nothing written: in the tracker, {ticket}'s {'; '.join(moved)}. "
                       "Look at the row, then try again.")
    actor = f"{name} (Slack)"
    if click.kind == TAKE:
        assigned = split_people(now.get("assignee") or "")
        if any(normalize(a) == normalize(name) for a in assigned):
            return Refusal(f"{ticket} is assigned to you already.")
        return Edit(ticket, {"assignee": ", ".join([*assigned, name])}, actor,
                    f"{ticket} taken by {actor}")
    status = choices.statuses[click.kind] or ""
    if _same(now.get("status"), status):
        return Refusal(f"{ticket}'s Status is {status} already.")
    if click.kind == WAIT:
        return Edit(ticket, {"status": status}, actor,
                    f"{ticket} waiting on the seller (status {now.get('status') or '-'} → "
                    f"{status}), by {actor}")
    summary = " ".join((click.summary or "").split())
    if not summary:
        return Refusal(f"{ticket} was not resolved: the Resolution Summary was empty.")
    return Edit(ticket, {"status": status, "resolution": click.summary or ""}, actor,
                f"{ticket} resolved by {actor} (status {now.get('status') or '-'} → "
                f"{status})")


def _same(a: str | None, b: str | None) -> bool:
    return normalize(a or "") == normalize(b or "")


def _quoted(value: str | None) -> str:
    return f'"{value}"' if value else "empty"


def required_inputs(schema: Schema, kinds: Sequence[str] = ("timestamp", "ticket_id",
                                                              "notes", "task_id")
                    ) -> list[tuple[str, str, tuple[str, ...]]]:
    """The `/ticket new` modal's inputs: the preset's required columns a person types (key,
    header, choices), without those sheetsync fills (the timestamp is the moment it is
    sent, the ticket ID the next cycle's)."""
    return [(c.key, c.header, c.values) for c in schema.columns
            if c.required and c.owner == "person" and c.kind not in kinds]
