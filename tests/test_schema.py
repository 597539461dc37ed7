"""Columns bind by header text: reordered, aliased, extra and missing columns; overrides."""

from __future__ import annotations

from pathlib import Path

import pytest

from sheetsync.config import config_from_dict
from sheetsync.errors import ConfigError, TrackerError
from sheetsync.schema import PRESETS, Schema, bind
from sheetsync.core.table import Grid
from sheetsync.validators import check
from tests.helpers import CONTEXT, GUIDE_EXAMPLE, grid

SELLER = PRESETS["seller-support"]
SAYPRO = PRESETS["saypro-interaction-log"]


def test_columns_bind_in_any_order() -> None:
    header = list(reversed(list(GUIDE_EXAMPLE)))
    sheet = bind(grid(header, [[GUIDE_EXAMPLE[h] for h in header]]), SELLER)
    assert sheet.columns["seller_name"][0] == "Sharma General Store"
    assert sheet.binding.positions["timestamp"] == 0
    assert check(sheet, CONTEXT) == []


def test_headers_match_ignoring_case_spacing_punctuation_and_by_alias() -> None:
    header = ["whatsapp no.", "SELLER NAME", "Type", "  description ", "status",
              "Assignee", "Resolution", "Reported At", "Ticket #"]
    sheet = bind(grid(header, [list(GUIDE_EXAMPLE.values()) + ["INT-000001"]]), SELLER)
    assert set(sheet.binding.positions) == {
        "whatsapp_number", "seller_name", "issue_type", "description", "status",
        "assigned_to", "resolution_summary", "timestamp", "ticket_id"}
    assert sheet.header("whatsapp_number") == "whatsapp no."
    assert sheet.columns["ticket_id"][0] == "INT-000001"


def test_unknown_columns_are_kept_and_listed() -> None:
    header = ["Region", *GUIDE_EXAMPLE, "Refund Amount"]
    sheet = bind(grid(header, [["North", *GUIDE_EXAMPLE.values(), 120]]), SELLER)
    assert sheet.binding.unknown == ("Region", "Refund Amount")
    assert "Region" not in sheet.columns and "region" not in sheet.columns
    assert check(sheet, CONTEXT) == []


def test_a_missing_required_column_is_one_error_naming_it_and_the_tab() -> None:
    header = [h for h in GUIDE_EXAMPLE if h not in ("Status", "Seller Name")]
    with pytest.raises(TrackerError) as error:
        bind(grid(header, [], tab="Tickets"), SELLER)
    message = str(error.value)
    assert 'tab "Tickets"' in message
    assert "missing required columns Seller Name, Status" in message


def test_daemon_owned_and_optional_columns_are_never_required() -> None:
    sheet = bind(grid(list(GUIDE_EXAMPLE), [list(GUIDE_EXAMPLE.values())]), SELLER)
    assert set(sheet.binding.absent) == {"ticket_id", "priority", "clickup_task_id", "sync_notes",
                                         "suggested_priority", "escalation_level"}


def test_the_header_row_is_found_below_a_title() -> None:
    rows = [("Seller Support Tracker - Q4",), (), tuple(GUIDE_EXAMPLE),
            tuple(GUIDE_EXAMPLE.values())]
    sheet = bind(Grid(tab="Tracker", rows=rows), SELLER)
    assert sheet.binding.header_row == 3
    assert list(sheet.numbers) == [4]


def test_a_tab_without_a_header_row_says_what_it_looked_for() -> None:
    with pytest.raises(TrackerError, match='tab "Tracker" has no header row.*WhatsApp Number'):
        bind(grid(["a", "b"], [[1, 2]]), SELLER)


def test_two_columns_reading_as_one_are_an_error_naming_both() -> None:
    header = [*GUIDE_EXAMPLE, "status"]
    with pytest.raises(TrackerError, match=r'two columns for Status: E \("Status"\) and '
                                           r'I \("status"\)'):
        bind(grid(header, []), SELLER)


def test_ragged_rows_read_missing_trailing_cells_as_empty() -> None:
    values = list(GUIDE_EXAMPLE.values())
    sheet = bind(grid(list(GUIDE_EXAMPLE), [values[:3]]), SELLER)
    assert sheet.columns["timestamp"][0] is None
    assert sheet.columns["issue_type"][0] == "Bug"


def test_presets_name_the_roles_later_work_needs() -> None:
    for schema in (SELLER, SAYPRO):
        keys = {c.key for c in schema.columns}
        roles = schema.roles.model_dump(exclude_none=True)
        assert set(roles.values()) <= keys, schema.name
    assert SELLER.column("ticket_id").owner == "daemon"
    assert SAYPRO.column("interaction_id").owner == "shared"
    assert SELLER.roles.seller == "whatsapp_number"
    assert SAYPRO.roles.seller == "user_id"


def test_presets_classify_escalated_resolved_and_technical() -> None:
    assert classified(SELLER, "escalated", status="Escalated")
    assert classified(SELLER, "resolved", status="resolved")
    assert classified(SELLER, "technical", issue_type="Bug")
    assert not classified(SELLER, "technical", issue_type="Help")
    assert classified(SAYPRO, "escalated", additional_actions="Escalated to Level 2 payments")
    assert classified(SAYPRO, "escalated", additional_actions="Escalation to development team")
    assert not classified(SAYPRO, "escalated", additional_actions="None")
    assert classified(SAYPRO, "resolved", final_outcome="Resolved and closed")
    assert classified(SAYPRO, "technical", category="Technical")


def classified(schema: Schema, kind: str, **values: str) -> bool:
    """Whether a ticket with these values is escalated, resolved or technical for the schema."""
    return any(c.matches_value(values.get(c.column)) for c in getattr(schema.classify, kind))


def overridden(**raw: object) -> Schema:
    return config_from_dict(raw, source=None, base_dir=Path(".")).schema


def test_a_team_renames_a_column_adds_a_value_and_a_column_in_the_config() -> None:
    schema = overridden(columns={
        "status": {"header": "Ticket State", "extra_values": ["On Hold"]},
        "region": {"header": "Region", "kind": "choice", "values": ["North", "South"]},
    })
    header = [h if h != "Status" else "Ticket State" for h in GUIDE_EXAMPLE] + ["Region"]
    values = [*GUIDE_EXAMPLE.values(), "West"]
    values[4] = "On Hold"
    findings = check(bind(grid(header, [values]), schema), CONTEXT)
    assert [(f.column, f.code) for f in findings] == [("Region", "choice.unknown")]


def test_a_team_changes_what_escalated_means() -> None:
    schema = overridden(
        columns={"status": {"extra_values": ["Escalated L2"]}},
        classify={"escalated": [{"column": "status", "values": ["Escalated", "Escalated L2"]}]})
    assert classified(schema, "escalated", status="Escalated L2")


def test_an_alias_that_collides_with_another_column_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r'columns\.status: "Seller Name" would also match'):
        overridden(columns={"status": {"aliases": ["Seller Name"]}})


def test_vocabulary_on_a_text_column_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"columns\.description: values apply to choice"):
        overridden(columns={"description": {"extra_values": ["x"]}})


def test_a_different_ticket_id_format() -> None:
    schema = overridden(ticket_ids={"prefix": "SUP-", "digits": 4})
    assert schema.ticket_id.format(7) == "SUP-0007"
    findings = check(bind(grid([*GUIDE_EXAMPLE, "Ticket ID"],
                               [[*GUIDE_EXAMPLE.values(), "INT-000001"]]), schema), CONTEXT)
    assert [(f.code, f.message) for f in findings] == [
        ("ticket_id.format", "Ticket ID should look like SUP-0123.")]
