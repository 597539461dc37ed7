"""Google's per-minute quotas shared by the trackers of one process: a budget for each
credential (a Google user) and one for each Cloud project, and which tracker reads next when
they run short.

Google Sheets allows 60 reads and 60 writes a minute per user and 300 per project
(https://developers.google.com/sheets/api/limits), and every tracker of one service account
is one user. Each tracker's requests spend from its credential's budget and its project's,
each set at 90% of the configured quota (reads and writes apart), so twenty trackers never
send 800 reads a minute. Which tracker reads is decided before its cycle starts:

1. a tracker not read for `google.max_staleness_minutes` reads, whatever the budget;
2. a changed tracker reads when the budget has room for it after the changed trackers that
   changed more recently (the rest are held back, and `status` says so);
3. an idle tracker (Drive says unchanged) reads only from what is left after the changed
   ones and a margin kept for them (a fifth of the budget), the one read longest ago first.

The budgets are per process: two processes on one credential must split the quota between
their configs.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from sheetsync.integrations.pacing import Budget, Clock, Sleep

SHARE = 0.9  # of each quota sheetsync spends; the rest is headroom for others
CHANGED_READS = 2  # a changed cycle: the read, and the narrow read before its write
IDLE_READS = 1  # a cycle that finds nothing to do reads once


@dataclass
class _Tracker:
    """What the pool knows of one tracker between its ticks."""

    budgets: tuple[Budget, ...]
    idle_reads: bool = True
    waiting_since: float | None = None  # when its pending change was seen (None: none)
    read_at: float | None = None
    reserved: int = 0  # reads admitted and not yet finished


@dataclass(frozen=True)
class Decision:
    """Whether a tracker reads this tick, and why not when a read it wanted was held."""

    read: bool
    held: str | None = None


@dataclass
class Pool:
    """The process's shared budgets and the trackers drawing on them."""

    clock: Clock = time.monotonic
    sleep: Sleep = time.sleep
    _budgets: dict[tuple[str, str], Budget] = field(default_factory=dict)
    _trackers: dict[str, _Tracker] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def share(self, tracker: str, user: str, project: str, per_user: int, per_project: int,
              staleness_minutes: int, idle_reads: bool = True) -> Share:
        """The share of one tracker, spending from `user`'s and `project`'s budgets."""
        with self._lock:
            budgets = (self._budget("user", user, per_user),
                       self._budget("project", project, per_project))
            self._trackers[tracker] = _Tracker(budgets, idle_reads)
        return Share(self, tracker, budgets, staleness_minutes * 60.0, idle_reads)

    def _budget(self, kind: str, name: str, quota: int) -> Budget:
        key = (kind, name)
        if key not in self._budgets:
            self._budgets[key] = Budget(max(1, int(quota * SHARE)), self.clock, self.sleep)
        return self._budgets[key]

    def decide(self, share: Share, now: float, *, changed: bool, read_at: float | None
               ) -> Decision:
        """See the module's rules; an admitted read's cost is reserved until `finished`."""
        with self._lock:
            me = self._trackers[share.tracker]
            me.read_at = read_at
            if not changed and not share.idle_reads:
                return Decision(False)  # the strict rule: an idle tracker costs no read
            stale = read_at is None or now - read_at >= share.staleness
            if changed and me.waiting_since is None:
                me.waiting_since = now
            if not changed:
                me.waiting_since = None
            peers = [(name, t) for name, t in self._trackers.items()
                     if t is not me and set(t.budgets) & set(me.budgets)]
            room = min(b.room("read") for b in me.budgets) - sum(t.reserved for _, t in peers)
            if stale:
                return self._admit(me, CHANGED_READS)
            waiting = [t for _, t in peers if t.waiting_since is not None]
            if changed:
                ahead = sum(1 for t in waiting if t.waiting_since is not None and
                            me.waiting_since is not None and t.waiting_since > me.waiting_since)
                if room - ahead * CHANGED_READS >= CHANGED_READS:
                    return self._admit(me, CHANGED_READS)
                return Decision(False, f"the Google quota budget is spent for now ({room} reads "
                                       f"left this minute, {ahead} changed trackers first)")
            spare = room - len(waiting) * CHANGED_READS - _margin(me.budgets)
            older = sum(1 for _, t in peers if t.idle_reads and t.waiting_since is None and
                        t.reserved == 0 and (t.read_at or 0.0) < (read_at or 0.0))
            if spare - older * IDLE_READS >= IDLE_READS:
                return self._admit(me, IDLE_READS)
            return Decision(False)

    def finished(self, share: Share) -> None:
        with self._lock:
            me = self._trackers[share.tracker]
            me.reserved, me.waiting_since = 0, None

    @staticmethod
    def _admit(me: _Tracker, cost: int) -> Decision:
        me.reserved, me.waiting_since = cost, None
        return Decision(True)


def _margin(budgets: Sequence[Budget]) -> int:
    """Reads kept back from idle trackers for ones that change (a fifth of the budget: a
    changed tracker then seldom waits for an idle one's read to age out of the minute)."""
    return max(CHANGED_READS, min(b.per_minute for b in budgets) // 5)


@dataclass
class Share:
    """One tracker's place in the pool: the budgets its requests spend from, and its turn."""

    pool: Pool
    tracker: str
    budgets: tuple[Budget, ...]
    staleness: float  # seconds
    idle_reads: bool

    def spend(self, kind: str) -> None:
        """Take one request of `kind` (read, write) from each budget, waiting for room."""
        for budget in self.budgets:
            budget.spend(kind)

    def decide(self, now: float, *, changed: bool, read_at: float | None) -> Decision:
        return self.pool.decide(self, now, changed=changed, read_at=read_at)

    def finished(self) -> None:
        """The cycle it was admitted for has ended (or failed)."""
        self.pool.finished(self)
