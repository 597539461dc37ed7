"""Dispatch: every pending effect to its sink, oldest first, each outcome recorded at once.

The shell around the sinks. Effects of one sink go out in the order they were planned: a
passing fault or a configuration fault stops that sink for the cycle (the next cycle picks up
where it stopped), so a burst arrives complete and in order. A reply waits for its escalation
message. A configuration fault is logged once, not every cycle, and the effect keeps waiting
until the fault is fixed; what only a person can decide is held for `sheetsync outbox`.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sheetsync import logs
from sheetsync.config import Config
from sheetsync.effects import Effect
from sheetsync.errors import ConfigError
from sheetsync.integrations import DeliveryError, Sink
from sheetsync.integrations.outbox import LocalOutbox
from sheetsync.rules import SLACK_MESSAGE, SLACK_REPLY, SLACK_UPDATE
from sheetsync.state import StateStore

SLACK_KINDS = (SLACK_MESSAGE, SLACK_REPLY, SLACK_UPDATE)


@dataclass
class Sinks:
    """Which sink takes each kind of effect; the local outbox takes the rest."""

    outbox: Sink
    by_kind: Mapping[str, Sink] = field(default_factory=dict)

    def for_kind(self, kind: str) -> Sink:
        return self.by_kind.get(kind, self.outbox)

    def start(self) -> None:
        """Let each service sink check its setup now; a fault is logged, never fatal (the
        effects wait for the fix, and each cycle tries again)."""
        for sink in {id(s): s for s in self.by_kind.values()}.values():
            start = getattr(sink, "start", None)
            if start is None:
                continue
            try:
                logs.event(f"{sink.name} ready", target=start())
            except DeliveryError as exc:
                logs.event(f"{sink.name} not ready", logging.ERROR, error=str(exc))


def open_sinks(config: Config, environ: Mapping[str, str] | None = None,
               echo: Callable[[str], None] | None = None) -> Sinks:
    """The sinks the config and the environment select; tokens come only from `environ`."""
    from sheetsync.integrations.slack import TOKEN_ENV, SlackSink

    environ = os.environ if environ is None else environ
    outbox = LocalOutbox(config.outbox_path, echo)
    slack = config.settings.slack
    token = environ.get(TOKEN_ENV, "").strip()
    if token and slack.channel is None:
        raise ConfigError(f"{config.source or 'built-in defaults'}: slack.channel: {TOKEN_ENV} "
                          "is set but no channel is configured; add [slack] channel = "
                          '"#seller-support"')
    if not token or slack.channel is None:
        if slack.channel is not None:
            logs.event("slack off", logging.WARNING, channel=slack.channel,
                       reason=f"{TOKEN_ENV} is not set: Slack messages go to the local outbox")
        return Sinks(outbox)
    sink = SlackSink(token, slack.channel, api_url=slack.api_url)
    return Sinks(outbox, {kind: sink for kind in SLACK_KINDS})


def dispatch(store: StateStore, sinks: Sinks, now: datetime) -> int:
    """Deliver what is pending; returns how many effects were delivered."""
    delivered = 0
    stopped: set[str] = set()  # sinks that stop for this cycle, keeping their order
    for effect in store.effects("pending"):
        sink = sinks.for_kind(effect.kind)
        if sink.name in stopped:
            continue
        ready, parent = _parent(store, effect, now)
        if not ready:
            continue
        try:
            result = sink.deliver(effect, parent,
                                  lambda: store.begin_attempt(effect.key, now))
        except DeliveryError as exc:
            _record_failure(store, effect, exc, now)
            if exc.verdict in ("retry", "blocked"):
                stopped.add(sink.name)
            continue
        store.settle(effect.key, "sent", now, result=result)
        delivered += 1
    return delivered


def _parent(store: StateStore, effect: Effect, now: datetime
            ) -> tuple[bool, Mapping[str, Any] | None]:
    """Whether the effect can go now, and a reply's escalation message (its Slack result).

    A reply waits while its message is pending or held, and is cancelled with it.
    """
    key = effect.payload.get("parent")
    if key is None:
        return True, None
    found = store.effects(key=str(key))
    if found and found[0].status == "sent":
        return True, found[0].result or {}
    if not found or found[0].status == "cancelled":
        store.settle(effect.key, "cancelled", now,
                     error=f"its escalation message {key} was cancelled or purged")
    return False, None


def _record_failure(store: StateStore, effect: Effect, exc: DeliveryError,
                    now: datetime) -> None:
    """Keep the effect (pending, or held as failed), and log a fault once, not every cycle."""
    message = str(exc)
    held = exc.verdict in ("rejected", "held")
    if message != effect.last_error:
        logs.event("delivery failed", logging.ERROR if held or exc.verdict == "blocked"
                   else logging.WARNING, key=effect.key, verdict=exc.verdict, error=message)
    store.settle(effect.key, "failed" if held else "pending", now, error=message,
                 unclear=exc.unclear)
