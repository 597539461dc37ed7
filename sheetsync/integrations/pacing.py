"""Pacing and backoff on an injected clock, so tests and benchmarks never wait in real seconds."""

from __future__ import annotations

import random
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

    def wait(self, key: str = "") -> None:
        """Wait for `key`'s next slot and take it."""
        now = self.clock()
        ready = self._next.get(key, now)
        if ready > now:
            self.sleep(ready - now)
            now = ready
        self._next[key] = now + self.interval

    def done(self, key: str = "") -> None:
        """The call for `key` has ended: the next one waits `interval` from now."""
        self._next[key] = max(self._next.get(key, 0.0), self.clock() + self.interval)

    def back_off(self, seconds: float, key: str = "") -> None:
        """The service asked for a pause: nothing for `key` before `seconds` from now."""
        self._next[key] = max(self._next.get(key, 0.0), self.clock() + seconds)


def backoff(attempt: int, base: float = 1.0, cap: float = 30.0,
            rng: Callable[[], float] = random.random) -> float:
    """Seconds before retry `attempt` (1, 2, ...): exponential, capped, with full jitter."""
    return rng() * min(cap, base * 2.0 ** (attempt - 1))
