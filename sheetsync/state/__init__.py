"""The state store: ticket snapshots, transition history, the effect outbox, job runs, the lease.

Embedded SQLite by default, PostgreSQL when replicas share one state. `StateStore` is the
facade; each concern is a repository module beside it (snapshots, outbox, jobs, incidents,
tasks, lease), sharing one SQLAlchemy connection (database) and querying through SQLAlchemy
Core (tables, dialects); the schema is Alembic's revisions, run as the state opens
(migrations, revisions/).
"""

from sheetsync.state.lease import Lease, LeaseLost, Standby
from sheetsync.state.migrations import MIGRATIONS
from sheetsync.state.snapshots import HistoryEntry
from sheetsync.state.store import (
    CycleRecord,
    StateStore,
    has_state,
    open_state,
    state_url,
    without_password,
)

__all__ = ["MIGRATIONS", "CycleRecord", "HistoryEntry", "Lease", "LeaseLost", "Standby",
           "StateStore", "has_state", "open_state", "state_url", "without_password"]
