"""The tracker in Google Sheets: the real gspread HTTP client against the fake Sheets + Drive.

Every request body the backend sends is validated against Google's discovery document by
the fake, strictly (tests/google_discovery.py); a violation fails the test that caused it.
"""

from __future__ import annotations

import json
import re

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import openpyxl
import pytest
from google.oauth2.credentials import Credentials

from sheetsync.app import logs
from sheetsync.backends import google
from sheetsync.backends.google_http import GoogleHTTPClient
from sheetsync.config import load_config
from sheetsync.app.daemon import run_daemon
from sheetsync.integrations.dispatch import open_sinks
from sheetsync.errors import SheetsyncError, TrackerError
from sheetsync.core.setup import plan_setup
from sheetsync.jobs.sync import CycleReport, run_sync
from sheetsync.state import StateStore
from tests.fake_google import SPREADSHEET_ID, TOKEN
from tests.google_setup import NOW, GoogleTracker, demo_rows, google_tracker
from tests.helpers import Ticks

HIGHLIGHT = (0.988, 0.894, 0.894)


@pytest.fixture
def tracker(tmp_path: Path) -> Iterator[GoogleTracker]:
    yield from google_tracker(tmp_path / "google")


def cycle(tracker: GoogleTracker, at: datetime = NOW, **options: object) -> CycleReport:
    return run_sync(tracker.config, at, backend=tracker.backend(**options),  # type: ignore
                    sinks=open_sinks(tracker.config, {}))


def test_a_cycle_on_google_sheets_does_what_it_does_on_the_workbook(
        tracker: GoogleTracker, tmp_path: Path) -> None:
    report = cycle(tracker)
    local = load_config(tmp_path / "google" / "local" / "sheetsync.toml", environ={})
    run_sync(local, NOW, sinks=open_sinks(local, {}))
    sheet = openpyxl.load_workbook(local.workbook_path)["Tracker"]
    header = [c.value for c in sheet[1]]
    on_disk = [dict(zip(header, (c.value for c in row))) for row in sheet.iter_rows(min_row=2)]
    assert report.adopted and report.new_tickets == 16
    for google, workbook in zip(tracker.rows(), on_disk, strict=True):
        for column in ("Ticket ID", "Sync Notes", "Suggested Priority"):
            assert google[column] == (workbook[column] or ""), column
    # A flagged cell has sheetsync's note, as in the workbook.
    phone = tracker.column("WhatsApp Number")
    assert tracker.fake.note("Tracker", 4, phone) == \
        sheet.cell(row=4, column=header.index("WhatsApp Number") + 1).comment.text


def test_a_changed_cycle_costs_one_read_one_narrow_read_and_one_write(
        tracker: GoogleTracker) -> None:
    cycle(tracker)  # adoption; the metadata is cached from here on
    tracker.fake.calls.clear()
    tracker.fake.edit("Tracker", 3, tracker.column("WhatsApp Number"), "98123")
    report = cycle(tracker)
    assert report.write_skipped is None
    assert tracker.fake.counts() == {"values.batchGet": 1, "spreadsheets.getByDataFilter": 1,
                                     "batchUpdate": 1}
    # The narrow read is that row's cells alone: its ID (still there: written in place),
    # the Sync Notes it rewrites, and the phone cell it flags (for a person's note on it);
    # and their headers (a column a person moved meanwhile is not written into).
    [narrow] = [params for name, params in tracker.fake.calls
                if name == "spreadsheets.getByDataFilter"]
    assert sorted(f["a1Range"] for f in narrow["dataFilters"]) == sorted(
        f"'Tracker'!{tracker.column(h)}{row}" for h in ("Ticket ID", "Sync Notes",
                                                         "WhatsApp Number") for row in (1, 3))
    tracker.fake.calls.clear()
    assert cycle(tracker).writes == []  # the fixed point: its own write changes nothing
    assert tracker.fake.counts() == {"values.batchGet": 1}


def test_every_request_asks_google_for_compact_json(tracker: GoogleTracker) -> None:
    cycle(tracker)  # adoption: metadata, reads, the narrow read, batchUpdates
    tracker.fake.edit("Tracker", 3, tracker.column("WhatsApp Number"), "98123")
    cycle(tracker)  # a changed cycle: the probe, the read, the narrow read, the write
    sent = [request.url or "" for request, _ in tracker.fake.exchanges]
    assert len(sent) > 5 and all("prettyPrint=false" in url for url in sent)
    assert all(b"\n" not in answer.content for _, answer in tracker.fake.exchanges)


def test_flags_are_notes_and_a_conditional_highlight_that_keep_a_persons_own(
        tracker: GoogleTracker) -> None:
    phone = tracker.column("WhatsApp Number")
    tracker.fake.set_note("Tracker", 4, phone, "Seller asked us to call after 6pm")
    tracker.fake.set_fill("Tracker", 4, phone, (0.8, 0.9, 1.0))
    cycle(tracker)
    note = tracker.fake.note("Tracker", 4, phone)
    assert note.startswith("Seller asked us to call after 6pm\n\n[sheetsync]\n")
    assert tracker.fake.effective_fill("Tracker", 4, phone) == HIGHLIGHT
    assert tracker.fake.fill("Tracker", 4, phone) == (0.8, 0.9, 1.0)  # never repainted
    tracker.fake.edit("Tracker", 4, phone, "+919845012345")  # a person fixes it
    cycle(tracker)
    assert tracker.fake.note("Tracker", 4, phone) == "Seller asked us to call after 6pm"
    assert tracker.fake.effective_fill("Tracker", 4, phone) == (0.8, 0.9, 1.0)
    rules = tracker.fake.tab("Tracker").conditional_formats
    assert len(rules) == len({str(r["ranges"]) for r in rules})  # each column's rule once


def test_a_row_sorted_and_inserted_between_the_read_and_the_write_gets_no_wrong_id(
        tracker: GoogleTracker) -> None:
    fake = tracker.fake

    def person_sorts_and_inserts() -> None:
        fake.sort("Tracker", tracker.column("Seller Name"))
        fake.insert_rows("Tracker", 2, [["+919800000001", "Nandi Dairy", "Help",
                                         "Where is my invoice?", "Pending"]])

    fake.before("spreadsheets.getByDataFilter", person_sorts_and_inserts)  # the narrow read
    typed = {(r["Seller Name"], r["Description"]): dict(r) for r in tracker.rows()}
    report = cycle(tracker)
    assert report.write_skipped is None
    rows = tracker.rows()
    ids = {(r["Seller Name"], r["Description"]): r["Ticket ID"] for r in rows}
    assert ids[("Nandi Dairy", "Where is my invoice?")] == ""  # not read: next cycle
    # Every ID is on the row the cycle gave it to (adoption numbers rows as it read them),
    # whatever moved meanwhile.
    given = {f"INT-{i:06d}": key for i, key in enumerate(typed, start=1)}
    assert {r["Ticket ID"]: (r["Seller Name"], r["Description"]) for r in rows
            if r["Ticket ID"]} == given
    # Nothing a person typed changed.
    for key, before in typed.items():
        after = next(r for r in rows if (r["Seller Name"], r["Description"]) == key)
        assert {h: after[h] for h in before if h not in (
            "Ticket ID", "Sync Notes", "Suggested Priority")} == \
            {h: v for h, v in before.items() if h not in (
                "Ticket ID", "Sync Notes", "Suggested Priority")}
    assert cycle(tracker).new_tickets == 1  # the next cycle mends what was left
    assert next(r for r in tracker.rows() if r["Seller Name"] == "Nandi Dairy")["Ticket ID"] \
        == "INT-000017"


def test_a_cell_a_person_typed_in_meanwhile_is_not_overwritten(tracker: GoogleTracker) -> None:
    fake = tracker.fake
    cycle(tracker)  # adoption
    fake.insert_rows("Tracker", 18, [["+919800000001", "Nandi Dairy", "Help",
                                      "Where is my invoice?", "Pending"]])
    ticket = tracker.column("Ticket ID")
    fake.before("spreadsheets.getByDataFilter",
                lambda: fake.edit("Tracker", 18, ticket, "INT-000099"))
    report = cycle(tracker)
    # The row's key changed under the write (a person gave it an ID): none of its cells is
    # written this cycle.
    # (Its ID, Suggested Priority, Sync Notes, and the suggestion's reason on its cell.)
    assert report.write_skipped == "5 of 5 cells not written: their rows moved or changed " \
        "while sheetsync was writing; it writes them next cycle"
    assert fake.value("Tracker", 18, ticket) == "INT-000099"  # the person's, kept


def test_text_is_written_as_text_never_as_a_formula(tmp_path: Path) -> None:
    rows = demo_rows(tmp_path / "local")
    description = rows[0].index("Description")
    rows[1][description] = '=HYPERLINK("http://evil.example","click")'
    rows[1][rows[0].index("WhatsApp Number")] = "=1+1"
    for tracker in google_tracker(tmp_path / "google", rows):
        cycle(tracker)
        notes = tracker.column("Sync Notes")
        assert tracker.fake.formula("Tracker", 2, notes) is None
        assert tracker.fake.value("Tracker", 2, notes).startswith("WhatsApp Number:")


def test_serial_dates_are_read_in_the_spreadsheets_timezone(tmp_path: Path) -> None:
    rows = demo_rows(tmp_path / "local")
    stamp = rows[0].index("Timestamp")
    rows[1][stamp] = datetime(2026, 11, 22, 10, 30)  # a real date-time cell, 10:30 in Kolkata
    for tracker in google_tracker(tmp_path / "google", rows):
        report = cycle(tracker)
        assert "Timestamp" not in tracker.rows()[0]["Sync Notes"]
        assert report.findings == 11  # as on the workbook: the date cell is not a finding


def test_a_spreadsheet_in_another_timezone_gets_a_warning(tmp_path: Path) -> None:
    stream = __import__("io").StringIO()
    logs.setup("json", stream)
    for tracker in google_tracker(tmp_path / "google"):
        tracker.fake.spreadsheet().properties["timeZone"] = "America/New_York"
        cycle(tracker)
    assert '"spreadsheet timezone differs"' in stream.getvalue()
    assert '"spreadsheet_timezone": "America/New_York"' in stream.getvalue()


def test_with_idle_reads_off_an_idle_daemon_costs_no_sheets_request(tmp_path: Path) -> None:
    for tracker in google_tracker(tmp_path, extra="idle_reads = false\n"):
        ticks = iter(NOW + timedelta(seconds=30 * i) for i in range(100))
        assert run_daemon(tracker.config, stop=Ticks(4), now=lambda: next(ticks), environ={},
                          backend=tracker.backend()) == 0
        counts = tracker.fake.counts()
        # Adoption (the metadata, a read, the narrow read, a write), one more read that finds
        # its own write changed nothing, then two idle ticks: a Drive probe each tick, no
        # Sheets request.
        assert counts["files.get"] == 4
        assert counts["values.batchGet"] == 2 and counts["batchUpdate"] == 1
        assert counts["spreadsheets.get"] == 1  # the metadata
        assert counts["spreadsheets.getByDataFilter"] == 1  # the narrow read


def test_an_idle_tracker_is_read_from_spare_budget_so_an_edit_never_waits_on_drive(
        tmp_path: Path) -> None:
    for tracker in google_tracker(tmp_path):
        tracker.fake.version_lag = 180.0  # Drive shows a change 3 minutes late (never, here)

        def person(tick: int) -> None:
            if tick == 3:  # after adoption and its read-back: an escalation
                tracker.fake.edit("Tracker", 3, tracker.column("Status"), "Escalated")

        ticks = Ticks(5, person)
        assert run_daemon(tracker.config, stop=ticks, environ={}, backend=tracker.backend(),
                          now=lambda: NOW + timedelta(seconds=10 * ticks.ticks)) == 0
        assert tracker.fake.spreadsheet().shown == 1  # Drive's version never moved
        with StateStore(tracker.config.state_path) as store:
            [escalated] = [t for t in store.history("INT-000002") if t.field == "status"]
        # The tick after the edit read it (NOW + 30 s), from spare budget.
        assert datetime.fromisoformat(escalated.at) == NOW + timedelta(seconds=30)


def test_a_429_is_retried_after_a_backoff_and_retry_after_is_honoured(
        tracker: GoogleTracker) -> None:
    tracker.fake.fail("values.batchGet", "429")
    tracker.fake.fail("batchUpdate", "429-retry-after")
    report = cycle(tracker)
    assert report.write_skipped is None and report.new_tickets == 16
    assert tracker.clock.slept == [1.5, 7.0]  # 2**0 + jitter; then the Retry-After


def test_a_persistent_429_gives_up_after_bounded_retries_and_the_daemon_goes_on(
        tracker: GoogleTracker) -> None:
    for _ in range(6):
        tracker.fake.fail("values.batchGet", "429")
    with pytest.raises(SheetsyncError, match="answered 429 .* tries again next cycle"):
        cycle(tracker)
    assert tracker.clock.slept == [1.5, 2.5, 4.5, 8.5, 16.5]
    assert cycle(tracker).new_tickets == 16  # the next cycle goes through


def test_a_write_that_adds_is_not_resent_after_an_unclear_500(tracker: GoogleTracker) -> None:
    cycle(tracker)
    tracker.fake.tab("Tracker").conditional_formats.clear()  # a person deleted the rules
    tracker.fake.edit("Tracker", 3, tracker.column("WhatsApp Number"), "98123")
    tracker.fake.fail("batchUpdate", "500")
    tracker.clock.now += 2 * 3600  # the cached metadata is stale: the rules are re-added
    with pytest.raises(SheetsyncError, match="answered 500"):
        cycle(tracker)
    assert tracker.fake.counts()["batchUpdate"] == 2  # sent once, not retried
    cycle(tracker)  # the next cycle mends it, once
    rules = tracker.fake.tab("Tracker").conditional_formats
    assert rules and len(rules) == len({str(r["ranges"]) for r in rules})


def test_the_budget_keeps_requests_under_the_quota(tracker: GoogleTracker) -> None:
    client = GoogleHTTPClient(Credentials(token=TOKEN), clock=tracker.clock,
                              sleep=tracker.clock.sleep, per_minute=3)
    for _ in range(4):
        client.request("get", f"https://sheets.googleapis.com/v4/spreadsheets/"
                              f"{SPREADSHEET_ID}/values:batchGet",
                       params={"ranges": "Tracker"})
    assert tracker.clock.slept == [60.0]  # the fourth read waits for the first to age out
    assert tracker.fake.rate_limited == 0


@pytest.mark.parametrize("fault, message", [
    ("unshare", f"spreadsheet {SPREADSHEET_ID} is not shared with the account sheetsync "
                "runs as: in Google Sheets, Share it with that address as an Editor"),
    ("delete", f"spreadsheet {SPREADSHEET_ID} not found: it was deleted, or "
               "tracker.spreadsheet_id is wrong"),
    ("rename", f'spreadsheet {SPREADSHEET_ID} has no tab named "Tracker" (tabs: Tickets); it '
               "may have been renamed: set tracker.tab in sheetsync.toml to the tab's name"),
    ("token", f"spreadsheet {SPREADSHEET_ID}: Google refused the credentials"),
])
def test_a_fault_a_person_must_fix_says_what_to_do(tracker: GoogleTracker, fault: str,
                                                  message: str) -> None:
    if fault == "unshare":
        tracker.fake.unshare(SPREADSHEET_ID)
    elif fault == "delete":
        tracker.fake.delete_spreadsheet(SPREADSHEET_ID)
    elif fault == "rename":
        tracker.fake.rename_tab("Tracker", "Tickets")
    else:
        tracker.fake.token = "revoked"
    with pytest.raises(TrackerError) as raised:
        cycle(tracker)
    assert str(raised.value).startswith(message)


def test_a_renamed_tab_found_again_once_renamed_back(tracker: GoogleTracker) -> None:
    backend = tracker.backend()
    run_sync(tracker.config, NOW, backend=backend, sinks=open_sinks(tracker.config, {}))
    tracker.fake.rename_tab("Tracker", "Tickets")
    with pytest.raises(TrackerError, match="no tab named"):
        run_sync(tracker.config, NOW, backend=backend, sinks=open_sinks(tracker.config, {}))
    tracker.fake.rename_tab("Tickets", "Tracker")
    report = run_sync(tracker.config, NOW, backend=backend,
                      sinks=open_sinks(tracker.config, {}))
    assert report.rows == 16 and report.transitions == []


def test_metadata_is_cached_across_restarts(tracker: GoogleTracker) -> None:
    cycle(tracker)
    tracker.fake.calls.clear()
    tracker.fake.edit("Tracker", 3, tracker.column("WhatsApp Number"), "98123")
    cycle(tracker)  # a new process: a new backend, the cache file beside the state
    counts = tracker.fake.counts()
    assert counts["spreadsheets.getByDataFilter"] == 1  # the narrow read only
    assert "spreadsheets.get" not in counts  # no metadata
    assert (tracker.folder / "sheetsync.google.json").exists()


def test_a_probe_that_cannot_see_drive_is_logged_and_the_cycle_reads(
        tracker: GoogleTracker) -> None:
    stream = __import__("io").StringIO()
    logs.setup("json", stream)
    tracker.fake.fail("files.get", "500")
    for _ in range(5):
        tracker.fake.fail("files.get", "500")
    assert tracker.backend(retries=0).probe() is None
    assert '"probe failed"' in stream.getvalue()


def test_a_fake_service_account_email_is_named_when_the_sheet_is_not_shared(
        tmp_path: Path) -> None:
    class ServiceAccount(Credentials):  # a service account's token, no key to refresh with
        service_account_email = "sheetsync@tracker-project.iam.gserviceaccount.com"

    for tracker in google_tracker(tmp_path / "google"):
        tracker.fake.unshare(SPREADSHEET_ID)
        client = GoogleHTTPClient(ServiceAccount(token=TOKEN), clock=tracker.clock,
                                  sleep=tracker.clock.sleep)
        from sheetsync.backends.google import GoogleSheet

        with pytest.raises(TrackerError, match="not shared with sheetsync@tracker-project"):
            GoogleSheet(tracker.config, client).read()


def test_setup_prepares_the_tab_once_and_remove_takes_it_all_back(
        tracker: GoogleTracker) -> None:
    fake = tracker.fake
    status = tracker.column("Status")
    persons_rule = {"condition": {"type": "NUMBER_GREATER", "values": [
        {"userEnteredValue": "5"}]}, "strict": True}
    fake.set_validation("Tracker", 2, tracker.column("Description"), persons_rule)
    plan = plan_setup(tracker.config.schema)
    changes = tracker.backend().setup(plan, lambda done, total: None)
    assert changes.done[:3] == ["added the columns sheetsync writes: Ticket ID, Sync Notes, "
                                "Suggested Priority", "froze the header (row 1)",
                                "turned on the filter"]
    assert fake.tab("Tracker").frozen_row_count == 1
    rule = fake.validation("Tracker", 5, status)
    assert rule is not None and rule["condition"]["type"] == "ONE_OF_LIST"
    assert tuple(v["userEnteredValue"] for v in rule["condition"]["values"]) == \
        tracker.config.schema.column("status").values
    assert not rule.get("strict") and rule["showCustomUi"]  # shown, never rejecting
    fake.edit("Tracker", 5, status, "Waiting")  # an odd value is kept, for sheetsync to flag
    assert fake.value("Tracker", 5, status) == "Waiting"
    cycle(tracker)  # the daemon adds its columns and writes its notes
    assert tracker.backend().setup(plan, lambda done, total: None).done == []
    warned = {p["description"] for p in fake.tab("Tracker").protected_ranges}
    assert any("Ticket ID" in d for d in warned) and all(
        p["warningOnly"] for p in fake.tab("Tracker").protected_ranges)
    fake.calls.clear()
    assert tracker.backend().setup(plan, lambda done, total: None).done == []
    assert fake.writes() == 0  # the second run changed nothing
    removed = tracker.backend().remove_setup(plan)
    assert removed.done
    tab = fake.tab("Tracker")
    assert tab.protected_ranges == [] and tab.conditional_formats == []
    assert fake.validation("Tracker", 5, status) is None
    assert fake.validation("Tracker", 2, tracker.column("Description")) == persons_rule
    phone = tracker.column("WhatsApp Number")
    assert fake.note("Tracker", 4, phone) in ("", None)
    assert tracker.rows()[3]["Ticket ID"] == "INT-000004"  # data stays


def test_setup_creates_the_tab_from_a_csv_import(tmp_path: Path) -> None:
    for tracker in google_tracker(tmp_path / "google", rows=[], tab="Sheet1"):
        csv_text = ("Timestamp,WhatsApp Number,Seller Name,Issue Type,Description,Status\n"
                    "2026-11-20 10:25,+919876543210,Sharma General Store,Bug,"
                    '"Unable to update stock. =SUM(A1)",Pending\n')
        plan = plan_setup(tracker.config.schema, csv_text)
        progress: list[tuple[int, int]] = []
        changes = tracker.backend().setup(plan, lambda *p: progress.append(p))
        assert changes.done[0] == "added tab 'Tracker' with 1 imported rows"
        assert progress[-1] == (1, 1)
        rows = tracker.rows()
        assert rows[0]["Description"] == "Unable to update stock. =SUM(A1)"
        assert tracker.fake.formula("Tracker", 2, tracker.column("Description")) is None
        assert cycle(tracker).new_tickets == 1


def test_a_report_is_a_tab_with_its_charts_rewritten_in_place(tracker: GoogleTracker) -> None:
    from sheetsync.jobs.reports import run_report
    from sheetsync.core.reporting import period_containing

    cycle(tracker)
    period = period_containing("daily", NOW.astimezone(tracker.config.timezone))
    for at in (NOW, NOW + timedelta(hours=1)):
        with StateStore(tracker.config.state_path) as store:
            written = run_report(tracker.config, period, at, store, None, tracker.backend())
        assert written.skipped is None
    tab = tracker.fake.tab(period.tab)
    assert len(tab.charts) == len(written.report.charts) >= 1  # replaced, not added again
    values = tracker.fake.values(period.tab)
    assert values[0][0] == written.report.title
    assert values[4][:2] == ["Figure", "Value"]
    assert tab.row_count >= len(values)


def test_a_weekly_tab_shows_numbers_with_their_formats_in_columns_that_fit_under_frozen_titles(
    tracker: GoogleTracker,
) -> None:
    from sheetsync.jobs.reports import run_report
    from sheetsync.core.reporting import UNKNOWN, Percent, period_for

    cycle(tracker)
    period = period_for("weekly", "2026-W48", tracker.config.timezone)
    for at in (NOW, NOW + timedelta(hours=1)):  # added, then rewritten in place
        with StateStore(tracker.config.state_path) as store:
            written = run_report(tracker.config, period, at, store, None, tracker.backend())
    tab = tracker.fake.tab(period.tab)
    assert tab.frozen_row_count == 2  # the title and when it was written
    figures = written.report.figures
    rows = {row[0]: number for number, row in enumerate(tracker.fake.values(period.tab), 1)
            if row and row[0] in dict(figures)}
    shares = [name for name, value in figures if isinstance(value, Percent)]
    assert shares and len(rows) == len(figures)
    for name, value in figures:  # what a person sees is what the digest says ...
        assert tracker.fake.shown(period.tab, rows[name], "B") == (
            UNKNOWN if value is None else str(value)), name
        if value is not None:  # ... from a number, not a text
            assert tracker.fake.value(period.tab, rows[name], "B") == value, name
    for name in shares:
        assert tracker.fake.cell(period.tab, rows[name], "B")["userEnteredFormat"][
            "numberFormat"] == {"type": "PERCENT", "pattern": "0%"}
    longest = max(len(name) for name, _ in figures)
    assert tab.column_pixels[0] >= 7 * longest  # the names fit their column
    lines = [c["spec"]["basicChart"] for c in tab.charts
             if c["spec"]["basicChart"]["chartType"] == "LINE"]
    assert lines and all(chart["lineSmoothing"] is False for chart in lines)


def test_a_weekly_digest_links_to_its_tab(tracker: GoogleTracker) -> None:
    from sheetsync.jobs.reports import run_report
    from sheetsync.core.reporting import period_for

    cycle(tracker)
    # The week of the adoption (the week before lies wholly before it, and gets no tab).
    period = period_for("weekly", "2026-W48", tracker.config.timezone)
    with StateStore(tracker.config.state_path) as store:
        assert run_report(tracker.config, period, NOW, store, None,
                          tracker.backend()).skipped is None
        [digest] = [e for e in store.effects() if e.kind == "slack.digest"]
    sheet_id = tracker.fake.tab(period.tab).sheet_id
    assert digest.payload["tab"] == "Weekly 2026-W48"
    assert digest.payload["tab_url"] == (f"https://docs.google.com/spreadsheets/d/"
                                         f"{SPREADSHEET_ID}/edit#gid={sheet_id}")


def test_old_period_tabs_beyond_keep_are_deleted(tracker: GoogleTracker) -> None:
    from sheetsync.jobs.reports import run_report
    from sheetsync.core.reporting import period_containing

    cycle(tracker)
    for day in range(4):
        at = (NOW + timedelta(days=day)).astimezone(tracker.config.timezone)
        with StateStore(tracker.config.state_path) as store:
            run_report(tracker.config, period_containing("daily", at), at, store, None,
                       tracker.backend())
    titles = [t.title for t in tracker.fake.spreadsheet().tabs]
    kept = tracker.config.settings.reports.keep.daily
    assert len([t for t in titles if t.startswith("Daily ")]) == min(4, kept)


def test_a_service_account_key_file_is_loaded_and_another_kind_refused(tmp_path: Path) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    from sheetsync.backends.google import SCOPES, load_credentials

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    path = tmp_path / "key.json"
    path.write_text(json.dumps({
        "type": "service_account", "project_id": "tracker-project", "private_key_id": "k1",
        "private_key": pem, "client_email": "sheetsync@tracker-project.iam.gserviceaccount.com",
        "client_id": "1", "token_uri": "https://oauth2.googleapis.com/token"}))
    credentials = load_credentials({"GOOGLE_APPLICATION_CREDENTIALS": str(path)})
    assert credentials.service_account_email == \
        "sheetsync@tracker-project.iam.gserviceaccount.com"  # type: ignore[attr-defined]
    assert set(credentials.scopes) == set(SCOPES)  # type: ignore[attr-defined]
    path.write_text(json.dumps({"type": "external_account", "audience": "x"}))
    with pytest.raises(TrackerError, match='type "external_account"'):
        load_credentials({"GOOGLE_APPLICATION_CREDENTIALS": str(path)})


def test_a_person_with_a_key_file_runs_setup_then_the_daemon_and_sees_an_escalation(
        tracker: GoogleTracker, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """The README's Google Sheets steps, through the CLI, the key file and the fake."""
    from sheetsync.app.cli import main

    tracker.fake.serve_tokens = True
    key = tracker.folder / "authorized_user.json"
    key.write_text(json.dumps({"type": "authorized_user", "client_id": "fake.apps.example",
                               "client_secret": "fake-secret", "refresh_token": "1//r"}))
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(key))
    for name in ("SLACK_BOT_TOKEN", "CLICKUP_API_TOKEN", "SHEETSYNC_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    config = str(tracker.folder / "sheetsync.toml")
    assert main(["setup", "--config", config]) == 0
    assert main(["run", "--once", "--config", config]) == 0  # adoption: IDs, notes
    status = tracker.column("Status")
    row = next(i for i, r in enumerate(tracker.rows(), start=2)
               if r["Seller Name"] == "Gupta Kirana Mart")
    tracker.fake.edit("Tracker", row, status, "Escalated")
    tracker.fake.edit("Tracker", row, tracker.column("Assigned To"),
                      "Priya (Support), Rahul (Tech)")
    assert main(["run", "--once", "--config", config]) == 0
    lines = (tracker.folder / "outbox.jsonl").read_text().splitlines()
    sent = [json.loads(line) for line in lines]
    assert [e["text"] for e in sent if e["kind"] == "slack.message"] == [
        "[ESCALATION] [Help] - How do I add a discount to all products in one category "
        "(Gupta Kirana Mart)"]
    [escalation] = [e for e in sent if e["kind"] == "slack.message"]
    assert escalation["row_url"] == (f"https://docs.google.com/spreadsheets/d/{SPREADSHEET_ID}"
                                     f"/edit#gid=0&range={row}:{row}")
    assert main(["run", "--once", "--config", config]) == 0
    assert (tracker.folder / "outbox.jsonl").read_text().splitlines() == lines  # once
    assert main(["report", "daily", "--config", config]) == 0
    assert any(t.title.startswith("Daily ") for t in tracker.fake.spreadsheet().tabs)


@pytest.mark.parametrize("whole", [False, True], ids=["cells", "whole columns"])
def test_many_rows_are_written_in_one_narrow_read_and_keep_a_persons_notes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, whole: bool) -> None:
    rows = demo_rows(tmp_path / "local")
    header, first = rows[0], rows[1]
    phone = header.index("WhatsApp Number")
    many = [[*first[:phone], f"98{n:03d}", *first[phone + 1:]] for n in range(120)]
    if whole:  # more cells than a write reads one by one (an adoption of a large tab)
        monkeypatch.setattr(google, "MAX_CELLS", 100)
    for tracker in google_tracker(tmp_path / "google", [header, *many]):
        letter = tracker.column("WhatsApp Number")
        tracker.fake.set_note("Tracker", 77, letter, "Call after 6pm")
        cycle(tracker)
        narrow = [(name, p) for name, p in tracker.fake.calls
                  if name.startswith("spreadsheets.get") and "note" in p.get("fields", "")]
        # 120 rows to write: one request, whatever the URL could hold.
        [(name, asked)] = narrow
        if whole:
            assert name == "spreadsheets.get" and \
                f"'Tracker'!{letter}1:{letter}" in asked["ranges"] and len(asked["ranges"]) < 10
        else:
            assert name == "spreadsheets.getByDataFilter" and "ranges" not in asked
            assert {f"'Tracker'!{letter}{r}" for r in range(1, 122)} <= \
                {f["a1Range"] for f in asked["dataFilters"]}
        assert tracker.fake.note("Tracker", 77, letter).startswith("Call after 6pm\n\n[sheetsync]")
        assert all(tracker.fake.note("Tracker", r, letter).startswith("[sheetsync]")
                   for r in (2, 76, 78, 121))


def test_a_column_a_person_moves_before_a_small_write_is_never_written_into(
        tracker: GoogleTracker) -> None:
    fake = tracker.fake
    cycle(tracker)  # adoption; the metadata is cached from here on
    fake.edit("Tracker", 3, tracker.column("WhatsApp Number"), "98123")
    notes, priority = tracker.column("Sync Notes"), tracker.column("Suggested Priority")
    before = fake.value("Tracker", 3, priority)
    # Between the read and the narrow read, Sync Notes is dragged past Suggested Priority:
    # the row's ticket ID is where it was, so only the headers tell.
    fake.before("spreadsheets.getByDataFilter", lambda: fake.move_column(
        "Tracker", notes, priority))
    report = cycle(tracker)
    assert report.write_skipped is not None and "moved or changed while sheetsync was " \
        "writing; it writes next cycle" in report.write_skipped
    assert fake.value("Tracker", 3, notes) == before  # the moved column: untouched
    cycle(tracker)  # the next cycle reads the new order and writes where Sync Notes is now
    row = tracker.rows()[1]
    assert "WhatsApp Number" in row["Sync Notes"] and row["Suggested Priority"] == before


def test_a_refused_cells_read_reads_the_columns_whole_and_the_write_lands(
        tracker: GoogleTracker, caplog: pytest.LogCaptureFixture) -> None:
    cycle(tracker)  # adoption; the metadata is cached from here on
    phone = tracker.column("WhatsApp Number")
    tracker.fake.edit("Tracker", 3, phone, "98123")
    tracker.fake.fail("spreadsheets.getByDataFilter", "400")  # as if too many filters
    tracker.fake.calls.clear()
    assert cycle(tracker).write_skipped is None
    assert [name for name, _ in tracker.fake.calls] == [
        "values.batchGet", "spreadsheets.getByDataFilter", "spreadsheets.get", "batchUpdate"]
    assert "WhatsApp Number" in tracker.rows()[1]["Sync Notes"]
    assert tracker.fake.note("Tracker", 3, phone).startswith("[sheetsync]")
    assert any(r.getMessage() == "cells read refused" for r in caplog.records)


def test_the_cells_read_is_a_read_and_is_sent_again_after_a_5xx(tracker: GoogleTracker) -> None:
    cycle(tracker)  # adoption; the metadata is cached from here on
    tracker.fake.edit("Tracker", 3, tracker.column("WhatsApp Number"), "98123")
    tracker.fake.fail("spreadsheets.getByDataFilter", "503")
    tracker.fake.calls.clear()
    backend = tracker.backend()
    report = run_sync(tracker.config, NOW, backend=backend, sinks=open_sinks(tracker.config, {}))
    assert report.write_skipped is None
    assert [name for name, _ in tracker.fake.calls] == [
        "values.batchGet", "spreadsheets.getByDataFilter", "spreadsheets.getByDataFilter",
        "batchUpdate"]
    # Spent from the read budget (a POST, but one that reads), and sent again (it changes
    # nothing).
    assert {k: v for k, v in backend.client.sent.items() if v} == {"read": 3, "write": 1}


def test_a_values_answer_cut_short_fails_the_cycle_in_one_line_and_the_next_reads_it(
        tracker: GoogleTracker) -> None:
    cycle(tracker)  # adoption
    tracker.fake.edit("Tracker", 3, tracker.column("WhatsApp Number"), "98123")
    tracker.fake.fail("values.batchGet", "garbled")
    with pytest.raises(SheetsyncError, match="answered with a body that is not its JSON .*"
                                             "tries again next cycle"):
        cycle(tracker)
    assert cycle(tracker).writes  # the edit is seen, and flagged, on the next cycle


def test_a_row_sorted_away_before_a_small_write_is_followed_not_overwritten(
        tracker: GoogleTracker) -> None:
    fake = tracker.fake
    cycle(tracker)  # adoption; the metadata is cached from here on
    fake.edit("Tracker", 3, tracker.column("WhatsApp Number"), "98123")  # Gupta Kirana Mart
    fake.before("spreadsheets.getByDataFilter", lambda: fake.sort(
        "Tracker", tracker.column("Seller Name"), descending=True))
    fake.calls.clear()
    assert cycle(tracker).write_skipped is None
    # The row's own cells no longer held its ID: the key columns were read whole, and the
    # note went where the row is now.
    assert [name for name, _ in fake.calls] == ["values.batchGet",
                                                "spreadsheets.getByDataFilter",
                                                "spreadsheets.get", "batchUpdate"]
    flagged = [r for r in tracker.rows() if "WhatsApp Number:" in r["Sync Notes"]]
    assert "Gupta Kirana Mart" in {r["Seller Name"] for r in flagged}
    assert not [r for r in flagged if re.fullmatch(r"\+91\d{10}", str(r["WhatsApp Number"]))]
    gupta = next(r for r in tracker.rows() if r["Seller Name"] == "Gupta Kirana Mart")
    assert gupta["Ticket ID"] == "INT-000002"
