"""The docs' examples as a test runs them: a page's commands and actions, in order, in-process.

A page is read as a person reads it: its fenced blocks and the HTML comments (invisible on the
site) that say what a person does between them.

- A ```` ```console ```` block holds `$ command` lines, each followed by what it prints; the
  command runs through `sheetsync.app.cli.main` (or as the shell would, for `export`, `cat`,
  `tail`, `cp`, `rm`) and what it printed must match, with times, durations and the working folder
  normalised and `...` standing for any text (a line of its own: any lines).
- A ```` ```sh ```` block's commands run too, and each must succeed.
- A ```` ```pycon ```` block runs as a doctest (`...` as in doctest's ELLIPSIS).
- `<!-- not run: REASON -->` before a block skips it; the reason is required.
- `<!-- file: PATH -->` before a block writes the block to PATH (a config, a CSV), as the
  reader is told to; `<!-- append: PATH -->` adds it at the end.
- `<!-- person: ... -->` is what the reader does by hand: edit a row of a workbook or of the
  Google spreadsheet, import a workbook into Google Sheets, or wait for the running daemon's
  next cycle (what it logs is the block that follows).

`sheetsync run` and `sheetsync demo` run one cycle (`--once`), since a test cannot press
Ctrl-C. Tokens written as `xoxb-...`, `xapp-...` and `pk_...` are the fakes' tokens, and the
Google key file the docs name is one the fake honours. With SHEETSYNC_DOCS_TRANSCRIPT=FILE,
every command and what it printed is appended to FILE, to copy into a page.
"""

from __future__ import annotations

import contextlib
import doctest
import io
import json
import os
import re
import shlex
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl
import pytest

from sheetsync.app.cli import main
from tests import fake_clickup, fake_slack
from tests.fake_clickup import FakeClickUp
from tests.fake_google import SPREADSHEET_ID, FakeSheets
from tests.fake_slack import FakeSlack

#: A file to append every command and what it printed to, for writing the docs' outputs.
TRANSCRIPT = "SHEETSYNC_DOCS_TRANSCRIPT"
#: Where the docs say the reader works; the test's own folder is shown as this.
HOME = "/home/you/support"
SHELLS = ("console", "sh", "shell", "bash")
DIRECTIVE = re.compile(r"<!--\s*(not run|file|append|person):\s*(.*?)\s*-->")
#: The ClickUp list and key field the docs' examples name, which the fake serves.
CLICKUP_LIST, CLICKUP_FIELD = "901234567", "6f1c2b7a-0000-4e8a-9c1d-000000000000"
TOKENS = {"xoxb-...": fake_slack.TOKEN, "xapp-...": fake_slack.APP_TOKEN,
          "pk_...": fake_clickup.TOKEN}


@dataclass
class Step:
    """One thing the page asks for, in its order: a block, or a person's action."""

    line: int
    kind: str  # "block" or "person"
    text: str
    lang: str = ""
    directive: tuple[str, str] | None = None  # the comment just before a block


def steps(page: str) -> list[Step]:
    """The page's blocks and actions in order, each block with the comment just before it."""
    out: list[Step] = []
    lines = page.splitlines()
    number, pending = 0, None
    while number < len(lines):
        line = lines[number]
        number += 1
        directive = DIRECTIVE.fullmatch(line.strip())
        if directive and directive.group(1) == "person":
            out.append(Step(number, "person", directive.group(2)))
        elif directive:
            pending = (directive.group(1), directive.group(2))
        elif line.startswith("```"):
            start, body = number, []
            while not lines[number].startswith("```"):
                body.append(lines[number])
                number += 1
            number += 1
            out.append(Step(start, "block", "\n".join(body) + "\n", line[3:].strip(), pending))
            pending = None
        elif line.strip():
            pending = None
    return out


def normalise(text: str, folder: Path) -> str:
    """What varies from run to run, made constant: the folder, times, durations."""
    text = text.replace(str(folder), HOME)
    text = re.sub(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:[+-]\d{2}:\d{2}|Z)?",
                  "<time>", text)
    text = re.sub(r"\d{4}-\d{2}-\d{2}(?: \d{2}:\d{2})?", "<date>", text)
    text = re.sub(r"\b(\w+_ms)=\d+", r"\1=N", text)
    text = re.sub(r'"(\w+_ms)": \d+', r'"\1": N', text)
    return "\n".join(line.rstrip() for line in text.strip("\n").splitlines())


def matches(expected: str, actual: str) -> bool:
    """`actual` as `expected` shows it, where `...` is any text and a `...` line any lines."""
    if not expected.strip():
        return not actual.strip()
    pattern = []
    for line in expected.splitlines():
        if line.strip() == "...":
            pattern.append(r"(?:[^\n]*\n)*?")
        else:
            pattern.append("[^\n]*".join(map(re.escape, line.split("..."))) + "\n")
    return re.fullmatch("".join(pattern), actual + "\n") is not None


@dataclass
class Reader:
    """A new user following the docs in one folder, with the services' fakes installed."""

    folder: Path
    monkeypatch: pytest.MonkeyPatch
    google: FakeSheets
    slack: FakeSlack
    clickup: FakeClickUp
    ran: list[str] = field(default_factory=list)
    spreadsheet: str = SPREADSHEET_ID  # the one the reader imported their workbook into

    def follow(self, page: Path) -> None:
        todo = steps(page.read_text(encoding="utf-8"))
        while todo:
            step = todo.pop(0)
            where = f"{page.name}:{step.line}"
            waited = re.fullmatch(r"wait for a cycle of (\S+)", step.text)
            if step.kind == "person" and waited:
                # The running daemon's next cycle: what it logs is the block that follows.
                assert todo and todo[0].kind == "block", f"{where}: show what the cycle logs"
                shown = todo.pop(0)
                _, printed = self.run(f"sheetsync run --config {waited.group(1)}", where)
                self.expect(normalise(shown.text, self.folder), normalise(printed, self.folder),
                            where, "the cycle")
            elif step.kind == "person":
                self.person(step.text, where)
            elif step.directive and step.directive[0] == "not run":
                assert step.directive[1], f"{where}: say why the block is not run"
            elif step.directive and step.directive[0] in ("file", "append"):
                path = self.folder / step.directive[1]
                path.parent.mkdir(parents=True, exist_ok=True)
                before = path.read_text(encoding="utf-8") + "\n" \
                    if step.directive[0] == "append" else ""
                path.write_text(before + step.text, encoding="utf-8")
            elif step.text.startswith("$ ") and step.lang != "console":
                raise AssertionError(f"{where}: a block of `$ commands` is ```console")
            elif step.lang == "pycon":
                self.doctest(step.text, where)
            elif step.lang == "console":
                self.console(step.text, where)
            elif step.lang in SHELLS:
                for command in _commands(step.text):
                    code, _ = self.run(command, where)
                    assert code == 0, f"{where}: `{command}` exited {code}"

    def console(self, block: str, where: str) -> None:
        chunks = re.split(r"^\$ ", block, flags=re.M)
        assert not chunks[0].strip(), f"{where}: a console block starts with `$ command`"
        for chunk in chunks[1:]:
            command, _, expected = chunk.partition("\n")
            _, printed = self.run(command, where)
            self.expect(normalise(expected, self.folder), normalise(printed, self.folder),
                        where, f"`{command}`")

    def doctest(self, block: str, where: str) -> None:
        """A ```pycon block, run as doctest runs it, in the reader's folder."""
        test = doctest.DocTestParser().get_doctest(block, {}, where, where, 0)
        runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
        report = io.StringIO()
        runner.run(test, out=report.write)
        assert runner.failures == 0, f"{where}:\n{report.getvalue()}"

    @staticmethod
    def expect(want: str, shown: str, where: str, what: str) -> None:
        assert matches(want, shown), f"{where}: {what} printed\n{shown}\n\nwhere the docs " \
                                     f"show\n{want}"

    def run(self, command: str, where: str) -> tuple[int, str]:
        """Run one command line as the reader would; its exit code and what it printed."""
        self.ran.append(command)
        words = shlex.split(command.replace("$PWD", str(self.folder)))
        target = None
        if ">" in words:
            words, target = words[:words.index(">")], words[words.index(">") + 1]
        name = words[0].removeprefix(".venv/bin/")
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            if name == "sheetsync":
                args = words[1:]
                if args[:1] in (["run"], ["demo"]) and "--once" not in args:
                    args.append("--once")
                code = main(args)
            elif name == "export":
                for assignment in words[1:]:
                    key, _, value = assignment.partition("=")
                    self.monkeypatch.setenv(key, self.environ(key, value))
                code = 0
            elif name == "cp":
                shutil.copyfile(self.folder / words[1], self.folder / words[2])
                code = 0
            elif name == "rm":
                for path in words[1:]:
                    if path != "-f":
                        (self.folder / path).unlink(missing_ok=True)
                code = 0
            elif name in ("cat", "tail"):
                lines = (self.folder / words[-1]).read_text(encoding="utf-8").splitlines()
                count = int(words[2]) if words[1:2] == ["-n"] else len(lines)
                print("\n".join(lines[-count:]))
                code = 0
            else:
                raise AssertionError(f"{where}: a test cannot run `{command}`; mark its block "
                                     "<!-- not run: why -->")
        if os.environ.get(TRANSCRIPT):
            with open(os.environ[TRANSCRIPT], "a", encoding="utf-8") as transcript:
                transcript.write(f"=== {where} $ {command}\n{out.getvalue()}{err.getvalue()}\n")
        if target:
            (self.folder / target).write_text(out.getvalue(), encoding="utf-8")
            return code, err.getvalue()
        return code, out.getvalue() + err.getvalue()

    def environ(self, key: str, value: str) -> str:
        if key == "GOOGLE_APPLICATION_CREDENTIALS":
            key_file = self.folder / "authorized_user.json"
            key_file.write_text(json.dumps({
                "type": "authorized_user", "client_id": "fake.apps.example",
                "client_secret": "fake-secret", "refresh_token": "1//r"}), encoding="utf-8")
            return str(key_file)
        return TOKENS.get(value, value)

    def person(self, action: str, where: str) -> None:
        """What the reader does by hand, as the comment says it."""
        imported = re.fullmatch(r"import (\S+) into Google Sheets as spreadsheet (\S+)", action)
        if imported:
            book = openpyxl.load_workbook(self.folder / imported.group(1))
            self.spreadsheet = imported.group(2)
            self.google.add_spreadsheet(self.spreadsheet, {
                sheet.title: [[c.value if c.value is not None else "" for c in row]
                              for row in sheet.iter_rows()] for sheet in book.worksheets})
            return
        edit = re.fullmatch(r"in (.+?), the row of (.+?): (.+)", action, re.S)
        assert edit, f"{where}: no such action: {action}"
        place, seller, cells = edit.groups()
        values = dict(re.findall(r'([\w ]+?) = "([^"]*)"', cells))
        assert values, f"{where}: say which cells: {cells}"
        if place == "Google Sheets":
            book = self.spreadsheet
            rows = self.google.values("Tracker", spreadsheet=book)
            row = next(i for i, r in enumerate(rows[1:], start=2) if seller in r)
            for header, value in values.items():
                column = self.google.column_of("Tracker", header.strip(), spreadsheet=book)
                self.google.edit("Tracker", row, column, value, spreadsheet=book)
            return
        path = self.folder / place
        book = openpyxl.load_workbook(path)
        sheet = book.worksheets[0]
        header = [c.value for c in sheet[1]]
        row = next(r for r in sheet.iter_rows(min_row=2) if seller in [c.value for c in r])
        for name, value in values.items():
            row[header.index(name.strip())].value = value
        book.save(path)


def _commands(block: str) -> Iterator[str]:
    """A sh block's command lines, without comments, `&&` chains split."""
    for line in block.splitlines():
        line = re.sub(r"\s+#.*$", "", line).strip()
        if line and not line.startswith("#"):
            yield from (part.strip() for part in line.split("&&"))


@contextlib.contextmanager
def reader(folder: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Reader]:
    """A reader in `folder` with no token of their own, the fakes serving every service."""
    for name in ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "CLICKUP_API_TOKEN", "SHEETSYNC_CONFIG",
                 "GOOGLE_APPLICATION_CREDENTIALS", "SHEETSYNC_STATE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(folder)
    google = FakeSheets()
    google.serve_tokens = True
    monkeypatch.setattr(fake_clickup, "KEY_FIELD", CLICKUP_FIELD)
    with google.installed(), FakeSlack().installed() as slack, \
            FakeClickUp(lists=(CLICKUP_LIST,)).installed() as clickup:
        yield Reader(folder, monkeypatch, google, slack, clickup)

