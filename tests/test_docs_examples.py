"""The docs are the tested path: what they tell a reader to run runs, and prints what they show.

The tutorials are followed in order in one folder, as a new user would: the demo, their own
workbook, then the same tracker on Google Sheets (the fake), Slack and ClickUp (their fakes).
Every other page's examples run against a fresh demo tracker (the README's make their own).
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from sheetsync.app.cli import main
from sheetsync.config import configs_from_dict
from sheetsync.errors import SheetsyncError
from tests.docs_examples import SHELLS, matches, normalise, reader, steps

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
TUTORIALS = [DOCS / "tutorials" / f"{name}.md"
             for name in ("demo", "own-workbook", "google-sheets", "slack", "clickup")]
PAGES = sorted({*DOCS.rglob("*.md"), ROOT / "README.md"} - set(TUTORIALS))


def runs_something(page: Path) -> bool:
    """Whether the page has a command, a doctest or a person's action for a test to do."""
    return any(s.kind == "person" or (s.kind == "block" and s.lang in (*SHELLS, "pycon")
                                      and not (s.directive and s.directive[0] == "not run"))
               for s in steps(page.read_text(encoding="utf-8")))


def test_a_new_user_follows_the_tutorials_to_a_daemon_on_their_workbook_then_google(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with reader(tmp_path, monkeypatch) as person:
        for page in TUTORIALS[:2]:
            person.follow(page)
        local = [c for c in person.ran if c.startswith("sheetsync run")]
        assert local, "the workbook tutorial runs the daemon"
        person.follow(TUTORIALS[2])
        rows = person.google.values("Tracker", spreadsheet=person.spreadsheet)
        ids = [r[rows[0].index("Ticket ID")] for r in rows[1:]]
        assert all(ids) and len(set(ids)) == len(ids)  # every ticket kept its own ID
        for page in TUTORIALS[3:]:
            person.follow(page)
        assert person.slack.top_level(), "the Slack tutorial's escalation reached Slack"
        [task] = person.clickup.tasks.values()
        rows = person.google.values("Tracker", spreadsheet=person.spreadsheet)
        [row] = [r for r in rows if "Gupta Kirana Mart" in r]
        assert row[rows[0].index("ClickUp Task ID")] == task["id"]  # written back to its row


@pytest.mark.parametrize("page", [p for p in PAGES if runs_something(p)],
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_every_example_of_the_page_runs_as_shown_against_the_demo(
        page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    with reader(tmp_path, monkeypatch) as person:
        if page.name != "README.md":  # the README starts from nothing, as the demo tutorial
            assert main(["demo", "--once"]) == 0
            capsys.readouterr()
        person.follow(page)


@pytest.mark.parametrize("page", [*PAGES, *TUTORIALS], ids=lambda p: str(p.relative_to(ROOT)))
def test_every_shell_block_runs_or_says_why_not(page: Path) -> None:
    for step in steps(page.read_text(encoding="utf-8")):
        if step.kind == "block" and step.lang in SHELLS:
            reason = step.directive[1] if step.directive and step.directive[0] == "not run" \
                else None
            runs = step.directive is None
            assert runs or reason, f"{page.name}:{step.line}: run the block or say why not"


@pytest.mark.parametrize("page", [*PAGES, *TUTORIALS], ids=lambda p: str(p.relative_to(ROOT)))
def test_every_toml_block_is_a_config_sheetsync_reads_or_is_shown_refused(page: Path) -> None:
    blocks = [s for s in steps(page.read_text(encoding="utf-8")) if s.kind == "block"]
    for block, after in zip(blocks, [*blocks[1:], None]):
        if block.lang != "toml":
            continue
        try:
            configs_from_dict(tomllib.loads(block.text), source=Path("sheetsync.toml"),
                              base_dir=ROOT)
        except SheetsyncError as exc:  # an example of a refused file shows the refusal next
            shown = str(exc).splitlines()[0].split(": ", 1)[1]
            assert after and after.lang == "console" and shown in after.text, \
                f"{page.name}:{block.line}: {exc}"


def test_the_comparison_normalises_times_and_paths_but_not_what_sheetsync_says(
        tmp_path: Path) -> None:
    shown = normalise(f"2026-12-02T09:28:36+05:30 info started sheet={tmp_path}/demo "
                      "duration_ms=97", tmp_path)
    assert matches(normalise("2026-11-23T20:58:47+05:30 info started "
                             "sheet=/home/you/support/demo duration_ms=31", tmp_path), shown)
    assert matches("... info started ...", shown)
    assert not matches(normalise("2026-11-23T20:58:47+05:30 info stopped", tmp_path), shown)
    assert matches("first\n...\nlast", "first\nsecond\nthird\nlast")
    assert not matches("first\nlast", "first\nsecond\nlast")
