"""The README stays short and true (its commands are CI's), and the docs document every finding
code and preset column as the program has them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sheetsync.schema import PRESETS
from sheetsync.validators import CODES

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
DOCS = ROOT / "docs"


def page(path: str) -> str:
    return (DOCS / path).read_text(encoding="utf-8")


def readme_commands() -> list[str]:
    block = re.search(r"```sh\n(.*?)```", README, re.S)
    assert block, "the README opens with a sh block"
    return block.group(1).strip().splitlines()


def test_the_readme_opens_with_two_one_line_commands() -> None:
    assert README.index("```sh") < README.index("## ")
    commands = readme_commands()
    assert len(commands) == 2
    assert commands[0].endswith("sheetsync demo")
    assert commands[1].endswith("-m pytest")


def test_the_readme_is_short_and_links_the_docs() -> None:
    assert len(README.splitlines()) <= 150
    links = re.findall(r"\]\(([^)#:]+)\)", README)
    assert "docs/tutorials/own-workbook.md" in links
    assert [link for link in links if not (ROOT / link).exists()] == []


def test_ci_runs_exactly_the_readmes_test_command() -> None:
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8").strip().splitlines()
    assert script[-1] == readme_commands()[1]


def test_every_finding_code_is_documented_with_its_meaning() -> None:
    rows = dict(re.findall(r"^\| `([a-z_.]+)` \| (.+?) \|", page("reference/findings.md"), re.M))
    assert rows == dict(CODES)


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_every_preset_column_is_documented(preset: str) -> None:
    section = page("reference/presets.md").split(f"## `{preset}`")[1].split("\n## ")[0]
    for column in PRESETS[preset].columns:
        assert f"| `{column.key}` | {column.header} | {column.kind} |" in section, column.key
        for value in column.values:
            assert value in section, (column.key, value)


def test_nothing_in_the_project_points_outside_it() -> None:
    """What the code relies on from the outside world is cited by its public source."""
    outside = "../" + "shared"
    for path in [ROOT / "README.md", ROOT / "CHANGELOG.md", ROOT / "mkdocs.yml",
                 *DOCS.rglob("*.md"), *ROOT.glob("cassettes/**/*.md"),
                 *(ROOT / "sheetsync").rglob("*.py"), *(ROOT / "tests").rglob("*.py"),
                 *(ROOT / "bench").rglob("*.py"), *(ROOT / "bench").rglob("*.md")]:
        assert outside not in path.read_text(encoding="utf-8"), path


def test_the_slack_app_manifest_asks_for_what_the_buttons_and_ticket_use() -> None:
    import yaml

    from sheetsync.app.doctor import COMMAND_SCOPE, HISTORY_SCOPES, POST_SCOPE, USERS_SCOPE
    from sheetsync.core.slack_actions import COMMAND

    slack = page("tutorials/slack.md")
    section = slack[slack.index("## Working tickets from Slack"):]
    block = re.search(r"```yaml\n(.*?)```", section, re.S)
    assert block, "the section gives the app manifest"
    manifest = yaml.safe_load(block.group(1))
    assert manifest["settings"]["socket_mode_enabled"] is True
    assert manifest["settings"]["interactivity"]["is_enabled"] is True
    assert [c["command"] for c in manifest["features"]["slash_commands"]] == [COMMAND]
    assert {POST_SCOPE, HISTORY_SCOPES[0], COMMAND_SCOPE, USERS_SCOPE} <= set(
        manifest["oauth_config"]["scopes"]["bot"])
