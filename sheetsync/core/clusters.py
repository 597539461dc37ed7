"""Similar descriptions grouped: the recurring issues and the feature requests many ask for.

Pure. Descriptions are compared by their first sentence's words, lower-cased, with rapidfuzz's
`token_set_ratio` (word order and extra words matter little: "Product not found" and
"product not found when searching" are one issue). Greedy: the most common description
seeds a group and takes every description close enough; then the next.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz, process

from sheetsync.core.messages import brief_description
from sheetsync.core.triage import plain_words

SIMILAR = 80  # token_set_ratio at or above which two descriptions are one issue
MAX_DISTINCT = 4000  # the most common distinct descriptions compared (the rest are rare)


@dataclass(frozen=True)
class Cluster:
    """Tickets whose descriptions say the same thing."""

    label: str  # the most common wording
    tickets: list[str]
    sellers: int  # distinct sellers among them


def cluster(tickets: Sequence[str], descriptions: Sequence[str | None],
            sellers: Sequence[str | None], minimum: int = 3) -> list[Cluster]:
    """Groups of at least `minimum` tickets, largest first."""
    keys = [key_of(d) for d in descriptions]
    common = [k for k, _ in Counter(k for k in keys if k).most_common(MAX_DISTINCT)]
    if not common:
        return []
    scores = process.cdist(common, common, scorer=fuzz.token_set_ratio, dtype=np.uint8,
                           score_cutoff=SIMILAR, workers=-1)
    group_of: dict[str, str] = {}
    for i, key in enumerate(common):  # most common first: it names its group
        if key in group_of:
            continue
        for j in np.nonzero(scores[i])[0]:
            group_of.setdefault(common[int(j)], key)
    members: dict[str, list[int]] = {}
    for position, key in enumerate(keys):
        if key in group_of:
            members.setdefault(group_of[key], []).append(position)
    found = [Cluster(label, [tickets[p] for p in positions],
                     len({sellers[p] for p in positions if sellers[p]}))
             for label, positions in members.items() if len(positions) >= minimum]
    return sorted(found, key=lambda c: (-len(c.tickets), c.label))


def key_of(description: str | None) -> str:
    """What two descriptions are compared by: the first sentence's words, lower-cased, with
    "can't" and "unable to" read as "cannot"."""
    return plain_words(brief_description(description, 120)) if description else ""
