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
from dataclasses import dataclass
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
    value: str  # what is suggested: a priority, or a category
    reason: str
    matched: str  # the phrase or issue type that matched


@dataclass(frozen=True)
class Suggested:
    """A daemon-owned column of suggestions, each row's, beside the person's own column."""

    key: str  # the daemon-owned column
    person: str  # the person-owned column it suggests a value for
    what: str  # "Priority", "Category": how Sync Notes names it
    values: list[Suggestion | None]  # by row position (a carried cycle redoes a few in place)


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
                          "what does", "where is my", "can i", "is it possible")),
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


class Rule(NamedTuple):
    """What any rule comes down to: a value to suggest, why, and what makes a ticket match."""

    value: str
    reason: str
    phrases: tuple[str, ...] = ()
    issue_types: tuple[str, ...] = ()


def suggest(description: str | None, issue_type: str | None,
            rules: Sequence[PriorityRule] = GUIDELINES) -> Suggestion | None:
    """What the first matching priority rule gives this ticket, with its reason."""
    return first_match(description, issue_type, tuple(
        Rule(r.priority, r.reason, r.phrases, r.issue_types) for r in rules))


@lru_cache(maxsize=64)
def _compiled(rules: tuple[Rule, ...]
              ) -> list[tuple[Rule, frozenset[str], re.Pattern[str] | None,
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


def first_match(description: str | None, issue_type: str | None, rules: tuple[Rule, ...]
                ) -> Suggestion | None:
    """The first rule matching the issue type or a phrase of the description."""
    text = _normal(description or "")
    kind = (issue_type or "").strip().lower()
    for rule, types, pattern, together in _compiled(rules):
        if kind and kind in types:
            return Suggestion(rule.value, rule.reason, (issue_type or "").strip())
        found = pattern.search(text) if pattern is not None else None
        if found is not None:
            return Suggestion(rule.value, rule.reason, found.group(1))
        for phrase, parts in together:
            if all(part in text for part in parts):
                return Suggestion(rule.value, rule.reason, phrase)
    return None


def _normal(text: str) -> str:
    """Lower-case words between single spaces, with a space at each end."""
    return " " + plain_words(text) + " "


def plain_words(text: str) -> str:
    """Lower-case words between single spaces, every way of saying "cannot" as "cannot"."""
    return _CANNOT.sub("cannot", " ".join(_WORDS.findall(text.lower())))


#: The SayPro documents' automated categorisation (account, listing, transaction, technical,
#: general), as rules over the description; for rows whose Category a person left blank.
CATEGORIES: tuple[Rule, ...] = tuple(
    Rule(category, category, phrases) for category, phrases in (
        ("Account-related", ("account", "login", "cannot log in", "log into", "password",
                             "sign up", "signup", "verification", "verify", "suspended",
                             "profile", "username")),
        ("Transaction-related", ("payment", "payout", "refund", "order", "orders",
                                 "transaction", "checkout", "charged", "invoice", "paid")),
        ("Listing-related", ("listing", "listings", "listed", "product page", "photos",
                             "images", "catalogue", "catalog", "not visible", "price")),
        ("Technical", ("error", "crash", "crashes", "bug", "not loading", "app", "website",
                       "server", "timeout", "broken", "glitch")),
    ))
GENERAL = "General inquiry"


def suggest_category(description: str | None) -> Suggestion | None:
    """The category the description's words point to; General inquiry when none does."""
    if not description or not description.strip():
        return None
    return first_match(description, None, CATEGORIES) or \
        Suggestion(GENERAL, GENERAL, "no other category's words")


#: The SayPro documents' escalation levels.
LEVELS = {"L1": "general support", "L2": "intermediate technical", "L3": "development"}
#: How an escalated ticket's level is derived when the tracker does not record it: a phrase
#: of the description first (development work, then technical infrastructure), then L2 for a
#: technical ticket, else L1.
LEVEL_RULES: tuple[Rule, ...] = (
    Rule("L3", LEVELS["L3"], ("code", "backend", "deploy", "release", "crash", "crashes",
                              "data loss", "bug in")),
    Rule("L2", LEVELS["L2"], ("database", "server", "payment gateway", "integration", "api",
                              "sync", "timeout", "outage", "error")),
)


def escalation_level(given: str | None, description: str | None, technical: bool
                     ) -> Suggestion:
    """An escalated ticket's level: the Escalation Level a person gave, else the rules'."""
    level = (given or "").strip().upper()
    if level in LEVELS:
        return Suggestion(level, LEVELS[level], "Escalation Level")
    found = first_match(description, None, LEVEL_RULES)
    if found is not None:
        return found
    if technical:
        return Suggestion("L2", LEVELS["L2"], "a technical ticket")
    return Suggestion("L1", LEVELS["L1"], "escalated")


def note(suggestion: Suggestion, what: str = "Priority") -> str:
    """The Sync Notes line: `Suggested Priority High: Critical business functions affected
    ("cannot add products")`, `Suggested Category Account-related ("password")`."""
    reason = "" if suggestion.reason == suggestion.value else f": {suggestion.reason}"
    return f'Suggested {what} {suggestion.value}{reason} ("{suggestion.matched}")'
