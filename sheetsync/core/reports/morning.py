"""The 09:00 morning review: what needs someone before the day starts.

Pure: ticket facts + the day + the first-response target -> a Report. New issues with nobody
assigned; issues pending since before today and not updated since; open escalations; tickets
at risk of missing the first-response target, and those already past it (never one whose first
response is unknown, answered before adoption, nor one dated in the future); tickets dated in
the future; follow-ups due today (where the preset records them). Each ordered by priority,
then age.
"""

from __future__ import annotations

from datetime import datetime

import pandas as pd

from sheetsync.core.kpis import first_status, future_dated
from sheetsync.core.reports.tables import (LISTED, TICKET_COLUMNS, by_priority_then_age, counts,
                                           ticket_rows)
from sheetsync.core.reporting import Chart, Period, Report, Table

AT_RISK = 0.75  # share of the target gone without a first response: at risk


def build(facts: pd.DataFrame, period: Period, at: datetime, target_hours: float) -> Report:
    """The review for `period`'s day as things stand at `at` (its 09:00, or now)."""
    start = pd.Timestamp(period.start)
    now = pd.Timestamp(at)
    facts = facts[[*LISTED, "resolved", "status", "adopted", "initial_status",
                   "initial_assignee", "last_change", "escalated", "first_response_at",
                   "first_response_h", "response_unknown", "followup_required",
                   "followup_date"]]
    open_ = facts[~facts["resolved"]]
    unassigned = open_[open_["assignee"].isna()]
    first = open_["status"].eq(first_status(facts))
    stale = open_[first & (open_["reported_at"] < start) &
                  (open_["last_change"].isna() | (open_["last_change"] < start))]
    escalations = open_[open_["escalated"]]
    future = open_[future_dated(open_, at)]
    waiting = open_[open_["first_response_at"].isna() & open_["first_response_h"].isna()
                    & ~open_["response_unknown"]]
    age = (now - waiting["reported_at"]).dt.total_seconds() / 3600
    # A future Timestamp's age is below 0: in neither list.
    at_risk = waiting[(age >= target_hours * AT_RISK) & (age < target_hours)]
    overdue_response = waiting[age >= target_hours]
    wanted = facts["followup_required"].str.lower().eq("yes").fillna(False)
    followups = facts[wanted & facts["followup_date"].eq(period.label)]
    overdue = open_[wanted.reindex(open_.index, fill_value=False)
                    & open_["followup_date"].lt(period.label).fillna(False)
                    & open_["followup_date"].str.match(r"\d{4}-\d{2}-\d{2}$").fillna(False)]
    tables = [
        _tickets("New issues with nobody assigned", unassigned, at),
        _tickets("Pending since before today and not updated since", stale, at),
        _tickets("Open escalations", escalations, at),
        _tickets(f"At risk of missing the {target_hours:g} h first response", at_risk, at,
                 note=f"no first response yet after {target_hours * AT_RISK:g} h or more; "
                      f"due {target_hours:g} h after the Timestamp"),
        _tickets(past_title(target_hours), overdue_response, at,
                 note=f"no first response yet, {target_hours:g} h or more after the Timestamp"),
        _tickets("Dated in the future", future, at,
                 note="a Timestamp later than now: check it (its age is unknown)"),
    ]
    if facts["followup_date"].notna().any():
        tables.append(_tickets("Follow-ups due today", followups, at))
        tables.append(_tickets("Follow-ups overdue", overdue, at,
                               note="Follow-up Date before today, and still open"))
    by_type = counts(open_["type"], "Open issues by type")
    tables.append(by_type)
    figures = [(t.title, len(t.rows)) for t in tables[:-1]]
    return Report(period, at, figures, tables, [Chart("bar", by_type.title, by_type.title)],
                  digest(period, dict(figures), target_hours))


def digest(period: Period, figures: dict[str, int], target_hours: float) -> str:
    """The one-line digest, from the tab's own figures."""
    def s(count: int) -> str:
        return "" if count == 1 else "s"

    escalations, future = figures["Open escalations"], figures["Dated in the future"]
    past = figures[past_title(target_hours)]
    text = (f"Morning review {period.label}: {figures['New issues with nobody assigned']} new "
            f"unassigned, {figures['Pending since before today and not updated since']} "
            f"pending from before today, {escalations} open escalation{s(escalations)}, "
            f"{figures[f'At risk of missing the {target_hours:g} h first response']} at risk "
            f"of missing the {target_hours:g} h first response")
    if past:
        text += f", {past} past it"
    if future:
        text += f", {future} dated in the future"
    if "Follow-ups due today" in figures:
        due = figures["Follow-ups due today"]
        text += f", {due} follow-up{s(due)} due ({figures['Follow-ups overdue']} overdue)"
    return text + "."


def past_title(target_hours: float) -> str:
    """The title of the list of tickets past the first-response target, still unanswered."""
    return f"Past the {target_hours:g} h first response, still unanswered"


def _tickets(title: str, frame: pd.DataFrame, at: datetime, note: str = "") -> Table:
    return Table(title, TICKET_COLUMNS, ticket_rows(by_priority_then_age(frame), at), note)
