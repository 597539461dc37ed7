"""Dispatch: every pending effect to its sink, oldest first, each outcome recorded at once.

The shell around the sinks. Effects of one sink go out in the order they were planned: a
passing fault or a configuration fault stops that sink for the cycle (the next cycle picks up
where it stopped), so a burst arrives complete and in order. A reply waits for its escalation
message, and a digest planned in quiet hours waits for them to end. A configuration fault is logged once, not every cycle, and the effect keeps waiting
until the fault is fixed; what only a person can decide is held for `sheetsync outbox`.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sheetsync import logs
from sheetsync.config import Config
from sheetsync.effects import Effect
from sheetsync.errors import ConfigError, SheetsyncError
from sheetsync.faults import one_line
from sheetsync.integrations import DeliveryError, Sink, read_token
from sheetsync.integrations.outbox import LocalOutbox
from sheetsync.rules import (
    CLICKUP_TASK,
    SLACK_DIGEST,
    SLACK_INCIDENT,
    SLACK_MESSAGE,
    SLACK_REMINDER,
    SLACK_REPLY,
    SLACK_SLA,
    SLACK_UPDATE,
)
from sheetsync.state import LeaseLost, StateStore
from sheetsync.task_links import TaskState

SLACK_KINDS = (SLACK_MESSAGE, SLACK_REPLY, SLACK_UPDATE, SLACK_DIGEST, SLACK_INCIDENT,
               SLACK_REMINDER, SLACK_SLA)


@dataclass
class Sinks:
    """Which sink takes each kind of effect; the local outbox takes the rest."""

    outbox: Sink
    by_kind: Mapping[str, Sink] = field(default_factory=dict)
    tasks: TaskTracker | None = None  # ClickUp, to follow the tasks' status

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


class TaskTracker(Protocol):
    """Where tasks' status is asked (ClickUp)."""

    name: str

    def updated_since(self, epoch_ms: int) -> Iterator[TaskState]: ...

    def task(self, task_id: str) -> TaskState: ...


def open_sinks(config: Config, environ: Mapping[str, str] | None = None,
               echo: Callable[[str], None] | None = None) -> Sinks:
    """The sinks the config and the environment select; tokens come only from `environ`.

    A token without the settings it needs is a configuration error naming the setting; the
    settings without a token mean the local outbox, said once in the log.
    """
    from sheetsync.integrations import clickup, slack

    environ = os.environ if environ is None else environ
    source = str(config.source or "built-in defaults")
    by_kind: dict[str, Sink] = {}
    slack_settings = config.settings.slack
    if _wanted(source, "slack", slack.TOKEN_ENV, environ, {"channel": slack_settings.channel}):
        assert slack_settings.channel is not None
        slack_sink = slack.SlackSink(read_token(environ, slack.TOKEN_ENV), slack_settings.channel,
                                     api_url=slack_settings.api_url, users=slack_settings.users)
        by_kind.update({kind: slack_sink for kind in SLACK_KINDS})
    tasks = None
    settings = config.settings.clickup
    if _wanted(source, "clickup", clickup.TOKEN_ENV, environ,
               {"list_id": settings.list_id, "key_field_id": settings.key_field_id}):
        assert settings.list_id is not None and settings.key_field_id is not None
        tasks = clickup.ClickUpSink(read_token(environ, clickup.TOKEN_ENV), settings.list_id,
                                    settings.key_field_id, api_url=settings.api_url,
                                    user_ids=settings.assignees,
                                    requests_per_minute=settings.requests_per_minute,
                                    level_lists=list(settings.level_lists.values()))
        by_kind[CLICKUP_TASK] = tasks
    return Sinks(LocalOutbox(config.outbox_path, echo), by_kind, tasks)


def _wanted(source: str, table: str, token_env: str, environ: Mapping[str, str],
            needed: Mapping[str, str | None]) -> bool:
    """Whether a service is configured: its token set and every setting it needs given."""
    token = read_token(environ, token_env)
    missing = [key for key, value in needed.items() if value is None]
    if token and missing:
        raise ConfigError(f"{source}: {table}.{missing[0]}: {token_env} is set but "
                          f"{table}.{missing[0]} is not; add it under [{table}]")
    if not token and len(missing) < len(needed):
        logs.event(f"{table} off", logging.WARNING,
                   reason=f"{token_env} is not set: its effects go to the local outbox")
    return bool(token) and not missing


def dispatch(store: StateStore, sinks: Sinks, now: datetime) -> int:
    """Deliver what is pending; returns how many effects were delivered."""
    delivered = 0
    stopped: set[str] = set()  # sinks that stop for this cycle, keeping their order
    for effect in store.effects("pending"):
        sink = sinks.for_kind(effect.kind)
        if sink.name in stopped or _waiting(effect, now):
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
        except (LeaseLost, SheetsyncError):  # not the service's: the lease, the state
            raise
        except Exception as exc:  # a fault the sink did not foresee: it may have been sent
            logs.debug_traceback("delivery fault", exc)
            _record_failure(store, effect, DeliveryError(
                f"unexpected {one_line(exc)}; will look for it before sending again", "retry",
                unclear=True), now)
            stopped.add(sink.name)
            continue
        store.settle(effect.key, "sent", now, result=result)
        delivered += 1
    return delivered


def _waiting(effect: Effect, now: datetime) -> bool:
    """Whether an effect planned in quiet hours waits for them to end (`not_before`)."""
    after = effect.payload.get("not_before")
    return bool(after) and now < datetime.fromisoformat(str(after))


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
