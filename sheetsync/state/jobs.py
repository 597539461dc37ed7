"""Job runs: which period of which report has been written, so each runs once."""

from __future__ import annotations

from datetime import datetime

from sheetsync.state.database import Repository, _iso


class JobRepository(Repository):
    """The reports' runs, by job and period."""

    def job_runs(self) -> set[tuple[str, str]]:
        """The (job, period) of every report written."""
        return {(row[0], row[1]) for row in self._db.execute(
            "SELECT job, period FROM job_runs WHERE status = 'done'")}

    def record_job(self, job: str, period: str, started: datetime, finished: datetime) -> None:
        """A report written for a period: the schedule will not run it again."""
        with self._transaction() as db:
            db.execute("INSERT INTO job_runs VALUES (?, ?, ?, ?, 'done') ON CONFLICT (job, "
                       "period) DO UPDATE SET started_at = excluded.started_at, "
                       "finished_at = excluded.finished_at, status = 'done'",
                       (job, period, _iso(started), _iso(finished)))
