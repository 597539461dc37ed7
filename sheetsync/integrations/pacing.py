"""Pacing and backoff on an injected clock, so tests and benchmarks never wait in real seconds."""

from __future__ import annotations

import random
import time
from collections.abc import Callable

Clock = Callable[[], float]
Sleep = Callable[[float], None]


class Pacer:
    """At most one call per `interval` seconds for each key (a Slack channel, say).

    A service's own "slow down" (a 429's Retry-After) pushes the next slot back, so the burst
    that follows a 429 does not meet another one.
    """

    def __init__(self, interval: float, clock: Clock = time.monotonic,
                 sleep: Sleep = time.sleep) -> None:
        self.interval = interval
        self.clock = clock
        self.sleep = sleep
        self._next: dict[str, float] = {}

    def wait(self, key: str = "") -> None:
        """Wait for `key`'s next slot and take it."""
        now = self.clock()
        ready = self._next.get(key, now)
        if ready > now:
            self.sleep(ready - now)
            now = ready
        self._next[key] = now + self.interval

    def back_off(self, seconds: float, key: str = "") -> None:
        """The service asked for a pause: nothing for `key` before `seconds` from now."""
        self._next[key] = max(self._next.get(key, 0.0), self.clock() + seconds)


def backoff(attempt: int, base: float = 1.0, cap: float = 30.0,
            rng: Callable[[], float] = random.random) -> float:
    """Seconds before retry `attempt` (1, 2, ...): exponential, capped, with full jitter."""
    return rng() * min(cap, base * 2.0 ** (attempt - 1))
