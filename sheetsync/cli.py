"""The `sheetsync` command: a thin shell that parses options, calls one job, prints its result.

Exit codes, for every command: 0 done; 1 done and found problems (or could not complete);
2 usage, configuration or input error, with a one-line `Error: ...` on stderr.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path

from sheetsync import __version__
from sheetsync.config import load_config
from sheetsync.demo import DEMO_LOCALES, make_demo
from sheetsync.errors import SheetsyncError
from sheetsync.jobs.check import CheckReport, run_check
from sheetsync.render import findings_json, findings_text
from sheetsync.schema import PRESETS

EXIT_OK, EXIT_PROBLEMS, EXIT_INPUT = 0, 1, 2


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args))
    except SheetsyncError as exc:
        for line in str(exc).splitlines():
            print(f"Error: {line}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sheetsync",
        description="Keep a support team's ticket spreadsheet the source of truth.")
    parser.add_argument("--version", action="version", version=f"sheetsync {__version__}")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", metavar="FILE",
                        help="the config file (default: $SHEETSYNC_CONFIG, then ./sheetsync.toml, "
                             "then built-in defaults)")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    check = commands.add_parser(
        "check", parents=[common], help="report every invalid cell in the tracker; change nothing",
        description="Report every invalid cell in the tracker, grouped by row. Changes nothing. "
                    "Exit 0 when clean, 1 when there are findings, 2 on a config or input error.")
    check.add_argument("--format", choices=("text", "json"), default="text",
                       help="text for people (default); json: one array of findings")
    check.set_defaults(handler=_check)

    demo = commands.add_parser(
        "demo", parents=[common], help="create a demo tracker in ./demo and run sheetsync on it",
        description="Create a demo/ folder with a config and a tracker workbook of realistic "
                    "tickets, some of them invalid, and run sheetsync there. An existing demo "
                    "is reused, with your edits. The demo always uses the local outbox.")
    demo.add_argument("--dir", default="demo", metavar="DIR",
                      help="where to create the demo (default: demo)")
    demo.add_argument("--preset", choices=sorted(PRESETS),
                      help="the tracker layout (default: the config's preset, else seller-support)")
    demo.add_argument("--reset", action="store_true",
                      help="recreate the demo tracker even if one exists")
    demo.set_defaults(handler=_demo)
    return parser


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _check(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    report = run_check(config, _now())
    _print_report(report, args.format)
    return EXIT_PROBLEMS if report.findings else EXIT_OK


def _demo(args: argparse.Namespace) -> int:
    settings = load_config(args.config).settings \
        if args.config or os.environ.get("SHEETSYNC_CONFIG") else None
    preset = args.preset or (settings.preset if settings else "seller-support")
    timezone, region = DEMO_LOCALES[preset]
    if settings is not None and settings.preset == preset:  # the team's own locale
        timezone, region = settings.timezone, settings.phone_region
    demo = make_demo(Path(args.dir), preset=preset, timezone=timezone, phone_region=region,
                     now=_now(), reset=args.reset)
    if demo.created:
        print(f"Created the demo tracker {demo.workbook_path} and its config {demo.config_path}.")
    else:
        print(f"Using the existing demo in {demo.folder}/ (run `sheetsync demo --reset` "
              "to start over).")
    config = load_config(demo.config_path)
    report = run_check(config, _now())
    print()
    _print_report(report, "text")
    print()
    print(f"Edit {demo.workbook_path} and run `sheetsync check --config {demo.config_path}` "
          "to check it again.")
    return EXIT_OK


def _print_report(report: CheckReport, fmt: str) -> None:
    if report.save_blockers:
        print(f"Warning: {report.where} holds {', '.join(report.save_blockers)}, which openpyxl "
              "cannot carry through a save; sheetsync will only read this workbook, never save "
              "over it.", file=sys.stderr)
    if fmt == "json":
        print(findings_json(report.findings))
        return
    for line in findings_text(report.findings, report.where, report.rows_checked):
        print(line)
    if report.unknown_columns:
        print()
        print(f"Left alone {len(report.unknown_columns)} column(s) sheetsync does not know: "
              f"{', '.join(report.unknown_columns)}.")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
