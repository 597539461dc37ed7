"""The `sheetsync` command: a thin shell that parses options, calls one job, prints its result.

Exit codes, for every command: 0 done; 1 done and found problems (or could not complete);
2 usage, configuration or input error, with a one-line `Error: ...` on stderr.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sqlite3
import sys
import traceback
from collections.abc import Callable, Sequence
from datetime import date, datetime, time, timezone
from pathlib import Path
from typing import TextIO

from sheetsync import __version__
from sheetsync.app import logs
from sheetsync.config import Config, load_config, load_configs
from sheetsync.app.demo import DEMO_LOCALES, how_to_escalate, make_demo
from sheetsync.app.progress import Progress, wanted
from sheetsync.core.effects import Effect
from sheetsync.errors import InputError, SheetsyncError
from sheetsync.faults import one_line
from sheetsync.core.privacy import mask_phones_in
from sheetsync.integrations.dispatch import open_sinks
from sheetsync.jobs.check import CheckReport, run_check
from sheetsync.jobs.sync import run_sync
from sheetsync.core.render import findings_json, findings_text
from sheetsync.core.report_layout import drawn
from sheetsync.core.reporting import JOBS, UNKNOWN, chosen_period
from sheetsync.core.write_failing import FIX as WRITE_FIX, describe, is_stuck
from sheetsync.backends.file_locks import held_back
from sheetsync.schema import PRESETS
from sheetsync.state import Lease, StateStore, has_state, open_state

EXIT_OK, EXIT_PROBLEMS, EXIT_INPUT = 0, 1, 2


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code.

    Whatever happens, a person sees one line, never a traceback: sheetsync's own errors as
    `Error: ...`; output piped into a program that stopped reading (`| head`) ends quietly
    with 1; anything unexpected as one masked line, its traceback only with SHEETSYNC_DEBUG.
    """
    shown = sys.stdout
    sys.stdout = _Masked(shown)
    try:
        args = build_parser().parse_args(argv)
        return int(args.handler(args))
    except SheetsyncError as exc:
        for line in str(exc).splitlines():
            _error(line)
        return exc.exit_code
    except SystemExit as exc:  # argparse: --help, --version, a usage error (said on stderr)
        return exc.code if isinstance(exc.code, int) else EXIT_INPUT if exc.code else EXIT_OK
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        _quiet_stdout()
        return EXIT_PROBLEMS
    except Exception as exc:
        if os.environ.get("SHEETSYNC_DEBUG"):
            traceback.print_exc()
        _error(f"unexpected {one_line(exc)} (set SHEETSYNC_DEBUG=1 to see where; please "
               "report it)")
        return EXIT_PROBLEMS
    finally:
        sys.stdout = shown


class _Masked(io.TextIOBase):
    """Standard output with every phone number masked: what the CLI prints leaves the
    tracker, so it shows no full number (the tracker itself shows them to who may see)."""

    def __init__(self, inner: TextIO) -> None:
        self.inner = inner

    def write(self, text: str) -> int:
        self.inner.write(mask_phones_in(text))
        return len(text)

    def flush(self) -> None:
        self.inner.flush()

    def isatty(self) -> bool:
        return self.inner.isatty()

    def fileno(self) -> int:
        return self.inner.fileno()


def _error(line: str) -> None:
    try:
        print(f"Error: {mask_phones_in(line)}", file=sys.stderr)
    except (BrokenPipeError, ValueError):  # stderr itself is closed
        pass


def _quiet_stdout() -> None:
    """After a broken pipe, point stdout at /dev/null, so Python's own flush at exit does not
    print a second error."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def _port(text: str) -> int:
    """A TCP port: 1 to 65535."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a port number, got {text!r}") from None
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port from 1 to 65535, got {port}")
    return port


class _HelpFormatter(argparse.HelpFormatter):
    """argparse's help, with the epilog (examples, exit codes) kept line for line."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        if "\n" in text:
            return "".join(indent + line if line else line for line in text.splitlines(True))
        return super()._fill_text(text, width, indent)


EPILOG = """exit codes:
  0    done
  1    done and found problems, or could not complete
  2    a usage, configuration or input error (one line "Error: ..." on stderr)
  130  stopped by Ctrl-C

examples:
  sheetsync demo                 a demo tracker in ./demo, and the daemon on it
  sheetsync doctor               check the config, tracker, state and services
  sheetsync COMMAND --help       what a command does, with examples

docs: docs/index.md beside the source (a site: mkdocs serve)
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sheetsync", formatter_class=_HelpFormatter, epilog=EPILOG,
        description="Keep a support team's ticket spreadsheet the source of truth.")
    parser.add_argument("--version", action="version", version=f"sheetsync {__version__}")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", metavar="FILE",
                        help="the config file (default: $SHEETSYNC_CONFIG, then ./sheetsync.toml, "
                             "then built-in defaults)")
    common.add_argument("--tracker", metavar="NAME",
                        help="which of the config's [[trackers]] (needed when it has several; "
                             "`run` without it serves them all)")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, handler: Callable[[argparse.Namespace], int], help: str,
                description: str, examples: Sequence[str]) -> argparse.ArgumentParser:
        epilog = "examples:\n" + "".join(f"  {example}\n" for example in examples)
        sub = commands.add_parser(name, parents=[common], help=help, description=description,
                                  epilog=epilog, formatter_class=_HelpFormatter)
        sub.set_defaults(handler=handler)
        return sub

    check = command(
        "check", _check, help="report every invalid cell in the tracker; change nothing",
        description="Report every invalid cell in the tracker, grouped by row. Changes nothing. "
                    "Exit 0 when clean, 1 when there are findings, 2 on a config or input error.",
        examples=["sheetsync check", "sheetsync check --format json > findings.json"])
    _format_option(check, "one array of findings")

    demo = command(
        "demo", _demo, help="create a demo tracker in ./demo and run sheetsync on it",
        description="Create a demo/ folder with a config and a tracker workbook of realistic "
                    "tickets, some of them invalid, and run sheetsync there. An existing demo "
                    "is reused, with your edits. The demo always uses the local outbox.",
        examples=["sheetsync demo", "sheetsync demo --preset saypro-interaction-log --once"])
    demo.add_argument("--dir", default="demo", metavar="DIR",
                      help="where to create the demo (default: demo)")
    demo.add_argument("--preset", choices=sorted(PRESETS),
                      help="the tracker layout (default: the config's preset, else seller-support)")
    demo.add_argument("--reset", action="store_true",
                      help="recreate the demo tracker even if one exists")
    demo.add_argument("--once", action="store_true",
                      help="run one cycle and exit instead of running the daemon")

    run = command(
        "run", _run, help="run the daemon: a sync cycle every interval",
        description="Run a sync cycle every sync.interval_seconds until SIGINT or SIGTERM, "
                    "which stop it after the cycle in progress (a third Ctrl-C: at once), and "
                    "each report at its time. Logs go to stderr, one line "
                    "per cycle.",
        examples=["sheetsync run", "sheetsync run --log-format json --metrics-port 9108"])
    _format_option(run, "one JSON object a line", name="--log-format")
    run.add_argument("--once", action="store_true", help="run one cycle and exit")
    run.add_argument("--metrics-port", type=_port, metavar="PORT",
                     help="serve /healthz and Prometheus /metrics on this port")
    run.add_argument("--metrics-host", default="127.0.0.1", metavar="HOST",
                     help="the address to serve them on (default 127.0.0.1; 0.0.0.0 in a "
                          "container)")

    sync = command(
        "sync", _sync, help="run one sync cycle and exit",
        description="Run one cycle: give rows their ticket IDs, record transitions, plan and "
                    "deliver effects, write Sync Notes. Exit 0 when the cycle completed, "
                    "findings or not.",
        examples=["sheetsync sync --dry-run", "sheetsync sync --format json"])
    sync.add_argument("--dry-run", action="store_true",
                      help="print the plan; commit, send and write nothing")
    _format_option(sync, "the cycle's report")
    _quiet_option(sync)

    history = command(
        "history", _history, help="list a ticket's transitions",
        description="List a ticket's transitions, oldest first.",
        examples=["sheetsync history INT-000001", "sheetsync history INT-000001 --format json"])
    history.add_argument("ticket", metavar="TICKET", help="a ticket ID, such as INT-000001")
    _format_option(history, "objects with ticket_id, field, from, to, at")

    status = command(
        "status", _status, help="show adoption, the last cycle and the effects",
        description="Show when the tracker was adopted, the last cycle, and pending and "
                    "failed effects.",
        examples=["sheetsync status", "sheetsync status --format json"])
    _format_option(status, "one object")

    outbox = command(
        "outbox", _outbox, help="list the effects, or retry or cancel one",
        description="See and settle effects. An effect undelivered for longer than "
                    "outbox.hold_after_hours is not sent automatically: it waits here for a "
                    "person to retry or cancel it.",
        examples=["sheetsync outbox list", "sheetsync outbox retry KEY"])
    outbox.add_argument("action", choices=("list", "retry", "cancel"),
                        help="list the effects; retry KEY: send it again; cancel KEY: never")
    outbox.add_argument("key", nargs="?", metavar="KEY", help="the effect's key (retry, cancel)")
    outbox.add_argument("--not-sent", action="store_true",
                        help="retry: you looked in Slack and it is not there, so send it "
                             "without looking it up first (for an effect held because "
                             "sheetsync could not look)")
    _format_option(outbox, "objects with key, kind, ticket_id, status, attempts, last_error, "
                           "created_at, unclear")

    triage = command(
        "triage", _triage, help="explain the priority suggested for a ticket",
        description="Show which Prioritization Guidelines rule gives a ticket its Suggested "
                    "Priority, and why, beside the Priority a person gave it.",
        examples=["sheetsync triage INT-000001"])
    triage.add_argument("ticket", metavar="TICKET", help="a ticket ID, such as INT-000001")

    doctor = command(
        "doctor", _doctor, help="check the setup before running",
        description="Check the config, the tracker and its columns, the state store, and "
                    "Slack and ClickUp where configured, and say how to fix each failure. "
                    "Sends nothing and changes nothing. Exit 0 when every check passes, 1 "
                    "when any fails (a config that cannot be read is a failed check).",
        examples=["sheetsync doctor", "sheetsync doctor --format json"])
    _format_option(doctor, "objects with name, ok (true, false, or null: not checked), "
                           "detail, fix")

    backup = command(
        "backup", _backup, help="copy the state store safely while the daemon runs",
        description="Write a consistent copy of the state store (ticket snapshots, history, "
                    "the effect outbox) to PATH, while the daemon keeps running.",
        examples=["sheetsync backup backups/sheetsync-$(date +%F).db"])
    backup.add_argument("path", metavar="PATH", help="where to write the copy")

    report = command(
        "report", _report, help="write a summary tab now",
        description="Write a report's tab now: the morning review or the daily summary for a "
                    "day (today by default), the weekly report for an ISO week, the monthly "
                    "analysis for a month (by default the last complete one). Its digest goes "
                    "to Slack (or the outbox), and the schedule will not write it again.",
        examples=["sheetsync report daily", "sheetsync report weekly --for 2026-W47"])
    report.add_argument("job", choices=JOBS, help="which report")
    report.add_argument("--for", dest="period", metavar="PERIOD",
                        help="2026-11-23 (morning, daily), 2026-W47 (weekly), 2026-11 (monthly)")
    _format_option(report, "one object with job, period, tab, written, skipped, figures")
    _quiet_option(report)

    setup = command(
        "setup", _setup, help="prepare the tracker: header, dropdowns, protected columns",
        description="Prepare the tracker tab: create it with the preset's header when missing "
                    "(or with the tickets of a CSV file), freeze the header row, turn on the "
                    "filter, add dropdowns for Status, Issue Type and the other vocabularies "
                    "(odd values are flagged by sheetsync, not rejected), and put a warning "
                    "on the columns sheetsync writes (Google Sheets). Running it again changes "
                    "nothing. --remove takes back everything setup and the daemon added: "
                    "dropdowns, protections, highlight rules and notes; people's data and "
                    "columns stay.",
        examples=["sheetsync setup", "sheetsync setup --import tickets.csv"])
    setup.add_argument("--import", dest="imported", metavar="CSV",
                       help="create the tab with the tickets of this CSV file (its first row "
                            "is the header)")
    setup.add_argument("--remove", action="store_true",
                       help="take back what setup and the daemon added")
    _quiet_option(setup)

    purge = command(
        "purge", _purge, help="forget history older than a date",
        description="Remove transitions, sent and cancelled effects and cycle records observed "
                    "before DATE (in the configured timezone). Tickets, and effects still "
                    "owed, are kept.",
        examples=["sheetsync purge --before 2026-01-01"])
    purge.add_argument("--before", required=True, metavar="DATE",
                       help="YYYY-MM-DD: forget what was observed before this day began")
    return parser


def _format_option(command: argparse.ArgumentParser, json_shape: str,
                   name: str = "--format") -> None:
    command.add_argument(name, choices=("text", "json"), default="text",
                         help=f"text for people (default); json: {json_shape}")


def _quiet_option(command: argparse.ArgumentParser) -> None:
    command.add_argument("--quiet", action="store_true",
                         help="no progress bar (there is none when stderr is not a terminal)")


def _progress(args: argparse.Namespace, unit: str = "step") -> Progress:
    """The command's progress bar: drawn only where a person watches, and not --quiet."""
    return Progress(wanted(args.quiet), unit)


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _check(args: argparse.Namespace) -> int:
    config = load_config(args.config, tracker=args.tracker)
    report = run_check(config, _now())
    _print_report(report, args.format)
    return EXIT_PROBLEMS if report.findings else EXIT_OK


def _demo(args: argparse.Namespace) -> int:
    settings = load_config(args.config, tracker=args.tracker).settings \
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
    print(f"Running sheetsync on {demo.folder}/{'' if args.once else ' (Ctrl-C to stop)'}. "
          f"{how_to_escalate(config.schema, demo.workbook_path)}, save, and the escalation "
          f"lands in {config.outbox_path.name}.", flush=True)
    logs.setup("text", zone=config.timezone)
    from sheetsync.app.daemon import run_daemon  # the reports' pandas: loaded only for the daemon

    return run_daemon(config, once=args.once, environ={})  # no token reaches the demo


def _run(args: argparse.Namespace) -> int:
    from sheetsync.app.daemon import run_daemon, run_fleet  # pandas: loaded only for the daemon

    configs = [load_config(args.config, tracker=args.tracker)] if args.tracker else \
        load_configs(args.config)
    logs.setup(args.log_format, zone=configs[0].timezone)  # process-wide: the first's
    metrics_at = (args.metrics_host, args.metrics_port) if args.metrics_port is not None \
        else None
    if len(configs) > 1:
        return run_fleet(configs, once=args.once, metrics_at=metrics_at)
    return run_daemon(configs[0], once=args.once, metrics_at=metrics_at)


def _sync(args: argparse.Namespace) -> int:
    config = load_config(args.config, tracker=args.tracker)
    logs.setup("text", zone=config.timezone)  # a delivery fault is one line on stderr
    # A cycle that sends takes the lease, as a daemon does: with a daemon running (here or
    # on another machine sharing the state) it stops with a Standby error instead of racing
    # it for the same effects, and it hands the lease back when done.
    lease = None if args.dry_run else Lease.for_this_process(60)
    try:
        with _progress(args) as progress:
            report = run_sync(config, _now(), dry_run=args.dry_run,
                              echo=None if args.format == "json" else progress.print,
                              lease=lease, progress=progress)
    finally:
        if lease is not None and has_state(config):
            with open_state(config, lease=lease) as store:
                store.release_lease()
    if args.format == "json":
        print(json.dumps({
            "rows": report.rows, "adopted": report.adopted, "new_tickets": report.new_tickets,
            "transitions": [{"ticket_id": t.ticket_id, "field": t.field, "from": t.before,
                             "to": t.after} for t in report.transitions],
            "findings": report.findings,
            "effects": [{"key": e.key, "kind": e.kind, "ticket_id": e.ticket_id,
                         **e.payload} for e in report.planned],
            "delivered": report.delivered,
            "cells_written": 0 if report.write_skipped else len(report.writes),
            "cells_not_written": len(report.writes) if report.write_skipped else 0,
            "write_skipped": report.write_skipped, "dry_run": args.dry_run,
        }, ensure_ascii=False, indent=2))
        return EXIT_OK
    if report.adopted:
        print(f"Baseline{' would be' if args.dry_run else ''} recorded: {report.rows} rows; "
              "nothing is sent for what happened before sheetsync saw the tracker.")
    print(f"{report.rows} rows, {report.new_tickets} new tickets, "
          f"{len(report.transitions)} transitions, {report.findings} findings; "
          f"{len(report.planned)} effects {'would be ' if args.dry_run else ''}planned, "
          f"{report.delivered} delivered, " + (
              f"no cells written ({len(report.writes)} left for the next cycle)."
              if report.write_skipped else f"{len(report.writes)} cells "
              f"{'would be ' if args.dry_run else ''}written."))
    if args.dry_run:
        for effect in report.planned:
            print(f"  would send {effect.kind} {effect.ticket_id}: "
                  f"{effect.payload.get('text') or effect.payload.get('name')}")
        for write in report.writes[:20]:
            print(f"  would write row {write.row}, {write.column}: {write.value!r}")
    elif report.write_skipped:
        print(f"Did not write the tracker: {report.write_skipped}; trying again next cycle.",
              file=sys.stderr)
    return EXIT_OK


def _history(args: argparse.Namespace) -> int:
    config = load_config(args.config, tracker=args.tracker)
    with _open_state(config) as store:
        entries = store.history(args.ticket.strip().upper())
    if args.format == "json":
        print(json.dumps([{"ticket_id": e.ticket_id, "field": e.field, "from": e.before,
                           "to": e.after, "at": _local(e.at, config), "by": e.actor}
                          for e in entries], indent=2))
        return EXIT_OK
    if not entries:
        print(f"No transitions recorded for {args.ticket}.")
    for e in entries:
        print(f"{_local(e.at, config)}  {e.ticket_id}  {e.field}: {e.before or '-'} -> "
              f"{e.after or '-'}" + (f"  by {e.actor}" if e.actor else ""))
    return EXIT_OK


def _status(args: argparse.Namespace) -> int:
    from sheetsync.core.schedule import next_moment

    config = load_config(args.config, tracker=args.tracker)
    with _open_state(config) as store:
        cycle = store.last_cycle()
        pending, failed = store.effects("pending"), store.effects("failed")
        settings = config.settings.reports
        now = _now().astimezone(config.timezone)
        upcoming = sorted(((next_moment(job, getattr(settings, f"{job}_at"), now), job)
                           for job in settings.jobs),
                          key=lambda u: (u[0], JOBS.index(u[1])))
        where = _destinations(config, [*pending, *failed], store)
        if cycle:
            cycle = {**cycle, "at": _local(cycle["at"], config)}
        failing = store.write_failing()
        not_written = describe(failing, now) if is_stuck(failing, now) and failing else None
        report = {"adopted_at": _local(store.adopted_at, config), "last_cycle": cycle,
                  "not_written": not_written, "held_back": held_back(config, now),
                  "read_only": _read_only(config),
                  "pending_effects": [e.key for e in pending],
                  "failed_effects": [e.key for e in failed],
                  "errors": {e.key: e.last_error for e in [*pending, *failed] if e.last_error},
                  "destinations": where,
                  "next_reports": [{"job": job, "at": _local(at, config)}
                                   for at, job in upcoming]}
        held = store.read_held  # Google's shared quota budget ran short
        if held is not None:
            held = {**held, "at": _local(held["at"], config) or held["at"]}
            report["read_held_back"] = held
    if args.format == "json":
        print(json.dumps(report, indent=2))
        return EXIT_OK
    print(f"Adopted: {report['adopted_at'] or 'not yet (the first cycle records a baseline)'}")
    if cycle:
        print(f"Last cycle: {cycle['at']}: {cycle['rows']} rows, {cycle['new_tickets']} new "
              f"tickets, {cycle['transitions']} transitions, {cycle['findings']} findings")
    if report["read_only"]:
        print(f"Read only: sheetsync can only read the tracker: {report['read_only']}")
    if report["held_back"]:
        print(f"Held back: {report['held_back']}")
    if not_written:
        print(f"Not written: {not_written}; {WRITE_FIX}")
    if held is not None:
        print(f"Reads held back since {held['at']}: {held['reason']}")
    print("Next reports: " + (", ".join(f"{job} {at:%Y-%m-%d %H:%M}" for at, job in upcoming)
                              or "none (reports.jobs is empty)"))
    print(f"Effects: {len(pending)} pending, {len(failed)} failed")
    for effect in [*pending, *failed]:
        print(f"  {effect.status}: {effect.key} to {where[effect.key]}" +
              (f" ({effect.last_error})" if effect.last_error else ""))
    return EXIT_OK


def _read_only(config: Config) -> str | None:
    """Why sheetsync can only read the local workbook (an encrypted, legacy or Strict Open
    XML file), with the fix; None when it can edit it (or the tracker is a Google sheet)."""
    if config.settings.tracker.backend == "google" or not config.workbook_path.exists():
        return None
    from sheetsync.backends.xlsx_package import read_only_reason

    return read_only_reason(config.workbook_path)


def _destinations(config: Config, effects: Sequence[Effect], store: StateStore
                  ) -> dict[str, str]:
    """Where each effect queues (a Slack channel, a ClickUp list, the outbox), as the
    environment routes it now."""
    try:
        sinks = open_sinks(config, quiet=True)
    except SheetsyncError:  # a token that cannot be used: its effects wait on the outbox's
        sinks = open_sinks(config, environ={}, quiet=True)
    parents = {key: found[0] for e in effects if (key := e.payload.get("parent"))
               and (found := store.effects(key=str(key)))}
    return {e.key: sinks.destination(e, parents.get(str(e.payload.get("parent"))))
            for e in effects}


def _outbox(args: argparse.Namespace) -> int:
    config = load_config(args.config, tracker=args.tracker)
    if args.not_sent and args.action != "retry":
        raise InputError("--not-sent goes with `outbox retry KEY`")
    if args.action != "list" and not args.key:
        raise InputError(f"outbox {args.action} needs the effect's KEY (see `sheetsync outbox "
                         "list`)")
    with _open_state(config) as store:
        if args.action == "list":
            effects = store.effects()
        else:
            try:
                effects = [store.decide(args.key, "pending" if args.action == "retry"
                                        else "cancelled", _now(),
                                        checked=args.not_sent and args.action == "retry")]
            except KeyError:
                raise InputError(f"no effect with key {args.key}") from None
            except ValueError as exc:
                raise InputError(str(exc)) from None
        where = _destinations(config, effects, store)
    if args.format == "json":
        print(json.dumps([{"key": e.key, "kind": e.kind, "ticket_id": e.ticket_id,
                           "status": e.status, "attempts": e.attempts,
                           "last_error": e.last_error,
                           "created_at": _local(e.created_at, config),
                           "unclear": e.unclear, "destination": where[e.key]}
                          for e in effects], indent=2))
        return EXIT_OK
    for e in effects:
        print(f"{e.status:9}  {e.key}  to {where[e.key]}  attempts={e.attempts}" +
              (f"  ({e.last_error})" if e.last_error else ""))
    if args.action == "retry":
        print("It goes out with the next cycle.")
    return EXIT_OK


def _triage(args: argparse.Namespace) -> int:
    from sheetsync.backends import open_backend
    from sheetsync.schema import bind
    from sheetsync.core.triage import suggest
    from sheetsync.jobs.sync import priority_rules

    config = load_config(args.config, tracker=args.tracker)
    sheet = bind(open_backend(config).read(), config.schema)
    roles = config.schema.roles
    ids = [config.schema.ticket_id.read(v) for v in sheet.columns.get(roles.ticket_id, ())]
    if args.ticket not in ids:
        raise InputError(f"no row with ticket ID {args.ticket} in {config.tracker_label}")
    i = ids.index(args.ticket)
    found = suggest(sheet.text(roles.description, i), sheet.text(roles.type, i),
                    priority_rules(config))
    given = sheet.text(roles.priority, i) or "blank"
    if found is None:
        print(f"{args.ticket}: no rule matches; Priority {given}.")
    else:
        print(f"{args.ticket}: Suggested Priority {found.value}: {found.reason} "
              f'(matched "{found.matched}"); the person\'s Priority is {given}.')
    return EXIT_OK


def _doctor(args: argparse.Namespace) -> int:
    from sheetsync.app.doctor import diagnose

    checks = diagnose(args.config, os.environ, Path.cwd(), args.tracker)
    if args.format == "json":
        print(json.dumps([{"name": c.name, "ok": c.ok, "detail": c.detail, "fix": c.fix}
                          for c in checks], ensure_ascii=False, indent=2))
    else:
        for check in checks:
            mark = {True: "ok  ", False: "FAIL", None: "--  "}[check.ok]
            print(f"{mark} {check.name}: {check.detail}")
            if check.ok is False and check.fix:
                print(f"     fix: {check.fix}")
        failed = sum(1 for c in checks if c.ok is False)
        print(f"{failed} problem{'s' if failed != 1 else ''} found." if failed else
              "Everything checked is ready.")
    return EXIT_PROBLEMS if any(c.ok is False for c in checks) else EXIT_OK


def _backup(args: argparse.Namespace) -> int:
    config = load_config(args.config, tracker=args.tracker)
    target = Path(args.path)
    if target.resolve() == config.state_path.resolve():
        raise InputError(f"{target}: that is the state file itself; give another path")
    with _open_state(config) as store:
        try:
            store.backup(target)
        except (OSError, sqlite3.Error) as exc:
            raise InputError(f"{target}: cannot write the copy there "
                             f"({getattr(exc, 'strerror', None) or exc})") from None
    print(f"Copied {config.state_path} to {target}.")
    return EXIT_OK


def _report(args: argparse.Namespace) -> int:
    from sheetsync.jobs.reports import run_report  # pandas: loaded only for reports

    config = load_config(args.config, tracker=args.tracker)
    now = _now().astimezone(config.timezone)
    try:
        period = chosen_period(args.job, args.period, now)
    except ValueError as exc:
        raise InputError(str(exc)) from None
    logs.setup("text", zone=config.timezone)
    with _open_state(config) as store, _progress(args) as progress:
        written = run_report(config, period, now, store, open_sinks(config),
                             progress=progress)
    report = written.report
    if args.format == "json":
        print(json.dumps({"job": args.job, "period": period.label, "tab": written.tab,
                          "written": written.skipped is None, "skipped": written.skipped,
                          "figures": {name: value for name, value in report.figures}},
                         ensure_ascii=False, indent=2, default=str))
    elif written.skipped is None:
        charts = len(drawn(report))  # a chart of an empty table is not written
        print(f"Wrote the {report.title} into the tab \"{written.tab}\" of "
              f"{config.tracker_label}: {len(report.tables)} tables, "
              f"{charts} chart{'s' if charts != 1 else ''}.")
        for name, value in report.figures:
            print(f"  {name}: {UNKNOWN if value is None else value}")
    else:
        print(f"Did not write the {report.title}: {written.skipped}.", file=sys.stderr)
    return EXIT_OK if written.skipped is None else EXIT_PROBLEMS


def _setup(args: argparse.Namespace) -> int:
    from sheetsync.backends import open_backend
    from sheetsync.core.setup import plan_setup

    config = load_config(args.config, tracker=args.tracker)
    if args.imported and args.remove:
        raise InputError("--import and --remove: give one of them")
    text = None
    if args.imported:
        try:
            text = Path(args.imported).read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"--import {args.imported}: cannot be read ({exc})") from None
    plan = plan_setup(config.schema, text)
    backend = open_backend(config)
    if args.remove:
        changes = backend.remove_setup(plan)
    else:
        with _progress(args, unit="row") as progress:
            changes = backend.setup(plan, progress.rows("importing"))
    where = config.tracker_label
    for line in changes.done:
        print(f"  {line}")
    for line in changes.skipped:
        print(f"  not done: {line}", file=sys.stderr)
    print(f"{where}: " + ("nothing to change." if not changes.done else
                          f"{len(changes.done)} change{'s' if len(changes.done) != 1 else ''}."))
    return EXIT_OK


def _purge(args: argparse.Namespace) -> int:
    config = load_config(args.config, tracker=args.tracker)
    try:
        day = date.fromisoformat(args.before)
    except ValueError:
        raise InputError(f'--before: expected a date as YYYY-MM-DD, got "{args.before}"') from None
    start = datetime.combine(day, time(0), tzinfo=config.timezone)
    with _open_state(config) as store:
        counts = store.purge(start)
    print(f"Removed {counts['transitions']} transitions, {counts['effects']} settled effects and "
          f"{counts['cycles']} cycle records from before {start.isoformat()}.")
    return EXIT_OK


def _local(moment: str | datetime | None, config: Config) -> str | None:
    """A time as every command shows it: ISO 8601 to the second, in the team's timezone with
    its offset (the state keeps UTC)."""
    if moment is None or moment == "":
        return None
    at = datetime.fromisoformat(moment) if isinstance(moment, str) else moment
    return at.astimezone(config.timezone).isoformat(timespec="seconds")


def _open_state(config: Config) -> StateStore:
    if not has_state(config):
        raise InputError(f"{config.state_path}: no state yet; run `sheetsync sync` first")
    return open_state(config)


def _print_report(report: CheckReport, fmt: str) -> None:
    if report.save_blockers:
        print(f"Warning: sheetsync can only read {report.where}: "
              f"{'; '.join(report.save_blockers)}.", file=sys.stderr)
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
