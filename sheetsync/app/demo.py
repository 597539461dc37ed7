"""`sheetsync demo`: a folder with a config and a tracker of realistic tickets, some invalid.

The only place sheetsync creates a tracker. Rows are dated relative to when the demo is made,
so the tracker always looks like this week's work; the planted mistakes are the ones support
teams actually make (a number without its country code, `resolved` in lower case, a Resolved
ticket with no summary, an escalation naming one person, a timestamp in the wrong format).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sheetsync.backends.workbook import write_new_workbook
from sheetsync.schema import PRESETS, Schema
from sheetsync.core.values import TIMESTAMP_FORMAT

DEMO_CONFIG = """\
# sheetsync demo configuration, written by `sheetsync demo`.
# Every key is described in the docs' configuration reference (docs/reference/config.md).
# The demo always stays local: whatever tokens the environment holds, its Slack messages and
# ClickUp tasks go to the local outbox (outbox.jsonl) and nowhere else.

preset = "{preset}"
timezone = "{timezone}"
phone_region = "{phone_region}"

[tracker]
backend = "local"
path = "tracker.xlsx"
tab = "Tracker"

[sync]
interval_seconds = 30

[state]
path = "sheetsync.db"

[outbox]
path = "outbox.jsonl"
"""

# Each row: hours before the demo is made (negative: in the future), then the cells by key.
# A value of None for the hours means "write a real date-time cell, 2 days ago".
_SELLER_SUPPORT_ROWS: Sequence[tuple[float | None, dict[str, Any]]] = (
    (72, {  # the guide's own example entry
        "whatsapp_number": "+919876543210", "seller_name": "Sharma General Store",
        "issue_type": "Bug",
        "description": 'Unable to update stock for Rice product. Command "Update Rice stock to 50" '
                       'returns error "Product not found" even though Rice exists in inventory.',
        "status": "Resolved", "assigned_to": "Priya (Support), Rahul (Tech)",
        "resolution_summary": "Technical team found issue with product name case sensitivity. "
                              "Fixed in backend. Advised seller to try again and confirmed "
                              "working at 15:30.",
        "priority": "High"}),
    (50, {"whatsapp_number": "+919812345670", "seller_name": "Gupta Kirana Mart",
          "issue_type": "Help",
          "description": "How do I add a discount to all products in one category?",
          "status": "In Progress", "assigned_to": "Priya (Support)", "priority": "Low"}),
    (30, {"whatsapp_number": "919845012345", "seller_name": "Lakshmi Textiles",
          "issue_type": "Bug",
          "description": "Order confirmation messages are not reaching customers since this "
                         "morning.",
          "status": "Pending", "priority": "High"}),
    (48, {"whatsapp_number": "+91 99001 23456", "seller_name": "Patel Electronics",
          "issue_type": "Feature Request",
          "description": "Please add bulk upload of products from an Excel sheet.",
          "status": "Pending", "assigned_to": "Arjun (Support)", "priority": "Low"}),
    (26, {"whatsapp_number": "+917012345678", "seller_name": "Fresh Farm Organics",
          "issue_type": "Complaint",
          "description": "Payout for last week has not arrived. Seller says this is the second "
                         "time.",
          "status": "Escalated", "assigned_to": "Arjun (Support)", "priority": "High"}),
    (6, {"whatsapp_number": "+918123456789", "seller_name": "Bhatia Book House",
         "issue_type": "Bugg",
         "description": "Inventory page shows zero items after the latest update.",
         "status": "in progress", "assigned_to": "Rahul (Tech)", "priority": "High"}),
    (45, {"whatsapp_number": "+919900112233", "seller_name": "Mehta Sweets",
          "issue_type": "Help",
          "description": "Cannot find the option to change store opening hours.",
          "status": "Resolved", "assigned_to": "Priya (Support)", "priority": "Medium"}),
    (4, {"whatsapp_number": "+9112345", "seller_name": "Royal Footwear", "issue_type": "Bug",
         "description": "Cannot view inventory; the page keeps loading.",
         "status": "Awaiting Seller Response", "assigned_to": "Rahul (Tech)",
         "priority": "Medium"}),
    (20, {"whatsapp_number": "+919988776655", "seller_name": "", "issue_type": "Help",
          "description": "Asked how to export the monthly sales report.",
          "status": "Pending", "timestamp_as": "iso"}),
    (-50, {"whatsapp_number": "+919123456780", "seller_name": "Sai Mobile Store",
           "issue_type": "Bug",
           "description": "Product images fail to upload from the phone gallery.",
           "status": "Pending"}),
    (None, {"whatsapp_number": "+919765432109", "seller_name": "Green Leaf Pharmacy",
            "issue_type": "Feature Request",
            "description": "Would like low-stock alerts on WhatsApp.",
            "status": "Pending", "priority": "Low"}),
    (75, {"whatsapp_number": "+919555666777", "seller_name": "Anand Hardware",
          "issue_type": "Help",
          "description": "Needs help linking a second WhatsApp number to the store.",
          "status": "Resolved", "assigned_to": "Arjun (Support)",
          "resolution_summary": "Walked the seller through Settings > Numbers; confirmed "
                                "linked at 11:10.",
          "priority": "Low"}),
    (20, {"whatsapp_number": "+919444333222", "seller_name": "Kaveri Foods",
          "issue_type": "Complaint",
          "description": "Delivery partner was rude to a customer at the store.",
          "status": "In Progress", "assigned_to": "Priya (Support)", "priority": "Medium"}),
    (2, {"whatsapp_number": "+919333222111", "seller_name": "Noor Fashion", "issue_type": "Bug",
         "description": "Command \"Show today's orders\" returns an empty list though 3 orders "
                        "exist.",
         "status": "Escalated", "assigned_to": "Priya (Support), Rahul (Tech)",
         "priority": "High"}),
    (0.5, {"whatsapp_number": "+919822111000", "seller_name": "Vijay Auto Parts",
           "issue_type": "Help", "description": "How to print invoices for multiple orders?",
           "status": "Pending", "priority": "Low"}),
    (1, {"whatsapp_number": "+919811222333", "seller_name": "Sundar Provisions",
         "issue_type": "Bug",
         "description": "Cannot add new products: the Add button does nothing.",
         "status": "Pending", "priority": "hgh"}),
)

_SAYPRO_ROWS: Sequence[tuple[float | None, dict[str, Any]]] = (
    (70, {"interaction_id": "INT-001234", "user_id": "user12345",
          "user_contact": "thandi.m@example.co.za",
          "description": "Unable to log into the account. Password reset not working.",
          "category": "Account-related", "urgency": "High", "agent": "Sarah L.",
          "method": "Live chat", "initial_response_time": "30 minutes",
          "resolution_time": "2 hours",
          "resolution_provided": "User's account was unlocked after verifying identity via "
                                 "security questions.",
          "additional_actions": "None",
          "feedback": "User expressed satisfaction with resolution.",
          "followup_required": "No", "followup_date": "N/A",
          "final_outcome": "Resolved and closed"}),
    (30, {"interaction_id": "INT-001235", "user_id": "seller_kgomotso",
          "user_contact": "+27821234567",
          "description": "Payment for order 5521 failed twice with a gateway timeout.",
          "category": "Transaction-related", "urgency": "High", "agent": "Sipho N.",
          "method": "Phone support", "initial_response_time": "15 mins",
          "additional_actions": "Escalated to Level 2 payments team.",
          "followup_required": "Yes", "followup_date": "N/A",
          "final_outcome": "Pending further investigation"}),
    (26, {"interaction_id": "int-1236", "user_id": "buyer_anele", "user_contact": "call me",
          "description": "Listing photos do not show on the product page.",
          "category": "listing-related", "urgency": "Medium", "agent": "Sarah L.",
          "method": "Email", "feedback": "3 stars: photos show now, but slowly"}),
    (8, {"interaction_id": "", "user_id": "seller_lindiwe", "user_contact": "082 123 4567",
         "description": "Search does not find my new listing for 'braai stand'.",
         "category": "Technical", "urgency": "Low", "agent": "Sipho N.",
         "method": "Support ticket system", "initial_response_time": "2h"}),
    (3, {"interaction_id": "INT-001237", "user_id": "user77881",
         "user_contact": "pieter@example.co.za",
         "description": "Refund for a cancelled order has not arrived after 10 days.",
         "category": "Transaction-related", "urgency": "Urgent", "agent": "Sarah L.",
         "method": "Live chat", "feedback": "★★★★☆",
         "final_outcome": "Resolved and closed"}),
)

_DEMOS = {"seller-support": _SELLER_SUPPORT_ROWS, "saypro-interaction-log": _SAYPRO_ROWS}

#: Where each preset's demo team works: (timezone, phone region), unless a config says otherwise.
DEMO_LOCALES = {"seller-support": ("Asia/Kolkata", "IN"),
                "saypro-interaction-log": ("Africa/Johannesburg", "ZA")}


def how_to_escalate(schema: Schema, workbook: Path) -> str:
    """What to type in the demo tracker to escalate a ticket, in the preset's own columns: a
    Status of Escalated, or "Escalated to ..." in Additional Actions Taken (SayPro)."""
    condition = schema.classify.escalated[0]
    header = schema.column(condition.column).header
    assignee = schema.column(schema.roles.assignee).header
    what = f"set a row's {header} to {condition.values[0]}" if condition.values else \
        f'write "{condition.contains[0].capitalize()} the L2 team" in a row\'s {header}'
    return (f"{what[0].upper()}{what[1:]} in {workbook}, with two people in {assignee} (e.g. "
            f"{schema.people_example})")


@dataclass(frozen=True)
class Demo:
    folder: Path
    config_path: Path
    workbook_path: Path
    created: bool  # False when an existing demo was reused


def make_demo(folder: Path, preset: str, timezone: str, phone_region: str, now: datetime,
              reset: bool = False) -> Demo:
    """Create the demo folder, or reuse the one there (a person's edits in it are kept)."""
    config_path = folder / "sheetsync.toml"
    workbook_path = folder / "tracker.xlsx"
    if config_path.exists() and workbook_path.exists() and not reset:
        return Demo(folder, config_path, workbook_path, created=False)
    schema = PRESETS[preset]
    columns = [c for c in schema.columns if c.owner != "daemon"]
    rows = [_cells(columns, schema.roles.timestamp, hours, values, now)
            for hours, values in _DEMOS[preset]]
    write_new_workbook(workbook_path, "Tracker", [c.header for c in columns], rows)
    for leftover in ("sheetsync.db", "outbox.jsonl"):
        (folder / leftover).unlink(missing_ok=True)
    config_path.write_text(DEMO_CONFIG.format(preset=preset, timezone=timezone,
                                              phone_region=phone_region), encoding="utf-8")
    return Demo(folder, config_path, workbook_path, created=True)


def _cells(columns: Sequence[Any], timestamp_key: str, hours: float | None,
           values: dict[str, Any], now: datetime) -> list[Any]:
    when = now - timedelta(hours=48 if hours is None else hours)
    if hours is None:  # a real date-time cell, at a fixed time of that day
        stamp: Any = when.replace(tzinfo=None, hour=10, minute=30, second=0, microsecond=0)
    elif values.get("timestamp_as") == "iso":
        stamp = when.strftime("%Y-%m-%dT%H:%M:00")
    else:
        stamp = when.strftime(TIMESTAMP_FORMAT)
    return [stamp if c.key == timestamp_key else values.get(c.key) or None for c in columns]
