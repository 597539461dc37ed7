"""Pacing and backoff on an injected clock, so tests and benchmarks never wait in real seconds."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable

Clock = Callable[[], float]
Sleep = Callable[[float], None]


class Pacer:
    """One call per `interval` seconds for each key (a Slack channel, say), counted from the
    end of the last call.

    Counting from the end, not the start, keeps the gap the service sees at least `interval`
    however long a call took (a slow answer, the client's own retries inside the call): a
    limiter counting from the start lets a slow call be followed too closely, and the 429
    that earns starts a storm. A service's "slow down" (a 429's Retry-After) pushes the next
    slot back too.
    """

    def __init__(self, interval: float, clock: Clock = time.monotonic,
                 sleep: Sleep = time.sleep) -> None:
        self.interval = interval
        self.clock = clock
        self.sleep = sleep
        self._next: dict[str, float] = {}
        self._lock = threading.Lock()  # couriers of several destinations share one token

    def wait(self, key: str = "") -> None:
        """Wait for `key`'s next slot and take it (the slot is taken before the wait, so two
        threads never take the same one)."""
        with self._lock:
            now = self.clock()
            ready = max(self._next.get(key, now), now)
            self._next[key] = ready + self.interval
        if ready > now:
            self.sleep(ready - now)

    def done(self, key: str = "") -> None:
        """The call for `key` has ended: the next one waits `interval` from now."""
        with self._lock:
            self._next[key] = max(self._next.get(key, 0.0), self.clock() + self.interval)

    def back_off(self, seconds: float, key: str = "") -> None:
        """The service asked for a pause: nothing for `key` before `seconds` from now."""
        with self._lock:
            self._next[key] = max(self._next.get(key, 0.0), self.clock() + seconds)


def backoff(attempt: int, base: float = 1.0, cap: float = 30.0,
            rng: Callable[[], float] = random.random) -> float:
    """Seconds before retry `attempt` (1, 2, ...): exponential, capped, with full jitter."""
    return rng() * min(cap, base * 2.0 ** (attempt - 1))


class Budget:
    """At most `per_minute` calls in any rolling minute, for each key (reads, writes).

    A quota counted per minute (Google Sheets: 60 reads and 60 writes per user) is kept by
    spending from a budget set below it: a burst within the budget goes at once, and the call
    past it waits until the oldest of the minute's calls is a minute old, never for a 429.
    Several threads (the trackers of one process on one credential) may spend from one
    budget: each call's slot is taken before its wait, so two never take the same one.
    """

    def __init__(self, per_minute: int, clock: Clock = time.monotonic,
                 sleep: Sleep = time.sleep) -> None:
        self.per_minute = per_minute
        self.clock = clock
        self.sleep = sleep
        self._spent: dict[str, list[float]] = {}  # each key's slots, oldest first
        self._lock = threading.Lock()

    def spend(self, key: str = "") -> None:
        """Wait, if the minute's budget for `key` is spent, then take one call from it."""
        with self._lock:
            now = self.clock()
            spent = self._window(key, now)
            ready = max(now, spent[-self.per_minute] + 60.0) \
                if len(spent) >= self.per_minute else now
            spent.append(ready)
        if ready > now:
            self.sleep(ready - now)

    def room(self, key: str = "") -> int:
        """Calls `key` may still make in the rolling minute without waiting."""
        with self._lock:
            return max(0, self.per_minute - len(self._window(key, self.clock())))

    def _window(self, key: str, now: float) -> list[float]:
        spent = self._spent.setdefault(key, [])
        spent[:] = [t for t in spent if t > now - 60.0]
        return spent
