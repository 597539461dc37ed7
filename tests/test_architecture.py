"""The functional core stays pure: no module of it imports I/O or service clients."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import sheetsync

PACKAGE = Path(sheetsync.__file__).parent
#: The core is a folder, plus the two modules the design card keeps at the top.
CORE = sorted([*(str(p.relative_to(PACKAGE)) for p in (PACKAGE / "core").rglob("*.py")),
               "schema.py", "validators.py"])
#: The shell's packages: each holds I/O, and none of the core imports them.
SHELL = ("app", "backends", "integrations", "jobs", "state")
FORBIDDEN = {"gspread", "google", "slack_sdk", "sqlite3", "sqlalchemy", "alembic", "psycopg",
             "httpx", "requests", "openpyxl", "urllib", "socket", "subprocess", "os", "pathlib",
             "prometheus_client", "http", "tqdm", "schedule", "pytz"}  # bars and wakes: the edges


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


def test_the_core_is_a_folder_and_the_rest_of_the_tree_is_the_shell() -> None:
    assert len(CORE) > 30  # the folder is where the core is, not a few stray files
    top = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert top == ["__init__.py", "__main__.py", "api.py", "config.py", "errors.py", "faults.py",
                   "schema.py", "table.py", "validators.py"]  # table.py: the old path kept
    assert sorted(p.name for p in PACKAGE.iterdir() if p.is_dir() and
                  p.name != "__pycache__") == sorted(["core", *SHELL])


@pytest.mark.parametrize("module", CORE)
def test_the_core_imports_nothing_of_the_shell(module: str) -> None:
    tree = ast.parse((PACKAGE / module).read_text(encoding="utf-8"))
    imported = {node.module for node in ast.walk(tree)
                if isinstance(node, ast.ImportFrom) and node.module}
    imported |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
                 for alias in node.names}
    shell = {name for name in imported
             if name.split(".")[:2] in ([["sheetsync", p] for p in SHELL])}
    assert shell == set(), f"{module} imports the shell: {sorted(shell)}"


def test_every_module_says_what_it_is_in_its_first_line() -> None:
    for path in PACKAGE.rglob("*.py"):
        if path.name == "__main__.py":
            continue
        doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
        assert doc and doc.splitlines()[0].strip(), path.relative_to(PACKAGE)


def test_the_public_api_is_what_it_was() -> None:
    assert sheetsync.__all__ == sorted(sheetsync.__all__)
    assert set(sheetsync.__all__) == {
        "CODES", "PRESETS", "CheckContext", "Config", "ConfigError", "Finding", "InputError",
        "Schema", "Sheet", "SheetsyncError", "TrackerError", "__version__", "bind",
        "build_report", "check", "check_rows", "load_config", "run_cycle"}
