"""Google's quota shared by the trackers of one process: one budget per credential and per
project, every tracker read within the staleness bound, recently changed ones first, and a
held-back read shown by `status`; all on a fake clock, against the fake enforcing the quota."""

from __future__ import annotations

import io
import json
from contextlib import redirect_stdout
from datetime import timedelta
from pathlib import Path

from google.oauth2.credentials import Credentials

from sheetsync.app.cli import main
from sheetsync.app.daemon import run_daemon
from sheetsync.backends.google import GoogleSheet
from sheetsync.backends.google_http import GoogleHTTPClient
from sheetsync.config import load_config
from sheetsync.integrations.dispatch import open_sinks
from sheetsync.integrations.quota import Pool
from sheetsync.jobs.sync import run_sync
from tests.fake_google import SPREADSHEET_ID, TOKEN
from tests.google_setup import NOW, demo_rows, google_tracker
from tests.helpers import Clock, Ticks

NEAR = NOW.timestamp()


def pool_of(per_user: int = 60, per_project: int = 300, trackers: int = 3,
            projects: int = 1) -> tuple[Pool, Clock, list[object]]:
    clock = Clock(NOW)
    pool = Pool(clock, clock.sleep)
    shares = [pool.share(f"t{i}", "sheetsync@fleet", f"project-{i % projects}", per_user,
                         per_project, 5) for i in range(trackers)]
    return pool, clock, shares


def test_trackers_of_one_credential_spend_from_one_budget_at_90_percent_of_the_quota() -> None:
    pool, clock, shares = pool_of(trackers=20)
    start = clock()
    for _ in range(10):  # each of 20 trackers wants 10 reads: 200 reads
        for share in shares:
            share.spend("read")  # type: ignore[attr-defined]
    # 54 a minute for the one user, however many trackers: 200 reads take 3 more minutes.
    assert 3 * 60 <= clock() - start < 4 * 60
    # Writes are budgeted apart: the reads left them their whole minute.
    assert shares[0].budgets[0].room("write") == 54  # type: ignore[attr-defined]


def test_trackers_of_one_project_share_its_budget_across_users() -> None:
    clock = Clock(NOW)
    pool = Pool(clock, clock.sleep)
    shares = [pool.share(f"t{i}", f"user-{i}", "project", 60, 100, 5) for i in range(4)]
    for _ in range(30):
        for share in shares:
            share.spend("read")
    # 120 reads: each user's 30 fit its 54, but the project allows 90 a minute.
    assert clock() - NEAR >= 60


def test_a_changed_tracker_is_held_while_more_recently_changed_ones_go_first() -> None:
    pool, clock, (a, b, c) = pool_of(per_user=10, trackers=3)  # a budget of 9 reads
    for _ in range(5):
        a.spend("read")  # type: ignore[attr-defined]
    clock.sleep(30)
    for _ in range(4):
        a.spend("read")  # type: ignore[attr-defined]
    now, read = NEAR + 40, NEAR - 60  # read a minute before: not stale
    for share, changed_at in ((a, now - 20), (b, now - 10), (c, now)):  # all held: no room
        assert not share.decide(changed_at, changed=True, read_at=read).read  # type: ignore
    clock.sleep(31)  # the first 5 reads are a minute old: room for two changed cycles
    held = a.decide(now, changed=True, read_at=read)  # type: ignore[attr-defined]
    assert not held.read and "2 changed trackers first" in str(held.held)
    assert c.decide(now, changed=True, read_at=read).read  # type: ignore[attr-defined]
    assert b.decide(now, changed=True, read_at=read).read  # type: ignore[attr-defined]
    assert not a.decide(now, changed=True, read_at=read).read  # type: ignore[attr-defined]
    # However short the budget, a tracker not read for max_staleness_minutes reads.
    assert a.decide(now, changed=True, read_at=now - 5 * 60).read  # type: ignore[attr-defined]


def test_idle_trackers_read_from_spare_budget_oldest_first_and_never_with_idle_reads_off(
        ) -> None:
    clock = Clock(NOW)
    pool = Pool(clock, clock.sleep)
    old, recent = (pool.share(n, "u", "p", 60, 300, 5) for n in ("old", "recent"))
    strict = pool.share("strict", "u", "p", 60, 300, 5, idle_reads=False)
    now = NEAR + 60
    assert old.decide(now, changed=False, read_at=now - 200).read
    assert not strict.decide(now, changed=False, read_at=now - 600).read  # even when stale
    for _ in range(43):  # 54 - 43 = 11 left: the margin of 10 and one idle read
        old.spend("read")
    old.finished()
    recent.decide(now, changed=False, read_at=now - 100)  # (not admitted yet: waits its turn)
    assert old.decide(now, changed=False, read_at=now - 200).read
    assert not recent.decide(now, changed=False, read_at=now - 100).read


def test_a_fleet_on_one_service_account_meets_no_429(tmp_path: Path) -> None:
    """Four trackers sharing one user quota of 10 (the fake enforces it), each a few changed
    cycles: with each tracker's own 40-a-minute budget they would be refused."""
    for tracker in google_tracker(tmp_path / "a", extra=(
            "[google]\nquota_per_user_per_minute = 10\n")):
        fake, clock = tracker.fake, tracker.clock
        fake.per_minute = 10
        rows = demo_rows(tmp_path / "rows")
        pool = Pool(clock, clock.sleep)
        backends = []
        for n in range(4):
            sid = f"{SPREADSHEET_ID[:-1]}{n + 1}"
            fake.add_spreadsheet(sid, {"Tracker": rows})
            folder = tmp_path / f"t{n}"
            folder.mkdir()
            text = (tmp_path / "a" / "sheetsync.toml").read_text().replace(SPREADSHEET_ID, sid)
            (folder / "sheetsync.toml").write_text(text)
            config = load_config(folder / "sheetsync.toml", environ={})
            client = GoogleHTTPClient(Credentials(token=TOKEN), clock=clock, sleep=clock.sleep,
                                      jitter=lambda: 0.5)
            backends.append((config, GoogleSheet(config, client, clock=clock, pool=pool)))
        for round_ in range(3):
            for config, backend in backends:
                fake.edit("Tracker", 3 + round_, "E", "Escalated", spreadsheet=config.settings
                          .tracker.spreadsheet_id)
                run_sync(config, NOW, backend=backend, sinks=open_sinks(config, {}))
        assert fake.rate_limited == 0
        # The reads of any minute stayed within the shared budget: 9 of the 10.
        reads = sorted(t for (who, kind), times in fake._windows.items()
                       if who == TOKEN and kind == "read" for t in times)
        assert all(b - a >= 60 for a, b in zip(reads, reads[9:]))


def test_status_shows_that_a_read_was_held_back_by_the_budget(tmp_path: Path) -> None:
    for tracker in google_tracker(tmp_path, extra="[google]\nquota_per_user_per_minute = 3\n"):
        ticks = Ticks(3, lambda tick: tracker.fake.edit("Tracker", 3, "E", "Escalated"))
        # Adoption spends the budget of 2 reads (waiting for it); the edit that follows finds
        # none left this minute of the budget's clock.
        assert run_daemon(tracker.config, stop=ticks, environ={}, backend=tracker.backend(),
                          now=lambda: NOW + timedelta(seconds=10 * ticks.ticks)) == 0
        out = io.StringIO()
        with redirect_stdout(out):
            assert main(["status", "--config", str(tracker.folder / "sheetsync.toml"),
                         "--format", "json"]) == 0
        held = json.loads(out.getvalue())["read_held_back"]
        assert "Google quota budget is spent" in held["reason"]
        assert held["at"].startswith("2026-11-23T12:00")  # in the team's zone
