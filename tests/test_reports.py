"""Report tabs on the schedule: due periods, catch-up after downtime, idempotent re-runs,
retention, charts that survive later saves, digests, and a day of the daemon on the demo."""

from __future__ import annotations

import json
from io import StringIO
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import zipfile

import openpyxl
import pytest

from sheetsync.app import logs
from sheetsync.backends.workbook import Workbook
from sheetsync.app.cli import main
from sheetsync.config import Config, load_config
from sheetsync.app.daemon import run_daemon
from sheetsync.app.demo import make_demo
from sheetsync.integrations.dispatch import Sinks
from sheetsync.integrations.outbox import LocalOutbox
from sheetsync.jobs.reports import run_due, run_report
from sheetsync.core.schedule import due
from sheetsync.jobs.sync import run_sync
from sheetsync.core.reporting import period_for
from sheetsync.state import StateStore
from tests.helpers import Ticks

IST = ZoneInfo("Asia/Kolkata")
TIMES = {"morning": "09:00", "daily": "18:00", "weekly": "09:00", "monthly": "09:00"}
JOBS = ("morning", "daily", "weekly", "monthly")
ADOPTED = datetime(2026, 11, 2, 12, 0, tzinfo=IST)  # a Monday afternoon


def labels(found: list) -> dict[str, str]:  # type: ignore[type-arg]
    return {period.job: period.label for period, _ in found}


# --- which periods are due ----------------------------------------------------------------------

def test_on_a_monday_morning_each_job_is_due_for_its_own_period() -> None:
    now = datetime(2026, 11, 23, 9, 5, tzinfo=IST)  # Monday
    october = datetime(2026, 10, 20, 12, 0, tzinfo=IST)
    assert labels(due(now, TIMES, JOBS, set(), october)) == {
        "morning": "2026-11-23", "daily": "2026-11-22", "weekly": "2026-W47",
        "monthly": "2026-10"}


def test_after_three_weeks_down_each_job_runs_once_for_its_latest_period() -> None:
    back = datetime(2026, 12, 14, 7, 0, tzinfo=IST)  # Monday, before 09:00
    found = due(back, TIMES, JOBS, set(), ADOPTED)
    assert labels(found) == {"morning": "2026-12-13", "daily": "2026-12-13",
                             "weekly": "2026-W49", "monthly": "2026-11"}
    done = {(p.job, p.label) for p, _ in found}
    assert due(back, TIMES, JOBS, done, ADOPTED) == []  # never twice for a period
    assert due(back + timedelta(hours=2, minutes=1), TIMES, JOBS, done, ADOPTED)[0][0].label \
        == "2026-12-14"  # then 09:00 comes round


def test_nothing_from_before_adoption_is_caught_up() -> None:
    adopted = datetime(2026, 11, 23, 12, 0, tzinfo=IST)
    assert due(datetime(2026, 11, 23, 12, 5, tzinfo=IST), TIMES, JOBS, set(), adopted) == []
    assert due(datetime(2026, 11, 23, 9, 0, tzinfo=IST), TIMES, JOBS, set(), None) == []


# --- writing the tabs ---------------------------------------------------------------------------

@pytest.fixture
def adopted(tmp_path: Path) -> Config:
    made = make_demo(tmp_path / "demo", "seller-support", "Asia/Kolkata", "IN",
                     datetime(2026, 11, 23, 6, 30, tzinfo=IST))
    config = load_config(made.config_path, environ={})
    run_sync(config, ADOPTED)
    return config


def tabs(config: Config) -> list[str]:
    return openpyxl.load_workbook(config.workbook_path).sheetnames


def sinks_for(config: Config) -> Sinks:
    return Sinks(LocalOutbox(config.outbox_path))


def test_a_catch_up_writes_each_missed_report_exactly_once(adopted: Config) -> None:
    back = datetime(2026, 12, 7, 9, 30, tzinfo=IST)  # five weeks later, a Monday
    written = run_due(adopted, back, sinks_for(adopted), lambda _: None)
    assert sorted(w.tab for w in written) == ["Daily 2026-12-06", "Monthly 2026-11",
                                              "Morning 2026-12-07", "Weekly 2026-W49"]
    assert all(w.skipped is None for w in written)
    assert run_due(adopted, back + timedelta(minutes=5), sinks_for(adopted),
                   lambda _: None) == []
    assert tabs(adopted)[1:] == ["Morning 2026-12-07", "Daily 2026-12-06", "Weekly 2026-W49",
                                 "Monthly 2026-11"]
    digests = [json.loads(line) for line in adopted.outbox_path.read_text().splitlines()]
    # Each caught-up report's digest goes once, the weekly and monthly ones too, naming the
    # tab (a local workbook has no address to link to).
    assert [d["key"] for d in digests] == [
        "slack.digest:morning:2026-12-07", "slack.digest:daily:2026-12-06",
        "slack.digest:weekly:2026-W49", "slack.digest:monthly:2026-11"]
    assert digests[0]["text"].startswith("Morning review 2026-12-07: ")
    weekly, monthly = digests[2], digests[3]
    assert weekly["text"].startswith("Weekly report 2026-W49: Total reported ")
    assert "Resolved " in weekly["text"] and weekly["tab"] == "Weekly 2026-W49"
    assert monthly["text"].startswith("Monthly analysis 2026-11: Reported ")
    assert "tab_url" not in weekly


def test_weekly_and_monthly_digests_can_be_switched_off(adopted: Config) -> None:
    text = adopted.source.read_text(encoding="utf-8")  # type: ignore[union-attr]
    adopted.source.write_text(text + "\n[reports]\nweekly_digest = false\n"  # type: ignore
                              "monthly_digest = false\n", encoding="utf-8")
    config = load_config(adopted.source, environ={})
    run_due(config, datetime(2026, 12, 7, 9, 30, tzinfo=IST), sinks_for(config),
            lambda _: None)
    keys = [json.loads(line)["key"] for line in config.outbox_path.read_text().splitlines()]
    assert keys == ["slack.digest:morning:2026-12-07", "slack.digest:daily:2026-12-06"]


def test_running_a_report_again_replaces_its_tab(adopted: Config) -> None:
    period = period_for("weekly", "2026-W47", IST)
    with StateStore(adopted.state_path) as store:
        for _ in range(2):
            assert run_report(adopted, period, datetime(2026, 11, 23, 9, 0, tzinfo=IST), store,
                              None).skipped is None
    book = openpyxl.load_workbook(adopted.workbook_path)
    assert book.sheetnames.count("Weekly 2026-W47") == 1
    sheet = book["Weekly 2026-W47"]
    titles = [c.value for c in sheet["A"] if c.value == "Common issue categories"]
    assert titles == ["Common issue categories"] and len(sheet._charts) == 2
    with zipfile.ZipFile(adopted.workbook_path) as archive:  # its print titles once
        assert archive.read("xl/workbook.xml").count(b"_xlnm.Print_Titles") == 1


def test_old_period_tabs_beyond_the_retention_are_removed(adopted: Config) -> None:
    with StateStore(adopted.state_path) as store:
        for day in range(1, 17):
            period = period_for("daily", f"2026-11-{day:02d}", IST)
            run_report(adopted, period, period.start + timedelta(hours=18), store, None)
    daily = [t for t in tabs(adopted) if t.startswith("Daily ")]
    assert daily == [f"Daily 2026-11-{day:02d}" for day in range(3, 17)]  # the last 14
    # Each kept tab still prints its own title rows atop its pages: the removed tabs' print
    # titles went with them, and the later tabs' moved down with their sheets.
    book = openpyxl.load_workbook(adopted.workbook_path)
    assert all(book[t].print_title_rows == "$1:$2" for t in daily)
    with zipfile.ZipFile(adopted.workbook_path) as archive:
        assert archive.read("xl/workbook.xml").count(b"_xlnm.Print_Titles") == len(daily)


def test_report_charts_survive_a_later_save_and_a_persons_chart_survives_the_next(
        adopted: Config) -> None:
    period = period_for("monthly", "2026-11", IST)
    with StateStore(adopted.state_path) as store:
        run_report(adopted, period, datetime(2026, 12, 1, 9, 0, tzinfo=IST), store, None)
    assert Workbook(adopted.workbook_path, "Tracker").save_blockers() == []
    book = openpyxl.load_workbook(adopted.workbook_path)
    sheet = book["Tracker"]
    sheet.cell(row=2, column=6).value = "Escalated"
    book.save(adopted.workbook_path)
    report = run_sync(adopted, ADOPTED + timedelta(days=30))
    assert report.write_skipped is None
    assert len(openpyxl.load_workbook(adopted.workbook_path)["Monthly 2026-11"]._charts) == 2
    from openpyxl.chart import BarChart, Reference
    book = openpyxl.load_workbook(adopted.workbook_path)
    chart = BarChart()
    chart.add_data(Reference(book["Tracker"], min_col=1, min_row=1, max_row=3))
    book["Tracker"].add_chart(chart, "Z2")  # a person's own chart, in the tracker tab
    book.save(adopted.workbook_path)
    assert Workbook(adopted.workbook_path, "Tracker").save_blockers() == []
    persons = _tracker_drawing(adopted.workbook_path)
    with StateStore(adopted.state_path) as store:
        written = run_report(adopted, period_for("monthly", "2026-11", IST),
                             ADOPTED + timedelta(days=31), store, None)
    assert written.skipped is None
    book = openpyxl.load_workbook(adopted.workbook_path)
    assert len(book["Tracker"]._charts) == 1 and len(book["Monthly 2026-11"]._charts) == 2
    assert _tracker_drawing(adopted.workbook_path) == persons  # byte for byte


def _tracker_drawing(path: Path) -> dict[str, bytes]:
    """The Tracker tab's drawing and chart parts, by name."""
    from sheetsync.core.xlsx_parts import CHART, DRAWING, relationships, rels_of, resolve

    with zipfile.ZipFile(path) as archive:
        sheet = "xl/worksheets/sheet1.xml"
        drawings = [resolve(sheet, r.target) for r in relationships(archive.read(
            rels_of(sheet))) if r.type == DRAWING]
        charts = [resolve(d, r.target) for d in drawings
                  for r in relationships(archive.read(rels_of(d))) if r.type == CHART]
        assert drawings and charts
        return {n: archive.read(n) for n in drawings + charts}


def test_text_from_a_row_never_becomes_a_formula_in_a_report(adopted: Config) -> None:
    book = openpyxl.load_workbook(adopted.workbook_path)
    sheet = book["Tracker"]
    header = [c.value for c in sheet[1]]
    # Row 4: Lakshmi Textiles, Pending with nobody assigned, so the morning review lists it.
    sheet.cell(row=4, column=header.index("Seller Name") + 1).value = "=HYPERLINK(\"x\")"
    sheet.cell(row=4, column=header.index("Seller Name") + 1).data_type = "s"
    book.save(adopted.workbook_path)
    with StateStore(adopted.state_path) as store:
        run_report(adopted, period_for("morning", "2026-11-23", IST),
                   datetime(2026, 11, 23, 9, 0, tzinfo=IST), store, None)
    cells = [c for row in openpyxl.load_workbook(adopted.workbook_path)["Morning 2026-11-23"]
             for c in row if c.value == "=HYPERLINK(\"x\")"]
    assert cells and all(c.data_type == "s" for c in cells)


# --- the CLI and the daemon ---------------------------------------------------------------------

def test_sheetsync_report_writes_a_named_period_and_says_so_in_json(
        adopted: Config, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert main(["report", "weekly", "--for", "2026-W47", "--format", "json",
                 "--config", str(adopted.source)]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert (shown["job"], shown["period"], shown["tab"], shown["written"]) == (
        "weekly", "2026-W47", "Weekly 2026-W47", True)
    assert shown["figures"]["Total reported"] >= 1
    assert main(["report", "weekly", "--for", "2026-11", "--config", str(adopted.source)]) == 2
    assert 'a weekly report is for YYYY-Www' in capsys.readouterr().err


def test_sheetsync_report_counts_only_the_charts_it_wrote(
        adopted: Config, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    for day, charts in (("2026-11-10", "0 charts"), ("2026-11-22", "1 chart")):
        assert main(["report", "daily", "--for", day, "--config", str(adopted.source)]) == 0
        said = capsys.readouterr().out.splitlines()[0]
        assert said.endswith(f": 4 tables, {charts}."), said  # nobody reported on the 10th
        drawn = openpyxl.load_workbook(adopted.workbook_path)[f"Daily {day}"]._charts
        assert len(drawn) == int(charts[0])


def test_a_day_of_the_daemon_writes_the_morning_review_and_the_daily_summary(
        tmp_path: Path) -> None:
    made = make_demo(tmp_path / "demo", "seller-support", "Asia/Kolkata", "IN",
                     datetime(2026, 11, 23, 6, 30, tzinfo=IST))
    config = load_config(made.config_path, environ={})
    day = [datetime(2026, 11, 23, h, m, tzinfo=IST) for h, m in
           ((7, 0), (9, 1), (11, 0), (15, 0), (18, 1), (20, 0))]
    clock = iter(day * 10)
    times: list[datetime] = []

    def now() -> datetime:
        times.append(next(clock))
        return times[-1]

    def new_bug(tick: int) -> None:
        if tick == 3:  # late morning: a seller reports a bug
            book = openpyxl.load_workbook(config.workbook_path)
            sheet = book["Tracker"]
            header = [c.value for c in sheet[1]]
            values = {"WhatsApp Number": "+919812300000", "Seller Name": "Nandi Dairy",
                      "Issue Type": "Bug", "Description": "Cannot add products.",
                      "Status": "Pending", "Timestamp": "2026-11-23 11:00"}
            sheet.append([values.get(h) for h in header])
            book.save(config.workbook_path)

    stream = StringIO()
    logs.setup("text", stream)
    assert run_daemon(config, stop=Ticks(6, new_bug), now=now, environ={}) == 0
    book = openpyxl.load_workbook(config.workbook_path)
    # A Monday: the weekly report fell due at 09:00 too, after the 07:00 adoption, but for
    # 2026-W47, a week wholly before the adoption: no tab for it.
    assert book.sheetnames == ["Tracker", "Morning 2026-11-23", "Daily 2026-11-23"]
    assert len(book["Morning 2026-11-23"]._charts) == 1
    assert len(book["Daily 2026-11-23"]._charts) == 1
    daily = {row[0].value: row[1].value for row in book["Daily 2026-11-23"].iter_rows(
        min_row=5, max_row=9)}
    # The demo's rows stamped 02:30, 04:30, 05:30 and 06:00 today, and Nandi Dairy's at 11:00.
    assert daily["New today"] == 5
    assert stream.getvalue().count("info report ") == 2


def test_status_shows_when_each_report_is_next_due(
        adopted: Config, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    import sheetsync.app.cli as cli

    monkeypatch.setattr(cli, "_now", lambda: datetime(2026, 11, 30, 10, 0, tzinfo=IST))
    capsys.readouterr()
    assert main(["status", "--config", str(adopted.source)]) == 0
    assert ("Next reports: daily 2026-11-30 18:00, morning 2026-12-01 09:00, monthly "
            "2026-12-01 09:00, weekly 2026-12-07 09:00") in capsys.readouterr().out
    assert main(["status", "--format", "json", "--config", str(adopted.source)]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["next_reports"][0] == {"job": "daily", "at": "2026-11-30T18:00:00+05:30"}


def test_a_report_the_workbook_cannot_take_now_is_retried_and_said_once(
        adopted: Config) -> None:
    lock = adopted.workbook_path.parent / f"~${adopted.workbook_path.name}"
    lock.write_text("someone has it open")
    stream = StringIO()
    logs.setup("text", stream)
    from sheetsync.app.daemon import _log_report

    back = datetime(2026, 11, 3, 9, 30, tzinfo=IST)
    for minutes in (0, 1, 2):
        written = run_due(adopted, back + timedelta(minutes=minutes), None, _log_report)
        assert written and all(w.skipped for w in written)
    assert stream.getvalue().count("report skipped") == len(written)  # once per job
    lock.unlink()
    assert all(w.skipped is None for w in run_due(adopted, back + timedelta(minutes=3), None,
                                                  _log_report))
    assert run_due(adopted, back + timedelta(minutes=4), None, _log_report) == []


# --- day one: a tracker with history before adoption --------------------------------------------

def figures_of(sheet: openpyxl.worksheet.worksheet.Worksheet) -> dict[str, object]:
    """The tab's Figure / Value rows, as a person reads them."""
    rows = list(sheet.iter_rows(values_only=True))
    start = rows.index(next(r for r in rows if r[:2] == ("Figure", "Value"))) + 1
    found = {}
    for row in rows[start:]:
        if row[0] is None:
            break
        found[row[0]] = row[1]
    return found


def listed(sheet: openpyxl.worksheet.worksheet.Worksheet, title: str) -> list[tuple[object, ...]]:
    """The rows of the table titled `title` in a tab: after its title (its last mention: a
    figure may have the same name), any note and its header row (the first with two cells),
    up to the blank row that ends it."""
    rows = list(sheet.iter_rows(values_only=True))
    at = max(i for i, r in enumerate(rows) if r[0] == title) + 1
    while sum(v is not None for v in rows[at]) < 2:
        at += 1
    end = next((i for i in range(at + 1, len(rows)) if rows[i][0] is None), len(rows))
    return rows[at + 1:end]


def test_day_one_on_a_tracker_with_history(tmp_path: Path) -> None:
    """The demo adopted at 08:59 on the day it was made (06:30), with one more ticket reported
    at 08:00 and already Resolved then: what the tabs say."""
    made = make_demo(tmp_path / "demo", "seller-support", "Asia/Kolkata", "IN",
                     datetime(2026, 11, 23, 6, 30, tzinfo=IST))
    config = load_config(made.config_path, environ={})
    book = openpyxl.load_workbook(config.workbook_path)
    header = [c.value for c in book["Tracker"][1]]
    quick = {"WhatsApp Number": "+919812300000", "Seller Name": "Nandi Dairy",
             "Issue Type": "Help", "Description": "How do I print an invoice?",
             "Status": "Resolved", "Resolution Summary": "Showed the print button.",
             "Timestamp": "2026-11-23 08:00"}
    book["Tracker"].append([quick.get(h) for h in header])
    book.save(config.workbook_path)
    run_sync(config, datetime(2026, 11, 23, 8, 59, tzinfo=IST))
    with StateStore(config.state_path) as store:
        for job, label, at in (("morning", "2026-11-23", datetime(2026, 11, 23, 9, 0, tzinfo=IST)),
                               ("daily", "2026-11-23", datetime(2026, 11, 23, 18, 0, tzinfo=IST)),
                               ("weekly", "2026-W48", datetime(2026, 11, 30, 9, 0, tzinfo=IST)),
                               ("monthly", "2026-11", datetime(2026, 12, 1, 9, 0, tzinfo=IST))):
            assert run_report(config, period_for(job, label, IST), at, store, None).skipped is None
        before = run_report(config, period_for("weekly", "2026-W47", IST),
                            datetime(2026, 11, 23, 9, 0, tzinfo=IST), store, None)
    assert before.skipped == ("2026-W47 lies wholly before sheetsync adopted the tracker "
                              "(2026-11-23 08:59), so it knows nothing of it")
    book = openpyxl.load_workbook(config.workbook_path)
    assert "Weekly 2026-W47" not in book.sheetnames
    morning_tab = book["Morning 2026-11-23"]
    # Only the tickets still waiting for a first response (Pending, nobody assigned, 18 h or
    # older): at risk below the 24 h target, past it beyond; none that was assigned or In
    # Progress at adoption (first response unknown), and not the one dated in the future.
    at_risk = listed(morning_tab, "At risk of missing the 24 h first response")
    past = listed(morning_tab, "Past the 24 h first response, still unanswered")
    assert [r[0] for r in at_risk] == ["INT-000009"]  # the unnamed seller, under 24 h
    assert [r[0] for r in past] == ["INT-000003", "INT-000011"]  # Lakshmi, Green Leaf
    assert all(18 <= r[2] < 24 for r in at_risk) and all(r[2] >= 24 for r in past)
    # Pending for days before adoption: adoption is not an update.
    assert len(listed(morning_tab, "Pending since before today and not updated since")) == 4
    [future] = listed(morning_tab, "Dated in the future")  # Sai Mobile Store, 50 h ahead
    assert future[1].endswith("(in the future)") and future[2] == "n/a"  # its age unknown
    # Nandi Dairy's was resolved between 08:00 and 08:59 that day: in that day, its week and
    # its month. The demo's three older ones Resolved at adoption (reported 45 to 75 h
    # before) lie in November, in no single day of it, and in W47 and W48 both: the month
    # counts them, the week and the day say they cannot place them.
    day = figures_of(book["Daily 2026-11-23"])
    assert (day["Resolved today"], day["Resolved before adoption, not placed"]) == (1, 3)
    week = figures_of(book["Weekly 2026-W48"])
    assert (week["Resolved"], week["Resolved before adoption, not placed"]) == (1, 3)
    month = figures_of(book["Monthly 2026-11"])
    assert (month["Resolved"], month["Resolved before adoption, in no single day"]) == (4, 3)
    team = listed(book["Monthly 2026-11"], "Team performance")
    assert sum(r[2] for r in team) == month["Resolved"]
    assert sum(r[1] for r in team) == month["Reported"]


def test_status_and_sync_say_when_the_tracker_is_not_being_written(
        adopted: Config, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    import sheetsync.app.cli as cli

    lock = adopted.workbook_path.parent / f"~${adopted.workbook_path.name}"
    lock.write_text("someone has it open")
    edit_row = openpyxl.load_workbook(adopted.workbook_path)
    edit_row["Tracker"].cell(row=2, column=6).value = "Escalated"  # a Sync Note to write
    edit_row.save(adopted.workbook_path)
    start = datetime(2026, 11, 30, 10, 0, tzinfo=IST)
    for minutes in (0, 6, 12):
        monkeypatch.setattr(cli, "_now", lambda m=minutes: start + timedelta(minutes=m))
        assert main(["sync", "--config", str(adopted.source)]) == 0
    said = capsys.readouterr()
    assert "no cells written" in said.out and " cells written." not in said.out
    assert "Did not write the tracker: it is open in another program" in said.err
    assert main(["status", "--config", str(adopted.source)]) == 0
    [line] = [l for l in capsys.readouterr().out.splitlines() if l.startswith("Not written")]
    assert "3 cycles (12 min)" in line and "~$" in line and "close the tracker" in line
    lock.unlink()
    assert main(["sync", "--config", str(adopted.source)]) == 0
    assert main(["status", "--config", str(adopted.source)]) == 0
    assert "Not written" not in capsys.readouterr().out
