"""`sheetsync doctor`: is everything configured right, before the daemon runs?

Checks in order (the config; Google's credentials; the tracker and its columns; edit access
and the change probe on Google; the state store; Slack, and with Socket Mode the people
mapped in slack.users; ClickUp)
and says, for each failure, what to do. It reads and asks, and changes nothing: no message is
sent, no task created, the state store is opened read-only, and no secret is ever printed.
"""

from __future__ import annotations

import dataclasses
import os
import sqlite3
import stat
from collections.abc import Iterator, Mapping
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from slack_sdk.errors import SlackApiError

from sheetsync.backends import open_backend
from sheetsync.config import Config, load_config, load_configs
from sheetsync.errors import ConfigError, SheetsyncError
from sheetsync.faults import DamagedState, state_fault
from sheetsync.integrations import DeliveryError, read_token
from sheetsync.integrations import clickup, slack
from sheetsync.schema import bind
from sheetsync.core.write_failing import FIX as WRITE_FIX, describe, is_stuck
from sheetsync.backends.file_locks import held_back
from sheetsync.state import MIGRATIONS, state_url
from sheetsync.state.snapshots import parse_write_failing

#: What each kind of Slack conversation needs for sheetsync to post and to look posts up.
POST_SCOPE = "chat:write"
HISTORY_SCOPES = ("channels:history", "groups:history")
COMMAND_SCOPE, USERS_SCOPE = "commands", "users:read"  # /ticket; looking slack.users up


@dataclass(frozen=True)
class Check:
    """One line of the checklist."""

    name: str
    ok: bool | None  # None: not checked (not configured, or an earlier check failed)
    detail: str
    fix: str = ""


def diagnose(config_path: str | None, environ: Mapping[str, str], cwd: Path,
             tracker: str | None = None) -> list[Check]:
    """Every check, in order; for a config of several trackers, each tracker's, its name
    before each check's."""
    try:
        configs = [load_config(config_path, environ=environ, cwd=cwd, tracker=tracker)] \
            if tracker else load_configs(config_path, environ=environ, cwd=cwd)
    except SheetsyncError as exc:
        return [Check("config", False, str(exc), "fix the setting named above; every key is in "
                      "the docs' configuration reference (docs/reference/config.md)"),
                Check("tracker", None, "not checked: the config could not be read")]
    if len(configs) == 1:
        return _checks(configs[0], environ)
    return [dataclasses.replace(check, name=f"{config.name}: {check.name}")
            for config in configs for check in _checks(config, environ)]


def _checks(config: Config, environ: Mapping[str, str]) -> list[Check]:
    """One tracker's checks."""
    checks = [Check("config", True, str(config.source or "built-in defaults"))]
    google = list(_google(config, environ))
    checks += google[:1]
    if google and google[0].ok is False:
        checks.append(Check("tracker", None, "not checked: no Google credentials"))
    else:
        checks.append(_tracker(config, environ))
        checks += google[1:] if checks[-1].ok else []
    checks.append(_state(config, environ))
    checks += list(_writes(config, environ))
    checks += list(_slack(config, environ))
    checks += list(_clickup(config, environ))
    return checks


def _google(config: Config, environ: Mapping[str, str]) -> Iterator[Check]:
    """The credentials (before the tracker is read with them), then edit access and the
    change probe (after it was read: a sheet that cannot be read has failed already)."""
    if config.settings.tracker.backend != "google":
        return
    from sheetsync.backends.google import GoogleSheet, load_credentials
    from sheetsync.backends.google_http import GoogleHTTPClient

    try:
        credentials = load_credentials(environ)
    except SheetsyncError as exc:
        yield Check("google credentials", False, str(exc),
                    "see the Google Sheets tutorial (docs/tutorials/google-sheets.md): a service "
                    "account's key file in "
                    "GOOGLE_APPLICATION_CREDENTIALS")
        return
    email = getattr(credentials, "service_account_email", None)
    yield Check("google credentials", True, f"service account {email}" if email else
                "a person's credentials (application default credentials)")
    backend = GoogleSheet(config, GoogleHTTPClient(  # the credentials just loaded, once
        credentials, per_minute=config.settings.tracker.requests_per_minute))
    try:
        editable = backend.can_edit()
    except SheetsyncError as exc:
        yield Check("google access", False, str(exc),
                    "enable the Google Drive API in the credentials' project and grant the "
                    "drive.metadata.readonly scope: the change probe needs it")
        return
    if editable:
        yield Check("google access", True, f"{backend.who()} can edit the spreadsheet; "
                    "Drive's version (the change probe) is readable")
    else:
        yield Check("google access", False, f"{backend.who()} can only view the spreadsheet",
                    "in Google Sheets, Share it with that address as an Editor")


def _tracker(config: Config, environ: Mapping[str, str]) -> Check:
    try:
        sheet = bind(open_backend(config, environ).read(), config.schema)
    except SheetsyncError as exc:
        return Check("tracker", False, str(exc), "point tracker.path (or tracker.spreadsheet_id) and tracker.tab at the "
                     "tracker, or rename its columns as the preset expects (see Presets)")
    missing = [c.header for c in config.schema.columns
               if c.key not in sheet.binding.headers and c.owner != "daemon"]
    if config.settings.tracker.backend != "google":
        from sheetsync.backends.xlsx_package import read_only_reason

        reason = read_only_reason(config.workbook_path)
        if reason:
            said, _, fix = reason.partition("; ")
            return Check("tracker", False, f"{config.tracker_label}: sheetsync can only read "
                         f"it: {said}", fix)
    detail = f"{config.tracker_label}: " \
             f"{len(sheet.numbers)} rows, every required column present"
    return Check("tracker", True, detail + (f" (optional, absent: {', '.join(missing)})"
                                            if missing else ""))


def _writes(config: Config, environ: Mapping[str, str]) -> Iterator[Check]:
    """A failed check when the daemon has not written the tracker for a while (as the state
    records it, read only); nothing when it has, or there is no state yet."""
    url = state_url(config, environ)
    try:
        if url:
            import psycopg

            with psycopg.connect(url, connect_timeout=10) as db:
                row = db.execute(f'SELECT value FROM "{config.settings.state.namespace}".meta '
                                 "WHERE key = 'write_failing'").fetchone()
        elif config.state_path.exists():
            with closing(sqlite3.connect(f"file:{config.state_path}?mode=ro", uri=True)) as db:
                row = db.execute("SELECT value FROM meta WHERE key = 'write_failing'").fetchone()
        else:
            return
    except Exception:  # noqa: BLE001 - the state check above names what is wrong with it
        return
    failing = parse_write_failing(row[0] if row else None)
    now = datetime.now(timezone.utc)
    if failing is not None and is_stuck(failing, now):
        yield Check("tracker writes", False, describe(failing, now), WRITE_FIX)
    if (line := held_back(config, now)) is not None:
        said, fix = line.rsplit("; ", 1)  # (an owner's name may hold "; ")
        yield Check("tracker lock", False, said, fix)


def _postgres_state(config: Config, url: str) -> Check:
    """The PostgreSQL state: reachable, its migrations, who holds the lease (read only)."""
    import psycopg

    from sheetsync.state import without_password

    namespace = config.settings.state.namespace
    where = f"{without_password(url)} schema {namespace}"
    try:
        with psycopg.connect(url, connect_timeout=10) as db:
            found = db.execute("SELECT 1 FROM information_schema.tables WHERE table_schema = "
                               "%s AND table_name = 'schema_version'", (namespace,)).fetchone()
            if found is None:
                return Check("state", True, f"{where}: not there yet; the first cycle "
                             "creates it")
            row = db.execute(f'SELECT max(version) FROM "{namespace}".schema_version'
                             ).fetchone()
            version = int(row[0] or 0) if row else 0
            lease = db.execute(
                f'SELECT holder, expires - extract(epoch from clock_timestamp()) FROM '
                f'"{namespace}".leases WHERE name = %s', ("cycles",)).fetchone() \
                if version >= 11 else None
    except psycopg.Error as exc:
        return Check("state", False, f"{where}: {str(exc).strip().splitlines()[0]}",
                     "check state.url (or SHEETSYNC_STATE_URL), that the server runs, and the "
                     "password in PGPASSWORD or ~/.pgpass")
    if (newer := _newer(where, version)) is not None:
        return newer
    held = f"; the lease is {lease[0]}'s for {max(lease[1], 0):.0f} s more" \
        if lease and lease[1] > 0 else "; no replica holds the lease"
    return Check("state", True, f"{where}: version {version}" + held)


def _newer(where: str, version: int) -> Check | None:
    """A failed check for a state a newer sheetsync wrote (its migrations unknown here)."""
    if version <= len(MIGRATIONS):
        return None
    return Check("state", False, f"{where}: written by a newer sheetsync (version {version}, "
                 f"this one knows {len(MIGRATIONS)})", "upgrade sheetsync")


def _state(config: Config, environ: Mapping[str, str]) -> Check:
    url = state_url(config, environ)
    if url:
        return _postgres_state(config, url)
    path = config.state_path
    if not path.exists():
        folder = path.parent if path.parent.exists() else None
        if folder is None or not os.access(folder, os.W_OK):
            return Check("state", False, f"{path}: its folder cannot be written",
                         "create the folder, or point state.path somewhere writable")
        return Check("state", True, f"{path}: not there yet; the first cycle creates it")
    restore = ("stop sheetsync, move the file away and put the latest copy from `sheetsync "
               "backup` in its place")
    if path.stat().st_size == 0:
        return Check("state", False, f"{path}: an empty file, not a sheetsync state",
                     "remove it (the first cycle makes a new state), or point state.path at "
                     "the state")
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
            version = int(db.execute("PRAGMA user_version").fetchone()[0])
            tables = int(db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0])
            damage = [row[0] for row in db.execute("PRAGMA quick_check(5)")]
    except sqlite3.Error as exc:
        fault = state_fault(exc, path)
        return Check("state", False, str(fault or exc),
                     restore if isinstance(fault, DamagedState) else
                     "point state.path at the state, or move this file away")
    if version == 0 and tables:
        return Check("state", False, f"{path}: an SQLite database of another program, not a "
                     "sheetsync state", "point state.path at the state, or move this file away")
    if damage != ["ok"]:
        return Check("state", False, f"{path}: the state file is damaged ({'; '.join(damage)})",
                     restore)
    if (newer := _newer(str(path), version)) is not None:
        return newer
    if not os.access(path, os.W_OK):
        return Check("state", False, f"{path}: not writable by this user",
                     "run sheetsync as the file's owner, or fix its permissions")
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        return Check("state", False, f"{path}: readable by others (mode {mode:o})",
                     f"chmod 600 {path}")
    pending = len(MIGRATIONS) - version
    return Check("state", True, f"{path}: version {version}" + (
        f", {pending} migration{'s' if pending != 1 else ''} to apply at the next start"
        if pending else ", current"))


def _slack(config: Config, environ: Mapping[str, str]) -> Iterator[Check]:
    channel = config.settings.slack.channel
    try:
        token = read_token(environ, slack.TOKEN_ENV)
    except ConfigError as exc:
        yield Check("slack token", False, str(exc), f"set {slack.TOKEN_ENV} again")
        return
    if channel is None and not token:
        yield Check("slack", None, "not configured: escalations go to the local outbox")
        return
    if channel is None:
        yield Check("slack", False, f"{slack.TOKEN_ENV} is set but slack.channel is not",
                    'add [slack] channel = "#seller-support"')
        return
    if not token:
        yield Check("slack", False, f"slack.channel is {channel} but {slack.TOKEN_ENV} is not "
                    "set", f"export {slack.TOKEN_ENV}=xoxb-... (the app's Bot User OAuth Token)")
        return
    sink = slack.SlackSink(token, channel, api_url=config.settings.slack.api_url)
    try:
        answer = sink.client.auth_test()
    except SlackApiError as exc:
        yield Check("slack token", False, f"auth.test: {exc.response.get('error')}",
                    f"set a valid bot token in {slack.TOKEN_ENV}")
        return
    except OSError as exc:
        yield Check("slack token", False, f"no answer from {config.settings.slack.api_url} "
                    f"({type(exc).__name__})", "check the network, or slack.api_url")
        return
    scopes = {s.strip() for s in str(answer.headers.get("x-oauth-scopes") or
                                     answer.headers.get("X-OAuth-Scopes") or "").split(",")}
    yield Check("slack token", True, f"the app {answer.get('user', answer.get('user_id'))} in "
                f"{answer.get('team', 'the workspace')}")
    try:
        channel_id = sink.channel_id()
        info = sink.client.conversations_info(channel=channel_id)
    except (DeliveryError, SlackApiError) as exc:
        detail = str(exc) if isinstance(exc, DeliveryError) else \
            f"conversations.info: {exc.response.get('error')}"
        yield Check("slack channel", False, detail,
                    "check slack.channel, and invite the app: /invite @your-app")
        return
    if not (info.get("channel") or {}).get("is_member"):
        yield Check("slack channel", False, f"the app is not in {channel}",
                    f"in {channel}: /invite @your-app (it must be in the channel to read its "
                    "history)")
    else:
        yield Check("slack channel", True, f"{channel} ({channel_id}), the app is in it")
    private = bool((info.get("channel") or {}).get("is_private"))
    history = HISTORY_SCOPES[1] if private else HISTORY_SCOPES[0]
    missing = [s for s in (POST_SCOPE, history) if s not in scopes]
    if missing:
        yield Check("slack scopes", False, f"the app lacks {', '.join(missing)}",
                    "add them under OAuth & Permissions > Bot Token Scopes, reinstall the app, "
                    f"and set the new token in {slack.TOKEN_ENV}")
    else:
        yield Check("slack scopes", True, f"{POST_SCOPE} to post, {history} to look posts up")
    yield from _slack_actions(config, environ, sink, scopes)


def _slack_actions(config: Config, environ: Mapping[str, str], sink: slack.SlackSink,
                   scopes: set[str]) -> Iterator[Check]:
    """With SLACK_APP_TOKEN: the buttons' and /ticket's needs, and the people who may act
    (slack.users: IDs well-formed, one name each, and each a user of the workspace)."""
    try:
        app_token = read_token(environ, slack.APP_TOKEN_ENV)
    except ConfigError as exc:
        yield Check("slack socket", False, str(exc), f"set {slack.APP_TOKEN_ENV} again")
        return
    if not app_token:
        return
    if not app_token.startswith("xapp-"):
        yield Check("slack socket", False, f"{slack.APP_TOKEN_ENV} is not an app-level token "
                    "(they start with xapp-)", "Basic Information > App-Level Tokens > "
                    "Generate, with the connections:write scope")
    missing = [s for s in (COMMAND_SCOPE, USERS_SCOPE) if s not in scopes]
    if missing:
        yield Check("slack socket", False, f"the app lacks {', '.join(missing)} (for /ticket "
                    "and to check slack.users)", "add them under OAuth & Permissions > Bot "
                    "Token Scopes, reinstall the app, and set the new token in "
                    f"{slack.TOKEN_ENV}")
    users = config.settings.slack.users
    names: dict[str, list[str]] = {}
    for name, user in users.items():
        names.setdefault(user, []).append(name)
    twice = {user: given for user, given in names.items() if len(given) > 1}
    if not users:
        yield Check("slack users", False, "nobody is mapped, so nobody can use the buttons or "
                    "/ticket", '[slack.users] "Priya (Support)" = "U0123ABCD" (in Slack: the '
                    "person's profile > More > Copy member ID)")
        return
    for user, given in twice.items():
        yield Check("slack users", False, f"{user} is given to {' and '.join(given)}: sheetsync "
                    "cannot tell which one acts, so neither may", "keep one name per Slack user")
    unknown = []
    for user in names if USERS_SCOPE in scopes else ():
        try:
            found = sink.client.users_info(user=user)
            if (found.get("user") or {}).get("deleted"):
                unknown.append(f"{user} ({', '.join(names[user])}) is deactivated")
        except SlackApiError as exc:
            unknown.append(f"{user} ({', '.join(names[user])}): {exc.response.get('error')}")
    if unknown:
        yield Check("slack users", False, "; ".join(unknown),
                    "fix slack.users: each ID is a member ID of this workspace")
    elif not twice:
        yield Check("slack users", True, f"{len(users)} mapped, each a user of the workspace"
                    if USERS_SCOPE in scopes else f"{len(users)} mapped (not looked up)")


def _clickup(config: Config, environ: Mapping[str, str]) -> Iterator[Check]:
    settings = config.settings.clickup
    try:
        token = read_token(environ, clickup.TOKEN_ENV)
    except ConfigError as exc:
        yield Check("clickup", False, str(exc), f"set {clickup.TOKEN_ENV} again")
        return
    if settings.list_id is None and settings.key_field_id is None and not token:
        yield Check("clickup", None, "not configured: tasks go to the local outbox")
        return
    if not token or settings.list_id is None or settings.key_field_id is None:
        missing = [name for name, value in ((clickup.TOKEN_ENV, token),
                                            ("clickup.list_id", settings.list_id),
                                            ("clickup.key_field_id", settings.key_field_id))
                   if not value]
        yield Check("clickup", False, f"{', '.join(missing)} not set",
                    "set the token in the environment and both settings under [clickup] (see "
                    "the ClickUp tutorial, docs/tutorials/clickup.md)")
        return
    sink = clickup.ClickUpSink(token, settings.list_id, settings.key_field_id,
                               api_url=settings.api_url)
    try:
        yield Check("clickup", True, sink.start())
    except DeliveryError as exc:
        yield Check("clickup", False, str(exc),
                    "see the ClickUp tutorial (docs/tutorials/clickup.md)")
