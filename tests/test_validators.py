"""Every finding code, from real values a support agent would type; clean rows stay clean."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sheetsync.schema import PRESETS, bind
from sheetsync.validators import CODES, CheckContext, check
from tests.helpers import (
    CONTEXT,
    GUIDE_EXAMPLE,
    KOLKATA,
    NOW,
    SAYPRO_SAMPLE,
    codes,
    findings_for,
    grid,
)
from tests.strategies import cell_values


def guide_row(**changes: Any) -> dict[str, Any]:
    row = dict(GUIDE_EXAMPLE)
    row.update({k.replace("_", " "): v for k, v in changes.items()})
    return row


def saypro_row(**changes: Any) -> dict[str, Any]:
    row = dict(SAYPRO_SAMPLE)
    row.update(changes)
    return row


def only(rows: list[dict[str, Any]], preset: str = "seller-support"):
    findings = findings_for(rows, preset)
    assert len(findings) == 1, findings
    return findings[0]


def test_the_guides_example_entry_is_clean() -> None:
    assert findings_for([GUIDE_EXAMPLE]) == []


def test_the_saypro_template_sample_is_clean() -> None:
    assert findings_for([SAYPRO_SAMPLE], "saypro-interaction-log") == []


# (column, value, code, suggestion) for the seller-support preset: one finding each.
SELLER_CASES = [
    ("Seller Name", "", "required.missing", None),
    ("Seller Name", "   ", "required.missing", None),
    ("WhatsApp Number", "919876543210", "phone.missing_country_code", "+919876543210"),
    ("WhatsApp Number", "9876543210", "phone.missing_country_code", "+919876543210"),
    ("WhatsApp Number", 919876543210, "phone.missing_country_code", "+919876543210"),
    ("WhatsApp Number", "447911123456", "phone.missing_country_code", "+447911123456"),
    ("WhatsApp Number", "+91 98765 43210", "phone.format", "+919876543210"),
    ("WhatsApp Number", "+91-98765-43210", "phone.format", "+919876543210"),
    ("WhatsApp Number", "00919876543210", "phone.format", "+919876543210"),
    ("WhatsApp Number", "+9112345", "phone.invalid", None),
    ("WhatsApp Number", "+91987654321099", "phone.invalid", None),
    ("WhatsApp Number", "9.19876E+11", "phone.invalid", None),
    ("WhatsApp Number", "call the store", "phone.invalid", None),
    ("Issue Type", "bug", "choice.format", "Bug"),
    ("Issue Type", "feature  request", "choice.format", "Feature Request"),
    ("Issue Type", "Bugg", "choice.unknown", "Bug"),
    ("Issue Type", "Question", "choice.unknown", None),
    ("Status", "resolved", "choice.format", "Resolved"),
    ("Status", "in-progress", "choice.format", "In Progress"),
    ("Status", "Awaiting Seller Respnse", "choice.unknown", "Awaiting Seller Response"),
    ("Timestamp", "2024-03-05T14:05:00", "timestamp.format", "2024-03-05 14:05"),
    ("Timestamp", "2024-03-05 14:05:00", "timestamp.format", "2024-03-05 14:05"),
    ("Timestamp", "2024/3/5 2:05 PM", "timestamp.format", "2024-03-05 14:05"),
    ("Timestamp", "25/03/2024 14:05", "timestamp.format", "2024-03-25 14:05"),
    ("Timestamp", "2024-03-05T14:05:00+00:00", "timestamp.format", "2024-03-05 19:35"),
    ("Timestamp", "05/03/2024 14:05", "timestamp.invalid", None),  # 5 March or May 3?
    ("Timestamp", "2024-03-05", "timestamp.invalid", None),  # no time
    ("Timestamp", "2024-02-30 10:00", "timestamp.invalid", None),
    ("Timestamp", "yesterday", "timestamp.invalid", None),
    ("Timestamp", "2026-11-24 09:00", "timestamp.in_future", None),
    ("Assigned To", "Priya (Support", "people.format", None),
    ("Assigned To", "Priya (Support); Rahul (Tech)", "people.format",
     "Priya (Support), Rahul (Tech)"),
    ("Assigned To", "Priya(Support),Rahul (Tech)", "people.format",
     "Priya (Support), Rahul (Tech)"),
]


@pytest.mark.parametrize(("column", "value", "code", "suggestion"), SELLER_CASES)
def test_seller_support_finding(column: str, value: Any, code: str, suggestion: str | None) -> None:
    finding = only([guide_row(**{column.replace(" ", "_"): value})])
    assert (finding.column, finding.code, finding.suggestion) == (column, code, suggestion)
    assert finding.row == 2
    assert finding.message


def test_a_resolved_ticket_needs_a_resolution_summary() -> None:
    finding = only([guide_row(Resolution_Summary="")])
    assert (finding.column, finding.code, finding.value) == (
        "Resolution Summary", "resolution.missing", None)
    assert "resolved" in finding.message


def test_a_lower_case_resolved_still_counts_as_resolved() -> None:
    found = codes(findings_for([guide_row(Status="resolved", Resolution_Summary=None)]))
    assert found == [("Status", "choice.format"), ("Resolution Summary", "resolution.missing")]


def test_an_escalated_ticket_names_the_executive_and_the_escalation_contact() -> None:
    finding = only([guide_row(Status="Escalated", Assigned_To="Priya (Support)")])
    assert (finding.column, finding.code) == ("Assigned To", "escalation.contact_missing")
    assert findings_for([guide_row(Status="Escalated")]) == []


def test_an_escalated_ticket_with_nobody_assigned_is_flagged_once() -> None:
    finding = only([guide_row(Status="Escalated", Assigned_To=None)])
    assert finding.code == "escalation.contact_missing"


def test_a_timestamp_a_few_minutes_ahead_is_clock_skew_not_the_future() -> None:
    ahead = (NOW + timedelta(minutes=3)).strftime("%Y-%m-%d %H:%M")
    assert findings_for([guide_row(Timestamp=ahead)]) == []


def test_a_real_date_cell_is_accepted_as_a_timestamp() -> None:
    assert findings_for([guide_row(Timestamp=datetime(2024, 3, 5, 14, 5))]) == []


def test_a_future_date_cell_reports_its_value_in_iso_8601_with_offset() -> None:
    finding = only([guide_row(Timestamp=datetime(2027, 1, 2, 9, 30))])
    assert finding.code == "timestamp.in_future"
    assert finding.value == "2027-01-02T09:30:00+05:30"


def test_phone_region_decides_how_a_national_number_is_read() -> None:
    context = CheckContext(now=NOW, timezone=KOLKATA, phone_region="ZA")
    [finding] = findings_for([guide_row(WhatsApp_Number="082 123 4567")], context=context)
    assert (finding.code, finding.suggestion) == ("phone.missing_country_code", "+27821234567")


def test_ticket_id_format_and_duplicates() -> None:
    rows = [guide_row(Ticket_ID="INT-000001"), guide_row(Ticket_ID="int-1"),
            guide_row(Ticket_ID="INT-000002"), guide_row(Ticket_ID="TKT-9")]
    found = [(f.row, f.code, f.suggestion) for f in findings_for(rows)]
    assert found == [
        (2, "ticket_id.duplicate", None),
        (3, "ticket_id.duplicate", None),
        (3, "ticket_id.format", "INT-000001"),
        (5, "ticket_id.format", None),
    ]
    first = findings_for(rows)[0]
    assert first.ticket_id == "INT-000001" and "row 3" in first.message


def test_a_ticket_id_padded_to_more_digits_than_the_format_is_valid() -> None:
    assert findings_for([guide_row(Ticket_ID="INT-1234567")]) == []


def test_a_ticket_id_with_an_extra_leading_zero_is_written_canonically() -> None:
    finding = only([guide_row(Ticket_ID="INT-0000001")])
    assert (finding.code, finding.suggestion) == ("ticket_id.format", "INT-000001")


@pytest.mark.parametrize(("value", "suggestion"), [
    ("https://app.clickup.com/t/86a1b2c3d", "86a1b2c3d"),
    ("https://app.clickup.com/t/9012345/DEV-42", "DEV-42"),
    ("#9hx", "9hx"),
    ("see clickup", None),
])
def test_clickup_task_id_must_be_an_id(value: str, suggestion: str | None) -> None:
    finding = only([guide_row(ClickUp_Task_ID=value)])
    assert (finding.code, finding.suggestion) == ("task_id.format", suggestion)


def test_clickup_task_ids_in_both_forms_are_accepted() -> None:
    assert findings_for([guide_row(ClickUp_Task_ID="86a1b2c3d")]) == []
    assert findings_for([guide_row(ClickUp_Task_ID="DEV-42")]) == []


def test_priority_is_checked_when_the_tracker_has_the_column() -> None:
    finding = only([guide_row(Priority="hgh")])
    assert (finding.code, finding.suggestion) == ("choice.unknown", "High")


def test_sync_notes_and_unknown_columns_are_never_checked() -> None:
    row = guide_row(Sync_Notes="=HYPERLINK(whatever)")
    row["Region"] = "??"
    assert findings_for([row]) == []


# The SayPro preset: (column, value, code, suggestion).
SAYPRO_CASES = [
    ("User Contact Information", "call me", "contact.invalid", None),
    ("User Contact Information", "thandi@", "contact.invalid", None),
    ("User Contact Information", " sarah@example.com ", "contact.invalid", "sarah@example.com"),
    ("User Contact Information", "0821234567", "phone.missing_country_code", "+27821234567"),
    ("Initial Response Time", "30 mins", "duration.format", "30 minutes"),
    ("Initial Response Time", "2h", "duration.format", "2 hours"),
    ("Initial Response Time", "1.5 hours", "duration.format", "1 hour 30 minutes"),
    ("Initial Response Time", "1:30", "duration.format", "1 hour 30 minutes"),
    ("Resolution Time", "a while", "duration.invalid", None),
    ("Resolution Time", "3 fortnights", "duration.invalid", None),
    ("Follow-up Date", "2026-13-01", "date.invalid", None),
    ("Follow-up Date", "n/a", "date.format", "N/A"),
    ("Follow-up Date", "2026/11/30", "date.format", "2026-11-30"),
    ("Category of Issue/Request", "account related", "choice.format", "Account-related"),
    ("Urgency Level", "Urgent", "choice.unknown", None),
    ("Support Interaction Method", "live chat", "choice.format", "Live chat"),
    ("Interaction ID", "INT-1234", "ticket_id.format", "INT-001234"),
    ("User ID/Username", None, "required.missing", None),
]


@pytest.mark.parametrize(("column", "value", "code", "suggestion"), SAYPRO_CASES)
def test_saypro_finding(column: str, value: Any, code: str, suggestion: str | None) -> None:
    context = CheckContext(now=NOW, timezone=KOLKATA, phone_region="ZA")
    findings = findings_for([saypro_row(**{column: value})], "saypro-interaction-log", context)
    assert [(f.column, f.code, f.suggestion) for f in findings] == [(column, code, suggestion)]


def test_saypro_follow_up_required_needs_a_date() -> None:
    for date in ("N/A", None, "n/a", "-"):
        findings = findings_for([saypro_row(**{"Follow-up Required": "Yes",
                                               "Follow-up Date": date})],
                                "saypro-interaction-log")
        assert ("Follow-up Date", "followup.date_missing") in codes(findings), date
    assert findings_for([saypro_row(**{"Follow-up Required": "Yes",
                                       "Follow-up Date": "2026-11-30"})],
                        "saypro-interaction-log") == []


def test_saypro_resolved_and_closed_needs_the_resolution_provided() -> None:
    findings = findings_for([saypro_row(**{"Resolution Provided": ""})], "saypro-interaction-log")
    assert codes(findings) == [("Resolution Provided", "resolution.missing")]


def test_every_code_is_exercised_by_a_test_in_this_file() -> None:
    tested = {case[2] for case in SELLER_CASES + SAYPRO_CASES} | {
        "resolution.missing", "escalation.contact_missing", "ticket_id.duplicate",
        "task_id.format", "followup.date_missing"}
    assert tested == set(CODES)


def test_findings_are_ordered_by_row_then_column_position() -> None:
    rows = [guide_row(Status="resolved", WhatsApp_Number="919876543210"),
            guide_row(Seller_Name=None)]
    assert [(f.row, f.column) for f in findings_for(rows)] == [
        (2, "WhatsApp Number"), (2, "Status"), (3, "Seller Name")]


def test_each_distinct_value_is_reported_on_every_row_that_has_it() -> None:
    rows = [guide_row(WhatsApp_Number="919876543210") for _ in range(3)]
    assert [f.row for f in findings_for(rows)] == [2, 3, 4]


def test_wholly_empty_rows_are_skipped() -> None:
    header = list(GUIDE_EXAMPLE)
    sheet = bind(grid(header, [list(GUIDE_EXAMPLE.values()), [None] * 8, ["  "] * 8,
                               list(GUIDE_EXAMPLE.values())]), PRESETS["seller-support"])
    assert list(sheet.numbers) == [2, 5]
    assert check(sheet, CONTEXT) == []


@pytest.mark.parametrize("preset", sorted(PRESETS))
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_no_cell_value_makes_a_validator_raise(preset: str, data: st.DataObject) -> None:
    schema = PRESETS[preset]
    header = [c.header for c in schema.columns]
    rows = data.draw(st.lists(st.lists(cell_values, min_size=len(header), max_size=len(header)),
                              max_size=4))
    for region in ("IN", "ZA"):
        context = CheckContext(now=NOW, timezone=KOLKATA, phone_region=region)
        for finding in check(bind(grid(header, rows), schema), context):
            assert finding.code in CODES
            assert finding.column in header
            assert finding.value is None or isinstance(finding.value, str)


#: Cells a column check has seen both ways: valid, near-misses, and anything a cell can hold.
def _cell_for(header: str) -> st.SearchStrategy[Any]:
    near = {"Ticket ID": ["INT-000001", "INT-000002", "int-3", " INT-000004", "INT-0000005", ""],
            "WhatsApp Number": ["+919876543210", "9876543210", "+91 98765 43210",
                                "+9198765432101", "+27821234567", "+390612345678", ""],
            "Timestamp": ["2023-06-15 10:25", "2023-06-15T10:25:00", "2999-01-01 00:00",
                          "15/06/2023 10:25", ""]}
    return st.one_of(st.sampled_from([GUIDE_EXAMPLE.get(header, "")] + near.get(header, [])),
                     cell_values)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_a_whole_tab_gets_the_findings_of_its_rows_checked_one_by_one(data: st.DataObject) -> None:
    # The column-at-once paths (joined scans, one verdict per distinct value, findings put
    # together in C) must say of each row what checking that row alone says.
    header = ["Ticket ID", *GUIDE_EXAMPLE]
    rows = data.draw(st.lists(st.tuples(*map(_cell_for, header)), min_size=1, max_size=12))
    schema = PRESETS["seller-support"]
    whole = [f for f in check(bind(grid(header, rows), schema), CONTEXT)
             if f.code != "ticket_id.duplicate"]
    alone = [finding._replace(row=number)
             for number, row in enumerate(rows, start=2)
             for finding in check(bind(grid(header, [row], first_row=number - 1), schema),
                                  CONTEXT)]
    assert whole == alone


def test_a_column_of_repeating_numbers_is_judged_a_number_at_a_time() -> None:
    # 20k rows, 40 numbers: the phone column is checked as a set of its distinct values.
    numbers = [f"+9198765{n:05d}" for n in range(20)] + [f"98765{n:05d}" for n in range(20)]
    rows = [guide_row(WhatsApp_Number=numbers[i % 40]) for i in range(20_000)]
    flagged = [f.row for f in findings_for(rows) if f.column == "WhatsApp Number"]
    assert flagged == [i + 2 for i in range(20_000) if i % 40 >= 20]
