"""Dispatch: every pending effect to its destination, each outcome recorded at once.

The shell around the sinks. A destination is where effects queue up together: one Slack
channel, one ClickUp list, the local outbox. Within one, effects go by urgency (an
escalation, an SLA breach, an incident, a reply, a reminder, a digest), but never ahead of an
earlier effect of the same ticket or thread, so a burst arrives complete and in order; a reply
waits for its escalation message, and a digest planned in quiet hours waits for them to end.
A passing fault or a configuration fault stops that destination only (the others go on), is
logged once, not every time, and the effect keeps waiting until the fault is fixed; what only
a person can decide is held for `sheetsync outbox`.

`dispatch` drains every destination in turn (one-shot commands); the daemon hands off to one
courier per destination instead (`sheetsync.integrations.couriers`), so a cycle never waits
on delivery.
"""

from __future__ import annotations

import heapq
import logging
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sheetsync.app import logs
from sheetsync.config import Config
from sheetsync.core.effects import Effect
from sheetsync.core.slack_actions import choices
from sheetsync.errors import ConfigError, SheetsyncError
from sheetsync.faults import one_line
from sheetsync.integrations import DeliveryError, Sink, read_token
from sheetsync.integrations.outbox import LocalOutbox
from sheetsync.core.rules import (
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
from sheetsync.core.task_links import TaskState

SLACK_KINDS = (SLACK_MESSAGE, SLACK_REPLY, SLACK_UPDATE, SLACK_DIGEST, SLACK_INCIDENT,
               SLACK_REMINDER, SLACK_SLA)


#: The order of urgency within a destination (lower goes first).
URGENCY = {SLACK_MESSAGE: 0, CLICKUP_TASK: 0, SLACK_SLA: 1, SLACK_INCIDENT: 2, SLACK_REPLY: 3,
           SLACK_UPDATE: 3, SLACK_REMINDER: 4, SLACK_DIGEST: 5}


@dataclass
class Sinks:
    """Which sink takes each kind of effect; the local outbox takes the rest. With
    `couriers` (the daemon's), delivery is handed off to them instead of done in place."""

    outbox: Sink
    by_kind: Mapping[str, Sink] = field(default_factory=dict)
    tasks: TaskTracker | None = None  # ClickUp, to follow the tasks' status
    couriers: Courier | None = None

    def for_kind(self, kind: str) -> Sink:
        return self.by_kind.get(kind, self.outbox)

    def destination(self, effect: Effect, parent: Effect | None = None) -> str:
        """Where `effect` queues: `slack:#channel`, `clickup:LIST`, or `outbox`. A reply
        goes where its escalation message went (`parent`)."""
        sink = self.for_kind(effect.kind)
        if sink.name == "outbox":
            return "outbox"
        routed = (parent or effect).payload.get("channel") or effect.payload.get("list_id") \
            or getattr(sink, "channel", None) or getattr(sink, "list_id", None) or ""
        return f"{sink.name}:{routed}"

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
            except Exception as exc:  # a fault nobody foresaw: the effects wait, all the same
                logs.debug_traceback(f"{sink.name} not ready", exc)
                logs.event(f"{sink.name} not ready", logging.ERROR, error=one_line(exc))


class Courier(Protocol):
    """What takes effects off the cycle's hands (sheetsync.integrations.couriers.Couriers)."""

    def wake(self, store: StateStore, now: datetime) -> None: ...


class TaskTracker(Protocol):
    """Where tasks' status is asked (ClickUp)."""

    name: str

    def updated_since(self, epoch_ms: int) -> Iterator[TaskState]: ...

    def task(self, task_id: str) -> TaskState: ...


def open_sinks(config: Config, environ: Mapping[str, str] | None = None,
               echo: Callable[[str], None] | None = None, quiet: bool = False) -> Sinks:
    """The sinks the config and the environment select; tokens come only from `environ`.

    A token without the settings it needs is a configuration error naming the setting; the
    settings without a token mean the local outbox, said once in the log.
    """
    from sheetsync.integrations import clickup, slack

    environ = os.environ if environ is None else environ
    source = str(config.source or "built-in defaults")
    by_kind: dict[str, Sink] = {}
    slack_settings = config.settings.slack
    if token := _wanted(source, "slack", slack.TOKEN_ENV, environ,
                        {"channel": slack_settings.channel}, quiet):
        assert slack_settings.channel is not None
        slack_sink = slack.SlackSink(token, slack_settings.channel,
                                     api_url=slack_settings.api_url, users=slack_settings.users,
                                     buttons=choices(config.schema) if read_token(
                                         environ, slack.APP_TOKEN_ENV) else None)
        by_kind.update({kind: slack_sink for kind in SLACK_KINDS})
    tasks = None
    settings = config.settings.clickup
    if token := _wanted(source, "clickup", clickup.TOKEN_ENV, environ,
                        {"list_id": settings.list_id, "key_field_id": settings.key_field_id},
                        quiet):
        assert settings.list_id is not None and settings.key_field_id is not None
        tasks = clickup.ClickUpSink(token, settings.list_id,
                                    settings.key_field_id, api_url=settings.api_url,
                                    user_ids=settings.assignees,
                                    requests_per_minute=settings.requests_per_minute,
                                    level_lists=list(settings.level_lists.values()))
        by_kind[CLICKUP_TASK] = tasks
    return Sinks(LocalOutbox(config.outbox_path, echo), by_kind, tasks)


def _wanted(source: str, table: str, token_env: str, environ: Mapping[str, str],
            needed: Mapping[str, str | None], quiet: bool = False) -> str:
    """The service's token when it is configured (its token set and every setting it needs
    given), else "": the token is read, and checked, once."""
    token = read_token(environ, token_env)
    missing = [key for key, value in needed.items() if value is None]
    if token and missing:
        raise ConfigError(f"{source}: {table}.{missing[0]}: {token_env} is set but "
                          f"{table}.{missing[0]} is not; add it under [{table}]")
    if not token and len(missing) < len(needed) and not quiet:
        logs.event(f"{table} off", logging.WARNING,
                   reason=f"{token_env} is not set: its effects go to the local outbox")
    return token if token and not missing else ""


def hand_off(store: StateStore, sinks: Sinks, now: datetime) -> int:
    """Committed effects to their couriers, without waiting (the daemon), or delivered here and
    now (one-shot commands); returns how many were delivered here."""
    if sinks.couriers is not None:
        sinks.couriers.wake(store, now)
        return 0
    return dispatch(store, sinks, now)


def dispatch(store: StateStore, sinks: Sinks, now: datetime) -> int:
    """Deliver what is pending, each destination in turn; returns how many were delivered."""
    queues = queued(store.effects("pending"), sinks)
    return sum(drain(store, sinks, destination, queue, lambda: now).delivered
               for destination, queue in queues.items())


def queued(pending: Sequence[Effect], sinks: Sinks) -> dict[str, list[Effect]]:
    """Pending effects by destination, each in the order they were planned."""
    by_key = {e.key: e for e in pending}
    queues: dict[str, list[Effect]] = {}
    for effect in pending:
        parent = by_key.get(str(effect.payload.get("parent") or ""))
        queues.setdefault(sinks.destination(effect, parent), []).append(effect)
    return queues


def delivery_order(queue: Sequence[Effect]) -> list[Effect]:
    """One destination's effects in the order they go: by urgency, but never ahead of an
    earlier effect of the same ticket or of the same thread. Pure."""
    waiting: dict[str, list[int]] = {}  # each group's effects still to go, planned order
    for i, effect in enumerate(queue):
        for group in _groups(effect):
            waiting.setdefault(group, []).append(i)

    def urgency(i: int) -> tuple[int, int]:
        return URGENCY.get(queue[i].kind, len(URGENCY)), i

    ready = [urgency(i) for i, effect in enumerate(queue)
             if all(waiting[g][0] == i for g in _groups(effect))]
    heapq.heapify(ready)
    order: list[Effect] = []
    while ready:
        _, i = heapq.heappop(ready)
        order.append(queue[i])
        for group in _groups(queue[i]):
            waiting[group].pop(0)
            if waiting[group]:
                j = waiting[group][0]
                if all(waiting[g][0] == j for g in _groups(queue[j])):
                    heapq.heappush(ready, urgency(j))
    return order


def _groups(effect: Effect) -> tuple[str, ...]:
    """What an effect must keep its place within: its ticket, and its thread (a reply's is
    its escalation message's; a message's its own)."""
    thread = f"thread:{effect.payload.get('parent') or effect.key}"
    return (f"ticket:{effect.ticket_id}", thread) if effect.ticket_id else (thread,)


@dataclass
class Drained:
    """How a pass over one destination went."""

    delivered: int = 0
    held: int = 0  # effects the service refused, held for a person
    stopped: str | None = None  # why the destination stopped: a passing or setup fault


def drain(store: StateStore, sinks: Sinks, destination: str, queue: Sequence[Effect],
          now: Callable[[], datetime], more: Callable[[], bool] = lambda: False) -> Drained:
    """Deliver one destination's effects in delivery order until done or stopped; `more`
    says that newer effects came in and the order should be worked out again."""
    outcome = Drained()
    # Tickets and threads with an effect waiting on its escalation message: theirs wait too.
    # (One deferred to the end of quiet hours holds nothing back: an escalation never waits
    # for a reminder's morning.)
    held_back: set[str] = set()
    for effect in delivery_order(queue):
        at = now()
        groups = _groups(effect)
        if held_back.intersection(groups):
            continue
        if _waiting(effect, at):
            continue
        ready, parent = _parent(store, effect, at)
        if not ready:
            held_back.update(groups)
            continue
        sink = sinks.for_kind(effect.kind)
        try:
            result = sink.deliver(effect, parent, lambda: store.begin_attempt(effect.key, at))
        except DeliveryError as exc:
            _record_failure(store, effect, exc, at)
            if exc.verdict in ("retry", "blocked"):
                outcome.stopped = str(exc)
                return outcome
            outcome.held += 1
            continue
        except (LeaseLost, SheetsyncError):  # not the service's: the lease, the state
            raise
        except Exception as exc:  # a fault the sink did not foresee: it may have been sent
            logs.debug_traceback("delivery fault", exc)
            _record_failure(store, effect, DeliveryError(
                f"unexpected {one_line(exc)}; will look for it before sending again", "retry",
                unclear=True), at)
            outcome.stopped = one_line(exc)
            return outcome
        store.settle(effect.key, "sent", at, result=result)
        logs.event("delivered", key=effect.key, to=destination)
        outcome.delivered += 1
        if more():
            return outcome
    return outcome


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
