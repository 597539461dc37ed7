"""The docs' command and configuration references are the program's own: made from the parser
and the config's models, and a test fails when a committed page is stale."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import BaseModel, ConfigDict

from sheetsync.app import reference
from sheetsync.app.cli import build_parser
from sheetsync.config import Settings

ROOT = Path(__file__).resolve().parent.parent


def test_the_committed_reference_pages_are_what_the_program_says_today() -> None:
    stale = reference.stale_pages(ROOT / "docs")
    assert stale == [], ("stale: run `python -m sheetsync.app.reference` and commit "
                         f"{[str(p.relative_to(ROOT)) for p in stale]}")


def test_a_changed_option_makes_its_page_stale(tmp_path: Path) -> None:
    page = tmp_path / "commands.md"
    page.write_text("# Commands\n\n<!-- generated: command:check -->\nold usage\n"
                    "<!-- end generated -->\n", encoding="utf-8")
    assert reference.stale_pages(tmp_path) == [page]
    assert reference.main(["--docs", str(tmp_path), "--check"]) == 1
    assert reference.main(["--docs", str(tmp_path)]) == 0
    assert reference.stale_pages(tmp_path) == []
    assert "--format {text,json}" in page.read_text(encoding="utf-8")


@pytest.mark.parametrize("key", reference.setting_keys())
def test_every_setting_is_in_the_configuration_reference_with_its_default(key: str) -> None:
    page = (ROOT / "docs" / "reference" / "config.md").read_text(encoding="utf-8")
    assert f"| `{key}" in page, key


def test_every_command_and_option_is_in_the_command_reference() -> None:
    page = (ROOT / "docs" / "reference" / "commands.md").read_text(encoding="utf-8")
    for name, sub in reference._subcommands(build_parser()).items():
        assert f"## `sheetsync {name}`" in page, name
        for action in sub._actions:
            for option in action.option_strings:
                if option in ("-h", "--help"):
                    continue  # every command has it; the page says so once
                assert f"`{option}" in page, (name, option)


def test_a_setting_without_a_docstring_cannot_be_published() -> None:
    class Undocumented(BaseModel):
        model_config = ConfigDict(use_attribute_docstrings=True)
        documented: int = 1
        """a setting that says what it does"""
        silent: bool = False

    with pytest.raises(reference.UndocumentedError, match="silent"):
        reference.settings_table(Undocumented)


def test_defaults_are_shown_as_toml_writes_them() -> None:
    table = reference.settings_table(Settings)
    assert "| `tracker.idle_reads` | boolean | `true` |" in table
    assert "| `reports.jobs` | list of `\"morning\"` or `\"daily\"` or `\"weekly\"` or " \
           "`\"monthly\"` | `[\"morning\", \"daily\", \"weekly\", \"monthly\"]` |" in table
    assert "| `tracker.spreadsheet_id` | string | none |" in table
