"""Running the reminders on the clock: every daemon tick, from the state store alone (no read of
the tracker), so a reminder is due even when nobody edits the sheet."""

from __future__ import annotations

from datetime import datetime, timedelta

from sheetsync.config import Config
from sheetsync.dispatch import Sinks, dispatch
from sheetsync.reminders import STALE, check_backs, quiet
from sheetsync.state import StateStore


def run_reminders(config: Config, now: datetime, sinks: Sinks | None) -> int:
    """Plan the reminders due now and deliver them; returns how many were planned."""
    settings = config.settings.reminders
    local = now.astimezone(config.timezone)
    if settings.check_back_days <= 0 or not config.state_path.exists() or \
            quiet(local, settings.quiet_hours, settings.quiet_days):
        return 0
    after = timedelta(days=settings.check_back_days)
    with StateStore(config.state_path) as store:
        if store.adopted_at is None:
            return 0
        resolutions = store.resolutions(now - after - STALE)
        due = check_backs(resolutions, store.still_resolved(resolutions), now, after)
        known = {e.key for e in due if store.effects(key=e.key)}
        fresh = [e for e in due if e.key not in known]
        if fresh:
            store.add_effects(fresh, now)
            if sinks is not None:
                dispatch(store, sinks, now)
    return len(fresh)
