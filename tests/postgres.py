"""A throwaway PostgreSQL server for the tests that need one, on a Unix socket only.

Debian's postgresql package provides it (`.ci/run` installs it, as root, where it is missing).
On a machine without it the tests that need it are skipped with a reason, except where
SHEETSYNC_REQUIRE_POSTGRES is set (CI), where they fail: the failover test must run there.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest


def _binary(name: str) -> str | None:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found[-1] if found else shutil.which(name)


def postgres_server() -> Iterator[str]:
    """Start a cluster in a temporary folder; yields its URL; stops and removes it."""
    initdb, pg_ctl = _binary("initdb"), _binary("pg_ctl")
    if initdb is None or pg_ctl is None:
        reason = ("no PostgreSQL server on this machine (initdb not found): install Debian's "
                  "postgresql package to run the PostgreSQL tests")
        if os.environ.get("SHEETSYNC_REQUIRE_POSTGRES"):
            pytest.fail(reason)
        pytest.skip(reason)
    base = Path(tempfile.mkdtemp(prefix="sheetsync-pg-", dir="/tmp"))
    as_postgres: list[str] = []
    if os.geteuid() == 0:  # initdb refuses to run as root: the postgres user runs it
        as_postgres = ["runuser", "-u", "postgres", "--"]
        shutil.chown(base, "postgres")
    base.chmod(0o755)
    data = base / "data"

    def run(*command: str) -> None:
        done = subprocess.run([*as_postgres, *command], capture_output=True, text=True,
                              timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr

    run(initdb, "-D", str(data), "-A", "trust", "-U", "postgres", "--no-sync")
    run(pg_ctl, "-D", str(data), "-l", str(base / "log"), "-w", "-o",
        f"-k {base} -c listen_addresses='' -c fsync=off -c max_connections=50", "start")
    try:
        yield f"postgresql:///postgres?host={base}&user=postgres"
    finally:
        run(pg_ctl, "-D", str(data), "-m", "immediate", "stop")
        shutil.rmtree(base, ignore_errors=True)
