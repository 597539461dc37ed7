"""The words sheetsync sends: the guide's escalation line and the Brief Description in it."""

from __future__ import annotations

import re

#: The guide: "Format for escalations: [ESCALATION] [Issue Type] - Brief Description (Seller Name)"
ESCALATION = "[ESCALATION] [{issue_type}] - {brief} ({seller})"
BRIEF_LENGTH = 80
ELLIPSIS = "…"

_SENTENCE_END = re.compile(r"[.!?](?=\s|$)|[\r\n]")


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
    """`[ESCALATION] [Bug] - Unable to update stock for Rice product (Sharma General Store)`."""
    return ESCALATION.format(issue_type=issue_type.strip(),
                             brief=brief_description(description, length),
                             seller=" ".join(seller.split()))
