"""The library API: rows as dicts or a DataFrame checked, a cycle run, a report built, from
`import sheetsync` alone."""

from __future__ import annotations

import doctest
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd
import pytest

import sheetsync
import sheetsync.api
from sheetsync.app.demo import make_demo

NOW = datetime(2026, 11, 23, 6, 30, tzinfo=timezone.utc)
ROW = {"Timestamp": "2026-11-20 10:00", "WhatsApp Number": "+919876543210",
       "Seller Name": "Sharma General Store", "Issue Type": "Bug",
       "Description": "Stock does not update", "Status": "Pending", "Priority": "High",
       "Assigned To": "Priya (Support)", "Resolution Summary": None}


def test_the_documented_example_holds() -> None:
    assert doctest.testmod(sheetsync.api).failed == 0


def test_rows_as_dicts_are_numbered_as_a_sheet_under_its_header() -> None:
    rows = [ROW, {**ROW, "Status": "Resolved"}, {**ROW, "Issue Type": "Bugg"}]
    found = [(f.row, f.column, f.code) for f in sheetsync.check_rows(rows, now=NOW)]
    assert found == [(3, "Resolution Summary", "resolution.missing"),
                     (4, "Issue Type", "choice.unknown")]


def test_a_dataframe_with_missing_values_is_checked_as_blank_cells() -> None:
    frame = pd.DataFrame([ROW, {**ROW, "Seller Name": float("nan"),
                                "Timestamp": pd.Timestamp("2026-11-21 09:00")}])
    found = [(f.row, f.column, f.code) for f in sheetsync.check_rows(frame, now=NOW)]
    assert found == [(3, "Seller Name", "required.missing")]


def test_a_preset_or_a_config_says_the_columns_and_a_wrong_one_is_named() -> None:
    with pytest.raises(sheetsync.ConfigError, match="preset"):
        sheetsync.check_rows([ROW], preset="no-such-preset")
    with pytest.raises(sheetsync.TrackerError, match="User Contact Information"):
        sheetsync.check_rows([ROW], preset="saypro-interaction-log", now=NOW)
    with pytest.raises(sheetsync.InputError, match="not both"):
        sheetsync.check_rows([ROW], preset="seller-support",
                             config=sheetsync.load_config(environ={}))


def test_a_cycle_runs_and_a_report_is_built_as_data(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SHEETSYNC_CONFIG", raising=False)
    demo = make_demo(tmp_path / "demo", "seller-support", "Asia/Kolkata", "IN",
                     datetime.now(timezone.utc))
    config = sheetsync.load_config(demo.config_path, environ={})
    planned = sheetsync.run_cycle(config, dry_run=True)
    assert planned.rows > 0 and not (demo.folder / "sheetsync.db").exists()
    done = sheetsync.run_cycle(config)
    assert done.adopted and (demo.folder / "sheetsync.db").exists()
    report = sheetsync.build_report(config, "daily")
    assert report.title.startswith("Daily summary")
    assert dict(report.figures)["New today"] >= 0 and "Daily summary" in report.digest
    with pytest.raises(sheetsync.InputError, match="YYYY-Www"):
        sheetsync.build_report(config, "weekly", "last week")
