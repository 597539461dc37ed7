"""Suggested priority: the guide's Prioritization Guidelines as rules, each with its reason.

Pure. A rule matches a ticket by its issue type or by a phrase in its description; the first
rule that matches gives the suggestion, and its reason is the guide's own words. The default
rules are ordered High first, then feature requests (a request that mentions a report is still
a request) and questions about how things work (Low: documentation), then Medium, then Low,
then any other Bug or Complaint as Medium. The suggestion goes to a daemon-owned Suggested Priority column; the
person-owned Priority is never changed.

The guide: High: platform not working for multiple sellers; critical business functions
affected (e.g., cannot add products, view inventory); data loss or security concerns.
Medium: functionality issues affecting single seller; report generation problems; UI/UX
issues that impact usability. Low: feature requests; minor UI/UX improvements; documentation
clarifications.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Literal, NamedTuple

from pydantic import BaseModel, ConfigDict

Priority = Literal["High", "Medium", "Low"]


class PriorityRule(BaseModel):
    """One line of the guidelines: a priority, its reason, and what makes a ticket match."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    priority: Priority
    reason: str
    phrases: tuple[str, ...] = ()  # any of these in the description (words, any case;
    # "payout+not arrived": every part, anywhere)
    issue_types: tuple[str, ...] = ()  # or any of these issue types


class Suggestion(NamedTuple):
    priority: Priority
    reason: str
    matched: str  # the phrase or issue type that matched


#: "Can't", "can not" and "unable to" read as "cannot", so one phrase covers them all.
_CANNOT = re.compile(r"\b(?:can'?t|can not|unable to|not able to)\b")
_WORDS = re.compile(r"[a-z0-9']+")

GUIDELINES: tuple[PriorityRule, ...] = (
    PriorityRule(priority="High", reason="Platform not working for multiple sellers",
                 phrases=("multiple sellers", "all sellers", "many sellers", "everyone",
                          "platform down", "platform not working", "outage", "nothing works")),
    PriorityRule(priority="High", reason="Critical business functions affected",
                 phrases=("cannot add product", "cannot add products", "cannot view inventory",
                          "cannot see inventory", "cannot view orders", "cannot see orders",
                          "orders stuck", "order stuck", "payout+stuck", "payout+not arrived",
                          "payout+not received", "payout+delayed", "payment failed",
                          "cannot login", "cannot log in", "account blocked")),
    PriorityRule(priority="High", reason="Data loss or security concerns",
                 phrases=("data loss", "lost data", "data lost", "deleted my", "disappeared",
                          "security", "hacked", "fraud", "phishing", "unauthorised",
                          "unauthorized", "breach", "password leaked")),
    PriorityRule(priority="Low", reason="Feature requests",
                 issue_types=("Feature Request",),
                 phrases=("feature request", "would like", "please add", "can you add",
                          "it would be nice")),
    PriorityRule(priority="Low", reason="Documentation clarifications",
                 phrases=("how to", "how do i", "documentation", "where can i find",
                          "what does")),
    PriorityRule(priority="Medium", reason="Report generation problems",
                 phrases=("report", "reports", "invoice", "invoices", "statement", "export")),
    PriorityRule(priority="Medium", reason="UI/UX issues that impact usability",
                 phrases=("button", "screen", "page not loading", "not loading", "confusing",
                          "hard to find", "menu")),
    PriorityRule(priority="Low", reason="Minor UI/UX improvements",
                 phrases=("colour", "color", "font", "alignment", "typo", "spelling")),
    PriorityRule(priority="Medium", reason="Functionality issues affecting single seller",
                 issue_types=("Bug", "Complaint")),
)


def suggest(description: str | None, issue_type: str | None,
            rules: Sequence[PriorityRule] = GUIDELINES) -> Suggestion | None:
    """What the first matching rule gives this ticket, with its reason; None when none does."""
    text = _normal(description or "")
    kind = (issue_type or "").strip().lower()
    for rule, types, pattern, together in _compiled(tuple(rules)):
        if kind and kind in types:
            return Suggestion(rule.priority, rule.reason, (issue_type or "").strip())
        found = pattern.search(text) if pattern is not None else None
        if found is not None:
            return Suggestion(rule.priority, rule.reason, found.group(1))
        for phrase, parts in together:
            if all(part in text for part in parts):
                return Suggestion(rule.priority, rule.reason, phrase)
    return None


@lru_cache(maxsize=64)
def _compiled(rules: tuple[PriorityRule, ...]
              ) -> list[tuple[PriorityRule, frozenset[str], re.Pattern[str] | None,
                              list[tuple[str, tuple[str, ...]]]]]:
    """Each rule as one regular expression over its phrases (and the a+b ones apart)."""
    compiled = []
    for rule in rules:
        simple = [_normal(p).strip() for p in rule.phrases if "+" not in p and _normal(p).strip()]
        pattern = re.compile(" (" + "|".join(map(re.escape, simple)) + ") ") if simple else None
        together = [(p, tuple(_normal(part) for part in p.split("+")))
                    for p in rule.phrases if "+" in p]
        compiled.append((rule, frozenset(t.lower() for t in rule.issue_types), pattern,
                         [(p, parts) for p, parts in together if all(x.strip() for x in parts)]))
    return compiled


def _normal(text: str) -> str:
    """Lower-case words between single spaces, with a space at each end."""
    return " " + _CANNOT.sub("cannot", " ".join(_WORDS.findall(text.lower()))) + " "


def note(suggestion: Suggestion) -> str:
    """The Sync Notes line: `Suggested Priority High: Critical business functions affected
    ("cannot add products")`."""
    return f'Suggested Priority {suggestion.priority}: {suggestion.reason} ("{suggestion.matched}")'
