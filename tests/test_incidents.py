"""Incidents: a seeded fixture of known incidents and near-misses."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path

import openpyxl

from sheetsync.config import Config, load_config
from sheetsync.app.demo import make_demo
from sheetsync.core.incidents import Incident, Report, detect, incident_text
from sheetsync.jobs.sync import run_sync

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)
NOW = datetime(2026, 11, 23, 6, 30, tzinfo=timezone.utc)


def report(n: int, seller: str, description: str, hours: float = 0.0) -> Report:
    return Report(f"INT-{n:06d}", seller, f"{seller} Store", description,
                  T0 + timedelta(hours=hours))


def test_three_sellers_with_the_same_problem_within_the_window_are_an_incident() -> None:
    reports = [report(1, "+91981", "Cannot add products since morning.", 0),
               report(2, "+91982", "cannot add products", 1),
               report(3, "+91983", "Cannot add products!! Please help", 2)]
    opened, joined = detect(reports[2:], reports, [], next_number=1)
    assert joined == [] and len(opened) == 1
    incident = opened[0]
    assert incident.tickets == ("INT-000001", "INT-000002", "INT-000003")
    assert incident_text(incident) == ("[INCIDENT] Cannot add products since morning - 3 "
                                       "sellers affected")


def test_near_misses_are_not_incidents() -> None:
    two = [report(1, "+91981", "Cannot add products.", 0),
           report(2, "+91982", "Cannot add products.", 1)]
    assert detect(two[1:], two, [], 1) == ([], [])  # two sellers
    one_seller = [report(n, "+91981", "Cannot add products.", n) for n in range(1, 4)]
    assert detect(one_seller[2:], one_seller, [], 1) == ([], [])  # one seller, three times
    spread = [report(1, "+91981", "Cannot add products.", 0),
              report(2, "+91982", "Cannot add products.", 4),
              report(3, "+91983", "Cannot add products.", 9)]
    assert detect(spread[2:], spread, [], 1) == ([], [])  # nine hours apart
    different = [report(1, "+91981", "Cannot add products.", 0),
                 report(2, "+91982", "Payout has not arrived.", 1),
                 report(3, "+91983", "How do I print invoices?", 2)]
    assert detect(different[2:], different, [], 1) == ([], [])  # three different problems


def test_a_later_matching_ticket_joins_the_open_incident_and_an_old_one_does_not() -> None:
    incident = Incident(4, "Cannot add products", T0, T0 + timedelta(hours=2),
                        ("INT-000001", "INT-000002", "INT-000003"),
                        frozenset({"+91981", "+91982", "+91983"}))
    later = report(9, "+91989", "Unable to add products to catalogue", 3)
    opened, joined = detect([later], [later], [incident], 5)
    assert opened == [] and joined == [(incident, later)]
    next_day = report(10, "+91990", "Cannot add products.", 30)
    assert detect([next_day], [next_day], [incident], 5) == ([], [])


def test_a_cycle_announces_an_incident_once_and_later_tickets_join_its_thread(
        tmp_path: Path) -> None:
    made = make_demo(tmp_path / "demo", "seller-support", "Asia/Kolkata", "IN", NOW)
    config = load_config(made.config_path, environ={})
    run_sync(config, NOW)
    for n, seller in enumerate(("Nandi Dairy", "Asha Stores", "Bala Mart"), start=1):
        add_row(config, seller, f"+9198123{n:05d}", "Cannot add products since the update.")
    run_sync(config, NOW + timedelta(minutes=5))
    run_sync(config, NOW + timedelta(minutes=10))
    add_row(config, "Chandra Traders", "+919812399999", "Unable to add products")
    run_sync(config, NOW + timedelta(hours=1))
    run_sync(config, NOW + timedelta(hours=2))
    lines = [json.loads(line) for line in config.outbox_path.read_text().splitlines()]
    lines = [line for line in lines if line["kind"].startswith("slack.")]  # (and four tasks)
    assert [line["key"] for line in lines] == ["slack.incident:INC-1",
                                               "slack.reply:incident:INC-1:INT-000020"]
    assert lines[0]["text"] == ("[INCIDENT] Cannot add products since the update - 3 sellers "
                                "affected")
    assert lines[0]["lines"][0] == "INT-000017 (Nandi Dairy): Cannot add products since the update"
    assert lines[1]["text"] == "INT-000020 (Chandra Traders): Unable to add products joins INC-1"
    notes = sync_notes(config)
    assert notes["Chandra Traders"].endswith("Incident INC-1: Cannot add products since the "
                                             "update (4 sellers)")
    assert "+9198123" not in dump(config.state_path)  # sellers are kept as keyed hashes


def add_row(config: Config, seller: str, phone: str, description: str) -> None:
    book = openpyxl.load_workbook(config.workbook_path)
    sheet = book["Tracker"]
    header = [c.value for c in sheet[1]]
    values = {"WhatsApp Number": phone, "Seller Name": seller, "Issue Type": "Bug",
              "Description": description, "Status": "Pending", "Priority": "High",
              "Timestamp": "2026-11-23 11:00"}
    sheet.append([values.get(h) for h in header])
    book.save(config.workbook_path)


def sync_notes(config: Config) -> dict[str, str]:
    sheet = openpyxl.load_workbook(config.workbook_path)["Tracker"]
    header = [c.value for c in sheet[1]]
    return {row[header.index("Seller Name")]: row[header.index("Sync Notes")] or ""
            for row in sheet.iter_rows(min_row=2, values_only=True)}


def dump(path: Path) -> str:
    with sqlite3.connect(path) as db:
        return "\n".join(db.iterdump())


def test_questions_and_requests_many_sellers_ask_alike_are_not_incidents() -> None:
    from sheetsync.core.incidents import is_problem

    question = report(1, "+91981", "How do I change my shop name?")
    assert not is_problem(question, "Help")
    assert not is_problem(report(2, "+91982", "Please add a dark mode."), "Bug")  # Low words
    assert is_problem(report(3, "+91983", "Cannot add products."), "Bug")
