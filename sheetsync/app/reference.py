"""The docs' generated reference: every command from the CLI's parser, every setting from the
config's pydantic models, and the state's tables from their SQLAlchemy description.

A docs page marks each generated part with `<!-- generated: NAME -->` ... `<!-- end
generated -->`; `python -m sheetsync.app.reference` rewrites those parts in place, and
`--check` only says which pages are stale (the suite runs it), so the reference cannot drift
from the program while the prose around it stays hand-written.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import types
import typing
from collections.abc import Iterator, Sequence
from datetime import date
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from sheetsync.app.cli import build_parser
from sheetsync.config import Settings
from sheetsync.schema import ColumnOverride
from sheetsync.state.tables import metadata

DOCS = Path(__file__).resolve().parents[2] / "docs"
REGION = re.compile(
    r"(<!-- generated: (?P<name>[\w:.-]+) -->\n)(?P<body>.*?)(<!-- end generated -->)", re.S)
WIDTH = 100  # the usage lines' width, whatever the terminal running the generator


class UndocumentedError(ValueError):
    """A setting, command or option with no text to show for it."""


# --- commands ------------------------------------------------------------------------------

def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:  # argparse keeps its subcommands nowhere public
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _summaries(parser: argparse.ArgumentParser) -> dict[str, str]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return {choice.dest: choice.help or "" for choice in action._choices_actions}
    return {}


def command_list(parser: argparse.ArgumentParser) -> str:
    """Every command with its one line, linking to its section."""
    rows = [f"| [`{name}`](#sheetsync-{name}) | {summary} |"
            for name, summary in _summaries(parser).items()]
    return "| command | what it does |\n| --- | --- |\n" + "\n".join(rows) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def command_usage(parser: argparse.ArgumentParser, name: str) -> str:
    """One command's usage line, its options and its examples, as `--help` gives them."""
    sub = _subcommands(parser)[name]
    formatter = argparse.HelpFormatter(sub.prog, width=WIDTH)
    formatter.add_usage(sub.usage, sub._actions, sub._mutually_exclusive_groups)
    rows = []
    for action in sub._actions:
        if isinstance(action, argparse._HelpAction):
            continue
        if not action.help:
            raise UndocumentedError(f"sheetsync {name} {action.dest}: no help text")
        shown = formatter._format_action_invocation(action)
        rows.append(f"| `{_cell(shown)}` | {_cell(action.help)} |")
    epilog = (sub.epilog or "").strip()
    examples = "".join(f"    $ {line.strip()}\n" for line in epilog.splitlines()[1:])
    return ("```text\n" + formatter.format_help().strip() + "\n```\n\n"
            + (sub.description or "") + "\n\n"
            + "| argument | meaning |\n| --- | --- |\n" + "\n".join(rows) + "\n\n"
            + "Examples (from `--help`):\n\n" + examples)


# --- settings ------------------------------------------------------------------------------

def _model(annotation: Any) -> type[BaseModel] | None:
    """The model a field holds (a table of its own), if it holds one."""
    for candidate in (annotation, *typing.get_args(annotation)):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None


def _type(annotation: Any) -> str:
    """A field's type as a person writing TOML reads it."""
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is typing.Annotated:
        return _type(args[0])
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_type(a) for a in args if a is not type(None))
    if origin is Literal:
        return " or ".join(f"`{json.dumps(a)}`" for a in args)
    if origin is list:
        inner = _type(args[0])
        return f"list of {inner}" if "`" in inner else f"list of {inner}s"
    if origin is dict:
        return "table"
    names = {bool: "boolean", int: "integer", float: "number", str: "string", date: "date"}
    if annotation in names:
        return names[annotation]
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "table"
    return "value"


def _toml(value: Any) -> str:
    """A default as it would be written in sheetsync.toml."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_toml(v)}" for k, v in value.items()) + " }" \
            if value else "{}"
    return str(value)


def _setting_rows(model: type[BaseModel], prefix: str = "") -> Iterator[tuple[str, FieldInfo]]:
    for name, field in model.model_fields.items():
        inner = _model(field.annotation)
        if inner is not None and inner is not ColumnOverride:  # a table: its keys one by one
            yield from _setting_rows(inner, f"{prefix}{name}.")
        else:
            yield f"{prefix}{name}", field


def setting_keys() -> list[str]:
    """Every key a config file may set, dotted as the reference lists it."""
    return [key for key, _ in _setting_rows(Settings)]


def settings_table(model: type[BaseModel] = Settings) -> str:
    """Every setting: its key, type, default and meaning, from the models."""
    lines = ["| key | type | default | meaning |", "| --- | --- | --- | --- |"]
    for key, field in _setting_rows(model):
        if not field.description:
            raise UndocumentedError(f"{key}: the field has no docstring in its model")
        shown = f"{key}.<key>" if typing.get_origin(field.annotation) is dict \
            and _model(typing.get_args(field.annotation)[-1]) is ColumnOverride else key
        default = field.default if field.default is not PydanticUndefined else None
        shown_default = "none" if default is None else f"`{_toml(default)}`"
        lines.append(f"| `{shown}` | {_cell(_type(field.annotation))} | {_cell(shown_default)} "
                     f"| {_cell(' '.join(field.description.split()))} |")
    return "\n".join(lines) + "\n"


def column_keys_table() -> str:
    """What a `[columns.<key>]` table may say."""
    lines = ["| column key | type | meaning |", "| --- | --- | --- |"]
    for name, field in ColumnOverride.model_fields.items():
        if not field.description:
            raise UndocumentedError(f"columns.<key>.{name}: the field has no docstring")
        lines.append(f"| `{name}` | {_cell(_type(field.annotation))} | "
                     f"{_cell(' '.join(field.description.split()))} |")
    return "\n".join(lines) + "\n"


# --- the state -----------------------------------------------------------------------------

def state_tables() -> str:
    """The state's tables and columns, as the newest revision makes them."""
    out = []
    for table in metadata.sorted_tables:
        out.append(f"### `{table.name}`\n\n| column | type | key | may be empty |\n"
                   "| --- | --- | --- | --- |")
        for column in table.columns:
            key = "primary" if column.primary_key else ("unique" if column.unique else "")
            empty = "" if column.primary_key or not column.nullable else "yes"
            out.append(f"| `{column.name}` | {column.type} | {key} | {empty} |")
        out.append("")
    return "\n".join(out)


# --- the pages -----------------------------------------------------------------------------

def generated(name: str) -> str:
    """The text of one generated part, by the name its page gives it."""
    parser = build_parser()
    if name == "commands":
        return command_list(parser)
    if name.startswith("command:"):
        return command_usage(parser, name.removeprefix("command:"))
    parts = {"settings": settings_table, "columns": column_keys_table, "state": state_tables}
    if name not in parts:
        raise UndocumentedError(f"no generated part is called {name!r}")
    return parts[name]()


def render(page: str) -> str:
    """The page with each generated part made anew."""
    return REGION.sub(
        lambda m: m.group(1) + "\n" + generated(m.group("name")) + "\n" + m.group(4), page)


def stale_pages(docs: Path = DOCS) -> list[Path]:
    """The pages whose generated parts are not what the program says today."""
    return [path for path in sorted(docs.rglob("*.md"))
            if render(text := path.read_text(encoding="utf-8")) != text]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sheetsync.app.reference",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="only list the stale pages (exit 1 when there are any)")
    parser.add_argument("--docs", type=Path, default=DOCS, help="the docs folder")
    args = parser.parse_args(argv)
    stale = stale_pages(args.docs)
    for path in stale:
        if not args.check:
            path.write_text(render(path.read_text(encoding="utf-8")), encoding="utf-8")
        print(f"{'stale' if args.check else 'rewrote'}: {path}")
    return 1 if stale and args.check else 0


if __name__ == "__main__":
    sys.exit(main())
