"""Job runs: which period of which report has been written, so each runs once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from sheetsync.state.database import Repository, _iso
from sheetsync.state.dialects import upsert
from sheetsync.state.tables import job_runs


class JobRepository(Repository):
    """The reports' runs, by job and period."""

    def job_runs(self) -> set[tuple[str, str]]:
        """The (job, period) of every report written."""
        return {(job, period) for job, period in self._db.execute(
            select(job_runs.c.job, job_runs.c.period).where(job_runs.c.status == "done")).all()}

    def record_job(self, job: str, period: str, started: datetime, finished: datetime) -> None:
        """A report written for a period: the schedule will not run it again."""
        with self._transaction() as db:
            db.execute(upsert(db.dialect, job_runs, ("job", "period"),
                              ("started_at", "finished_at", "status")).values(
                job=job, period=period, started_at=_iso(started), finished_at=_iso(finished),
                status="done"))
