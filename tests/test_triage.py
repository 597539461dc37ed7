"""Suggested priority: the guide's Prioritization Guidelines, each example in its own words."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import openpyxl
import pytest

from sheetsync.app.cli import main
from sheetsync.config import load_config
from sheetsync.app.demo import make_demo
from sheetsync.jobs.sync import run_sync
from sheetsync.core.triage import PriorityRule, suggest, suggest_category
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
    assert found is not None and (found.value, found.reason) == (priority, reason)


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


@pytest.mark.parametrize(("description", "category", "matched"), [
    # The SayPro log template's own sample: "Unable to log into the account. Password reset
    # not working." (Category: Account-related)
    ("Unable to log into the account. Password reset not working.", "Account-related",
     "log into"),
    ("Refund for order 5521 has not been paid.", "Transaction-related", "refund"),
    ("My product listing is not visible in search.", "Listing-related", "listing"),
    ("The app shows an error when I upload.", "Technical", "app"),  # the first word that says so
    ("What are your support hours?", "General inquiry", "no other category's words"),
])
def test_a_blank_category_gets_the_category_its_words_point_to(
        description: str, category: str, matched: str) -> None:
    found = suggest_category(description)
    assert found is not None and (found.value, found.matched) == (category, matched)


def test_the_saypro_cycle_suggests_a_category_only_where_the_person_left_it_blank(
        tmp_path: Path) -> None:
    made = make_demo(tmp_path / "demo", "saypro-interaction-log", "Africa/Johannesburg", "ZA",
                     NOW)
    config = load_config(made.config_path, environ={})
    book = openpyxl.load_workbook(config.workbook_path)
    sheet = book["Interactions"] if "Interactions" in book.sheetnames else book.active
    names = [c.value for c in sheet[1]]
    column = names.index("Category of Issue/Request") + 1
    sheet.cell(row=2, column=column).value = None
    tab = sheet.title
    book.save(config.workbook_path)
    run_sync(config, NOW)
    sheet = openpyxl.load_workbook(config.workbook_path)[tab]
    names = [c.value for c in sheet[1]]
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    suggested = [r[names.index("Suggested Category")] for r in rows]
    assert suggested[0] is not None and all(s is None for s in suggested[1:])
    assert rows[0][names.index("Category of Issue/Request")] is None  # still the person's
    # Why: the Suggested Category cell's own note, not a Sync Notes line.
    cell = openpyxl.load_workbook(config.workbook_path)[tab].cell(
        row=2, column=names.index("Suggested Category") + 1)
    assert cell.comment is not None and f"Suggested Category {suggested[0]}" in cell.comment.text
    assert "Suggested Category" not in str(rows[0][names.index("Sync Notes")])


@pytest.mark.parametrize(("given", "description", "technical", "level"), [
    ("L3", "Cannot add products.", False, "L3"),  # the team's own Escalation Level wins
    (None, "The database times out when saving stock.", True, "L2"),  # "database, server"
    (None, "The app crashes after the release.", True, "L3"),  # development work
    (None, "Cannot add products.", True, "L2"),  # technical: intermediate at least
    (None, "Payout for last week has not arrived.", False, "L1"),  # general support
])
def test_the_escalation_level_is_the_teams_else_the_rules(
        given: str | None, description: str, technical: bool, level: str) -> None:
    from sheetsync.core.triage import escalation_level

    assert escalation_level(given, description, technical).value == level
