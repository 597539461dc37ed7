"""Couriers: one worker thread per destination, so a cycle hands its effects off and returns.

A destination (a Slack channel, a ClickUp list, the local outbox) that fails, pauses for a
rate limit or paces a backlog at one message a second holds up only its own effects: cycles
keep reading, planning and committing, and every other destination keeps delivering. Each
courier works from the state store alone (its own connection), so everything the outbox
promises holds as it did in the cycle: committed before sent, each send fenced by the lease
and recorded in its own short transaction, looked up after an unclear outcome, never sent
twice. A courier is woken by every hand-off and looks again every interval on its own (for
an effect waiting on quiet hours, or a destination paused by a fault).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta, timezone

from sheetsync.app import logs, metrics
from sheetsync.config import Config
from sheetsync.integrations.dispatch import Drained, Sinks, drain, queued
from sheetsync.core.effects import Effect
from sheetsync.faults import one_line
from sheetsync.errors import SheetsyncError
from sheetsync.state import Lease, LeaseLost, Standby, StateStore, open_state


class Couriers:
    """The couriers of one tracker, started as destinations appear."""

    def __init__(self, config: Config, sinks: Sinks, *, lease: Lease | None = None,
                 interval: float | None = None,
                 on_progress: Callable[[], None] = lambda: None) -> None:
        self.config, self.sinks, self.lease = config, sinks, lease
        self.interval = float(interval or config.settings.sync.interval_seconds)
        # The time as the daemon last told it (its clock may be a test's), moved on since
        # by the monotonic clock: the couriers never read the daemon's clock themselves.
        self._told = (datetime.now(timezone.utc), time.monotonic())
        self.on_progress = on_progress
        self.tracker, self.zone = logs.TRACKER.get(), logs.ZONE.get()
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._couriers: dict[str, _Courier] = {}
        sinks.couriers = self

    def now(self) -> datetime:
        told, at = self._told
        return told + timedelta(seconds=time.monotonic() - at)

    def wake(self, store: StateStore, now: datetime) -> None:
        """Start a courier for each destination with pending effects, and wake them all;
        `now` is the daemon's time."""
        self._told = (now, time.monotonic())
        queues = queued(store.effects("pending"), self.sinks)
        with self._lock:
            if self.stopping.is_set():
                return
            for destination in queues:
                if destination not in self._couriers:
                    courier = _Courier(self, destination)
                    self._couriers[destination] = courier
                    courier.start()
            for courier in self._couriers.values():
                if courier.paused_until <= time.monotonic():  # (a paused one stays settled)
                    courier.settled.clear()
                courier.woken.set()
        self.observe(queues)

    def observe(self, queues: Mapping[str, Sequence[Effect]]) -> None:
        """Each destination's queue depth and oldest pending age, for /metrics."""
        now = self.now()
        with self._lock:
            destinations = set(self._couriers) | set(queues)
        depth: dict[tuple[str, ...], float] = {}
        oldest: dict[tuple[str, ...], float] = {}
        for destination in destinations:
            queue = queues.get(destination, ())
            depth[(destination,)] = float(len(queue))
            oldest[(destination,)] = max(
                ((now - datetime.fromisoformat(e.created_at)).total_seconds()
                 for e in queue if e.created_at), default=0.0)
        token = logs.TRACKER.set(self.tracker)
        try:
            metrics.observe_queues(depth, oldest)
        finally:
            logs.TRACKER.reset(token)

    def stop(self, grace: float = 5.0, timeout: float = 10.0) -> None:
        """Stop every courier: what was handed off goes out first if it can within `grace`
        seconds (the outbox's at once; a Slack backlog paced at one a second is left for the
        next start), then each stops after the send in progress (each send is recorded by
        itself, so one cut short by the process ending is looked up on the next start)."""
        with self._lock:
            couriers = list(self._couriers.values())
        settle_by = time.monotonic() + grace
        for courier in couriers:
            courier.settled.wait(max(settle_by - time.monotonic(), 0.0))
        with self._lock:
            self.stopping.set()
            couriers = list(self._couriers.values())
        for courier in couriers:
            courier.woken.set()
        deadline = time.monotonic() + timeout
        for courier in couriers:
            courier.join(max(deadline - time.monotonic(), 0.0))

    def destinations(self) -> list[str]:
        with self._lock:
            return sorted(self._couriers)


class _Courier(threading.Thread):
    """Delivers one destination's effects, in delivery order, until there are none."""

    def __init__(self, couriers: Couriers, destination: str) -> None:
        super().__init__(name=f"sheetsync-courier-{destination}", daemon=True)
        self.couriers, self.destination = couriers, destination
        self.woken = threading.Event()
        self.settled = threading.Event()  # its last pass did all it could, nothing new since
        self.paused_until = 0.0  # monotonic: a fault pauses this destination, no other
        self.fault: str | None = None  # the last fault logged, so it is logged once

    def run(self) -> None:
        logs.TRACKER.set(self.couriers.tracker)
        logs.ZONE.set(self.couriers.zone)
        couriers = self.couriers
        while not couriers.stopping.is_set():
            wait = max(self.paused_until - time.monotonic(), 0.0) or couriers.interval
            if self.paused_until > time.monotonic():
                couriers.stopping.wait(wait)  # paused: a wake does not shorten it
            else:
                self.woken.wait(wait)
            if couriers.stopping.is_set():
                break
            self.woken.clear()
            self.paused_until = 0.0
            outcome = self._pass()
            if outcome is None or outcome.stopped:
                self.paused_until = time.monotonic() + couriers.interval
            if not self.woken.is_set():  # no newer effects: nothing more to do for now
                self.settled.set()

    def _pass(self) -> Drained | None:
        """One pass over the destination's queue; None when the pass itself failed."""
        couriers = self.couriers
        try:
            with open_state(couriers.config, lease=couriers.lease) as store:
                if couriers.lease is not None:
                    holds, holder, left = store.hold_lease()
                    if not holds:
                        raise Standby(holder, left)
                queues = queued(store.effects("pending"), couriers.sinks)
                outcome = drain(store, couriers.sinks, self.destination,
                                queues.get(self.destination, ()), couriers.now,
                                more=self.woken.is_set)
                queues = queued(store.effects("pending"), couriers.sinks)
        except (Standby, LeaseLost) as exc:
            self._fault("courier standing by", str(exc), logging.INFO)
            return None
        except Exception as exc:  # the state, or a bug: this destination waits, no other
            said = str(exc) if isinstance(exc, SheetsyncError) else one_line(exc)
            logs.debug_traceback("courier failed", exc)
            self._fault("courier failed", said, logging.ERROR)
            return None
        couriers.observe(queues)
        if outcome.delivered or outcome.held:
            couriers.on_progress()
        if outcome.stopped is None:
            self.fault = None
        return outcome

    def _fault(self, event: str, said: str, level: int) -> None:
        if said != self.fault:
            logs.event(event, level, destination=self.destination, error=said)
        self.fault = said
