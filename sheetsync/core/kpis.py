"""Support KPIs: each ticket's life from its row and its transition history, and the figures
the source documents name, computed by this one module for every report.

Pure: pandas frames in, frames and numbers out. The definitions (docs/reference/reports.md repeats them):

- **reported**: the row's Timestamp.
- **resolved in a period**: the first time the ticket was seen resolved falls in it. For a
  ticket already resolved when sheetsync first saw it (at adoption), the resolution lies
  somewhere between its Timestamp and that first sight (exactly its Timestamp plus the
  preset's Resolution Time where the row has one); it counts in a period when that whole
  interval lies inside the period, and is "not placed" in a period it only overlaps. The same
  holds for an escalation already there when first seen.
- **resolution time**: the first time the ticket was seen resolved minus its Timestamp (the
  preset's Resolution Time column where it has one). Unknown, and left out of averages, for a
  ticket already resolved when sheetsync adopted the tracker.
- **first response**: the first change away from the status the ticket was first seen with,
  or its first assignment, whichever came first, minus its Timestamp (the preset's Initial
  Response Time where it has one). A ticket entered already assigned or already past its
  first status was answered when it was entered. Unknown for a ticket that was already
  answered when sheetsync adopted the tracker: such a ticket is never at risk or breached.
- **first-contact resolution**: resolved without ever being escalated or in a waiting status
  (Awaiting Seller Response), and never reopened.
- **repeat issue**: the same seller (WhatsApp number; User ID in the SayPro preset) and the
  same issue type as a ticket reported in the 7 days before.
- **owner**: the first person named in Assigned To; per-person counts count each ticket once,
  under its owner (or "(nobody assigned)"), so they add up to the totals.
- **satisfaction**: a rating out of 5 read from Feedback from User (`4/5`, `4 out of 5`,
  `4 stars`, `★★★★☆`, `Rating: 4`, or a cell holding only a number from 0 to 5), where the
  preset has that column. Feedback with no rating in it is counted as such, never scored.
- **future-dated**: a Timestamp later than the time the report is made; its age is unknown,
  not negative.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from sheetsync.schema import Sheet
from sheetsync.core.sla import Calendar, due, working_hours
from sheetsync.core.table import is_blank
from sheetsync.core.tickets import YES, tracked_fields
from sheetsync.core.transitions import CREATED, TICKET
from sheetsync.core.values import parse_duration, parse_timestamp, split_people, text_of

REPEAT_WINDOW = timedelta(days=7)
HISTORY_COLUMNS = ["ticket_id", "field", "before", "after", "at"]
_RATING = re.compile(r"(?<![\d.])([0-5](?:\.\d)?)\s*(?:/\s*5\b|out of 5\b|stars?\b)"
                     r"|\brat(?:ing|ed)\s*:?\s*([0-5](?:\.\d)?)(?![\d.])(?!\s*/\s*\d)",
                     re.IGNORECASE)
_ONLY_NUMBER = re.compile(r"\s*([0-5](?:\.\d+)?)\s*")
_STARS = re.compile(r"[★☆]+")


def history_frame(rows: Iterable[tuple[str, str, str | None, str | None, str]]
                  ) -> pd.DataFrame:
    """Transitions (ticket, field, before, after, observed ISO time) as a frame, in order."""
    frame = pd.DataFrame(list(rows), columns=HISTORY_COLUMNS)
    frame["at"] = pd.to_datetime(frame["at"], utc=True, format="ISO8601")
    return frame


def ticket_frame(sheet: Sheet, tz: ZoneInfo) -> pd.DataFrame:
    """One row per ticket with an ID: what the reports need of its row, canonical."""
    roles, schema = sheet.schema.roles, sheet.schema
    ids = [schema.ticket_id.read(v) for v in sheet.columns.get(roles.ticket_id, ())]
    fields = tracked_fields(sheet)

    def column(key: str | None) -> Sequence[Any]:
        values = sheet.columns.get(key) if key else None
        return values if values is not None else [None] * len(sheet.numbers)

    def text(value: Any) -> str | None:
        return None if is_blank(value) else " ".join(text_of(value).split())

    frame = pd.DataFrame({
        "ticket_id": ids,
        "row": list(sheet.numbers),
        "reported_at": [parse_timestamp(v, tz).value for v in column(roles.timestamp)],
        "seller": [text(v) for v in column(roles.seller)],
        "seller_name": [text(v) for v in column(roles.seller_name)],
        "type": [f.get("type") for f in fields],
        "status": [f.get("status") for f in fields],
        "priority": [f.get("priority") for f in fields],
        "assignee": [f.get("assignee") for f in fields],
        "description": [text(v) for v in column(roles.description)],
        "escalated": [f.get("escalated") == YES for f in fields],
        "resolved": [f.get("resolved") == YES for f in fields],
        "response_given": [_duration(v) for v in column(roles.first_response)],
        "resolution_given": [_duration(v) for v in column(roles.resolution_time)],
        "rating": [_rating(v) for v in column(roles.feedback)],
        "feedback": [not is_blank(v) for v in column(roles.feedback)],
        "followup_required": [text(v) for v in column(roles.followup_required)],
        "followup_date": [text(v) for v in column(roles.followup_date)],
    })
    frame = frame[frame["ticket_id"].notna()].drop_duplicates("ticket_id")
    frame["reported_at"] = pd.to_datetime(frame["reported_at"], utc=True)
    for name in ("response_given", "resolution_given", "rating"):
        frame[name] = pd.to_numeric(frame[name]).astype(float)
    return frame.set_index("ticket_id")


def facts(tickets: pd.DataFrame, history: pd.DataFrame, adopted_at: datetime | None,
          waiting: Sequence[str] = (), calendar: Calendar | None = None,
          tz: ZoneInfo | None = None) -> pd.DataFrame:
    """Each ticket's life: first seen, first response, first resolved, escalated, reopened,
    first-contact resolution, repeat issue; in hours where a duration (working hours when a
    calendar is given, as the SLA timers count them)."""
    out = tickets.copy()
    h = history[history["ticket_id"].isin(out.index)]
    adopted = pd.Timestamp(adopted_at) if adopted_at is not None else None

    created = h[(h["field"] == TICKET) & (h["after"] == CREATED)].groupby("ticket_id")["at"].min()
    out["first_seen"] = created.reindex(out.index)
    out["adopted"] = out["first_seen"].isna() | (
        (out["first_seen"] <= adopted) if adopted is not None else False)

    status = h[h["field"] == "status"].sort_values("at", kind="stable")
    first_change = _first(status)
    out["initial_status"] = first_change["before"].reindex(out.index).where(
        out.index.isin(first_change.index), out["status"])
    out["first_status_change"] = first_change["at"].reindex(out.index)
    assignee = h[h["field"] == "assignee"].sort_values("at", kind="stable")
    first_assignee = _first(assignee)
    out["initial_assignee"] = first_assignee["before"].reindex(out.index).where(
        out.index.isin(first_assignee.index), out["assignee"])
    assigned = assignee[assignee["before"].isna() & assignee["after"].notna()]
    out["first_assigned"] = assigned.groupby("ticket_id")["at"].min().reindex(out.index)

    answered_on_entry = out["initial_assignee"].notna() | (
        out["initial_status"].notna() & (out["initial_status"] != first_status(out)))
    response = pd.concat([out["first_status_change"], out["first_assigned"]], axis=1).min(axis=1)
    response = response.where(~answered_on_entry, out["first_seen"])
    response = response.where(~(out["adopted"] & answered_on_entry))  # before sheetsync
    out["first_response_at"] = response
    out["first_response_h"] = out["response_given"].fillna(
        _span(out["reported_at"], out["first_response_at"], calendar, tz))  # preset's first
    out["response_unknown"] = out["first_response_h"].isna() & out["adopted"] & \
        answered_on_entry

    resolved = h[h["field"] == "resolved"].sort_values("at", kind="stable")
    given = _after(out["reported_at"], out["resolution_given"], calendar, tz)
    out["resolved_at"], out["resolved_from"], out["resolved_to"] = _event(
        out, resolved, out["resolved"], adopted, given)
    out["resolution_h"] = out["resolution_given"].fillna(
        _span(out["reported_at"], out["resolved_at"], calendar, tz))
    out["ever_resolved"] = out["resolved_to"].notna() | out["resolved"]

    escalated = h[h["field"] == "escalated"].sort_values("at", kind="stable")
    out["escalated_at"], out["escalated_from"], out["escalated_to"] = _event(
        out, escalated, out["escalated"], adopted)
    out["ever_escalated"] = out["escalated_to"].notna() | out["escalated"]
    waits = {w.lower() for w in waiting}
    waited = status[status["after"].str.lower().isin(waits)]["ticket_id"].unique()
    out["ever_waiting"] = out.index.isin(waited) | out["initial_status"].str.lower().isin(
        waits).fillna(False).astype(bool)
    out["reopened"] = out.index.isin(
        resolved[(resolved["before"] == YES) & resolved["after"].isna()]["ticket_id"].unique())
    # Known only where the resolution is: a ticket resolved before adoption may have been
    # escalated or reopened before sheetsync saw it.
    out["first_contact"] = out["resolution_h"].notna() & ~out["ever_escalated"] & \
        ~out["ever_waiting"] & ~out["reopened"]
    # A change a person made: first sight (adoption) and a row's coming and going are not.
    out["last_change"] = h[h["field"] != TICKET].groupby("ticket_id")["at"].max().reindex(
        out.index)
    out["repeat"] = _repeats(out)
    named = {a: split_people(a) for a in out["assignee"].dropna().unique()}  # a few values
    out["owner"] = [named[a][0] if a in named and named[a] else None for a in out["assignee"]]
    out["helpers"] = [named[a][1:] if a in named else [] for a in out["assignee"]]
    return out


def _event(out: pd.DataFrame, changes: pd.DataFrame, now: pd.Series, adopted: pd.Timestamp | None,
           given: pd.Series | None = None) -> tuple[pd.Series, pd.Series, pd.Series]:
    """When a flag (resolved, escalated) first became yes: the moment where it is known, and
    the interval it lies in (from, to), the same moment twice where it is known.

    A flag already set when sheetsync first saw the ticket at adoption became set between the
    Timestamp and that first sight (the adoption), or at `given` where the row records the
    moment and it fits there; a ticket entered with the flag set later was seen so when it
    was entered. A Timestamp after the first sight (a typing slip) leaves the start unknown.
    """
    first = _first(changes)
    initially = (first["before"] == YES).reindex(out.index)
    initially = initially.where(initially.notna(), now).astype(bool)
    became = changes[changes["after"] == YES].groupby("ticket_id")["at"].min()
    seen = out["first_seen"]
    if adopted is not None:
        seen = seen.fillna(adopted)  # history purged: sheetsync has seen it since adoption
    at = became.reindex(out.index).where(~initially, out["first_seen"].where(~out["adopted"]))
    before = initially & out["adopted"]
    start = out["reported_at"].where(out["reported_at"] <= seen)
    if given is not None:
        exact = given.where((given >= out["reported_at"]) & (given <= seen))
        at = at.where(~before, exact)
        start = exact.fillna(start)
        seen = exact.fillna(seen)
    return at, at.where(~before, start), at.where(~before, seen)


def _after(start: pd.Series, hours: pd.Series, calendar: Calendar | None, tz: ZoneInfo | None
           ) -> pd.Series:
    """`hours` (working hours by the calendar) after each start; NaT where either is unknown."""
    if calendar is None:
        return start + pd.to_timedelta(hours, unit="h")
    zone = tz or ZoneInfo("UTC")
    known = start.notna() & hours.notna()
    moments = pd.Series(pd.NaT, index=start.index, dtype="datetime64[ns, UTC]")
    moments[known] = [pd.Timestamp(due(a.to_pydatetime().astimezone(zone), float(b), calendar))
                      for a, b in zip(start[known], hours[known])]
    return moments


def _first(changes: pd.DataFrame) -> pd.DataFrame:
    """Each ticket's first change of a field, by ticket (its `before` may be blank)."""
    return changes.drop_duplicates("ticket_id", keep="first").set_index("ticket_id")


def _repeats(out: pd.DataFrame) -> pd.Series:
    """A ticket is a repeat when the same seller reported the same type in the 7 days before."""
    known = out[out["seller"].notna() & out["type"].notna() & out["reported_at"].notna()]
    ordered = known.sort_values("reported_at", kind="stable")
    previous = ordered.groupby(["seller", "type"])["reported_at"].shift(1)
    repeat = (ordered["reported_at"] - previous) <= pd.Timedelta(REPEAT_WINDOW)
    return repeat.reindex(out.index, fill_value=False).astype(bool)


def first_status(out: pd.DataFrame) -> str | None:
    """The status a new ticket starts with: the most common first-seen status (Pending); on a
    tracker only just adopted, the most common among tickets nobody was assigned to then (most
    tickets there are long resolved)."""
    seen = out.loc[~out["adopted"], "initial_status"].dropna()
    unassigned = out.loc[out["initial_assignee"].isna(), "initial_status"].dropna()
    pool = seen if len(seen) else unassigned if len(unassigned) else \
        out["initial_status"].dropna()
    return str(pool.mode().iloc[0]) if len(pool) else None


def _span(start: pd.Series, end: pd.Series, calendar: Calendar | None, tz: ZoneInfo | None
          ) -> pd.Series:
    """Hours from each start to its end: calendar time, or working hours by the calendar read
    in the configured timezone `tz`."""
    if calendar is None:
        return _hours(end - start)
    zone = tz or ZoneInfo("UTC")
    hours = [working_hours(a.to_pydatetime().astimezone(zone), b.to_pydatetime().astimezone(zone),
                           calendar) if pd.notna(a) and pd.notna(b) and b >= a else None
             for a, b in zip(start, end)]
    return pd.Series(hours, index=start.index, dtype=float)


def _hours(span: pd.Series) -> pd.Series:
    hours = span.dt.total_seconds() / 3600
    return hours.where(hours >= 0)  # a Timestamp after the change: a typing slip, unknown


def _duration(value: Any) -> float | None:
    parsed = parse_duration(value) if not is_blank(value) else None
    return parsed.value.total_seconds() / 3600 if parsed is not None and parsed.value else None


def _rating(value: Any) -> float | None:
    """A rating out of 5 in a feedback cell (see the module's definitions), or None."""
    if is_blank(value) or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value) if 0 <= value <= 5 else None
    text = text_of(value)
    stars = _STARS.search(text)
    if stars and len(stars.group(0)) <= 5:
        return float(stars.group(0).count("★"))
    only = _ONLY_NUMBER.fullmatch(text)
    found = only or _RATING.search(text)
    if not found:
        return None
    return float(next(g for g in found.groups() if g is not None))


# --- the figures --------------------------------------------------------------------------

def median(values: pd.Series) -> float | None:
    clean = values.dropna()
    return float(clean.median()) if len(clean) else None


def mean(values: pd.Series) -> float | None:
    clean = values.dropna()
    return float(clean.mean()) if len(clean) else None


def rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def between(times: pd.Series, start: datetime, end: datetime) -> pd.Series:
    """Which times fall in [start, end)."""
    moments, unit = _ticks(times)
    return pd.Series((moments >= _tick(start, unit)) & (moments < _tick(end, unit)),
                     index=times.index)


#: An unknown time among the ticks: below every real one.
_NAT = np.iinfo(np.int64).min


def _ticks(times: pd.Series) -> tuple[Any, str]:
    """Aware times as integer ticks since the epoch (UTC) and their unit: the reports compare
    them with dozens of periods, which pandas' aware comparisons make slow."""
    values = times.array
    return values.asi8, values.unit


def _tick(moment: datetime, unit: str) -> int:
    return int(pd.Timestamp(moment).as_unit(unit).asm8.astype(np.int64))


def placed(facts: pd.DataFrame, event: str, start: datetime, end: datetime) -> pd.Series:
    """Which tickets' `event` (resolved, escalated) lies wholly in [start, end): the moment
    where it is known, the whole interval where it is not (an interval ends at first sight,
    which found the event already there, so one ending at `end` still lies inside)."""
    (since, unit), (until, _) = _ticks(facts[f"{event}_from"]), _ticks(facts[f"{event}_to"])
    first, last = _tick(start, unit), _tick(end, unit)
    point = since == until
    inside = (since >= first) & np.where(point, until < last, until <= last)
    return pd.Series(inside, index=facts.index)


def not_placed(facts: pd.DataFrame, event: str, start: datetime, end: datetime) -> pd.Series:
    """Which tickets' `event` happened before adoption at a time that may or may not lie in
    [start, end): its interval overlaps the period without lying inside it (an unknown start
    lies before every period)."""
    (since, unit), (until, _) = _ticks(facts[f"{event}_from"]), _ticks(facts[f"{event}_to"])
    overlaps = (since != until) & (until != _NAT) & (until > _tick(start, unit)) & (
        since < _tick(end, unit))
    return pd.Series(overlaps, index=facts.index) & ~placed(facts, event, start, end)


def future_dated(facts: pd.DataFrame, at: datetime) -> pd.Series:
    """Tickets whose Timestamp is later than `at`: their age is unknown, not negative."""
    return facts["reported_at"] > pd.Timestamp(at)
