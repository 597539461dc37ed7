"""The escalation message as Slack shows it: the guide's line, and a sheet that cannot attack it.

Each hostile description or seller name goes through the same code as a real one, and the
blocks are checked against slack-sdk's own Block Kit models (their length and count limits).
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given, settings, strategies as st
from slack_sdk.models.blocks import Block

from sheetsync.core.messages import escalation_text
from sheetsync.core.slack_blocks import (
    digest_message,
    escalation_message,
    follow_up_message,
    inert,
)
from tests.helpers import GUIDE_EXAMPLE

HOSTILE = {
    "channel mention": "<!channel> platform down",
    "here mention": "<!here|here> look",
    "user mention": "ping <@U0123ABCD> now",
    "link": "<https://evil.example|click here> to fix",
    "entity": "Stock &amp; price &lt;b&gt;",
    "long": "x" * 4000,
    "emoji": "Stock 🍚 not updating 😡",
    "right-to-left": "لا يمكن تحديث المخزون",
    "bidi override": "abc\u202eexe.txt",
    "newlines": "line one\nline two\r\n\n*bold* `code`",
}


def payload(description: str, seller: str = "Sharma General Store") -> dict[str, Any]:
    return {"text": escalation_text("Bug", description, seller), "ticket_id": "INT-000002",
            "contact": "+91******3210", "status": "Escalated", "priority": "High",
            "assignee": "Priya (Support), Rahul (Tech)", "reported_at": "2023-06-15 10:25",
            "description": description, "task_id": None}


def texts(blocks: list[dict[str, Any]]) -> list[str]:
    found = []
    for block in blocks:
        for obj in [block.get("text"), *block.get("fields", []), *block.get("elements", [])]:
            if obj:
                assert obj["type"] == "mrkdwn" and obj["verbatim"] is True
                found.append(obj["text"])
    return found


def valid(blocks: list[dict[str, Any]]) -> None:
    """slack-sdk's Block Kit models accept every block (lengths, field counts)."""
    assert len(blocks) <= 50
    for block in blocks:
        parsed = Block.parse(block)
        assert parsed is not None
        parsed.validate_json()


def test_the_header_is_the_guides_line_with_the_rows_values() -> None:
    message = escalation_message(payload(GUIDE_EXAMPLE["Description"]))
    assert message.text == ("[ESCALATION] [Bug] - Unable to update stock for Rice product "
                            "(Sharma General Store)")
    assert texts(message.blocks)[0] == message.text
    fields = texts(message.blocks)[1:7]
    assert fields == ["*Ticket*\nINT-000002", "*WhatsApp*\n+91******3210",
                      "*Status*\nEscalated", "*Priority*\nHigh",
                      "*Assigned to*\nPriya (Support), Rahul (Tech)", "*Reported*\n2023-06-15 10:25"]
    valid(message.blocks)


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_text_can_neither_mention_nor_link_nor_break_the_layout(name: str) -> None:
    hostile = HOSTILE[name]
    message = escalation_message(payload(hostile, seller=hostile))
    valid(message.blocks)
    for text in [message.text, *texts(message.blocks)]:
        bare = text.replace("&amp;", "").replace("&lt;", "").replace("&gt;", "")
        assert "<" not in bare.replace("<https://app.clickup.com", "") and ">" not in bare
        assert "&" not in bare
        assert not re.search("[\u202a-\u202e\u0000-\u0008]", text)
    assert "\n" not in message.text  # the guide's line stays one line
    assert message.text.startswith("[ESCALATION] [Bug] - ") and message.text.endswith(")")
    assert len(message.text) < 400


def test_escaped_text_reads_as_typed_once_slack_decodes_it() -> None:
    for hostile in HOSTILE.values():
        shown = inert(hostile).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
        assert shown.replace("\u2068", "").replace("\u2069", "") == \
            re.sub("[\u202a-\u202e\r]", "", hostile)


def test_right_to_left_text_is_isolated_so_the_line_keeps_its_order() -> None:
    assert inert("متجر") == "\u2068متجر\u2069"
    assert inert("Sharma") == "Sharma"
    line = escalation_message(payload("لا يمكن تحديث المخزون", seller="متجر الرز")).text
    assert line == ("[ESCALATION] [Bug] - \u2068لا يمكن تحديث المخزون\u2069 "
                    "(\u2068متجر الرز\u2069)")


def test_emoji_and_newlines_in_the_description_survive_in_its_own_section() -> None:
    message = escalation_message(payload("Stock 🍚 not updating.\nTried twice."))
    assert "*Description*\nStock 🍚 not updating.\nTried twice." in texts(message.blocks)


def test_a_4000_character_description_is_cut_to_fit_slacks_limits() -> None:
    message = escalation_message(payload("word " * 800))
    valid(message.blocks)
    description = texts(message.blocks)[-1]
    assert len(description) <= 3000 and description.endswith("…")


def test_the_task_and_the_row_are_links_when_known() -> None:
    message = escalation_message({**payload("x"), "task_id": "86a1b2c3d",
                                  "task_url": "https://app.clickup.com/t/86a1b2c3d",
                                  "row_url": "https://docs.google.com/x#gid=0&range=A7"})
    shown = texts(message.blocks)
    assert "*ClickUp*\n<https://app.clickup.com/t/86a1b2c3d|86a1b2c3d>" in shown
    assert shown[-1] == "<https://docs.google.com/x#gid=0&amp;range=A7|Open the row in the tracker>"
    valid(message.blocks)


def test_a_follow_up_is_one_escaped_line() -> None:
    message = follow_up_message({"text": "INT-000002 assigned to <!channel>\nRahul"})
    assert message.text == "INT-000002 assigned to &lt;!channel&gt; Rahul"
    valid(message.blocks)


@settings(max_examples=200, deadline=None)
@given(st.text(), st.text())
def test_no_cell_text_makes_an_invalid_or_unsafe_message(description: str, seller: str) -> None:
    message = escalation_message(payload(description, seller))
    valid(message.blocks)
    for text in texts(message.blocks):
        assert "<" not in text.replace("&lt;", "") and ">" not in text.replace("&gt;", "")


def test_joiners_that_indic_scripts_and_emoji_need_are_kept() -> None:
    hindi = "क्‍ष"  # with a zero-width joiner
    family = "👨\u200d👩\u200d👧"
    assert inert(hindi) == hindi and inert(family) == family
    assert inert("a\u200bb\u2060c") == "abc"


def test_a_reminder_mentions_only_configured_slack_users() -> None:
    message = follow_up_message({"text": "INT-000002 missed its 24 h first response target"},
                                ["U0123ABCD", "<!channel>"])
    assert message.text == "<@U0123ABCD> INT-000002 missed its 24 h first response target"
    assert "<!channel>" not in message.text


def test_a_digest_links_to_its_tab_on_google_and_names_it_on_a_workbook() -> None:
    text = "Weekly report 2026-W47: Total reported 42; Resolved 35."
    url = "https://docs.google.com/spreadsheets/d/1abc/edit#gid=7"
    linked = digest_message({"text": text, "tab": "Weekly 2026-W47", "tab_url": url})
    assert linked.text == text
    assert linked.blocks[1]["elements"][0]["text"] == f"<{url}|Open the tab Weekly 2026-W47>"
    named = digest_message({"text": text, "tab": "Weekly <!channel>"})
    assert named.blocks[1]["elements"][0]["text"] == "In the tab Weekly &lt;!channel&gt;"
