"""The CLI as a new user meets it: the demo, check's text and JSON output, and its exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook

from sheetsync.app.cli import build_parser, main
from sheetsync.core.render import JSON_KEYS
from tests.helpers import GUIDE_EXAMPLE, SAYPRO_SAMPLE, write_workbook


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SHEETSYNC_CONFIG", raising=False)
    return tmp_path


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The installed command, as a person runs it."""
    env = {k: v for k, v in os.environ.items() if k != "SHEETSYNC_CONFIG"}
    return subprocess.run([sys.executable, "-m", "sheetsync", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


def test_demo_creates_a_tracker_and_checks_it(in_tmp: Path) -> None:
    result = run("demo", "--once", cwd=in_tmp)
    assert result.returncode == 0, result.stderr
    assert (in_tmp / "demo" / "sheetsync.toml").is_file()
    sheet = load_workbook(in_tmp / "demo" / "tracker.xlsx")["Tracker"]
    header = [c.value for c in sheet[1]]
    assert header[:8] == list(GUIDE_EXAMPLE)
    assert sheet.max_row == 17
    assert "phone.missing_country_code" in result.stdout
    assert "Sharma General Store" not in result.stdout  # the guide's entry is clean


def test_demo_findings_are_the_planted_ones(in_tmp: Path) -> None:
    assert run("demo", "--once", cwd=in_tmp).returncode == 0
    result = run("check", "--config", "demo/sheetsync.toml", "--format", "json", cwd=in_tmp)
    assert result.returncode == 1
    found = sorted((f["row"], f["code"]) for f in json.loads(result.stdout))
    assert found == [
        (4, "phone.missing_country_code"), (5, "phone.format"),
        (6, "escalation.contact_missing"), (7, "choice.format"), (7, "choice.unknown"),
        (8, "resolution.missing"), (9, "phone.invalid"), (10, "required.missing"),
        (10, "timestamp.format"), (11, "timestamp.in_future"), (17, "choice.unknown"),
    ]


def test_the_saypro_demo(in_tmp: Path) -> None:
    demo = run("demo", "--preset", "saypro-interaction-log", "--once", cwd=in_tmp)
    assert demo.returncode == 0, demo.stderr
    result = run("check", "--config", "demo/sheetsync.toml", "--format", "json", cwd=in_tmp)
    codes = {f["code"] for f in json.loads(result.stdout)}
    assert {"followup.date_missing", "contact.invalid", "duration.format", "ticket_id.format",
            "choice.format", "choice.unknown", "phone.missing_country_code"} <= codes
    assert 'preset = "saypro-interaction-log"' in (in_tmp / "demo" / "sheetsync.toml").read_text()
    # Its messages and instructions fit its columns and its region (South Africa, +27).
    assert "e.g. +27." in demo.stdout and "+91" not in demo.stdout
    assert "Priya" not in demo.stdout and "e.g. Sarah L., Sipho N." in demo.stdout
    instruction = demo.stdout[demo.stdout.index("Running sheetsync"):]
    assert "Status" not in instruction
    assert ('Write "Escalated to the L2 team" in a row\'s Additional Actions Taken in '
            in instruction)
    assert "two people in Assigned Support Agent (e.g. Sarah L., Sipho N.)" in instruction
    # Doing what it says escalates the ticket.
    path = in_tmp / "demo" / "tracker.xlsx"
    book = load_workbook(path)
    sheet = book["Tracker"]
    header = [c.value for c in sheet[1]]
    row = next(r for r in sheet.iter_rows(min_row=2)
               if r[header.index("User ID/Username")].value == "seller_lindiwe")
    row[header.index("Additional Actions Taken")].value = "Escalated to the L2 team"
    row[header.index("Assigned Support Agent")].value = "Sarah L., Sipho N."
    book.save(path)
    assert run("demo", "--once", cwd=in_tmp).returncode == 0
    sent = [json.loads(line) for line in
            (in_tmp / "demo" / "outbox.jsonl").read_text().splitlines()]
    assert "slack.message" in [e["kind"] for e in sent if "braai stand" in json.dumps(e)]


def test_demo_keeps_a_persons_edits_unless_reset(in_tmp: Path, capsys: pytest.CaptureFixture[str]
                                                 ) -> None:
    assert main(["demo", "--once"]) == 0
    book = load_workbook(in_tmp / "demo" / "tracker.xlsx")
    book["Tracker"]["B2"] = "Edited Store"
    book.save(in_tmp / "demo" / "tracker.xlsx")
    capsys.readouterr()
    assert main(["demo", "--once"]) == 0
    assert "Using the existing demo" in capsys.readouterr().out
    assert load_workbook(in_tmp / "demo" / "tracker.xlsx")["Tracker"]["B2"].value == "Edited Store"
    assert main(["demo", "--reset", "--once"]) == 0
    assert load_workbook(in_tmp / "demo" / "tracker.xlsx")["Tracker"]["B2"].value != "Edited Store"


def test_check_on_a_clean_tracker_exits_0(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_workbook(in_tmp / "tracker.xlsx", list(GUIDE_EXAMPLE), [list(GUIDE_EXAMPLE.values())])
    assert main(["check"]) == 0
    assert capsys.readouterr().out.strip() == 'tracker.xlsx, tab "Tracker": 1 ticket row, no findings.'


def test_check_json_is_one_array_with_exactly_the_contract_keys(
    in_tmp: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    row = dict(GUIDE_EXAMPLE, **{"WhatsApp Number": "919876543210", "Status": "resolved"})
    write_workbook(in_tmp / "tracker.xlsx", [*row, "Ticket ID"], [[*row.values(), "INT-000007"]])
    assert main(["check", "--format", "json"]) == 1
    findings = json.loads(capsys.readouterr().out)
    assert all(tuple(f) == JSON_KEYS for f in findings)
    assert findings[0] == {
        "row": 2, "ticket_id": "INT-000007", "column": "WhatsApp Number",
        "code": "phone.missing_country_code",
        "message": "The WhatsApp Number has no country code; start it with + and the country "
                   "code, e.g. +91.",
        # what the CLI prints leaves the tracker: every phone number in it masked
        "value": "********3210", "suggestion": "+91******3210",
    }
    assert [f["code"] for f in findings] == ["phone.missing_country_code", "choice.format"]


def test_check_json_on_a_clean_tracker_is_an_empty_array(
    in_tmp: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_workbook(in_tmp / "tracker.xlsx", list(GUIDE_EXAMPLE), [list(GUIDE_EXAMPLE.values())])
    assert main(["check", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == []


def test_check_text_groups_findings_by_row(in_tmp: Path, capsys: pytest.CaptureFixture[str]
                                           ) -> None:
    rows = [dict(GUIDE_EXAMPLE, **{"Status": "resolved"}),
            dict(GUIDE_EXAMPLE, **{"Seller Name": None, "Issue Type": "Bugg"})]
    write_workbook(in_tmp / "tracker.xlsx", list(GUIDE_EXAMPLE), [list(r.values()) for r in rows])
    assert main(["check"]) == 1
    out = capsys.readouterr().out
    assert out.splitlines() == [
        'tracker.xlsx, tab "Tracker": 2 ticket rows, 3 findings in 2 rows',
        "",
        "Row 2",
        '  Status: "resolved"  [choice.format]',
        '    Write Status exactly as "Resolved".',
        "    Suggested: Resolved",
        "",
        "Row 3",
        "  Seller Name: (empty)  [required.missing]",
        "    Seller Name is empty; it is required.",
        '  Issue Type: "Bugg"  [choice.unknown]',
        '    Issue Type must be one of: Bug, Help, Feature Request, Complaint. Did you mean "Bug"?',
        "    Suggested: Bug",
    ]


def test_check_never_changes_the_workbook(in_tmp: Path) -> None:
    path = write_workbook(in_tmp / "tracker.xlsx", list(GUIDE_EXAMPLE),
                          [list(dict(GUIDE_EXAMPLE, Status="resolved").values())])
    before = path.read_bytes()
    assert main(["check"]) == 1
    assert path.read_bytes() == before


def test_unknown_columns_are_mentioned_and_left_alone(
    in_tmp: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_workbook(in_tmp / "tracker.xlsx", [*GUIDE_EXAMPLE, "Region"],
                   [[*GUIDE_EXAMPLE.values(), "North"]])
    assert main(["check"]) == 0
    assert "Left alone 1 column(s) sheetsync does not know: Region." in capsys.readouterr().out


@pytest.mark.parametrize(("setup", "message"), [
    ("none", "tracker.xlsx: no such workbook; run `sheetsync demo` to create a demo tracker"),
    ("tab", 'no tab named "Tracker" (tabs: Sheet1)'),
    ("column", 'tab "Tracker" is missing required column Status'),
    ("config", 'sheetsync.toml: sync.interval_seconds: expected a positive integer, got "fast"'),
])
def test_input_errors_exit_2_with_one_line_and_no_traceback(
    in_tmp: Path, setup: str, message: str
) -> None:
    if setup == "tab":
        write_workbook(in_tmp / "tracker.xlsx", list(GUIDE_EXAMPLE), [], tab="Sheet1")
    if setup == "column":
        write_workbook(in_tmp / "tracker.xlsx", [h for h in GUIDE_EXAMPLE if h != "Status"], [])
    if setup == "config":
        (in_tmp / "sheetsync.toml").write_text('[sync]\ninterval_seconds = "fast"\n')
        write_workbook(in_tmp / "tracker.xlsx", list(GUIDE_EXAMPLE), [])
    result = run("check", cwd=in_tmp)
    assert result.returncode == 2
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith("Error: ") and message in result.stderr


def test_a_missing_config_file_exits_2(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--config", "missing.toml"]) == 2
    assert capsys.readouterr().err == "Error: missing.toml: no such config file\n"


def test_usage_errors_exit_2(in_tmp: Path) -> None:
    assert run("check", "--format", "xml", cwd=in_tmp).returncode == 2
    assert run("frobnicate", cwd=in_tmp).returncode == 2


def test_check_follows_sheetsync_config(in_tmp: Path, monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    team = in_tmp / "team"
    team.mkdir()
    (team / "log.toml").write_text(
        'preset = "saypro-interaction-log"\nphone_region = "ZA"\n'
        '[tracker]\npath = "log.xlsx"\ntab = "Log"\n')
    write_workbook(team / "log.xlsx", list(SAYPRO_SAMPLE), [list(SAYPRO_SAMPLE.values())],
                   tab="Log")
    monkeypatch.setenv("SHEETSYNC_CONFIG", str(team / "log.toml"))
    assert main(["check"]) == 0
    assert "1 ticket row, no findings" in capsys.readouterr().out


def test_a_workbook_sheetsync_can_only_read_is_said_so_in_one_line_with_the_fix(
    in_tmp: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import zipfile

    path = write_workbook(in_tmp / "tracker.xlsx", list(GUIDE_EXAMPLE),
                          [list(GUIDE_EXAMPLE.values())])
    with zipfile.ZipFile(path, "a") as archive:  # macros are carried through, not a reason
        archive.writestr("xl/vbaProject.bin", b"\0")
    assert main(["check"]) == 0
    assert "can only read" not in capsys.readouterr().err
    strict = path.read_bytes()
    with zipfile.ZipFile(path) as source:
        parts = {n: source.read(n) for n in source.namelist()}
    with zipfile.ZipFile(path, "w") as out:
        for name, data in parts.items():
            out.writestr(name, data.replace(
                b"http://schemas.openxmlformats.org/spreadsheetml/2006/main",
                b"http://purl.oclc.org/ooxml/spreadsheetml/main"))
    assert strict != path.read_bytes()
    assert main(["check"]) == 0
    [line] = [l for l in capsys.readouterr().err.splitlines() if "can only read" in l]
    assert "Strict Open XML" in line and "save it as an ordinary Excel Workbook" in line


def test_every_command_and_option_has_help() -> None:
    parser = build_parser()
    commands = parser._subparsers._group_actions[0]  # type: ignore[union-attr]
    for name, sub in commands.choices.items():
        assert sub.description, name
        for action in sub._actions:
            assert action.help, f"{name} {action.option_strings}"


def test_each_commands_help_ends_with_examples_that_parse(
        capsys: pytest.CaptureFixture[str]) -> None:
    import shlex

    commands = build_parser()._subparsers._group_actions[0]  # type: ignore[union-attr]
    for name in commands.choices:
        assert main([name, "--help"]) == 0
        shown = capsys.readouterr().out
        examples = shown.split("\nexamples:\n")[-1].splitlines()
        assert examples and all(e.startswith(f"  sheetsync {name}") for e in examples), name
        for example in examples:  # each is a command line the parser takes
            line = example.split(" > ")[0].replace("$(date +%F)", "x")  # the shell's parts
            args = build_parser().parse_args(shlex.split(line)[1:])
            assert args.command == name


def test_the_top_level_help_gives_the_exit_codes_and_the_docs(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    shown = capsys.readouterr().out
    codes = dict(line.split(None, 1) for line in
                 shown.split("exit codes:\n")[1].split("\n\n")[0].splitlines())
    assert codes.keys() == {"0", "1", "2", "130"}
    assert main(["history"]) == 2  # a usage error is 2, as the help says
    assert "docs: docs/index.md" in shown
