"""The four report tabs of a workbook as people read and print them: a month of a team's
tickets, the tabs printed to PDF by LibreOffice (landscape, at most two pages a tab, the title
rows atop every page), and their numbers read back as numbers by openpyxl and calamine.

The tracker is the demo adopted on 2 November 2026, then a month of a team's days: each
evening five new tickets of the day, and the day before's answered (two in three resolved, the
others In Progress) but for its last, left waiting with nobody assigned, synced once a day: a
team behind on its first responses, whose morning review runs to a second page.
"""

from __future__ import annotations

import re
import subprocess
import zipfile
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from python_calamine import CalamineWorkbook

from sheetsync.app.demo import make_demo
from sheetsync.config import Config, load_config
from sheetsync.core.reporting import UNKNOWN, Hours, Percent, Report, period_for
from sheetsync.jobs.reports import run_report
from sheetsync.jobs.sync import run_sync
from sheetsync.state import StateStore
from tests.office import as_pdf, poppler

IST = ZoneInfo("Asia/Kolkata")
ADOPTED = datetime(2026, 11, 2, 8, 59, tzinfo=IST)
SELLERS = ("Sharma General Store", "Gupta Kirana Mart", "Lakshmi Textiles", "Green Leaf Pharmacy",
           "Patel Electronics", "Noor Fashion", "Fresh Farm Organics", "Sai Mobile Store")
ISSUES = (("Bug", "Product not found when updating stock for {item}."),
          ("Help", "How do I add a discount to {item}?"),
          ("Feature Request", "Please add bulk upload for {item}."),
          ("Bug", "Order confirmation for {item} does not reach customers."),
          ("Complaint", "Payout for {item} orders has not arrived."))
ITEMS = ("rice", "atta", "sarees", "phone covers", "vitamins", "tomatoes", "chargers")
AGENTS = ("Priya (Support)", "Rahul (Tech)", "Arjun (Support)")
LEFT_WAITING = "17:15"  # the day's last ticket: nobody answers it
#: job -> (period, when it is written)
TABS = {"morning": ("2026-11-30", datetime(2026, 11, 30, 9, 0, tzinfo=IST)),
        "daily": ("2026-11-29", datetime(2026, 11, 29, 18, 0, tzinfo=IST)),
        "weekly": ("2026-W48", datetime(2026, 11, 30, 9, 0, tzinfo=IST)),
        "monthly": ("2026-11", datetime(2026, 12, 1, 9, 0, tzinfo=IST))}


def a_month_of_tickets(folder: Path) -> Config:
    made = make_demo(folder, "seller-support", "Asia/Kolkata", "IN", ADOPTED - timedelta(hours=2))
    config = load_config(made.config_path, environ={})
    run_sync(config, ADOPTED)
    number = 0
    for day in range(2, 30):
        evening = datetime(2026, 11, day, 18, 0, tzinfo=IST)
        book = openpyxl.load_workbook(config.workbook_path)
        sheet = book[config.settings.tracker.tab]
        header = [c.value for c in sheet[1]]
        yesterday = (evening - timedelta(days=1)).strftime("%Y-%m-%d")
        for row in sheet.iter_rows(min_row=2):
            cells = {name: cell for name, cell in zip(header, row)}
            stamp = str(cells["Timestamp"].value or "")
            if not stamp.startswith(yesterday) or stamp.endswith(LEFT_WAITING):
                continue
            number += 1
            cells["Assigned To"].value = AGENTS[number % len(AGENTS)]
            if number % 3:
                cells["Status"].value = "Resolved"
                cells["Resolution Summary"].value = "Walked the seller through it; working now."
            else:
                cells["Status"].value = "In Progress"
        for n in range(5):
            kind, text = ISSUES[(day + n) % len(ISSUES)]
            values = {"WhatsApp Number": f"+9198{day:02d}{n:06d}",
                      "Seller Name": SELLERS[(day * 3 + n) % len(SELLERS)], "Issue Type": kind,
                      "Description": text.format(item=ITEMS[(day + n) % len(ITEMS)]),
                      "Status": "Pending", "Timestamp": f"2026-11-{day:02d} {9 + n * 2:02d}:15"}
            sheet.append([values.get(h) for h in header])
        book.save(config.workbook_path)
        run_sync(config, evening + timedelta(minutes=5))
    return config


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> tuple[Config, dict[str, Report]]:
    config = a_month_of_tickets(tmp_path_factory.mktemp("month") / "demo")
    reports = {}
    with StateStore(config.state_path) as store:
        for job, (label, at) in TABS.items():
            done = run_report(config, period_for(job, label, IST), at, store, None)
            assert done.skipped is None
            reports[done.tab] = done.report
    return config, reports


def pdf_pages(pdf: Path) -> list[tuple[float, float, str]]:
    """Each page of a PDF: its width and height in points, and its text."""
    info = subprocess.run([poppler("pdfinfo"), "-f", "1", "-l", "9999", str(pdf)],
                          capture_output=True, text=True, check=True).stdout
    sizes = [(float(w), float(h)) for w, h in
             re.findall(r"Page\s+\d+ size:\s+([\d.]+) x ([\d.]+)", info)]
    text = subprocess.run([poppler("pdftotext"), "-layout", str(pdf), "-"],
                          capture_output=True, text=True, check=True).stdout
    pages = text.split("\f")
    return [(w, h, pages[i]) for i, (w, h) in enumerate(sizes)]


def test_each_tab_prints_landscape_on_at_most_two_pages_with_its_title_atop_each(
    written: tuple[Config, dict[str, Report]], tmp_path: Path
) -> None:
    config, reports = written
    [pdf] = as_pdf([config.workbook_path], tmp_path).values()
    pages = pdf_pages(pdf)
    counted = {}
    for tab, report in reports.items():
        mine = [(w, h, text) for w, h, text in pages if report.title in text]
        counted[tab] = len(mine)
        assert 1 <= len(mine) <= 2, (tab, len(mine))
        assert all(w > h for w, h, _ in mine), tab  # landscape
        # The title rows repeat: the title, and when and for what it was written.
        assert all(text.lstrip().startswith(report.title) and "Written by sheetsync at"
                   in text for _, _, text in mine), tab
    assert counted["Morning 2026-11-30"] == 2  # its long lists: the title printed twice
    tables = [t.title for report in reports.values() for t in report.tables]
    printed = "".join(text for _, _, text in pages)
    assert all(title in printed for title in tables)  # nothing fell off the page


def test_numbers_are_numbers_with_their_formats_for_openpyxl_and_calamine(
    written: tuple[Config, dict[str, Report]]
) -> None:
    config, reports = written
    book = openpyxl.load_workbook(config.workbook_path)
    calamine = CalamineWorkbook.from_path(str(config.workbook_path))
    kinds = set()
    for tab, report in reports.items():
        sheet = book[tab]
        read = calamine.get_sheet_by_name(tab).to_python()
        names: dict[str, int] = {}  # the figures come first (a table's heading may repeat one)
        for row in range(1, sheet.max_row + 1):
            names.setdefault(str(sheet.cell(row, 1).value), row)
        for name, value in report.figures:
            cell = sheet.cell(names[name], 2)
            if value is None:
                assert cell.value == UNKNOWN, (tab, name)
                continue
            assert isinstance(cell.value, (int, float)) and cell.value == pytest.approx(value)
            assert read[names[name] - 1][1] == pytest.approx(value)  # a number to calamine
            wanted = {Percent: "0%", Hours: "0.0"}.get(type(value), "0")
            if type(value) in (Percent, Hours, int):
                kinds.add(type(value))
                assert cell.number_format == wanted, (tab, name, cell.number_format)
    assert kinds == {Percent, Hours, int}


def test_the_tabs_freeze_their_title_rows_print_them_on_every_page_and_draw_straight_lines(
    written: tuple[Config, dict[str, Report]]
) -> None:
    config, reports = written
    book = openpyxl.load_workbook(config.workbook_path)
    for tab in reports:
        sheet = book[tab]
        assert sheet.freeze_panes == "A3"
        assert sheet.print_title_rows == "$1:$2"
        assert sheet.page_setup.orientation == "landscape"
        assert (sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight) == (1, 0)
        assert sheet.sheet_properties.pageSetUpPr.fitToPage
    assert book["Tracker"].page_setup.orientation is None  # the team's own tab untouched
    with zipfile.ZipFile(config.workbook_path) as archive:
        lines = [archive.read(n) for n in archive.namelist()
                 if n.startswith("xl/charts/") and b"lineChart>" in archive.read(n)]
    assert len(lines) == 2  # the weekly's and the monthly's daily volume
    for chart in lines:  # every series straight: a count never curves below zero
        assert chart.count(b"<ser>") == chart.count(b'<smooth val="0"') == 2
