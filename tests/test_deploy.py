"""The deployment files say what the README says: a non-root container whose health check is
/healthz with the state on a volume, and a systemd unit that restarts on failure. Where a
Docker engine runs, the image is built and its health check must pass."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = (ROOT / "Dockerfile").read_text(encoding="utf-8")
UNIT = (ROOT / "config" / "sheetsync.service").read_text(encoding="utf-8")


def test_the_image_runs_as_a_user_with_its_state_on_a_volume_and_a_health_check() -> None:
    assert "\nUSER sheetsync\n" in DOCKERFILE
    assert 'VOLUME ["/data"]' in DOCKERFILE
    assert "http://127.0.0.1:9108/healthz" in DOCKERFILE.split("HEALTHCHECK", 1)[1]
    assert '"--metrics-port", "9108"' in DOCKERFILE and "STOPSIGNAL SIGTERM" in DOCKERFILE
    assert "FROM python:3.11-slim" in DOCKERFILE


def test_the_systemd_unit_restarts_on_failure_and_stops_with_sigterm() -> None:
    settings = dict(line.split("=", 1) for line in UNIT.splitlines()
                    if "=" in line and not line.startswith("#"))
    assert settings["Restart"] == "on-failure" and settings["KillSignal"] == "SIGTERM"
    assert settings["ExecStart"].endswith("sheetsync run --log-format json --metrics-port 9108")
    assert settings["User"] == "sheetsync"


def _engine() -> bool:
    return shutil.which("docker") is not None and subprocess.run(
        ["docker", "info"], capture_output=True).returncode == 0


@pytest.mark.skipif(not _engine(), reason="no Docker engine runs on this machine")
def test_the_container_becomes_healthy(tmp_path: Path) -> None:  # pragma: no cover
    subprocess.run(["docker", "build", "-q", "-t", "sheetsync:test", str(ROOT)], check=True)
    data = tmp_path / "data"
    data.mkdir()
    data.chmod(0o777)  # the container's user (uid 10001) writes here
    subprocess.run(["docker", "run", "--rm", "-v", f"{data}:/data", "--entrypoint", "sheetsync",
                    "sheetsync:test", "demo", "--dir", "/data", "--once"], check=True)
    container = subprocess.run(
        ["docker", "run", "-d", "-v", f"{data}:/data", "--health-interval", "2s",
         "--health-start-period", "1s", "sheetsync:test"], check=True, capture_output=True,
        text=True).stdout.strip()
    try:
        for _ in range(60):
            state = subprocess.run(["docker", "inspect", "-f", "{{.State.Health.Status}}",
                                    container], capture_output=True, text=True).stdout.strip()
            if state == "healthy":
                break
            time.sleep(1)
        assert state == "healthy"
    finally:
        subprocess.run(["docker", "rm", "-f", container], capture_output=True)
