"""Suggested priority: the guidelines as a support agent reads them, each rule with its reason.

Pure. The guide's Prioritization Guidelines (and, for the SayPro preset, its documents'
Urgency Levels) as rules over a ticket's issue type and the words agents log: the first rule
that matches gives the suggestion, its reason in the guide's own words, with the words that
decided it (`Suggestion(value, reason, matched)`). The suggestion goes to a daemon-owned
Suggested Priority column; the person-owned Priority is never changed.

The guide: High: platform not working for multiple sellers; critical business functions
affected (e.g., cannot add products, view inventory); data loss or security concerns.
Medium: functionality issues affecting single seller; report generation problems; UI/UX
issues that impact usability. Low: feature requests; minor UI/UX improvements; documentation
clarifications.

The rules are ordered so that a harmless ticket that merely mentions an alarming word is
told apart first: a Feature Request, then a request, a typo or polish, or a question with
no problem in it, are Low; then the three High bullets; then reports and usability
(Medium); then any other Bug, Complaint or problem as the single seller's (Medium); then any
other Help question (Low). How words are read (typos, negations, Hinglish): triage_words.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

from sheetsync.core.triage_rules import (
    Priority as Priority,
    PriorityRule as PriorityRule,
    Suggestion as Suggestion,
    matcher,
)
from sheetsync.core.triage_saypro import SAYPRO_GUIDELINES as SAYPRO_GUIDELINES
from sheetsync.core.triage_words import (
    COSMETIC,
    HYPOTHETICAL,
    PROBLEM,
    QUESTION,
    REQUEST,
    UNUSABLE,
)


@dataclass(frozen=True)
class Suggested:
    """A daemon-owned column of suggestions, each row's, beside the person's own column."""

    key: str  # the daemon-owned column
    person: str  # the person-owned column it suggests a value for
    what: str  # "Priority", "Category": how Sync Notes names it
    values: list[Suggestion | None]  # by row position (a carried cycle redoes a few in place)


# The guide's words, as agents log them.

#: "Platform not working for multiple sellers": many sellers, or the platform itself.
MANY_SELLERS = (
    "multiple sellers", "many sellers", "all sellers", "several sellers", "other sellers",
    "more sellers", "every seller", "each seller", "no seller", "not single seller",
    "sellers across", "all stores", "all seller", "all regions", "seller group",
    "beta group", "everyone", "everybody", "anyone", "nobody", "no one", "all users",
    "all accounts", "across stores", "same issue from", "same complaint", "lot of sellers",
    "lots of sellers", "flood of calls", "whole platform",
    "sellers|stores|shops+same error|same issue|same problem|same complaint",
    "entire platform", "entire app", "platform down", "platform is down", "platform not",
    "site down", "site not opening", "server down", "server error", "server issue",
    "outage", "system down", "system went down", "for every", "all android", "all ios",
    "all shops", "every store", "many stores", "widespread", "everywhere", "app down",
    "app is down", "bot down", "servers down", "server crash", "for all", "sellers also",
)
#: "Critical business functions affected (e.g., cannot add products, view inventory)".
CRITICAL = (
    # adding products
    "cannot add product", "cannot add new product", "cannot add items", "cannot create product",
    "cannot create new product",
    "cannot upload product", "cannot upload any product", "cannot add stock items",
    "add product|adding product|product add|add new product|product creation|"
    "add flow|creating product+error|fail|fails|failing|crash|freezes|broken|stuck|not|500",
    "product|products+cannot add|not adding", "cannot add",
    "product not saved", "product not appear", "product never appears",
    # viewing inventory
    "cannot view inventory", "cannot see inventory", "cannot open inventory",
    "inventory|inventory page|inventory list|stock list|stock page|stock screen+"
    "not showing|not loading|not opening|not visible|blank|empty|shows 0|showing 0|"
    "shows zero|showing zero|0 items|zero items|404",
    "inventory page+error", "stock list+cannot see", "cannot see stock list",
    # orders
    "orders not showing", "orders not coming", "orders not visible", "no orders",
    "not receiving orders", "not receiving new orders", "cannot see orders",
    "cannot view orders", "cannot accept orders", "orders blank", "order page blank",
    "never got the order", "order|orders+empty list|shows nothing|returns nothing",
    "order notification|order notifications+stopped",
    "orders stuck", "order stuck", "accept button", "cannot confirm",
    # payouts and payments
    "payout|payouts|payment|payments|money|settlement+not received|not receiving|"
    "not coming|not credited|not reaching|not arrived|not come|pending|delayed|delay|failed|"
    "failing|missing|stuck|short", "no payout", "no settlement", "no payment",
    "payout status shows failed",
    # logging in and the account
    "cannot login", "not login", "login fails", "login failed", "login+invalid",
    "login error", "login not working", "cannot access account", "account locked",
    "locked out", "account blocked", "account down", "account deactivated",
    "account suspended", "account closed", "otp not coming", "number not registered",
    # selling to customers
    "customers cannot place order", "cannot place order", "customers cannot order",
    "cannot take orders", "not take orders", "store unavailable", "store offline",
    "shop offline", "shop has been offline", "store not accepting", "store link not opening",
    "catalogue empty", "products not visible", "not visible to anyone", "checkout+stuck|"
    "broken|fails|failing|error", "losing sales", "lost sales", "cannot pay",
)
#: "Data loss or security concerns".
DATA_OR_SECURITY = (
    "data loss", "lost data", "data lost", "lost", "wiped", "erased", "deleted",
    "variants deleted", "disappeared", "gone from", "products gone", "all gone",
    "missing completely", "history missing", "vanished", "reset to zero", "overwrote",
    "overwritten", "hacked", "hack", "hacking", "phishing", "fraud", "fake", "scam", "cheat",
    "unauthorised", "unauthorized", "without approval", "without permission",
    "without his approval", "did not change", "did not do it", "not do it",
    "someone else", "someone", "unknown device", "unknown", "leaked", "leak",
    "another seller", "someone elses", "other sellers orders", "plain text", "security",
    "breach", "not request", "suspicious", "can still login", "claiming to be", "pretending",
    "visible on the public", "details visible", "customer data", "data mixed up",
    "someone elses products", "all+missing", "compromised", "stolen", "cheated", "scammer",
    "shared otp", "changed without", "not done by", "without knowledge",
)
#: "Report generation problems".
REPORTS = (
    "report", "reports", "invoice", "invoices", "statement", "export", "summary", "ledger",
    "bill", "csv", "pdf", "gst",
)
#: "UI/UX issues that impact usability".
USABILITY = (
    "button", "buttons", "screen", "page not loading", "not loading", "confusing",
    "hard to find", "hard to use", "very hard", "too many steps", "menu", "dropdown",
    "scroll", "tap", "click", "layout", "design", "popup", "overlaps", "cut off", "cuts off",
    "hidden", "hides", "spinner", "freezes", "slow", "white", "keyboard", "pagination",
    "filter", "search bar", "dialog", "cannot read", "not read", "back button",
)
#: Polish that only shows in how something looks ("Minor UI/UX improvements").
LOOKS = ("logo", "icon", "animation", "bigger", "larger", "banner", "looks")

#: The guide's Prioritization Guidelines, as its words are logged, in the order they are
#: tried.
GUIDELINES: tuple[PriorityRule, ...] = (
    PriorityRule(priority="Low", reason="Feature requests", issue_types=("Feature Request",)),
    PriorityRule(priority="Low", reason="Feature requests", phrases=REQUEST, unless=PROBLEM),
    PriorityRule(priority="Low", reason="Minor UI/UX improvements", phrases=COSMETIC,
                 unless=UNUSABLE + ("hacked", "hacking", "someone", "fraud")),
    PriorityRule(priority="Low", reason="Documentation clarifications", phrases=HYPOTHETICAL),
    PriorityRule(priority="Low", reason="Documentation clarifications", phrases=QUESTION,
                 unless=PROBLEM),
    PriorityRule(priority="High", reason="Platform not working for multiple sellers",
                 phrases=MANY_SELLERS),
    PriorityRule(priority="High", reason="Data loss or security concerns",
                 phrases=DATA_OR_SECURITY),
    PriorityRule(priority="High", reason="Critical business functions affected",
                 phrases=CRITICAL),
    PriorityRule(priority="Medium", reason="Report generation problems", phrases=REPORTS),
    PriorityRule(priority="Medium", reason="UI/UX issues that impact usability",
                 phrases=USABILITY),
    PriorityRule(priority="Low", reason="Minor UI/UX improvements", phrases=LOOKS,
                 unless=PROBLEM),
    PriorityRule(priority="Medium", reason="Functionality issues affecting single seller",
                 issue_types=("Bug", "Complaint"), phrases=PROBLEM),
    PriorityRule(priority="Low", reason="Documentation clarifications",
                 issue_types=("Help",)),
)

#: Each preset's own rules: the SayPro preset's Urgency Levels are its documents'.
PRESET_RULES: dict[str, tuple[PriorityRule, ...]] = {
    "seller-support": GUIDELINES,
    "saypro-interaction-log": SAYPRO_GUIDELINES,
}


def rules_for(preset: str | None) -> tuple[PriorityRule, ...]:
    """The default rules for a preset (by its name): the guide's unless it has its own."""
    return PRESET_RULES.get(preset or "", GUIDELINES)


def suggest(description: str | None, issue_type: str | None,
            rules: Sequence[PriorityRule] = GUIDELINES) -> Suggestion | None:
    """What the first matching priority rule gives this ticket, with its reason."""
    return matcher(rules).suggest(description, issue_type)


class Rule(NamedTuple):
    """A category or escalation rule: a value to suggest, why, and what makes a ticket match
    (the categorisation's simpler matching: the leftmost phrase of the first rule wins)."""

    value: str
    reason: str
    phrases: tuple[str, ...] = ()
    issue_types: tuple[str, ...] = ()


#: "Can't", "can not" and "unable to" read as "cannot", so one phrase covers them all.
_CANNOT = re.compile(r"\b(?:can'?t|can not|unable to|not able to)\b")
_WORDS = re.compile(r"[a-z0-9']+")

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
