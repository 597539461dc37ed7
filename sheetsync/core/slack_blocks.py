"""Slack messages as Block Kit: the guide's line on top, the ticket below, the sheet's text inert.

Pure. Everything that comes from a cell is escaped (`&`, `<`, `>` as Slack's formatting
reference says), sent in `mrkdwn` objects marked `verbatim` (no auto-linked URLs, no parsed
mentions), stripped of the control characters that reorder or hide text, and right-to-left
runs are isolated so they cannot turn the line around them. A cell can never ping `@channel`,
form a link or break the message's layout.

With Socket Mode on, the escalation also carries buttons (each button's value says what the
message showed), and so does each of an incident's first tickets; the modals and answers of
the buttons and `/ticket` are built here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sheetsync.core.messages import one_line, without_controls
from sheetsync.core.slack_actions import (
    ACTION_PREFIX,
    LABELS,
    NAMED,
    NEW_VIEW,
    RESOLVE,
    RESOLVE_VIEW,
    SUMMARY,
    TAKE,
    Choices,
    Click,
    Shown,
    button_value,
)
from sheetsync.schema import normalize

#: Slack's limits: a section's text 3,000 characters, a field 2,000, ten fields.
SECTION_LIMIT = 3000
FIELD_LIMIT = 200  # our own cap for one value: enough for any real name or number
DESCRIPTION_LIMIT = 2800
VALUE_LIMIT = 2000  # a button's value
INCIDENT_KINDS = (TAKE, RESOLVE)  # the buttons an incident's tickets get
INCIDENT_BUTTONS = 20  # tickets with buttons in one incident message (Slack: 50 blocks)

_R = "\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc"  # Hebrew, Arabic, Syriac, Thaana...
#: A right-to-left run: from its first RTL letter to its last, spaces and digits between.
_RTL_RUN = re.compile(f"[{_R}](?:[{_R}\\s\\d.,'\"-]*[{_R}])?")
_FSI, _PDI = "\u2068", "\u2069"  # first-strong isolate: the run keeps its own direction
_USER_ID = re.compile(r"^[UW][A-Z0-9]{6,}$")


@dataclass(frozen=True, slots=True)
class SlackMessage:
    """What chat.postMessage and chat.update take: the fallback `text` and the `blocks`."""

    text: str  # shown in notifications; escaped like the blocks
    blocks: list[dict[str, Any]]


def inert(text: str) -> str:
    """Cell text as Slack shows it literally: controls removed, `& < >` escaped, and each
    right-to-left run isolated, so it cannot reorder the brackets and dashes around it."""
    text = without_controls(text)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _RTL_RUN.sub(lambda run: f"{_FSI}{run.group(0)}{_PDI}", text)


def escalation_message(payload: Mapping[str, Any], buttons: Choices | None = None
                       ) -> SlackMessage:
    """The escalation: the guide's line, the ticket's fields, its description, its links;
    with `buttons` (Socket Mode on), the actions a person can take on it from Slack."""
    line = _line(payload["text"])
    fields = [(label, payload.get(key)) for label, key in (
        ("Ticket", "ticket_id"), ("WhatsApp", "contact"), ("Status", "status"),
        ("Priority", "priority"), ("Assigned to", "assignee"), ("Reported", "reported_at"),
        ("Level", "level"))]
    shown = [_field(label, inert(one_line(str(value), FIELD_LIMIT)))
             for label, value in fields if value]
    task = payload.get("task_id")
    if task:
        url = payload.get("task_url")
        task_text = inert(one_line(str(task), FIELD_LIMIT))
        shown.append(_field("ClickUp", f"<{_link(url)}|{task_text}>" if url else task_text))
    blocks: list[dict[str, Any]] = [_section(line), {"type": "section", "fields": shown}]
    description = str(payload.get("description") or "").strip()
    if description:
        cut = description if len(description) <= DESCRIPTION_LIMIT else \
            description[:DESCRIPTION_LIMIT - 1] + "…"
        blocks.append(_section(f"*Description*\n{inert(cut)}"))
    if payload.get("row_url"):
        blocks.append({"type": "context", "elements": [
            _mrkdwn(f"<{_link(payload['row_url'])}|Open the row in the tracker>")]})
    if buttons is not None and (actions := action_buttons(payload, buttons)) is not None:
        blocks.append(actions)
    return SlackMessage(line, blocks)


def action_buttons(payload: Mapping[str, Any], buttons: Choices, named: bool = False
                   ) -> dict[str, Any] | None:
    """A ticket's buttons, each carrying the ticket and what the message shows; none whose
    status the ticket holds already, and none when what it shows is too long for a button's
    value (Slack refuses the whole message then; None when no button is left). `named`: in
    a message of several tickets, each button says its ticket."""
    shown = Shown(str(payload["ticket_id"]), payload.get("status"), payload.get("assignee"))
    elements = [{"type": "button", "action_id": f"{ACTION_PREFIX}{kind}",
                 "text": _plain(one_line(NAMED[kind].format(shown.ticket_id), 75) if named
                                else LABELS[kind]), "value": value,
                 **({"style": "primary"} if kind == RESOLVE else {})}
                for kind in buttons.kinds
                if ((status := buttons.statuses[kind]) is None
                    or normalize(status) != normalize(shown.status or ""))
                and len(value := button_value(kind, shown)) <= VALUE_LIMIT]
    if not elements:
        return None
    return {"type": "actions", "elements": elements,
            "block_id": f"sheetsync_actions:{shown.ticket_id}"[:255] if named
            else "sheetsync_actions"}


def resolve_view(click: Click, resolution_header: str) -> dict[str, Any]:
    """The modal *Resolve...* opens: one input for the Resolution Summary; the click itself
    rides in `private_metadata`, so its submission is the same action."""
    meta = {"value": button_value(RESOLVE, click.shown), "action_ts": click.action_ts,
            "channel": click.channel, "message_ts": click.message_ts}
    return {"type": "modal", "callback_id": RESOLVE_VIEW,
            "title": _plain(one_line(f"Resolve {click.shown.ticket_id}", 24)),
            "submit": _plain("Resolve"), "close": _plain("Cancel"),
            "private_metadata": json.dumps(meta, separators=(",", ":")),
            "blocks": [{"type": "input", "block_id": SUMMARY,
                        "label": _plain(one_line(resolution_header, 2000)),
                        "element": {"type": "plain_text_input", "action_id": SUMMARY,
                                    "multiline": True, "max_length": 3000}}]}


def new_ticket_view(inputs: Sequence[tuple[str, str, Sequence[str]]], channel: str | None
                    ) -> dict[str, Any]:
    """The `/ticket new` modal: one input per required column a person types (a menu where
    the column has choices), the channel it was typed in kept for the submission."""
    blocks = []
    for key, header, values in inputs:
        element: dict[str, Any] = {"type": "static_select", "action_id": key, "options": [
            {"text": _plain(one_line(v, 75)), "value": v[:150]} for v in values[:100]]} \
            if values else {"type": "plain_text_input", "action_id": key,
                            "multiline": key == "description"}
        blocks.append({"type": "input", "block_id": key, "label": _plain(one_line(header, 2000)),
                       "element": element})
    return {"type": "modal", "callback_id": NEW_VIEW, "title": _plain("New ticket"),
            "submit": _plain("Add to the tracker"), "close": _plain("Cancel"),
            "private_metadata": channel or "", "blocks": blocks}


def ticket_card(fields: Sequence[tuple[str, str | None]], notes: Sequence[str]
                ) -> SlackMessage:
    """`/ticket INT-000123`'s answer: the row's fields as it holds them (already masked by
    the caller), then what the checks found on it."""
    shown = [_field(label, inert(one_line(value, FIELD_LIMIT))) for label, value in fields
             if value][:10]
    line = inert(one_line(fields[0][1] or "", FIELD_LIMIT)) if fields else ""
    blocks: list[dict[str, Any]] = [{"type": "section", "fields": shown}] if shown else []
    if notes:
        text = "\n".join(inert(one_line(n, FIELD_LIMIT)) for n in notes)
        blocks.append(_section(f"*Findings*\n{text[:SECTION_LIMIT - 20]}"))
    return SlackMessage(line, blocks)

def ticket_cards(cards: Sequence[tuple[str, SlackMessage]], named: bool) -> SlackMessage:
    """`/ticket`'s answer from every tracker holding the ticket (name, card); with `named`
    (the process serves several), each card under its tracker's name."""
    if not named:
        return cards[0][1]
    blocks = [block for name, card in cards for block in (
        {"type": "context", "elements": [_mrkdwn(f"Tracker *{inert(one_line(name, 40))}*")]},
        *card.blocks)]
    return SlackMessage(cards[0][1].text, blocks[:50])  # Slack's limit: 50 blocks


def incident_message(payload: Mapping[str, Any], buttons: Choices | None = None
                     ) -> SlackMessage:
    """The incident: its line, then one line per ticket in it; with `buttons` (Socket Mode
    on), *Take* and *Resolve...* for each of its first tickets, acting on that ticket (not
    *Waiting on seller*: an incident is the platform's problem, not the seller's)."""
    line = _line(payload["text"])
    tickets = "\n".join(inert(one_line(str(t), FIELD_LIMIT)) for t in payload.get("lines", ()))
    cut = tickets if len(tickets) <= DESCRIPTION_LIMIT else tickets[:DESCRIPTION_LIMIT - 1] + "…"
    blocks = [_section(line), *([_section(cut)] if cut else [])]
    if buttons is not None:
        each = Choices({k: v for k, v in buttons.statuses.items() if k in INCIDENT_KINDS})
        blocks += [row for ticket in payload.get("tickets", ())[:INCIDENT_BUTTONS]
                   if (row := action_buttons(ticket, each, named=True)) is not None]
    return SlackMessage(line, blocks)


def digest_message(payload: Mapping[str, Any]) -> SlackMessage:
    """A report's digest: its headline figures, and the tab it is in (a link on Google
    Sheets; its name on a local workbook, which has no address)."""
    line = _line(payload["text"])
    tab = inert(one_line(str(payload.get("tab") or ""), FIELD_LIMIT))
    blocks: list[dict[str, Any]] = [_section(line)]
    if payload.get("tab_url"):
        blocks.append({"type": "context", "elements": [
            _mrkdwn(f"<{_link(payload['tab_url'])}|Open the tab {tab}>")]})
    elif tab:
        blocks.append({"type": "context", "elements": [_mrkdwn(f"In the tab {tab}")]})
    return SlackMessage(line, blocks)


def follow_up_message(payload: Mapping[str, Any], mentions: Sequence[str] = ()
                      ) -> SlackMessage:
    """One line (a reply, a reminder, an alert), after the people it is for: Slack user IDs
    from the configured map, the only mentions sheetsync ever makes."""
    line = _line(payload["text"])
    called = " ".join(f"<@{user}>" for user in mentions if _USER_ID.match(user))
    text = f"{called} {line}" if called else line
    return SlackMessage(text, [_section(text)])


def _line(text: str) -> str:
    return inert(one_line(text, SECTION_LIMIT // 2))


def _link(url: str) -> str:
    """A URL of our own making, made safe inside `<url|label>`."""
    return inert(url).replace("|", "%7C")


def _field(label: str, value: str) -> dict[str, Any]:
    return _mrkdwn(f"*{label}*\n{value}")


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": _mrkdwn(text)}


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text}


def _mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text, "verbatim": True}
