"""Transitions by ticket ID: sorting, inserting, deleting and moving columns change nothing."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sheetsync.core.identity import identify
from sheetsync.schema import PRESETS, bind
from sheetsync.core.tickets import Snapshot
from sheetsync.core.transitions import Transition, diff, next_snapshot
from tests.helpers import grid

SCHEMA = PRESETS["seller-support"]
KEY = b"test-key"
HEADER = ["Ticket ID", "WhatsApp Number", "Seller Name", "Issue Type", "Description", "Status",
          "Assigned To", "Resolution Summary", "Timestamp", "Priority"]
STATUSES = ["Pending", "In Progress", "Resolved", "Escalated", "Awaiting Seller Response"]
PEOPLE = ["Priya (Support)", "Arjun (Support)", "Priya (Support), Rahul (Tech)", None]
SAYPRO_HEADER = ["Interaction ID", "Date and Time of Interaction", "User ID/Username",
                 "User Contact Information", "Issue/Request Description",
                 "Category of Issue/Request", "Urgency Level", "Assigned Support Agent",
                 "Resolution Provided", "Final Outcome"]


def row(ticket: str | None, n: int, status: str, assignee: str | None) -> dict[str, Any]:
    return {"Ticket ID": ticket, "WhatsApp Number": f"+9198765{n:05d}",
            "Seller Name": f"Store {n}", "Issue Type": "Bug", "Description": f"Problem {n}",
            "Status": status, "Assigned To": assignee, "Resolution Summary": "Fixed.",
            "Timestamp": "2026-11-20 10:00", "Priority": "High"}


def cycle(rows: list[dict[str, Any]], header: list[str], known: dict[str, Snapshot],
          next_number: int, blanks_at: list[int] = ()) -> tuple[list[Transition], Any, dict]:
    cells = [[r.get(h) for h in header] for r in rows]
    for at in sorted(blanks_at, reverse=True):
        cells.insert(min(at, len(cells)), [None] * len(header))
    sheet = bind(grid(header, cells), SCHEMA)
    identity, tickets = identify(sheet, known, KEY, next_number)
    return diff(known, tickets, identity.disputed), identity, next_snapshot(
        known, tickets, identity.disputed)


@st.composite
def edits(draw: st.DrawFn) -> dict[str, Any]:
    n = draw(st.integers(min_value=1, max_value=20))
    before = [row(f"INT-{i + 1:06d}", i, draw(st.sampled_from(STATUSES)),
                  draw(st.sampled_from(PEOPLE))) for i in range(n)]
    after, expected = [], []
    for r in before:
        if draw(st.booleans()) and draw(st.booleans()):  # about a quarter are deleted
            expected.append((r["Ticket ID"], "ticket", "present", "removed"))
            continue
        changed = dict(r)
        if draw(st.booleans()):
            changed["Status"] = draw(st.sampled_from(STATUSES))
        if draw(st.booleans()):
            changed["Assigned To"] = draw(st.sampled_from(PEOPLE))
        if draw(st.booleans()):  # a person tidies the case: no transition
            changed["Status"] = changed["Status"].lower()
        for field, role in (("Status", "status"), ("Assigned To", "assignee")):
            old = r[field]
            new = changed[field]
            new_canonical = next((s for s in STATUSES if s.lower() == (new or "").lower()), new)
            if old != new_canonical:
                expected.append((r["Ticket ID"], role, old, new_canonical))
            if role == "status":
                for flag, value in (("escalated", "Escalated"), ("resolved", "Resolved")):
                    was, now = old == value, new_canonical == value
                    if was != now:
                        expected.append((r["Ticket ID"], flag, "yes" if was else None,
                                         "yes" if now else None))
        after.append(changed)
    new_rows = draw(st.integers(min_value=0, max_value=3))
    after += [row(None, 100 + i, "Pending", None) for i in range(new_rows)]
    order = draw(st.permutations(range(len(after))))
    header = draw(st.permutations(HEADER))
    blanks = draw(st.lists(st.integers(min_value=0, max_value=len(after)), max_size=3))
    return {"before": before, "after": [after[i] for i in order], "header": list(header),
            "blanks": blanks, "expected": expected, "n": n, "new_rows": new_rows}


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(edits())
def test_only_real_changes_are_transitions_however_the_sheet_is_rearranged(case: dict) -> None:
    adopted, _, known = cycle(case["before"], HEADER, {}, 1)
    assert {t.after for t in adopted} == {"created"}
    transitions, identity, _ = cycle(case["after"], case["header"], known, case["n"] + 1,
                                     case["blanks"])
    created = sorted(t.ticket_id for t in transitions if t.after == "created")
    others = sorted((t.ticket_id, t.field, t.before, t.after) for t in transitions
                    if t.after != "created")
    assert others == sorted(case["expected"], key=lambda e: tuple(map(str, e)))
    n = case["n"]
    assert created == [f"INT-{n + i + 1:06d}" for i in range(case["new_rows"])]
    assert sorted(identity.written.values()) == created


def test_a_second_cycle_with_no_edits_has_no_transitions() -> None:
    rows = [row(f"INT-{i:06d}", i, "Pending", None) for i in range(1, 4)]
    _, _, known = cycle(rows, HEADER, {}, 1)
    transitions, identity, again = cycle(rows, HEADER, known, 4)
    assert transitions == [] and identity.written == {} and again == known


def test_a_deleted_ticket_id_is_never_given_out_again() -> None:
    rows = [row(f"INT-{i:06d}", i, "Pending", None) for i in range(1, 4)]
    _, _, known = cycle(rows, HEADER, {}, 1)
    _, _, known = cycle(rows[:2], HEADER, known, 1)  # INT-000003 deleted; counter stale
    transitions, identity, _ = cycle([*rows[:2], row(None, 9, "Pending", None)], HEADER, known, 1)
    assert [t.ticket_id for t in transitions] == ["INT-000004"]
    assert identity.next_number == 5


def test_a_ticket_that_comes_back_reappears_with_its_history() -> None:
    rows = [row("INT-000001", 1, "Pending", None)]
    _, _, known = cycle(rows, HEADER, {}, 1)
    _, _, gone = cycle([], HEADER, known, 2)
    assert gone["INT-000001"].present is False
    back = [row("INT-000001", 1, "Resolved", None)]
    transitions, _, _ = cycle(back, HEADER, gone, 2)
    assert [(t.field, t.before, t.after) for t in transitions] == [
        ("ticket", "removed", "present"), ("status", "Pending", "Resolved"),
        ("resolved", None, "yes")]


def test_a_copied_row_gets_a_new_id_and_the_original_keeps_its_own() -> None:
    original = row("INT-000001", 1, "Escalated", "Priya (Support), Rahul (Tech)")
    _, _, known = cycle([original], HEADER, {}, 1)
    copy = dict(original, **{"Description": "Another seller, same problem", "Status": "Pending"})
    # the copy was pasted above the original, then the sheet was sorted
    transitions, identity, _ = cycle([copy, original], HEADER, known, 2)
    assert identity.ids == ("INT-000002", "INT-000001")
    assert identity.written == {0: "INT-000002"}
    assert identity.notes[0] == ("This row copied ticket INT-000001 (row 3); "
                                 "it is now ticket INT-000002.")
    assert [(t.ticket_id, t.after) for t in transitions] == [("INT-000002", "created")]


def test_where_people_own_ids_a_duplicate_is_left_for_a_person_and_fires_nothing() -> None:
    saypro = PRESETS["saypro-interaction-log"]
    header = SAYPRO_HEADER
    first = ["INT-001234", "2026-11-20 10:00", "user1", "a@example.com", "Cannot log in",
             "Account-related", "High", "Sarah L.", None, None]
    copy = ["INT-001234", "2026-11-21 10:00", "user2", "b@example.com", "Cannot pay",
            "Transaction-related", "High", "Sarah L.", None, "Resolved and closed"]
    sheet = bind(grid(header, [first]), saypro)
    identity, tickets = identify(sheet, {}, KEY, 1)
    known = next_snapshot({}, tickets)
    sheet = bind(grid(header, [first, copy]), saypro)
    identity, tickets = identify(sheet, known, KEY, 1)
    assert identity.disputed == {"INT-001234"}
    assert identity.ids == (None, None) and identity.written == {}
    assert "also on row 3" in identity.notes[0] and "also on row 2" in identity.notes[1]
    assert diff(known, tickets, identity.disputed) == []
    assert next_snapshot(known, tickets, identity.disputed) == known


def test_people_may_type_their_own_ids_and_sheetsync_fills_only_blanks() -> None:
    saypro = PRESETS["saypro-interaction-log"]
    header = SAYPRO_HEADER
    base = ["2026-11-20 10:00", "user1", "a@example.com", "Cannot log in", "Account-related",
            "High", "Sarah L.", None, None]
    sheet = bind(grid(header, [["CASE-7", *base], ["int-1234", *base], [None, *base]]), saypro)
    identity, _ = identify(sheet, {}, KEY, 1)
    assert identity.ids == ("CASE-7", "INT-001234", "INT-001235")
    assert identity.written == {2: "INT-001235"}


def test_an_id_that_never_reached_the_sheet_is_found_again_by_the_rows_hash() -> None:
    rows = [row(None, 1, "Pending", None), row(None, 2, "Pending", None)]
    _, identity, known = cycle(rows, HEADER, {}, 1)
    assert identity.written == {0: "INT-000001", 1: "INT-000002"}
    # the write was skipped (the workbook changed); next cycle the rows still have no IDs
    transitions, again, _ = cycle(list(reversed(rows)), HEADER, known, 3)
    assert transitions == []
    assert again.ids == ("INT-000002", "INT-000001")
    assert again.written == {0: "INT-000002", 1: "INT-000001"}


def test_the_counter_passes_the_highest_id_whatever_its_length() -> None:
    rows = [row("INT-999999", 1, "Pending", None), row("INT-1000004", 2, "Pending", None),
            row(None, 3, "Pending", None)]
    _, identity, _ = cycle(rows, HEADER, {}, 1)
    assert identity.ids[2] == "INT-1000005"
