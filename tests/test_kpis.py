"""Golden tests: every KPI and report figure on small fixtures worked out by hand.

The expected numbers are written out below with the arithmetic that gives them; none comes
from the code under test. Times are Asia/Kolkata (UTC+05:30) for the seller-support fixture.

Seller-support fixture, adopted 2026-11-16 00:00; week 2026-W47 is Nov 16-22:

| ticket | reported     | life (observed)                                        | resp. | resol. |
| A  01  | 16th 10:00   | seen 10:05 Pending; Priya 12:00; In Progress 13:00;     | 2 h   | 24 h   |
|        |              | Resolved 17th 10:00                                    |       | FCR    |
| B  02  | 16th 09:00   | seen 09:30 Pending; Awaiting 15:00; Resolved 18th 09:00 | 6 h   | 48 h   |
| C  03  | 18th 11:00   | seen 11:10; Escalated + Priya, Rahul 20:00;             | 9 h   | 24 h   |
|        |              | Resolved 19th 11:00 (same seller and type as A: repeat) |       |        |
| D  04  | 19th 08:00   | seen 08:05 Pending, never touched                       | none  | open   |
| E  05  | 10th 10:00   | Resolved already when adopted                           | ?     | ?      |
| F  06  | 20th 10:00   | seen 10:06 assigned Rahul (answered on entry);          | 0.1 h | 4 h    |
|        |              | Resolved 14:00; reopened 21st 09:00; Resolved 12:00     |       |        |
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from sheetsync.core import kpis
from sheetsync.core.reports import daily, monthly, morning, weekly
from sheetsync.core.reporting import Hours, Percent, period_for
from tests.helpers import SAYPRO_SAMPLE, sheet_of

IST = ZoneInfo("Asia/Kolkata")
NAN = float("nan")  # unknown
ADOPTED = datetime(2026, 11, 16, 0, 0, tzinfo=IST)


def at(day: int, hour: int, minute: int = 0) -> str:
    return datetime(2026, 11, day, hour, minute, tzinfo=IST).isoformat()


def row(ticket: str, seller: str, phone: str, kind: str, status: str, reported: str,
        assignee: str | None = None, description: str = "Product not found.") -> dict[str, str]:
    return {"Ticket ID": ticket, "WhatsApp Number": phone, "Seller Name": seller,
            "Issue Type": kind, "Description": description, "Status": status,
            "Assigned To": assignee or "", "Resolution Summary": "", "Timestamp": reported}


ROWS = [
    row("INT-000001", "Asha Stores", "+919800000001", "Bug", "Resolved", "2026-11-16 10:00",
        "Priya (Support)"),
    row("INT-000002", "Bala Mart", "+919800000002", "Help", "Resolved", "2026-11-16 09:00",
        description="How do I print invoices?"),
    row("INT-000003", "Asha Stores", "+919800000001", "Bug", "Resolved", "2026-11-18 11:00",
        "Priya (Support), Rahul (Tech)"),
    row("INT-000004", "Chandra", "+919800000004", "Feature Request", "Pending",
        "2026-11-19 08:00", description="Please add bulk upload."),
    row("INT-000005", "Esha", "+919800000005", "Bug", "Resolved", "2026-11-10 10:00",
        "Rahul (Tech)", description="Stock not updating."),
    row("INT-000006", "Dev Traders", "+919800000006", "Bug", "Resolved", "2026-11-20 10:00",
        "Rahul (Tech)"),
]
HISTORY = [
    *[(f"INT-00000{n}", "ticket", None, "created", at(16, 0)) for n in (5,)],
    ("INT-000001", "ticket", None, "created", at(16, 10, 5)),
    ("INT-000002", "ticket", None, "created", at(16, 9, 30)),
    ("INT-000001", "assignee", None, "Priya (Support)", at(16, 12)),
    ("INT-000001", "status", "Pending", "In Progress", at(16, 13)),
    ("INT-000002", "status", "Pending", "Awaiting Seller Response", at(16, 15)),
    ("INT-000001", "status", "In Progress", "Resolved", at(17, 10)),
    ("INT-000001", "resolved", None, "yes", at(17, 10)),
    ("INT-000003", "ticket", None, "created", at(18, 11, 10)),
    ("INT-000002", "status", "Awaiting Seller Response", "Resolved", at(18, 9)),
    ("INT-000002", "resolved", None, "yes", at(18, 9)),
    ("INT-000003", "status", "Pending", "Escalated", at(18, 20)),
    ("INT-000003", "escalated", None, "yes", at(18, 20)),
    ("INT-000003", "assignee", None, "Priya (Support), Rahul (Tech)", at(18, 20)),
    ("INT-000004", "ticket", None, "created", at(19, 8, 5)),
    ("INT-000003", "status", "Escalated", "Resolved", at(19, 11)),
    ("INT-000003", "escalated", "yes", None, at(19, 11)),
    ("INT-000003", "resolved", None, "yes", at(19, 11)),
    ("INT-000006", "ticket", None, "created", at(20, 10, 6)),
    ("INT-000006", "status", "Pending", "Resolved", at(20, 14)),
    ("INT-000006", "resolved", None, "yes", at(20, 14)),
    ("INT-000006", "status", "Resolved", "In Progress", at(21, 9)),
    ("INT-000006", "resolved", "yes", None, at(21, 9)),
    ("INT-000006", "status", "In Progress", "Resolved", at(21, 12)),
    ("INT-000006", "resolved", None, "yes", at(21, 12)),
]


@pytest.fixture(scope="module")
def facts() -> pd.DataFrame:
    sheet = sheet_of(ROWS)
    return kpis.facts(kpis.ticket_frame(sheet, IST), kpis.history_frame(HISTORY), ADOPTED,
                      sheet.schema.waiting)


def test_each_tickets_life_is_read_from_its_history(facts: pd.DataFrame) -> None:
    assert facts["first_response_h"].round(2).to_dict() == pytest.approx(
        {"INT-000001": 2.0, "INT-000002": 6.0, "INT-000003": 9.0, "INT-000004": NAN,
         "INT-000005": NAN, "INT-000006": 0.1}, nan_ok=True)
    assert facts["resolution_h"].to_dict() == pytest.approx(
        {"INT-000001": 24.0, "INT-000002": 48.0, "INT-000003": 24.0, "INT-000004": NAN,
         "INT-000005": NAN, "INT-000006": 4.0}, nan_ok=True)
    assert facts.index[facts["first_contact"]].tolist() == ["INT-000001"]
    assert facts.index[facts["repeat"]].tolist() == ["INT-000003"]
    assert facts.index[facts["reopened"]].tolist() == ["INT-000006"]


def test_the_weekly_report_figures(facts: pd.DataFrame) -> None:
    week = period_for("weekly", "2026-W47", IST)
    report = weekly.build(facts, week, datetime(2026, 11, 23, 9, 0, tzinfo=IST), 24.0)
    assert dict(report.figures) == {
        "Total reported": 5,  # A B C D F (E was the week before)
        "Resolved": 4,  # A B C F
        "Average resolution time (h)": 25.0,  # (24 + 48 + 24 + 4) / 4
        "Median resolution time (h)": 24.0,  # 4 24 | 24 48
        "Median first response (h)": 4.0,  # 0.1 2 | 6 9 -> (2 + 6) / 2
        "First-contact resolution rate": 0.25,  # A of A B C F
        "Repeat-issue rate": 0.2,  # C of five
        "First-response target (24 h) breaches": 1,  # D, untouched for four days
    }
    shown = {name: (type(value), str(value)) for name, value in report.figures}
    assert shown["First-contact resolution rate"] == (Percent, "25%")  # a number, shown as %
    assert shown["Median first response (h)"] == (Hours, "4.0")
    types = {r[0]: r[1:] for r in report.tables[0].rows}
    assert types["Bug"] == (3, 0.6, 1, 2.0)  # A C F vs E: 60% of the week, up 200%
    assert types["Help"] == (1, 0.2, 0, "new")
    assert [type(v) for v in types["Bug"]] == [int, Percent, int, Percent]
    advice = [r[0] for r in report.tables[2].rows]
    assert advice == [
        'Bug tickets up 200% week on week (3 vs 1); 2 sellers reported "product not found"; '
        "consider a permanent fix.",
        "1 ticket waited over 24 h for a first response; check cover at the hours they "
        "arrived."]
    volume = {r[0]: r[1:] for r in report.tables[1].rows}
    assert volume["2026-11-16"] == (2, 0) and volume["2026-11-20"] == (1, 1)
    assert sum(r[1] for r in report.tables[1].rows) == 5


def test_the_daily_summary_figures(facts: pd.DataFrame) -> None:
    day = period_for("daily", "2026-11-20", IST)
    report = daily.build(facts, day, datetime(2026, 11, 20, 18, 0, tzinfo=IST))
    figures = dict(report.figures)
    assert (figures["New today"], figures["Resolved today"], figures["Escalated today"]) == \
        (1, 1, 0)  # F came and was resolved; C's escalation was on the 18th
    assert figures["Open"] == 1  # D (F is resolved again now)


def test_the_morning_review_lists(facts: pd.DataFrame) -> None:
    day = period_for("morning", "2026-11-23", IST)
    report = morning.build(facts, day, datetime(2026, 11, 23, 9, 0, tzinfo=IST), 24.0)
    lists = {t.title: [r[0] for r in t.rows] for t in report.tables}
    assert lists["New issues with nobody assigned"] == ["INT-000004"]
    assert lists["Pending since before today and not updated since"] == ["INT-000004"]
    assert lists["Open escalations"] == []
    # D waited past the whole 24 h target: past it, no longer "at risk" of missing it.
    assert lists["At risk of missing the 24 h first response"] == []
    assert lists["Past the 24 h first response, still unanswered"] == ["INT-000004"]
    assert report.digest == ("Morning review 2026-11-23: 1 new unassigned, 1 pending from "
                             "before today, 0 open escalations, 0 at risk of missing the 24 h "
                             "first response, 1 past it.")


def test_the_monthly_analysis(facts: pd.DataFrame) -> None:
    month = period_for("monthly", "2026-11", IST)
    report = monthly.build(facts, month, datetime(2026, 12, 1, 9, 0, tzinfo=IST))
    tables = {t.title: t.rows for t in report.tables}
    assert tables["Recurring issues that need permanent fixes"] == [
        ("product not found", 3, 2, "INT-000001, INT-000003, INT-000006")]
    assert tables["Feature requests for the roadmap"] == [
        ("please add bulk upload", 1, 1, "INT-000004")]
    assert tables["Team performance"] == [
        # Each ticket under its owner, the first person named. Priya owns A C; resolved both;
        # median (24, 24); C escalated; A first contact; named second on none
        ("Priya (Support)", 2, 2, 24.0, 0.5, 0.5, 0),
        # Rahul owns E F; both resolved in November; median of F's 4 (E's is unknown);
        # neither escalated; F reopened, so none FCR; named second on C
        ("Rahul (Tech)", 2, 2, 4.0, 0.0, 0.0, 1),
        # nobody: B D; B resolved (48 h, waited, so not FCR)
        ("(nobody assigned)", 2, 1, 48.0, 0.0, 0.0, 0),
    ]
    figures = dict(report.figures)
    # The columns add up to the figures: 2 + 2 + 2 reported, 2 + 2 + 1 resolved: A B C F, and
    # E, resolved before the adoption, between its Timestamp (10th) and the adoption (16th):
    # inside November, though on no single day of it.
    assert (figures["Reported"], figures["Resolved"]) == (6, 5)
    assert figures["Resolved before adoption, in no single day"] == 1
    assert sum(r[2] for r in report.tables[-1].rows) == 4  # the daily volume: all but E
    assert tables["Sellers needing more training or support"] == []


def test_a_ticket_resolved_before_adoption_counts_in_the_week_its_whole_interval_lies_in(
        facts: pd.DataFrame) -> None:
    # E: reported Tue 10th 10:00, found Resolved at the adoption, Mon 16th 00:00: resolved
    # within W46 (9th-15th), so it counts there, on no single day; W47 does not count it.
    w46 = weekly.build(facts, period_for("weekly", "2026-W46", IST),
                       datetime(2026, 11, 16, 9, 0, tzinfo=IST), 24.0)
    figures = dict(w46.figures)
    assert (figures["Total reported"], figures["Resolved"]) == (1, 1)
    assert figures["Resolved before adoption, in no single day"] == 1
    assert figures["Median resolution time (h)"] is None  # its time is unknown
    assert "Resolved before adoption, not placed" not in figures
    # The days around it cannot place it: the 10th overlaps its interval without holding it.
    tenth = dict(daily.build(facts, period_for("daily", "2026-11-10", IST),
                             datetime(2026, 11, 10, 18, 0, tzinfo=IST)).figures)
    assert (tenth["Resolved today"], tenth["Resolved before adoption, not placed"]) == (0, 1)


def test_an_empty_period_gives_a_report_of_zeros_not_an_error(facts: pd.DataFrame) -> None:
    week = period_for("weekly", "2026-W30", IST)
    report = weekly.build(facts, week, datetime(2026, 7, 27, 9, 0, tzinfo=IST), 24.0)
    assert dict(report.figures)["Total reported"] == 0
    assert dict(report.figures)["Median resolution time (h)"] is None
    assert [r[0] for r in report.tables[2].rows] == [
        "Nothing stands out: the week's figures are within their targets."]


def test_a_day_is_the_configured_timezones_day() -> None:
    late = [row("INT-000001", "Asha Stores", "+919800000001", "Bug", "Pending",
                "2026-11-20 23:30")]  # 18:00 UTC: the 20th in Kolkata, still the 20th in UTC
    early = [row("INT-000001", "Asha Stores", "+919800000001", "Bug", "Pending",
                 "2026-11-21 00:30")]  # 19:00 UTC on the 20th, but the 21st in Kolkata
    for rows, expected in ((late, 1), (early, 0)):
        sheet = sheet_of(rows)
        f = kpis.facts(kpis.ticket_frame(sheet, IST), kpis.history_frame([]), ADOPTED)
        report = daily.build(f, period_for("daily", "2026-11-20", IST),
                             datetime(2026, 11, 20, 18, 0, tzinfo=IST))
        assert dict(report.figures)["New today"] == expected


def test_the_saypro_preset_uses_its_own_columns() -> None:
    """Initial Response Time and Resolution Time as typed; ratings from the feedback;
    follow-ups due today in the morning review."""
    base = {"User Contact Information": "a@example.com", "Urgency Level": "High",
            "Support Interaction Method": "Live chat", "Resolution Provided": "Done.",
            "Additional Actions Taken": "None"}
    rows = [
        {**base, "Interaction ID": "INT-001234", "Date and Time of Interaction":
         "2026-11-20 10:00", "User ID/Username": "user1", "Issue/Request Description":
         "Cannot log in.", "Category of Issue/Request": "Account-related",
         "Assigned Support Agent": "Sarah L.", "Initial Response Time": "30 minutes",
         "Resolution Time": "2 hours", "Feedback from User": "Rated 4/5, quick.",
         "Follow-up Required": "Yes", "Follow-up Date": "2026-11-23",
         "Final Outcome": "Resolved and closed"},
        {**base, "Interaction ID": "INT-001235", "Date and Time of Interaction":
         "2026-11-21 10:00", "User ID/Username": "user2", "Issue/Request Description":
         "Listing not visible.", "Category of Issue/Request": "Listing-related",
         "Assigned Support Agent": "Sarah L.", "Initial Response Time": "1 hour 30 minutes",
         "Resolution Time": "", "Feedback from User": "", "Follow-up Required": "No",
         "Follow-up Date": "N/A", "Final Outcome": "Pending further investigation"},
    ]
    sheet = sheet_of(rows, "saypro-interaction-log")
    f = kpis.facts(kpis.ticket_frame(sheet, IST), kpis.history_frame([]), ADOPTED,
                   sheet.schema.waiting)
    assert f["first_response_h"].tolist() == [0.5, 1.5]
    assert f["resolution_h"].tolist()[0] == 2.0
    assert f["rating"].tolist()[0] == 4.0
    report = morning.build(f, period_for("morning", "2026-11-23", IST),
                           datetime(2026, 11, 23, 9, 0, tzinfo=IST), 24.0)
    lists = {t.title: [r[0] for r in t.rows] for t in report.tables}
    assert lists["Follow-ups due today"] == ["INT-001234"]
    assert lists["At risk of missing the 24 h first response"] == []  # both answered
    week = weekly.build(f, period_for("weekly", "2026-W47", IST),
                        datetime(2026, 11, 23, 9, 0, tzinfo=IST), 24.0)
    figures = dict(week.figures)
    assert figures["Average satisfaction (of 5)"] == 4.0  # one rating: 4/5
    assert figures["Median first response (h)"] == 1.0  # 0.5 and 1.5, as typed


@pytest.mark.parametrize(("feedback", "rating"), [
    ("Rated 4/5, quick.", 4.0), ("★★★★☆", 4.0), ("★★★☆☆ slow at first", 3.0),
    ("4 stars", 4.0), ("1 star", 1.0), ("3 out of 5", 3.0), ("Rating: 5", 5.0), ("rated 2", 2.0),
    ("4", 4.0), (4, 4.0), (4.5, 4.5), ("4.5", 4.5),
    ("User expressed satisfaction with resolution.", None), ("Resolved in 2 hours", None),
    ("10/10", None), (7, None), ("5 minutes", None), ("Rated 8/10", None),
])
def test_satisfaction_reads_the_ratings_people_write_and_never_scores_words(
        feedback: object, rating: float | None) -> None:
    row = {**SAYPRO_SAMPLE, "Feedback from User": feedback}
    sheet = sheet_of([row], "saypro-interaction-log")
    f = kpis.facts(kpis.ticket_frame(sheet, IST), kpis.history_frame([]), ADOPTED,
                   sheet.schema.waiting)
    assert f["rating"].tolist() == pytest.approx([NAN if rating is None else rating],
                                                 nan_ok=True)


def test_the_weekly_satisfaction_is_the_ratings_average_and_counts_feedback_without_one() -> None:
    rows = [{**SAYPRO_SAMPLE, "Interaction ID": f"INT-00123{n}", "Feedback from User": text}
            for n, text in enumerate(["★★★★☆", "5/5", "User expressed satisfaction.", ""])]
    sheet = sheet_of(rows, "saypro-interaction-log")
    f = kpis.facts(kpis.ticket_frame(sheet, IST), kpis.history_frame([]), ADOPTED,
                   sheet.schema.waiting)
    week = weekly.build(f, period_for("weekly", "2026-W47", IST),
                        datetime(2026, 11, 23, 9, 0, tzinfo=IST), 24.0)
    figures = dict(week.figures)
    # (4 + 5) / 2; the words are feedback without a rating, the blank is no feedback at all
    assert (figures["Average satisfaction (of 5)"], figures["Ratings"],
            figures["Feedback without a rating"]) == (4.5, 2, 1)


def test_with_working_hours_the_kpis_count_as_the_sla_timers_do() -> None:
    from sheetsync.core.sla import Calendar, due, working_hours

    sheet = sheet_of(ROWS)
    f = kpis.facts(kpis.ticket_frame(sheet, IST), kpis.history_frame(HISTORY), ADOPTED,
                   sheet.schema.waiting, Calendar(), IST)  # Monday to Friday, 09:00-18:00
    # A: reported Mon 16th 10:00, answered 12:00: 2 h; resolved Tue 10:00: 8 h + 1 h.
    # B: reported Mon 09:00, answered 15:00: 6 h; resolved Wed 09:00: 9 h + 9 h.
    assert f.loc["INT-000001", ["first_response_h", "resolution_h"]].tolist() == [2.0, 9.0]
    assert f.loc["INT-000002", ["first_response_h", "resolution_h"]].tolist() == [6.0, 18.0]
    start = datetime(2026, 11, 20, 17, 0, tzinfo=IST)  # a Friday
    assert working_hours(start, due(start, 8, Calendar()), Calendar()) == 8.0
