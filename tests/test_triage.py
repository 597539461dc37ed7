"""Suggested priority: the guide's Prioritization Guidelines, each example in its own words."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import openpyxl
import pytest

from sheetsync.cli import main
from sheetsync.config import load_config
from sheetsync.demo import make_demo
from sheetsync.jobs.sync import run_sync
from sheetsync.triage import PriorityRule, suggest
from tests.helpers import GUIDE_EXAMPLE

NOW = datetime(2026, 11, 23, 6, 30, tzinfo=timezone.utc)


@pytest.mark.parametrize(("description", "issue_type", "priority", "reason"), [
    # High: "Platform not working for multiple sellers"
    ("Platform not working for multiple sellers since 10 am.", "Bug", "High",
     "Platform not working for multiple sellers"),
    # High: "Critical business functions affected (e.g., cannot add products, view inventory)"
    ("Cannot add products to the catalogue.", "Bug", "High",
     "Critical business functions affected"),
    ("I can't view inventory after the update.", "Bug", "High",
     "Critical business functions affected"),
    ("Payout for last week has not arrived.", "Complaint", "High",
     "Critical business functions affected"),
    # High: "Data loss or security concerns"
    ("All my product photos disappeared overnight.", "Bug", "High",
     "Data loss or security concerns"),
    ("Someone hacked my account and changed prices.", "Complaint", "High",
     "Data loss or security concerns"),
    # Medium: "Report generation problems"
    ("The monthly sales report shows zero orders.", "Bug", "Medium",
     "Report generation problems"),
    # Medium: "UI/UX issues that impact usability"
    ("The save button does nothing on the stock screen.", "Help", "Medium",
     "UI/UX issues that impact usability"),
    # Medium: "Functionality issues affecting single seller"
    (GUIDE_EXAMPLE["Description"], "Bug", "Medium",
     "Functionality issues affecting single seller"),
    # Low: "Feature requests" (one that mentions a report is still a request)
    ("Please add a weekly report by email.", "Feature Request", "Low", "Feature requests"),
    ("Would like low-stock alerts on WhatsApp.", "Help", "Low", "Feature requests"),
    # Low: "Minor UI/UX improvements"
    ("The font on the orders page is small and a heading has a typo.", "Help", "Low",
     "Minor UI/UX improvements"),
    # Low: "Documentation clarifications"
    ("How do I print invoices for multiple orders?", "Help", "Low",
     "Documentation clarifications"),
])
def test_the_guides_examples_get_the_guides_priority(description: str, issue_type: str,
                                                     priority: str, reason: str) -> None:
    found = suggest(description, issue_type)
    assert found is not None and (found.priority, found.reason) == (priority, reason)


def test_a_ticket_no_guideline_covers_gets_no_suggestion() -> None:
    assert suggest("Hello, thank you!", "Help") is None
    assert suggest(None, None) is None


def test_a_teams_own_rules_replace_the_guides() -> None:
    rules = [PriorityRule(priority="High", reason="Festive-season orders",
                          phrases=("diwali+orders",))]
    found = suggest("Diwali sale orders are not syncing", "Bug", rules)
    assert found is not None and found.reason == "Festive-season orders"
    assert suggest("Cannot add products.", "Bug", rules) is None


def test_the_cycle_writes_the_suggestion_and_never_touches_the_persons_priority(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    made = make_demo(tmp_path / "demo", "seller-support", "Asia/Kolkata", "IN", NOW)
    config = load_config(made.config_path, environ={})
    before = _column(config.workbook_path, "Priority")
    run_sync(config, NOW)
    assert _column(config.workbook_path, "Priority") == before
    suggested = _column(config.workbook_path, "Suggested Priority")
    assert suggested[0] == "Medium" and "High" in suggested
    capsys.readouterr()
    assert main(["triage", "INT-000001", "--config", str(made.config_path)]) == 0
    out = capsys.readouterr().out
    assert "INT-000001: Suggested Priority Medium" in out
    assert 'Functionality issues affecting single seller (matched "Bug")' in out
    assert main(["triage", "INT-999999", "--config", str(made.config_path)]) == 2


def _column(path: Path, header: str) -> list[object]:
    sheet = openpyxl.load_workbook(path)["Tracker"]
    names = [c.value for c in sheet[1]]
    return [row[names.index(header)] for row in sheet.iter_rows(min_row=2, values_only=True)]
