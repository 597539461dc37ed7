"""Triage rules: what a rule is, what it suggests, and how a ticket's words match it.

Pure. A rule is data (a team can write its own in config): a priority, its reason in the
guidelines' words, and what makes a ticket match: its issue type, or any of its phrases,
unless any of its `unless` phrases is there too. Rules are tried in order and the first
that matches gives the suggestion, with the words that decided it.

A phrase is words ("cannot add products"), read the way the ticket is (see triage_words:
"can't add product", "unable to add products" and "product add nahi ho raha" all match it);
"a+b" needs each part anywhere in the description, and "a|b" is either ("payout|payment+not
received"). A phrase right after "no", "not" or "without" does not count ("no data loss").
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from functools import lru_cache
from typing import Literal, NamedTuple

from pydantic import BaseModel, ConfigDict

from sheetsync.core.triage_words import Reader, vocabulary_of

Priority = Literal["High", "Medium", "Low"]


class PriorityRule(BaseModel):
    """One line of the guidelines: a priority, its reason, and what makes a ticket match."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    priority: Priority
    reason: str
    phrases: tuple[str, ...] = ()  # any of these in the description ("a+b": every part,
    # anywhere; "a|b": either)
    issue_types: tuple[str, ...] = ()  # or any of these issue types
    unless: tuple[str, ...] = ()  # ... but not when any of these is in the description


class Suggestion(NamedTuple):
    value: str  # what is suggested: a priority, or a category
    reason: str
    matched: str  # the phrase or issue type that matched


#: Words after which a phrase does not count: "no data loss", "not hacked".
NEGATIONS = frozenset(("no", "not", "without", "nor"))

#: A phrase part's words point to: (rule, 0 for `phrases` or 1 for `unless`), the phrase's
#: place in the rule, how many parts it has, this part's place, and its words as written.
_Entry = tuple[tuple[int, int], int, int, int, str]


class _Matcher:
    """One rule set, indexed by its phrases' words, so a ticket costs a few dict lookups."""

    def __init__(self, rules: Sequence[PriorityRule]) -> None:
        self.rules = tuple(rules)
        alternatives = [alt for rule in self.rules for phrase in (*rule.phrases, *rule.unless)
                        for part in phrase.split("+") for alt in part.split("|")]
        self.reader = Reader(vocabulary_of(alternatives))
        self.types = [frozenset(t.strip().lower() for t in rule.issue_types)
                      for rule in self.rules]
        self.index: dict[str, list[_Entry]] = defaultdict(list)
        for r, rule in enumerate(self.rules):
            for field, phrases in enumerate((rule.phrases, rule.unless)):
                for p, phrase in enumerate(phrases):
                    self._add(r, field, p, [part for part in phrase.split("+") if part.strip()])
        #: Every phrase's leading words, so a ticket's n-grams grow only while one could hit.
        self.prefixes = {" ".join(k.split()[:n]) for k in self.index
                         for n in range(1, k.count(" ") + 2)}

    def _add(self, r: int, field: int, p: int, parts: list[str]) -> None:
        """Index one phrase's parts by their words (a single-part phrase only where no earlier
        phrase of the same rule and field has the same words: "fails", "failed" are one)."""
        for q, part in enumerate(parts):
            for alt in part.split("|"):
                words = self.reader.read(alt).strip()
                if not words or (len(parts) == 1 and any(
                        e[0] == (r, field) and e[2] == 1 for e in self.index.get(words, ()))):
                    continue
                self.index[words].append(((r, field), p, len(parts), q, alt.strip()))

    def hits(self, text: str) -> dict[tuple[int, int], str]:
        """For each rule's phrases (0) and unless-phrases (1) the description has (not
        negated), the first in the rule's order, as the words that matched it."""
        words = self.reader.read(text).split()
        whole: dict[tuple[int, int], tuple[int, str]] = {}
        partial: dict[tuple[tuple[int, int], int], dict[int, str]] = {}
        prefixes, index = self.prefixes, self.index
        for i, gram in enumerate(words):
            if i and words[i - 1] in NEGATIONS and gram not in NEGATIONS:
                continue
            j = i + 1
            while gram in prefixes:
                for key, p, parts, q, label in index.get(gram, ()):
                    if parts > 1:  # "a+b": whole once every part is found
                        found = partial.setdefault((key, p), {})
                        found.setdefault(q, label)
                        if len(found) < parts:
                            continue
                        label = " + ".join(found[k] for k in sorted(found))
                    if key not in whole or p < whole[key][0]:
                        whole[key] = (p, label)
                if j == len(words):
                    break
                gram = f"{gram} {words[j]}"
                j += 1
        return {key: label for key, (_, label) in whole.items()}

    def suggest(self, description: str | None, issue_type: str | None) -> Suggestion | None:
        """The first rule the ticket matches, with its reason and what matched."""
        whole = self.hits(description or "")
        kind = (issue_type or "").strip()
        for r, rule in enumerate(self.rules):
            matched = kind if kind and kind.lower() in self.types[r] else whole.get((r, 0))
            if matched is not None and (r, 1) not in whole:
                return Suggestion(rule.priority, rule.reason, matched)
        return None


def matcher(rules: Sequence[PriorityRule]) -> _Matcher:
    """The rule set, indexed once (a team's own rules too) and kept: by identity first (a
    cycle passes the same rules for every row), else by value."""
    last = _LAST.get(id(rules))
    if last is not None and last[0] is rules:
        return last[1]
    found = _by_value(tuple(rules))
    if len(_LAST) > 16:
        _LAST.clear()
    _LAST[id(rules)] = (rules, found)
    return found


@lru_cache(maxsize=16)
def _by_value(rules: tuple[PriorityRule, ...]) -> _Matcher:
    return _Matcher(rules)


_LAST: dict[int, tuple[Sequence[PriorityRule], _Matcher]] = {}
