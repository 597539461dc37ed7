"""Configuration: one tracker's settings from `sheetsync.toml`, checked into pydantic models.

Found by `--config`, then `SHEETSYNC_CONFIG`, then `./sheetsync.toml`, else the built-in
defaults. Relative paths resolve against the config file's folder (the working directory when
there is no file). Secrets never come from the file: only from the environment.
A malformed file is one `ConfigError` per problem, naming the file, the key path, what was
expected and what was found.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import os
import re
import tomllib
import types
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError, model_validator
from pydantic_core import PydanticCustomError

from sheetsync.errors import ConfigError
from sheetsync.core.triage import PriorityRule
from sheetsync.schema import (
    PRESETS,
    ColumnOverride,
    Condition,
    Schema,
    SchemaOverrideError,
    TicketIdFormat,
    apply_overrides,
)

CONFIG_FILENAME = "sheetsync.toml"
CONFIG_ENV = "SHEETSYNC_CONFIG"

#: Where each kind of secret is read from, for the message that refuses it in the file.
SECRET_ENV = {
    "slack": "SLACK_BOT_TOKEN",
    "clickup": "CLICKUP_API_TOKEN",
    "tracker": "GOOGLE_APPLICATION_CREDENTIALS",
    "google": "GOOGLE_APPLICATION_CREDENTIALS",
    "state": "PGPASSWORD",
}
_SECRET_KEY = re.compile(r"(?:^|_)(?:token|password|passwd|secret|api_?key|credentials?)$")


def _show(value: Any) -> str:
    """A found value as the message quotes it, in TOML's spelling."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def _positive_int(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise PydanticCustomError("positive_int", "expected a positive integer, got {got}",
                                  {"got": _show(value)})
    return value


def _text(value: Any) -> Any:
    if not isinstance(value, str) or not value.strip():
        raise PydanticCustomError("text", "expected a non-empty string, got {got}",
                                  {"got": _show(value)})
    return value.strip()


def _timezone(value: Any) -> Any:
    try:
        ZoneInfo(_text(value))
    except (ZoneInfoNotFoundError, ValueError):
        raise PydanticCustomError(
            "timezone", 'expected an IANA timezone such as "Asia/Kolkata", got {got}',
            {"got": _show(value)}) from None
    return value.strip()


def _region(value: Any) -> Any:
    region = _text(value).upper()
    if region not in phonenumbers.SUPPORTED_REGIONS:
        raise PydanticCustomError(
            "region", 'expected a two-letter region code such as "IN" or "ZA", got {got}',
            {"got": _show(value)})
    return region


def _preset(value: Any) -> Any:
    if value not in PRESETS:
        raise PydanticCustomError(
            "preset", "expected one of {names}, got {got}",
            {"names": ", ".join(f'"{n}"' for n in PRESETS), "got": _show(value)})
    return value


def _url(value: Any) -> Any:
    url = _text(value)
    if not re.match(r"^https?://[^/\s]+", url):
        raise PydanticCustomError("url", 'expected an http(s) URL such as '
                                  '"https://slack.com/api/", got {got}', {"got": _show(value)})
    return url if url.endswith("/") else url + "/"


def _spreadsheet_id(value: Any) -> Any:
    """A spreadsheet's ID, or its address as the browser shows it (the ID is taken from it)."""
    text = _text(value)
    found = re.search(r"/spreadsheets/d/([A-Za-z0-9_-]+)", text)
    if found:
        return found.group(1)
    if not re.fullmatch(r"[A-Za-z0-9_-]{20,}", text):
        raise PydanticCustomError(
            "spreadsheet_id", "expected the spreadsheet's ID (the long part of its address "
            "between /d/ and /edit) or its address, got {got}", {"got": _show(value)})
    return text


def _per_minute(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 60:
        raise PydanticCustomError(
            "per_minute", "expected 1 to 60 (Google allows 60 reads and 60 writes a minute "
            "per user), got {got}", {"got": _show(value)})
    return value


def _matching(value: Any, pattern: str, code: str, expected: str) -> str:
    """The value's text when it matches `pattern` whole, else an error saying what was
    expected and what was found."""
    text = _text(value)
    if not re.fullmatch(pattern, text):
        raise PydanticCustomError(code, f"expected {expected}, got {{got}}", {"got": _show(value)})
    return str(text)


def _clock_time(value: Any) -> Any:
    return _matching(value, r"(?:[01]\d|2[0-3]):[0-5]\d", "clock_time",
                     'a time of day as "HH:MM", such as "09:00"')


def _count(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise PydanticCustomError("count", "expected a whole number, 0 or more, got {got}",
                                  {"got": _show(value)})
    return value


def _quiet_hours(value: Any) -> Any:
    if value == "":
        return value
    text = value.strip() if isinstance(value, str) else None
    if text is None or not re.fullmatch(r"(?:[01]\d|2[0-3]):[0-5]\d-(?:[01]\d|2[0-3]):[0-5]\d",
                                        text):
        raise PydanticCustomError("quiet_hours", 'expected "HH:MM-HH:MM", such as '
                                  '"20:00-08:00", or "" for none, got {got}',
                                  {"got": _show(value)})
    return text


def _slack_user(value: Any) -> Any:
    if not isinstance(value, str) or not re.fullmatch(r"[UW][A-Z0-9]{6,}", value.strip()):
        raise PydanticCustomError("slack_user", 'expected a Slack user ID such as "U0123ABCD" '
                                  "(in Slack: the person's profile > More > Copy member ID), "
                                  "got {got}", {"got": _show(value)})
    return value.strip()


Weekday = Literal["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
def _positive_number(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise PydanticCustomError("positive_number", "expected a positive number of hours, "
                                  "got {got}", {"got": _show(value)})
    return float(value)


PositiveFloat = Annotated[float, BeforeValidator(_positive_number)]
PositiveInt = Annotated[int, BeforeValidator(_positive_int)]
ClockTime = Annotated[str, BeforeValidator(_clock_time)]
Text = Annotated[str, BeforeValidator(_text)]


class _Table(BaseModel):
    # A field's docstring is its description: the docs' configuration reference is made
    # from them (python -m sheetsync.app.reference).
    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)


class TrackerLocation(_Table):
    """[tracker]: where the tracker lives."""

    backend: Literal["local", "google"] = "local"
    """where the tracker lives: `"local"`, a local `.xlsx` workbook; `"google"`, a Google
    spreadsheet (see Google Sheets)"""
    path: Text = "tracker.xlsx"
    """the workbook (`"local"`)"""
    spreadsheet_id: Annotated[str, BeforeValidator(_spreadsheet_id)] | None = None
    """the Google spreadsheet (`"google"`): its ID, the long part of its address between `/d/` and
    `/edit`, or the whole address"""
    tab: Text = "Tracker"
    """the tab holding the tickets"""
    archive_tab: Text | None = None
    """a tab rows are moved to when done: their tickets are archived, keeping their history, not
    removed"""
    requests_per_minute: Annotated[int, BeforeValidator(_per_minute)] = 40
    """Google Sheets requests a minute sheetsync allows itself, reads and writes each (Google
    allows 60 per user; 1 to 60)"""
    lock_wait_minutes: PositiveInt = 10
    """a local tracker open in Excel or LibreOffice (its `~$NAME` or `.~lock.NAME#` lock file is
    there) holds sheetsync's writes back; after this many minutes `status`, `doctor` and
    `/healthz` name the lock and its owner (a program that crashed leaves its lock file behind)"""
    idle_reads: bool = True
    """a Google tracker Drive says is unchanged is read anyway from spare shared budget, the one
    read longest ago first, so an edit never waits on Drive's version; `false`: the strict rule,
    an idle cycle costs no Sheets request (see Google Sheets)"""

    @model_validator(mode="after")
    def _google_needs_an_id(self) -> TrackerLocation:
        if self.backend == "google" and self.spreadsheet_id is None:
            raise PydanticCustomError(
                "spreadsheet_id", 'backend = "google" needs tracker.spreadsheet_id (the long '
                "part of the spreadsheet's address, between /d/ and /edit)")
        return self


def _interval(value: Any) -> Any:
    value = _positive_int(value)
    if value > MAX_INTERVAL_SECONDS:
        raise PydanticCustomError("interval", "expected at most {most} seconds (a day), got "
                                  "{got}", {"most": MAX_INTERVAL_SECONDS, "got": _show(value)})
    return value


MAX_INTERVAL_SECONDS = 86400  # a day: the schedule, SLA timers and the lease need a tick


class SyncSettings(_Table):
    """[sync]: how the daemon runs its cycle."""

    interval_seconds: Annotated[int, BeforeValidator(_interval)] = 30
    """how often the daemon runs a cycle"""
    full_read_minutes: PositiveInt = 15
    """the daemon reads the whole tracker at least this often, even when the change probe says
    nothing changed"""


def _state_url(value: Any) -> Any:
    url = _text(value)
    if not re.match(r"^postgres(?:ql)?://", url):
        raise PydanticCustomError("state_url", 'expected a PostgreSQL URL such as '
                                  '"postgresql://host/db", got {got}', {"got": _show(value)})
    if re.match(r"^postgres(?:ql)?://[^/@]*:[^/@]*@", url):
        raise PydanticCustomError(
            "state_url", "the URL holds a password; take it out and set PGPASSWORD (or a "
            ".pgpass file) in the environment, or give the whole URL in SHEETSYNC_STATE_URL")
    return url


def _namespace(value: Any) -> Any:
    return _matching(value, r"[a-z_][a-z0-9_]{0,62}", "namespace",
                     "lowercase letters, digits and _ (a PostgreSQL schema name)")


class LogSettings(_Table):
    """[log]: what the daemon says while nothing happens."""

    heartbeat_minutes: Annotated[int, BeforeValidator(_count)] = 60
    """while no cycle changes anything, the daemon logs `idle, nothing changed` this often:
    since when, its cycles and reads since, and the next report due; `0` switches it off"""


class GoogleSettings(_Table):
    """[google]: Google's quotas, shared by every tracker of the process on one credential
    (one Google user) or one Cloud project; sheetsync spends 90% of them."""

    quota_per_user_per_minute: PositiveInt = 60
    """Google's Sheets quota per user (a service account is one), reads and writes each: every
    tracker of the process on one credential spends from one budget at 90% of it"""
    quota_per_project_per_minute: PositiveInt = 300
    """the same per Google Cloud project, shared by every credential of the project"""
    max_staleness_minutes: PositiveInt = 5
    """every Google tracker is read at least this often, however short the shared budget (the rest
    goes to recently changed trackers first)"""


class StateSettings(_Table):
    """[state]: the state store (ticket snapshots, transitions, the effect outbox, job runs)."""

    path: Text = "sheetsync.db"
    """the state store (ticket snapshots, transitions, the effect outbox, job runs)"""
    url: Annotated[str, BeforeValidator(_state_url)] | None = None
    """keep the state in PostgreSQL instead, shared by replicas: `"postgresql://host/db"`, without
    a password (it comes from `PGPASSWORD` or `~/.pgpass`); `SHEETSYNC_STATE_URL` in the
    environment overrides it, password and all (see PostgreSQL state)"""
    namespace: Annotated[str, BeforeValidator(_namespace)] = "sheetsync"
    """the PostgreSQL schema holding this tracker's state (one per tracker)"""


class OutboxSettings(_Table):
    """[outbox]: the local sink for Slack messages and ClickUp tasks when no token is set."""

    path: Text = "outbox.jsonl"
    """where Slack messages and ClickUp tasks go when no token is set"""
    hold_after_hours: PositiveInt = 24
    """an effect undelivered this long is not sent when the fault clears: it waits for `sheetsync
    outbox retry` or `cancel`"""


class MessageSettings(_Table):
    """[messages]: how sheetsync words what it sends."""

    brief_length: PositiveInt = 80
    """the escalation line's Brief Description (the Description's first sentence) is cut at a word
    boundary to this many characters, with an ellipsis"""
    full_contact: bool = False
    """`true`: messages show whole phone numbers; by default all but the country code and the last
    four digits are hidden (`+91******3210`). With `true`, pending messages in the state file
    and the outbox hold the whole number"""


FollowUp = Literal["assigned", "status", "priority", "resolved", "reopened", "task_closed",
                   "raised"]
Level = Literal["L1", "L2", "L3"]


class SlackSettings(_Table):
    """[slack]: where escalations go; the token comes from SLACK_BOT_TOKEN."""

    channel: Text | None = None
    """the channel escalations go to: a name (`"#seller-support"`, looked up once at start) or an
    ID (`"C0123ABCD"`). With `SLACK_BOT_TOKEN` in the environment, Slack is used; without it,
    the local outbox"""
    api_url: Annotated[str, BeforeValidator(_url)] = "https://slack.com/api/"
    """the Web API's address: a proxy, or a sovereign deployment such as GovSlack"""
    follow_ups: list[FollowUp] = ["assigned", "resolved", "reopened", "raised"]
    """the later changes of an escalated ticket posted in its thread (`"raised"`: to a higher
    escalation level); also `"status"` (any other status change), `"priority"` and
    `"task_closed"` (its ClickUp task closed)"""
    broadcast_resolved: bool = False
    """`true`: the Resolved reply is also shown in the channel (`reply_broadcast`)"""
    level_channels: dict[Level, Text] = {}
    """an escalation level's own channel (`{ L2 = "#tech-support", L3 = "#dev" }`): its escalations
    are posted there (see Escalation levels)"""
    users: dict[str, Annotated[str, BeforeValidator(_slack_user)]] = {}
    """Assigned To names -> Slack user IDs (`{ "Priya (Support)" = "U0123ABCD" }`): reminders and
    SLA alerts mention them; nothing else ever mentions anyone"""


class ClickUpSettings(_Table):
    """[clickup]: where tasks for technical tickets go; the token comes from CLICKUP_API_TOKEN."""

    list_id: Text | None = None
    """the ClickUp list tasks are created in. With `CLICKUP_API_TOKEN` in the environment, ClickUp
    is used; without it, the local outbox"""
    key_field_id: Text | None = None
    """the ID of a Text custom field of that list, where sheetsync keeps each task's key (see
    ClickUp)"""
    api_url: Annotated[str, BeforeValidator(_url)] = "https://api.clickup.com/api/v2/"
    """the API's address (a proxy)"""
    assignees: dict[str, int] = {}
    """a table of names as Assigned To writes them -> ClickUp user IDs (`"Rahul (Tech)" =
    81234567`); other names are left out of the task's assignees and said in its description"""
    requests_per_minute: PositiveInt = 100
    """the token's rate limit (100 on most plans, 1,000 on Business Plus); sheetsync stays 10%
    under it"""
    poll_minutes: PositiveInt = 10
    """how often the tasks sheetsync follows are checked for closing"""
    level_lists: dict[Level, Text] = {}
    """an escalation level's own list (`{ L3 = "901234568" }`): its tasks are created there, and
    followed; each list needs the key field"""


class AdoptionSettings(_Table):
    """[adoption]: what the first cycle on a tracker does for tickets already there."""

    escalations: bool = False
    """on the first cycle, also send the escalation message for tickets already escalated"""
    clickup_tasks: bool = False
    """on the first cycle, also create ClickUp tasks for technical tickets already there"""


class ClassifyOverride(_Table):
    """[classify]: replaces the preset's conditions for escalated, resolved or technical."""

    escalated: list[Condition] | None = None
    """what makes a ticket escalated: a list of conditions, any of which makes it true (see What
    escalated, resolved and technical mean)"""
    resolved: list[Condition] | None = None
    """what makes a ticket resolved, as `classify.escalated`"""
    technical: list[Condition] | None = None
    """what makes a ticket technical (it gets a ClickUp task), as `classify.escalated`"""


ReportJob = Literal["morning", "daily", "weekly", "monthly"]


class ReportKeep(_Table):
    """[reports.keep]: how many period tabs of each job stay; older ones are removed."""

    morning: PositiveInt = 14
    """morning and daily period tabs kept; older ones are removed"""
    daily: PositiveInt = 14
    """morning and daily period tabs kept; older ones are removed"""
    weekly: PositiveInt = 8
    """weekly period tabs kept"""
    monthly: PositiveInt = 12
    """monthly period tabs kept"""


class ReportSettings(_Table):
    """[reports]: the summary tabs, and when the daemon writes them."""

    jobs: list[ReportJob] = ["morning", "daily", "weekly", "monthly"]
    """the reports the daemon writes: `"morning"`, `"daily"`, `"weekly"`, `"monthly"`"""
    morning_at: ClockTime = "09:00"
    """the morning review, each day, for that day"""
    daily_at: ClockTime = "18:00"
    """the daily summary, each day, for that day"""
    weekly_at: ClockTime = "09:00"
    """the weekly report, on Mondays, for the ISO week before"""
    monthly_at: ClockTime = "09:00"
    """the monthly analysis, on the 1st, for the month before"""
    first_response_hours: PositiveInt = 24
    """the first-response target the reports measure against"""
    tabs: Literal["period", "rolling"] = "period"
    """`"period"`: a tab per period (`Daily 2026-11-23`); `"rolling"`: one tab per job (`Daily
    Summary`), rewritten each time"""
    keep: ReportKeep = ReportKeep()
    digests: bool = True
    """the morning review's and the daily summary's short digest goes to Slack (or the outbox)"""
    weekly_digest: bool = True
    """the weekly report's headline figures (reported, resolved, median resolution and first
    response, first-response breaches) go to Slack (or the outbox) once per week, with the tab:
    a link on Google Sheets, its name on a workbook"""
    monthly_digest: bool = True
    """the same for the monthly analysis (reported, resolved, recurring issues, feature requests)"""


class TriageSettings(_Table):
    """[triage]: the priority sheetsync suggests from the guide's Prioritization Guidelines."""

    suggest_priority: bool = True
    """write a Suggested Priority column from the guide's Prioritization Guidelines (see Suggested
    priority)"""
    priority_rules: list[PriorityRule] | None = None
    """your own rules, tried in order, replacing the preset's (the guide's, or SayPro's): a list of
    tables with `priority` (`"High"`, `"Medium"`, `"Low"`), `reason`, `phrases` (words in the
    description, any case, read as agents write them; `"payout+not arrived"`: every part,
    anywhere; `"log in|sign in"`: either), `issue_types`, and `unless` (phrases that keep the
    rule from matching)"""
    incidents: bool = True
    """announce incidents: many sellers reporting one problem (see Incidents)"""
    incident_sellers: PositiveInt = 3
    """distinct sellers whose similar descriptions make an incident"""
    incident_window_hours: PositiveInt = 6
    """how close together (in hours) their tickets must come, and how long an incident takes new
    tickets"""


class ReminderSettings(_Table):
    """[reminders]: check back with sellers after resolving, outside quiet times."""

    check_back_days: Annotated[int, BeforeValidator(_count)] = 2
    """days after a ticket is resolved to remind its assignee (in Slack, or the outbox) to check
    back with the seller, once per resolution; `0` switches it off"""
    quiet_hours: Annotated[str, BeforeValidator(_quiet_hours)] = ""
    """`"20:00-08:00"`: reminders and digests wait until the quiet hours end (escalations,
    incidents and SLA alerts do not)"""
    quiet_days: list[Weekday] = []
    """`["Sunday"]`: reminders wait for the next day"""


class SlaSettings(_Table):
    """[sla]: first-response and resolution targets, warned of and alerted once per ticket."""

    first_response_hours: dict[str, PositiveFloat] = {"default": 24}
    """first-response targets by priority (`{ High = 4, default = 24 }`) (see SLA timers)"""
    resolution_hours: dict[str, PositiveFloat] = {}
    """resolution targets by priority (`{ High = 24, Medium = 72 }`); none by default"""
    warn_before_minutes: Annotated[int, BeforeValidator(_count)] = 60
    """the warning comes this long before a deadline; `0`: breaches only"""
    late_alerts_max: Annotated[int, BeforeValidator(_count)] = 10
    """breaches whose deadline passed while no daemon ran are alerted once on restart, marked late;
    more than this many at once go as one summary message (`0`: always one summary)"""
    business_hours: Annotated[str, BeforeValidator(_quiet_hours)] = ""
    """`"09:00-18:00"`: only working time counts toward a target; `""`: calendar time"""
    working_days: list[Weekday] = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]
    """the days with working hours"""
    holidays: list[date] = []
    """days without working hours (`["2026-12-25"]`)"""


class Settings(_Table):
    """One tracker's settings: today the whole file; later one `[[trackers]]` entry."""

    preset: Annotated[str, BeforeValidator(_preset)] = "seller-support"
    """the tracker layout: `seller-support` or `saypro-interaction-log` (see Presets)"""
    timezone: Annotated[str, BeforeValidator(_timezone)] = "Asia/Kolkata"
    """IANA timezone: the one truth for the sheet's timestamps and the schedule"""
    phone_region: Annotated[str, BeforeValidator(_region)] = "IN"
    """region whose numbers may be typed without a country code (the suggestion adds it)"""
    tracker: TrackerLocation = TrackerLocation()
    sync: SyncSettings = SyncSettings()
    log: LogSettings = LogSettings()
    google: GoogleSettings = GoogleSettings()
    state: StateSettings = StateSettings()
    outbox: OutboxSettings = OutboxSettings()
    adoption: AdoptionSettings = AdoptionSettings()
    messages: MessageSettings = MessageSettings()
    slack: SlackSettings = SlackSettings()
    clickup: ClickUpSettings = ClickUpSettings()
    reports: ReportSettings = ReportSettings()
    triage: TriageSettings = TriageSettings()
    reminders: ReminderSettings = ReminderSettings()
    sla: SlaSettings = SlaSettings()
    ticket_ids: TicketIdFormat | None = None
    """the ticket ID format, `prefix` and `digits` (default: the preset's, `INT-` and 6:
    `INT-000123`)"""
    columns: dict[str, ColumnOverride] = {}
    """change a preset column, or add one: `[columns.<key>]` (see Changing the columns)"""
    classify: ClassifyOverride = ClassifyOverride()


@dataclass(frozen=True)
class Config:
    """Settings as loaded, with the schema they describe and the folder paths resolve in."""

    settings: Settings
    schema: Schema
    source: Path | None  # the file read; None for the built-in defaults
    base_dir: Path
    name: str = ""  # the tracker's name in a file of [[trackers]]; "" for a file of one

    @property
    def timezone(self) -> ZoneInfo:
        return ZoneInfo(self.settings.timezone)

    def resolve(self, path: str) -> Path:
        """A configured path, relative ones taken from the config file's folder."""
        candidate = Path(path).expanduser()
        return candidate if candidate.is_absolute() else self.base_dir / candidate

    @property
    def tracker_label(self) -> str:
        """The tracker as messages name it: the workbook's path, or the spreadsheet."""
        tracker = self.settings.tracker
        if tracker.backend == "google":
            return f"spreadsheet {tracker.spreadsheet_id} tab {tracker.tab!r}"
        return f"{self.workbook_path} tab {tracker.tab!r}"

    @property
    def workbook_path(self) -> Path:
        return self.resolve(self.settings.tracker.path)

    @property
    def state_path(self) -> Path:
        return self.resolve(self.settings.state.path)

    @property
    def outbox_path(self) -> Path:
        return self.resolve(self.settings.outbox.path)


def load_config(
    explicit: str | os.PathLike[str] | None = None,
    environ: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    tracker: str | None = None,
) -> Config:
    """One tracker's config: the file's only one, or the `[[trackers]]` entry named
    `tracker` (a file with several must say which)."""
    configs = load_configs(explicit, environ, cwd)
    names = [c.name for c in configs]
    if tracker is not None:
        if tracker not in names:
            raise ConfigError(f"--tracker {tracker}: the config has no tracker of that name "
                              f"(it has: {', '.join(names)})")
        return configs[names.index(tracker)]
    if len(configs) > 1:
        raise ConfigError(f"the config has {len(configs)} trackers ({', '.join(names)}); "
                          "choose one with --tracker NAME")
    return configs[0]


def load_configs(
    explicit: str | os.PathLike[str] | None = None,
    environ: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> list[Config]:
    """Every tracker's config from `explicit`, `$SHEETSYNC_CONFIG`, `./sheetsync.toml`, or
    the defaults."""
    environ = os.environ if environ is None else environ
    cwd = Path.cwd() if cwd is None else cwd
    if explicit is not None:
        path, origin = Path(explicit), ""
    elif environ.get(CONFIG_ENV):
        path, origin = Path(environ[CONFIG_ENV]), CONFIG_ENV
    elif (cwd / CONFIG_FILENAME).is_file():
        path, origin = Path(CONFIG_FILENAME), ""
    else:
        return [config_from_dict({}, source=None, base_dir=cwd)]
    full = path if path.is_absolute() else cwd / path
    if not full.is_file():
        via = f" (from {origin})" if origin else ""
        raise ConfigError(f"{path}: no such config file{via}")
    try:
        raw = tomllib.loads(full.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot be read: {exc}") from None
    return configs_from_dict(raw, source=path, base_dir=full.parent)


def configs_from_dict(raw: Mapping[str, Any], source: Path | None, base_dir: Path
                      ) -> list[Config]:
    """The trackers a document describes: itself, or each `[[trackers]]` entry over the
    document's own settings (its tables merged key by key), each with its own state,
    outbox and metadata files (named after the tracker unless set) and PostgreSQL schema."""
    shared = {k: v for k, v in raw.items() if k != "trackers"}
    entries = raw.get("trackers")
    if entries is None:
        return [config_from_dict(shared, source, base_dir)]
    where = str(source) if source is not None else "built-in defaults"
    if not isinstance(entries, list) or not entries or \
            not all(isinstance(e, dict) for e in entries):
        raise ConfigError(f"{where}: trackers: expected [[trackers]] tables, each with a name")
    configs: list[Config] = []
    for position, entry in enumerate(entries, start=1):
        name = entry.get("name")
        if not isinstance(name, str) or not re.fullmatch(r"[a-z][a-z0-9_]{0,39}", name):
            raise ConfigError(f"{where}: trackers[{position}].name: expected a name of "
                              "lowercase letters, digits and _ (it names the tracker's state "
                              f"and its metrics), got {_show(name)}")
        own = {k: v for k, v in entry.items() if k != "name"}
        merged = _merged(shared, own)
        for table, key, default in (("state", "path", f"{name}.db"),
                                    ("state", "namespace", name),
                                    ("outbox", "path", f"{name}.outbox.jsonl")):
            if key not in own.get(table, {}):
                merged.setdefault(table, {})
                merged[table] = {**merged[table], key: default}
        try:
            config = config_from_dict(merged, source, base_dir)
        except ConfigError as exc:
            raise ConfigError(str(exc).replace(f"{where}: ", f"{where}: [{name}] ")) from None
        configs.append(dataclasses.replace(config, name=name))
    _check_apart(configs, where)
    return configs


def _merged(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """`over` on `base`, tables merged key by key."""
    merged = dict(base)
    for key, value in over.items():
        merged[key] = _merged(base[key], value) if isinstance(value, dict) and \
            isinstance(base.get(key), dict) else value
    return merged


def _check_apart(configs: Sequence[Config], where: str) -> None:
    """No two trackers share a name, a state, an outbox or a tracker tab."""
    for what, of in (("name", lambda c: c.name),
                     ("state.path", lambda c: str(c.state_path)),
                     ("state.namespace", lambda c: c.settings.state.namespace
                      if c.settings.state.url else None),
                     ("outbox.path", lambda c: str(c.outbox_path)),
                     ("tracker", lambda c: c.tracker_label)):
        seen: dict[Any, str] = {}
        for config in configs:
            value = of(config)
            if value is not None and value in seen:
                raise ConfigError(f"{where}: trackers {seen[value]} and {config.name} share "
                                  f"{what} ({value}); give each its own")
            if value is not None:
                seen[value] = config.name


def config_from_dict(raw: Mapping[str, Any], source: Path | None, base_dir: Path) -> Config:
    """Check a parsed TOML document and build the schema it describes."""
    name = str(source) if source is not None else "built-in defaults"
    for path in _secret_keys(raw):
        table = path.split(".")[0]
        env = SECRET_ENV.get(table, "an environment variable")
        raise ConfigError(f"{name}: {path}: secrets are not read from the config file; "
                          f"set {env} in the environment")
    try:
        settings = Settings.model_validate(raw)
    except ValidationError as exc:
        lines = [f"{name}: {_location(e['loc'])}: {_describe(e)}" for e in exc.errors()]
        raise ConfigError("\n".join(lines)) from None
    classify = {kind: tuple(conditions) for kind in ("escalated", "resolved", "technical")
                if (conditions := getattr(settings.classify, kind)) is not None}
    try:
        schema = apply_overrides(PRESETS[settings.preset], columns=settings.columns,
                                 ticket_id=settings.ticket_ids, classify=classify)
    except SchemaOverrideError as exc:
        raise ConfigError(f"{name}: {exc.path}: {exc.message}") from None
    return Config(settings=settings, schema=schema, source=source, base_dir=base_dir)


def _secret_keys(raw: Mapping[str, Any], prefix: str = "") -> list[str]:
    found = []
    for key, value in raw.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping):
            found += _secret_keys(value, f"{path}.")
        elif _SECRET_KEY.search(str(key).lower()):
            found.append(path)
    return found


def _location(loc: Sequence[int | str]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else f".{part}" if text else str(part)
    return text or "(top level)"


_EXPECTED = {
    "string_type": "expected a string",
    "int_type": "expected an integer",
    "int_parsing": "expected an integer",
    "int_from_float": "expected a whole number",
    "bool_type": "expected true or false",
    "bool_parsing": "expected true or false",
    "list_type": "expected a list",
    "tuple_type": "expected a list",
    "model_type": "expected a table",
    "dict_type": "expected a table",
    "model_attributes_type": "expected a table",
    "missing": "is required but missing",
}


def _describe(error: Mapping[str, Any]) -> str:
    """A pydantic error as `expected X, got Y`, with a did-you-mean for unknown keys."""
    kind, found = error["type"], error.get("input")
    ctx = error.get("ctx") or {}
    if kind == "extra_forbidden":
        known = _known_keys(error["loc"][:-1])
        close = difflib.get_close_matches(str(error["loc"][-1]), known, n=1)
        hint = f' (did you mean "{close[0]}"?)' if close else (
            f" (expected one of: {', '.join(known)})" if known else "")
        return f"unknown setting{hint}"
    if kind == "literal_error":
        expected = str(ctx.get("expected", "")).replace("'", '"')
        return f"expected {expected}, got {_show(found)}"
    if kind in _EXPECTED:
        return _EXPECTED[kind] if kind == "missing" else f"{_EXPECTED[kind]}, got {_show(found)}"
    bounds = {"greater_than_equal": ">=", "less_than_equal": "<=", "greater_than": ">",
              "less_than": "<"}
    if kind in bounds:
        limit = next(iter(ctx.values()), "")
        return f"expected a number {bounds[kind]} {limit}, got {_show(found)}"
    if kind == "string_too_short":
        return f"expected a non-empty string, got {_show(found)}"
    message = str(error["msg"])
    return message[0].lower() + message[1:] if message else kind


def _known_keys(loc: Sequence[int | str]) -> list[str]:
    """The setting names allowed at a key path, for did-you-mean hints."""
    annotation: Any = Settings
    for part in loc:
        annotation = _step(annotation, part)
        if annotation is None:
            return []
    model = _model_in(annotation)
    return sorted(model.model_fields) if model else []


def _step(annotation: Any, part: int | str) -> Any:
    model = _model_in(annotation)
    if model is not None:
        field = model.model_fields.get(str(part))
        return field.annotation if field else None
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    origin = typing.get_origin(annotation)
    if origin in (dict, Mapping) and len(args) == 2:
        return args[1]
    if origin in (list, tuple, Sequence) and args:
        return args[0]
    if origin in (typing.Union, types.UnionType) and args:
        return _step(args[0], part)
    return None


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The model an annotation names, looking through `X | None`."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        for arg in typing.get_args(annotation):
            if isinstance(arg, type) and issubclass(arg, BaseModel):
                return arg
    return None
