"""A ClickUp task for a technical ticket, as the Create Task body: pure, from the effect's payload.

The name is `[Issue Type] Brief Description (Seller Name)`, one line of at most 200
characters without the controls that reorder or hide text (the same rule as Slack's). The
description is markdown with the ticket's fields, and every ASCII punctuation character of
cell text is backslash-escaped (CommonMark: "any ASCII punctuation character may be
backslash-escaped"), so a cell cannot forge a link, a bare URL or an address cannot become
one, and `- item`, `1.`, `---` or `#` cannot start a list, a rule or a heading. The priority comes
from the tracker's Priority (or Urgency Level), the tags from its Issue Type (or Category),
and the assignees from Assigned To through the configured name -> ClickUp user map; a name
the map does not know is left out and said in the description, never an error.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from sheetsync.core.messages import one_line, without_controls
from sheetsync.core.values import split_people

#: ClickUp's priorities: 1 urgent, 2 high, 3 normal, 4 low.
PRIORITY = {"urgent": 1, "critical": 1, "high": 2, "medium": 3, "normal": 3, "low": 4}
TAG = "sheetsync"  # on every task sheetsync creates, to find them in ClickUp
_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")  # every ASCII punctuation character
NAME_LIMIT = 200  # a task name people read in a list, not a description


def task_body(payload: Mapping[str, Any], key: str, key_field: str,
              user_ids: Mapping[str, int]) -> dict[str, Any]:
    """The Create Task request body; `key` goes in the `key_field` custom field."""
    assignees, unknown = _assignees(payload.get("assignee"), user_ids)
    body: dict[str, Any] = {
        "name": one_line(without_controls(str(payload["name"])), NAME_LIMIT),
        "markdown_content": _description(payload, unknown),
        "tags": [TAG, *([_tag(payload["issue_type"])] if payload.get("issue_type") else [])],
        "custom_fields": [{"id": key_field, "value": key}],
    }
    priority = PRIORITY.get(str(payload.get("priority") or "").strip().lower())
    if priority is not None:
        body["priority"] = priority
    if assignees:
        body["assignees"] = assignees
    return body


def unknown_people(payload: Mapping[str, Any], user_ids: Mapping[str, int]) -> list[str]:
    """The names in Assigned To that the configured map cannot turn into ClickUp users."""
    return _assignees(payload.get("assignee"), user_ids)[1]


def _assignees(text: Any, user_ids: Mapping[str, int]) -> tuple[list[int], list[str]]:
    known = {" ".join(name.split()).lower(): user for name, user in user_ids.items()}
    ids, unknown = [], []
    for person in split_people(text) if text else []:
        user = known.get(" ".join(person.split()).lower())
        if user is None:
            unknown.append(person)
        elif user not in ids:
            ids.append(user)
    return ids, unknown


def _description(payload: Mapping[str, Any], unknown: list[str]) -> str:
    lines = [f"**Ticket:** {payload.get('ticket_id')}"]  # sheetsync's own ID: INT-000017
    for label, key in (("Seller", "seller"), ("Contact", "contact"), ("Reported", "reported_at"),
                       ("Status", "status"), ("Priority", "priority"),
                       ("Assigned to", "assignee")):
        if payload.get(key):
            lines.append(f"**{label}:** {_md(payload[key])}")
    if unknown:
        lines.append(f"**Not assigned in ClickUp** (not in sheetsync's `clickup.assignees`): "
                     f"{_md(', '.join(unknown))}")
    if payload.get("row_url"):
        lines.append(f"**Tracker row:** <{payload['row_url']}>")
    description = str(payload.get("description") or "").strip()
    return "\n".join(lines) + ("\n\n" + _md(description) if description else "") + \
        "\n\n_Created by sheetsync from the support tracker._"


def _md(value: Any) -> str:
    """Cell text as markdown shows it literally."""
    return _PUNCTUATION.sub(r"\\\1", without_controls(str(value)))


def _tag(text: Any) -> str:
    return " ".join(str(text).split()).lower()[:50]
