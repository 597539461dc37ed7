"""The functional core stays pure: no module of it imports I/O or service clients."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import sheetsync

PACKAGE = Path(sheetsync.__file__).parent
CORE = ["schema.py", "validators.py", "values.py", "table.py", "render.py", "perf.py",
        "tickets.py", "identity.py", "transitions.py", "messages.py", "rules.py", "effects.py",
        "privacy.py", "slack_blocks.py", "clickup_task.py", "task_links.py", "kpis.py",
        "reporting.py", "clusters.py", "jobs/morning.py", "jobs/daily.py", "jobs/weekly.py",
        "jobs/monthly.py", "jobs/schedule.py", "jobs/tables.py", "jobs/setup.py",
        "backends/cells.py", "backends/report_layout.py", "backends/google_cells.py",
        "backends/google_reports.py"]
FORBIDDEN = {"gspread", "google", "slack_sdk", "sqlite3", "httpx", "requests", "openpyxl",
             "urllib", "socket", "subprocess", "os", "pathlib", "prometheus_client", "http"}


def imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


@pytest.mark.parametrize("module", CORE)
def test_core_module_imports_no_io(module: str) -> None:
    assert imported_roots(PACKAGE / module) & FORBIDDEN == set()


def test_the_core_reads_no_clock() -> None:
    for module in CORE:
        text = (PACKAGE / module).read_text(encoding="utf-8")
        assert ".now(" not in text and "time.time(" not in text, module


def test_the_public_api_is_what_it_was() -> None:
    assert sheetsync.__all__ == sorted(sheetsync.__all__)
    assert set(sheetsync.__all__) == {
        "CODES", "PRESETS", "CheckContext", "Config", "ConfigError", "Finding", "InputError",
        "Schema", "Sheet", "SheetsyncError", "TrackerError", "__version__", "bind", "check",
        "load_config"}
