"""Running what is due on the clock: check-back reminders and SLA alerts, every daemon tick,
from the state store alone (no read of the tracker), so they come due even when nobody edits
the sheet."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sheetsync.config import Config
from sheetsync.integrations.dispatch import Sinks, hand_off
from sheetsync.core.reminders import DAYS, STALE, check_backs, follow_ups, quiet
from sheetsync.core.effects import Effect
from sheetsync.core.sla import FIRST_RESPONSE, RESOLUTION, Calendar, Clock, alerts
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
        clocks = [Clock(ticket, fields.get("priority"), fields.get("assignee"),
                        datetime.fromisoformat(first).astimezone(config.timezone),
                        moved or fields.get("assignee") is not None,
                        fields.get("resolved") == "yes")
                  for ticket, fields, first, moved in store.open_clocks(since)]
        due = alerts(clocks, targets, local,
                     timedelta(minutes=settings.warn_before_minutes), calendar)
        return _send(store, due, now, sinks)


def working_calendar(config: Config) -> Calendar | None:
    """The working-hours calendar `[sla]` configures (None: calendar time), which the SLA
    timers and the reports' KPIs both count by."""
    settings = config.settings.sla
    if not settings.business_hours:
        return None
    opens, closes = (time.fromisoformat(p) for p in settings.business_hours.split("-"))
    return Calendar(frozenset(DAYS.index(d.lower()) for d in settings.working_days), opens,
                    closes, frozenset(settings.holidays))


def _send(store: StateStore, due: list[Effect], now: datetime, sinks: Sinks | None) -> int:
    """Plan the effects not planned before (each is once per key), then deliver what is
    pending; returns how many were new."""
    fresh = [e for e in due if not store.effects(key=e.key)]
    if fresh:
        store.add_effects(fresh, now)
        if sinks is not None:
            hand_off(store, sinks, now)
    return len(fresh)
