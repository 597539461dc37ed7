"""The state store: ticket snapshots, transition history, the effect outbox, job runs, the lease.

Embedded SQLite by default, PostgreSQL when replicas share one state (`store.py`).
"""

from sheetsync.state.store import (
    MIGRATIONS,
    CycleRecord,
    HistoryEntry,
    Lease,
    LeaseLost,
    Standby,
    StateStore,
    has_state,
    open_state,
    state_url,
    without_password,
)

__all__ = ["MIGRATIONS", "CycleRecord", "HistoryEntry", "Lease", "LeaseLost", "Standby",
           "StateStore", "has_state", "open_state", "state_url", "without_password"]
