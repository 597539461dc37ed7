"""A click on an escalation's button edits its row, on the workbook and on Google Sheets:
the cell written only if it still holds what the message showed, history with the actor, one
reply in the thread, the message updated, and no second transition in the next cycle.

Slack is the stateful fake (its real WebClient), Google Sheets the fake Sheets API; the
workbook is a real .xlsx file.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from sheetsync.app.cli import main
from sheetsync.backends import TrackerBackend
from sheetsync.backends.workbook import Workbook
from sheetsync.config import Config, load_config
from sheetsync.app.demo import make_demo
from sheetsync.core.slack_actions import Click, NewTicket, OpenResolve, choices, parse
from sheetsync.core.rules import SLACK_MESSAGE
from sheetsync.integrations.dispatch import SLACK_KINDS, Sinks, dispatch, open_sinks
from sheetsync.integrations.outbox import LocalOutbox
from sheetsync.integrations.pacing import Pacer
from sheetsync.integrations.slack import PACE_SECONDS, SlackSink
from sheetsync.jobs.actions import apply_click
from sheetsync.jobs.tickets import add_ticket, ticket_problems
from sheetsync.jobs.sync import run_sync
from sheetsync.state import StateStore
from tests.fake_slack import TOKEN, FakeSlack
from tests.google_setup import GoogleTracker, google_tracker
from tests.helpers import Clock
from tests.test_incidents import add_row
from tests.test_slack_actions import block_actions, valid_blocks

NOW = datetime(2026, 11, 23, 6, 30, tzinfo=timezone.utc)
SLACK = ('\n[slack]\nchannel = "#seller-support"\n'
         '[slack.users]\n"Priya (Support)" = "U012PRIYA"\n')
TICKET, SELLER = "INT-000015", "Vijay Auto Parts"


@dataclass
class Tracker:
    """One tracker on one backend, with a person's hands on its cells."""

    config: Config
    backend: Callable[[], TrackerBackend]
    cell: Callable[[str], Any]  # the ticket's cell under a header, as a person sees it
    edit: Callable[[str, Any], None]  # a person types into the ticket's cell


def workbook_tracker(folder: Path) -> Tracker:
    made = make_demo(folder, "seller-support", "Asia/Kolkata", "IN", NOW)
    with made.config_path.open("a", encoding="utf-8") as file:
        file.write(SLACK)
    return workbook_hands(load_config(made.config_path, environ={}))


def workbook_hands(config: Config) -> Tracker:
    """A workbook tracker as `config` places it, and a person's hands on the ticket's row."""

    def where(header: str) -> tuple[Any, int, int]:
        book = openpyxl.load_workbook(config.workbook_path)
        sheet = book["Tracker"]
        heads = [c.value for c in sheet[1]]
        row = next(r for r in range(2, sheet.max_row + 1)
                   if sheet.cell(r, heads.index("Seller Name") + 1).value == SELLER)
        return book, row, heads.index(header) + 1

    def cell(header: str) -> Any:
        book, row, column = where(header)
        return book["Tracker"].cell(row, column).value

    def edit(header: str, value: Any) -> None:
        book, row, column = where(header)
        book["Tracker"].cell(row, column).value = value
        book.save(config.workbook_path)

    return Tracker(config, lambda: Workbook(config.workbook_path, "Tracker"), cell, edit)


def google_hands(google: GoogleTracker) -> Tracker:
    """A tracker in the fake Google Sheets, one backend for all its reads and writes."""
    backend = google.backend()

    def row() -> int:
        return 2 + next(i for i, r in enumerate(google.rows()) if r["Seller Name"] == SELLER)

    return Tracker(google.config, lambda: backend,
                   lambda header: google.fake.value("Tracker", row(), google.column(header)),
                   lambda header, value: google.fake.edit("Tracker", row(),
                                                          google.column(header), value))


@pytest.fixture(params=["workbook", "google"])
def tracker(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Tracker]:
    if request.param == "workbook":
        yield workbook_tracker(tmp_path / "demo")
        return
    for google in google_tracker(tmp_path / "google", extra=SLACK):
        yield google_hands(google)


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack(clock=Clock(NOW)).installed() as slack:
        yield slack


def sinks(config: Config, tmp_path: Path) -> Sinks:
    """The tracker's Slack sink (its own channel, with the buttons) and its outbox."""
    clock = Clock(NOW)
    assert config.settings.slack.channel is not None
    sink = SlackSink(TOKEN, config.settings.slack.channel,
                     pacer=Pacer(PACE_SECONDS, clock, clock.sleep), sleep=clock.sleep,
                     buttons=choices(config.schema))
    return Sinks(LocalOutbox(tmp_path / f"{config.name or 'tracker'}.outbox.jsonl"),
                 {kind: sink for kind in SLACK_KINDS})


def escalated(tracker: Tracker, fake: FakeSlack, tmp_path: Path) -> Sinks:
    """The baseline, then a person escalates the ticket: its message is posted, with buttons,
    in the tracker's channel."""
    out = sinks(tracker.config, tmp_path)
    run_sync(tracker.config, NOW, sinks=out, backend=tracker.backend())
    tracker.edit("Status", "Escalated")
    tracker.edit("Assigned To", "Arjun (Support)")
    before = len(fake.top_level())
    run_sync(tracker.config, NOW, sinks=out, backend=tracker.backend())
    assert len(fake.top_level()) == before + 1
    return out


def clicked(fake: FakeSlack, action: str, user: str = "U012PRIYA",
            message: int = 0) -> Click | OpenResolve:
    """The button `action` of the escalation message, clicked in Slack."""
    [buttons] = [b for b in fake.top_level()[message]["blocks"] if b["type"] == "actions"]
    button = next(b for b in buttons["elements"] if b["action_id"] == action)
    found = parse("interactive", block_actions(button["value"], action, user))
    assert isinstance(found, (Click, OpenResolve))
    return found


def applied(tracker: Tracker, click: Click) -> tuple[str, str]:
    with StateStore(tracker.config.state_path) as store:
        store.record_action(click.action_id, f"env-{click.action_id}", click.kind,
                            click.shown.ticket_id, click.user, {}, NOW)
        outcome = apply_click(tracker.config, tracker.backend(), store, click, NOW)
    return outcome.status, outcome.text


def history(tracker: Tracker) -> list[tuple[str, str | None, str | None, str | None]]:
    with StateStore(tracker.config.state_path) as store:
        return [(h.field, h.before, h.after, h.actor) for h in store.history(TICKET)]


def test_take_it_adds_the_clicker_with_history_a_reply_and_the_message_updated(
        tracker: Tracker, fake: FakeSlack, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    out = escalated(tracker, fake, tmp_path)
    take = clicked(fake, "sheetsync_take")
    assert isinstance(take, Click)
    assert applied(tracker, take) == ("applied", f"{TICKET} taken by Priya (Support) (Slack)")
    with StateStore(tracker.config.state_path) as store:
        dispatch(store, out, NOW)
    assert tracker.cell("Assigned To") == "Arjun (Support), Priya (Support)"
    assert history(tracker)[-1] == ("assignee", "Arjun (Support)",
                                    "Arjun (Support), Priya (Support)",
                                    "Priya (Support) (Slack)")
    capsys.readouterr()
    assert main(["history", TICKET, "--config", str(tracker.config.source)]) == 0
    assert capsys.readouterr().out.splitlines()[-1].endswith(
        "assignee: Arjun (Support) -> Arjun (Support), Priya (Support)  by Priya (Support) "
        "(Slack)")
    message = fake.top_level()[0]
    assert [r["text"] for r in fake.replies(message["ts"])] == [
        f"{TICKET} taken by Priya (Support) (Slack)"]
    fields = [f["text"] for f in message["blocks"][1]["fields"]]
    assert "*Assigned to*\nArjun (Support), Priya (Support)" in fields
    again = clicked(fake, "sheetsync_take")  # the updated buttons show the new assignee
    assert isinstance(again, Click) and again.shown.assignee == "Arjun (Support), Priya (Support)"
    report = run_sync(tracker.config, NOW, sinks=out, backend=tracker.backend())
    assert [t for t in report.transitions if t.ticket_id == TICKET] == []
    assert len(fake.replies(message["ts"])) == 1 and len(fake.top_level()) == 1


def test_resolve_writes_the_summary_as_text_and_the_status(
        tracker: Tracker, fake: FakeSlack, tmp_path: Path) -> None:
    escalated(tracker, fake, tmp_path)
    opened = clicked(fake, "sheetsync_resolve")
    assert isinstance(opened, OpenResolve)
    summary = "=HYPERLINK(\"http://x\") fixed the invoice template"
    click = replace(opened.click, summary=summary)  # the modal, sent with its summary
    assert applied(tracker, click)[0] == "applied"
    assert tracker.cell("Status") == "Resolved"
    assert tracker.cell("Resolution Summary") == summary  # text, never a formula
    assert ("resolved", None, "yes", "Priya (Support) (Slack)") in history(tracker)
    with StateStore(tracker.config.state_path) as store:  # the text is the sheet's alone
        assert store.action(click.action_id).payload["summary"] is None  # type: ignore[union-attr]


def test_a_cell_a_person_changed_since_the_message_is_not_overwritten(
        tracker: Tracker, fake: FakeSlack, tmp_path: Path) -> None:
    escalated(tracker, fake, tmp_path)
    tracker.edit("Status", "In Progress")  # a person, before any cycle saw it
    wait = clicked(fake, "sheetsync_wait")
    assert isinstance(wait, Click)
    status, text = applied(tracker, wait)
    assert status == "refused"
    assert 'Status is now "In Progress" (the message showed "Escalated")' in text
    assert tracker.cell("Status") == "In Progress"
    assert all(actor is None for *_, actor in history(tracker))


def test_a_person_editing_the_same_cell_during_the_click_keeps_their_edit(
        tracker: Tracker, fake: FakeSlack, tmp_path: Path) -> None:
    escalated(tracker, fake, tmp_path)
    wait = clicked(fake, "sheetsync_wait")
    assert isinstance(wait, Click)
    backend = tracker.backend()
    read = backend.read

    def read_then_a_person_types() -> Any:
        grid = read()
        tracker.edit("Status", "Resolved")  # between sheetsync's read and its write
        return grid

    backend.read = read_then_a_person_types  # type: ignore[method-assign]
    with StateStore(tracker.config.state_path) as store:
        store.record_action(wait.action_id, "env-1", wait.kind, TICKET, wait.user, {}, NOW)
        outcome = apply_click(tracker.config, backend, store, wait, NOW)
        assert store.action(wait.action_id).status == "refused"  # type: ignore[union-attr]
    assert outcome.status == "refused" and "the sheet changed" in outcome.text
    assert tracker.cell("Status") == "Resolved"


def test_a_click_from_an_unmapped_user_writes_nothing(
        tracker: Tracker, fake: FakeSlack, tmp_path: Path) -> None:
    escalated(tracker, fake, tmp_path)
    take = clicked(fake, "sheetsync_take", user="U0STRANGER")
    assert isinstance(take, Click)
    status, text = applied(tracker, take)
    assert status == "refused" and "ask an admin to add you" in text
    assert tracker.cell("Assigned To") == "Arjun (Support)"


def test_on_a_locked_workbook_the_change_waits_until_the_file_is_closed(
        fake: FakeSlack, tmp_path: Path) -> None:
    tracker = workbook_tracker(tmp_path / "demo")
    escalated(tracker, fake, tmp_path)
    take = clicked(fake, "sheetsync_take")
    assert isinstance(take, Click)
    lock = tracker.config.workbook_path.parent / f"~${tracker.config.workbook_path.name}"
    lock.write_text("someone", encoding="utf-8")
    status, text = applied(tracker, take)
    assert status == "waiting" and "waits until the file is closed" in text
    assert tracker.cell("Assigned To") == "Arjun (Support)"
    lock.unlink()
    with StateStore(tracker.config.state_path) as store:
        [waiting] = store.unsettled_actions()
        assert waiting.status == "waiting"
        assert apply_click(tracker.config, tracker.backend(), store, take, NOW).status == \
            "applied"
        assert store.unsettled_actions() == []
    assert tracker.cell("Assigned To") == "Arjun (Support), Priya (Support)"


def test_the_same_click_is_recorded_once(tmp_path: Path) -> None:
    with StateStore(tmp_path / "state.db") as store:
        assert store.record_action("1.2:U1:INT-000001:take", "env-1", "take", "INT-000001",
                                   "U1", {"a": 1}, NOW)
        assert not store.record_action("1.2:U1:INT-000001:take", "env-2", "take",
                                       "INT-000001", "U1", {}, NOW)  # a second click's echo
        assert not store.record_action("9.9:U1:INT-000001:take", "env-1", "take",
                                       "INT-000001", "U1", {}, NOW)  # the envelope again
        assert [json.dumps(a.payload) for a in store.unsettled_actions()] == ['{"a": 1}']


def test_without_an_app_token_the_escalation_has_no_buttons(
        fake: FakeSlack, tmp_path: Path) -> None:
    tracker = workbook_tracker(tmp_path / "demo")
    without = open_sinks(tracker.config, environ={"SLACK_BOT_TOKEN": TOKEN})
    run_sync(tracker.config, NOW, sinks=without)
    tracker.edit("Status", "Escalated")
    run_sync(tracker.config, NOW, sinks=without)
    [message] = fake.top_level()
    assert [b["type"] for b in message["blocks"]] == ["section", "section", "section"]
    with_app = open_sinks(tracker.config, environ={"SLACK_BOT_TOKEN": TOKEN,
                                                   "SLACK_APP_TOKEN": "xapp-1-x"})
    assert with_app.for_kind(SLACK_MESSAGE).buttons == choices(  # type: ignore[attr-defined]
        tracker.config.schema)


def test_a_ticket_logged_from_slack_is_appended_given_its_id_and_credited(
        tracker: Tracker, tmp_path: Path) -> None:
    run_sync(tracker.config, NOW, sinks=sinks(tracker.config, tmp_path),
             backend=tracker.backend())
    new = NewTicket("U012PRIYA", "C0SELLERS1", "V0NEW1", {
        "whatsapp_number": "+919845011111", "seller_name": "Nandi Dairy", "issue_type": "Help",
        "description": "Where is my invoice?", "status": "Pending"})
    assert ticket_problems(tracker.config, new, NOW) == {}
    with StateStore(tracker.config.state_path) as store:
        store.record_action("V0NEW1:U012PRIYA:new", "env-1", "new", None, "U012PRIYA", {},
                            NOW)
        told = add_ticket(tracker.config, tracker.backend(), store, "V0NEW1:U012PRIYA:new",
                          new, "Priya (Support)", NOW)
    assert told == "Added to the tracker in row 18; the next cycle gives it its ticket ID."
    report = run_sync(tracker.config, NOW, sinks=sinks(tracker.config, tmp_path),
                      backend=tracker.backend())
    assert report.new_tickets == 1
    with StateStore(tracker.config.state_path) as store:
        assert store.credit_created() == [("INT-000017", "Priya (Support) (Slack)")]
        assert store.credit_created() == []  # once
        [created] = [h for h in store.history("INT-000017") if h.field == "ticket"]
    assert (created.after, created.actor) == ("created", "Priya (Support) (Slack)")


def test_a_ticket_with_an_invalid_number_is_refused_with_the_validators_words(
        tmp_path: Path) -> None:
    tracker = workbook_tracker(tmp_path / "demo")
    new = NewTicket("U012PRIYA", "C0SELLERS1", "V0NEW1", {
        "whatsapp_number": "12345", "seller_name": "Nandi Dairy", "issue_type": "Hepl",
        "description": "Where is my invoice?", "status": "Pending"})
    problems = ticket_problems(tracker.config, new, NOW)
    assert sorted(problems) == ["issue_type", "whatsapp_number"]
    assert problems["issue_type"].endswith("Did you mean \"Help\"?")


def test_each_ticket_of_an_incident_can_be_taken_or_resolved_from_its_message(
        fake: FakeSlack, tmp_path: Path) -> None:
    tracker = workbook_tracker(tmp_path / "demo")
    out = sinks(tracker.config, tmp_path)
    run_sync(tracker.config, NOW, sinks=out)
    sellers = ("Nandi Dairy", "Asha Stores", "Bala Mart")
    for n, seller in enumerate(sellers, start=1):
        add_row(tracker.config, seller, f"+9198123{n:05d}",
                "Cannot add products since the update.")
    run_sync(tracker.config, NOW, sinks=out)
    [incident] = [m for m in fake.top_level() if m["text"].startswith("[INCIDENT]")]
    valid_blocks(incident["blocks"])
    rows = [b for b in incident["blocks"] if b["type"] == "actions"]
    assert [[e["text"]["text"] for e in row["elements"]] for row in rows] == [
        [f"Take INT-0000{n}", f"Resolve INT-0000{n}..."] for n in (17, 18, 19)]
    take = parse("interactive", block_actions(rows[1]["elements"][0]["value"],
                                              "sheetsync_take", message=incident))
    assert isinstance(take, Click) and take.shown.ticket_id == "INT-000018"
    with StateStore(tracker.config.state_path) as store:
        store.record_action(take.action_id, "env-1", take.kind, "INT-000018", take.user, {},
                            NOW)
        assert apply_click(tracker.config, tracker.backend(), store, take, NOW).status == \
            "applied"
        dispatch(store, out, NOW)
        [taken] = [h for h in store.history("INT-000018") if h.actor]
    assert (taken.field, taken.after, taken.actor) == (
        "assignee", "Priya (Support)", "Priya (Support) (Slack)")
    assert [r["text"] for r in fake.replies(incident["ts"])] == [
        "INT-000018 taken by Priya (Support) (Slack)"]
    assigned = {row["Seller Name"]: row["Assigned To"] for row in rows_of(tracker.config)}
    assert [assigned[s] for s in sellers] == [None, "Priya (Support)", None]


def rows_of(config: Config) -> list[dict[str, Any]]:
    sheet = openpyxl.load_workbook(config.workbook_path)["Tracker"]
    header = [c.value for c in sheet[1]]
    return [dict(zip(header, row)) for row in sheet.iter_rows(min_row=2, values_only=True)]
