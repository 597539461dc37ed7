"""Running what is due on the clock: check-back reminders and SLA alerts, every daemon tick,
from the state store alone (no read of the tracker), so they come due even when nobody edits
the sheet."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from sheetsync.config import Config
from sheetsync.integrations.dispatch import Sinks, hand_off
from sheetsync.core.reminders import DAYS, STALE, check_backs, follow_ups, quiet
from sheetsync.core.effects import Effect
from sheetsync.core.sla import FIRST_RESPONSE, RESOLUTION, Calendar, Clock, alerts, fold_late
from sheetsync.state import Lease, StateStore, has_state, open_state

WATCHED = timedelta(days=30)  # tickets first seen longer ago than this get no SLA alert


def run_reminders(config: Config, now: datetime, sinks: Sinks | None,
                  lease: Lease | None = None) -> int:
    """Plan the reminders due now and deliver them; returns how many were planned. With a
    daemon's `lease`, nothing is sent once another replica has taken over."""
    settings = config.settings.reminders
    local = now.astimezone(config.timezone)
    if not has_state(config) or quiet(local, settings.quiet_hours,
                                                  settings.quiet_days):
        return 0
    after = timedelta(days=settings.check_back_days)
    with open_state(config, lease=lease) as store:
        if store.adopted_at is None:
            return 0
        resolutions = store.resolutions(now - after - STALE)
        due = check_backs(resolutions, store.still_resolved(resolutions), now, after) \
            if after else []
        due += follow_ups(store.followups(), local.date())
        return _send(store, due, now, sinks)


def run_sla(config: Config, now: datetime, sinks: Sinks | None,
            lease: Lease | None = None) -> int:
    """Plan the SLA warnings and breach alerts due now, and deliver them; returns how many
    (fenced by the lease as run_reminders is)."""
    settings = config.settings.sla
    if not has_state(config):
        return 0
    local = now.astimezone(config.timezone)
    calendar = working_calendar(config)
    targets = {FIRST_RESPONSE: dict(settings.first_response_hours),
               RESOLUTION: dict(settings.resolution_hours)}
    with open_state(config, lease=lease) as store:
        adopted = store.adopted_at
        if adopted is None:
            return 0
        since = max(datetime.fromisoformat(adopted), now - WATCHED)
        clocks = [_clock(config, *row) for row in store.open_clocks(since)]
        due = alerts(clocks, targets, local,
                     timedelta(minutes=settings.warn_before_minutes), calendar,
                     late_after(config))
        return _send(store, due, now, sinks, settings.late_alerts_max)


def late_after(config: Config) -> timedelta:
    """How long after its deadline an alert is late: longer than two sync intervals (and five
    minutes), which a running daemon would not let pass."""
    return max(timedelta(seconds=2 * config.settings.sync.interval_seconds),
               timedelta(minutes=5))


def _clock(config: Config, ticket: str, fields: dict[str, Any], first: str, moved: str | None,
           assigned: bool, resolved: str | None) -> Clock:
    """A ticket's clock from what the store keeps: answered when first seen if it came
    assigned, resolved then if it came resolved."""
    def local(iso: str | None) -> datetime | None:
        return datetime.fromisoformat(iso).astimezone(config.timezone) if iso else None

    start = datetime.fromisoformat(first).astimezone(config.timezone)
    return Clock(ticket, fields.get("priority"), fields.get("assignee"), start,
                 start if assigned else local(moved),
                 local(resolved) or (start if fields.get("resolved") == "yes" else None))


def working_calendar(config: Config) -> Calendar | None:
    """The working-hours calendar `[sla]` configures (None: calendar time), which the SLA
    timers and the reports' KPIs both count by."""
    settings = config.settings.sla
    if not settings.business_hours:
        return None
    opens, closes = (time.fromisoformat(p) for p in settings.business_hours.split("-"))
    return Calendar(frozenset(DAYS.index(d.lower()) for d in settings.working_days), opens,
                    closes, frozenset(settings.holidays))


def _send(store: StateStore, due: list[Effect], now: datetime, sinks: Sinks | None,
          late_most: int | None = None) -> int:
    """Plan the effects not planned before (each is once per key), more than `late_most` late
    ones folded into one summary, then deliver what is pending; returns how many were new."""
    fresh = [e for e in due if not store.effects(key=e.key)]
    if fresh:
        store.add_effects(fresh if late_most is None else fold_late(fresh, late_most), now)
        if sinks is not None:
            hand_off(store, sinks, now)
    return len(fresh)
