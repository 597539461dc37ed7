"""The lease: which replica runs a tracker's cycles and sends its effects, until when."""

from __future__ import annotations

import os
import secrets
import socket
from dataclasses import dataclass

from sqlalchemy import delete, or_, select

from sheetsync.errors import SheetsyncError
from sheetsync.state.database import Repository
from sheetsync.state.dialects import epoch_now, insert
from sheetsync.state.tables import leases

LEASE = "cycles"  # the one lease a tracker's replicas share


class LeaseLost(Exception):
    """This replica no longer holds the lease: another one runs the tracker's cycles now."""


@dataclass(frozen=True)
class Lease:
    """Who this replica is, and for how long a renewal holds the lease."""

    holder: str
    seconds: float

    @classmethod
    def for_this_process(cls, seconds: float) -> Lease:
        """This process as a holder: its replica's name (SHEETSYNC_REPLICA, else the host's),
        its PID, and a random part no later process shares."""
        name = os.environ.get("SHEETSYNC_REPLICA") or socket.gethostname()
        return cls(f"{name}:{os.getpid()}:{secrets.token_hex(3)}", seconds)


class Standby(SheetsyncError):
    """Another replica holds the lease: this one runs no cycle and sends nothing."""

    def __init__(self, holder: str, seconds_left: float) -> None:
        super().__init__(f"another sheetsync ({holder}) runs this tracker's cycles for "
                         f"{max(seconds_left, 0):.0f} s more; this one runs none meanwhile")
        self.holder, self.seconds_left = holder, seconds_left


class LeaseRepository(Repository):
    """Taking, renewing and giving up the lease, on the database's own clock."""

    def hold_lease(self, seconds: float | None = None) -> tuple[bool, str, float]:
        """Take or renew the lease for `seconds` (its own length by default) unless another
        replica holds it unexpired
        (a holder that was a process on this machine, now gone, is not waited for: a daemon
        restarted after a crash takes its own lease over at once).

        Returns whether this replica holds it, who does, and for how many more seconds.
        """
        assert self.lease is not None
        seconds = self.lease.seconds if seconds is None else seconds
        holds, holder, left = self._hold_lease(self.lease.holder, seconds)
        if not holds and _dead_here(holder):
            self.release_lease(holder)
            holds, holder, left = self._hold_lease(self.lease.holder, seconds)
        return holds, holder, left

    def _hold_lease(self, me: str, seconds: float) -> tuple[bool, str, float]:
        with self._transaction() as db:
            take = insert(db.dialect, leases).values(name=LEASE, holder=me,
                                                     expires=epoch_now() + float(seconds))
            db.execute(take.on_conflict_do_update(
                index_elements=["name"],
                set_={"holder": take.excluded.holder, "expires": take.excluded.expires},
                where=or_(leases.c.holder == take.excluded.holder,
                          leases.c.expires < epoch_now())))
            holder, left = db.execute(select(leases.c.holder, leases.c.expires - epoch_now())
                                      .where(leases.c.name == LEASE)).one()
        return holder == me, str(holder), float(left)

    def release_lease(self, holder: str | None = None) -> None:
        """Give up this replica's lease (a clean stop: a standby takes over at its next tick),
        or end a dead `holder`'s."""
        holder = holder or (self.lease.holder if self.lease else None)
        if holder is not None:
            with self._transaction() as db:
                db.execute(delete(leases).where(leases.c.name == LEASE,
                                                leases.c.holder == holder))


def _dead_here(holder: str) -> bool:
    """Whether a lease holder was a process on this machine that is gone (or an earlier life
    of this very PID, as in a restarted container)."""
    host, _, rest = holder.partition(":")
    pid = rest.partition(":")[0]
    here = os.environ.get("SHEETSYNC_REPLICA") or socket.gethostname()
    if host != here or not pid.isdigit():
        return False
    if int(pid) == os.getpid():
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # alive, someone else's
    return False
