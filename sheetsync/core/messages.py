"""The words sheetsync sends: the guide's escalation line and the Brief Description in it."""

from __future__ import annotations

import re

#: The guide: "Format for escalations: [ESCALATION] [Issue Type] - Brief Description (Seller Name)"
ESCALATION = "[ESCALATION] [{issue_type}] - {brief} ({seller})"
BRIEF_LENGTH = 80
NAME_LENGTH = 100  # an Issue Type or Seller Name longer than this is cut in messages
ELLIPSIS = "…"

_SENTENCE_END = re.compile(r"[.!?](?=\s|$)|[\r\n]")
#: Bidi marks, embeddings, overrides and isolates, and the other invisible controls (C0 but
#: tab and newline, C1, zero-width space, word joiners): a cell using them could reverse or
#: hide what follows it. The zero-width joiner and non-joiner stay: Devanagari, Malayalam and
#: emoji sequences need them.
_CONTROLS = re.compile("[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200b\u200e\u200f"
                       "\u202a-\u202e\u2060-\u2069\ufeff]")


def without_controls(text: str) -> str:
    """`text` without the characters that reorder or hide what follows them (line breaks and
    tabs stay: `one_line` turns them into spaces where one line is wanted)."""
    return _CONTROLS.sub("", text)


def brief_description(description: str, length: int = BRIEF_LENGTH) -> str:
    """The description's first sentence, cut at a word boundary to `length` with an ellipsis.

    The sentence ends at the first `. `, `! `, `? ` or line break; the guide's example entry
    gives "Unable to update stock for Rice product".
    """
    text = description.strip()
    end = _SENTENCE_END.search(text)
    sentence = " ".join((text[:end.start()] if end else text).split())
    if len(sentence) <= length:
        return sentence
    cut = sentence[:length + 1].rsplit(" ", 1)[0] if " " in sentence[:length + 1] else ""
    return (cut or sentence[:length]).rstrip(" ,;:-") + ELLIPSIS


def escalation_text(issue_type: str, description: str, seller: str,
                    length: int = BRIEF_LENGTH) -> str:
    """`[ESCALATION] [Bug] - Unable to update stock for Rice product (Sharma General Store)`.

    Each value is one line, and a runaway Issue Type or Seller Name is cut, so the line keeps
    the guide's shape whatever a cell holds.
    """
    return ESCALATION.format(issue_type=one_line(issue_type, NAME_LENGTH),
                             brief=brief_description(description, length),
                             seller=one_line(seller, NAME_LENGTH))


def one_line(text: str, length: int) -> str:
    """`text` with its whitespace runs (line breaks too) as single spaces, cut to `length`."""
    line = " ".join(text.split())
    return line if len(line) <= length else line[:length - 1].rstrip() + ELLIPSIS


def follow_up_text(event: str, ticket_id: str, before: str | None, after: str | None) -> str:
    """A reply in an escalation's thread: `INT-000002 resolved (status Escalated → Resolved)`.

    `before` and `after` are the field's values; for resolved and reopened, the status's.
    """
    change = f"{before or '-'} → {after or '-'}"
    if event == "assigned":
        return f"{ticket_id} assigned to {after}" + (f" (was {before})" if before else "")
    if event in ("resolved", "reopened"):
        return f"{ticket_id} {event}" + (f" (status {change})" if before or after else "")
    if event == "raised":
        return f"{ticket_id} raised to {after}" + (f" (from {before})" if before else "")
    if event == "task_closed":
        return f"{ticket_id}: ClickUp task closed" + (f" ({after})" if after else "")
    return f"{ticket_id} {event}: {change}"
