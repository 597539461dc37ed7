"""Message text against the guide's exact wording."""

from __future__ import annotations

import pytest

from sheetsync.core.messages import brief_description, escalation_text
from tests.helpers import GUIDE_EXAMPLE


def test_the_guides_example_entry_makes_the_guides_escalation_line() -> None:
    assert escalation_text(GUIDE_EXAMPLE["Issue Type"], GUIDE_EXAMPLE["Description"],
                           GUIDE_EXAMPLE["Seller Name"]) == (
        "[ESCALATION] [Bug] - Unable to update stock for Rice product (Sharma General Store)")


@pytest.mark.parametrize(("description", "brief"), [
    ("Payout not received! Seller is upset.", "Payout not received"),
    ("How do I add a discount? Asked twice.", "How do I add a discount"),
    ("Orders page blank\nsince the update", "Orders page blank"),
    ("Cannot add products.", "Cannot add products"),
    ("Version 2.5 broke the menu. Please fix", "Version 2.5 broke the menu"),
    ("  spaced   out   words  ", "spaced out words"),
])
def test_the_brief_is_the_first_sentence(description: str, brief: str) -> None:
    assert brief_description(description) == brief


def test_a_long_sentence_is_cut_at_a_word_boundary_with_an_ellipsis() -> None:
    text = "The seller cannot see any of the orders placed through WhatsApp since yesterday evening"
    assert brief_description(text, 40) == "The seller cannot see any of the orders…"
    assert brief_description("x" * 100, 10) == "x" * 10 + "…"
