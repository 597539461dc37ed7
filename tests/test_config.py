"""Config discovery, defaults, relative paths and the one-line errors for a malformed file."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from sheetsync.config import Settings, config_from_dict, load_config
from sheetsync.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_built_in_defaults_without_any_file(tmp_path: Path) -> None:
    config = load_config(environ={}, cwd=tmp_path)
    assert config.source is None
    s = config.settings
    assert (s.preset, s.timezone, s.phone_region) == ("seller-support", "Asia/Kolkata", "IN")
    assert (s.tracker.backend, s.tracker.tab) == ("local", "Tracker")
    assert config.workbook_path == tmp_path / "tracker.xlsx"
    assert config.state_path == tmp_path / "sheetsync.db"
    assert config.outbox_path == tmp_path / "outbox.jsonl"
    assert s.sync.interval_seconds == 30


def test_the_shipped_default_config_file_says_exactly_the_built_in_defaults() -> None:
    shipped = tomllib.loads((ROOT / "config" / "sheetsync.toml").read_text(encoding="utf-8"))
    assert Settings.model_validate(shipped) == Settings()


@pytest.mark.parametrize("name", ["seller-support.toml", "saypro-interaction-log.toml"])
def test_the_example_configs_load(name: str) -> None:
    config = load_config(ROOT / "config" / "examples" / name, environ={})
    assert config.settings.preset == name.removesuffix(".toml")


def test_explicit_config_beats_the_environment_and_the_working_directory(tmp_path: Path) -> None:
    write(tmp_path / "sheetsync.toml", 'timezone = "Africa/Johannesburg"\n')
    write(tmp_path / "env.toml", 'timezone = "Europe/London"\n')
    write(tmp_path / "cli.toml", 'timezone = "Asia/Dubai"\n')
    env = {"SHEETSYNC_CONFIG": str(tmp_path / "env.toml")}
    assert load_config("cli.toml", env, cwd=tmp_path).settings.timezone == "Asia/Dubai"
    assert load_config(None, env, cwd=tmp_path).settings.timezone == "Europe/London"
    assert load_config(None, {}, cwd=tmp_path).settings.timezone == "Africa/Johannesburg"


def test_relative_paths_resolve_against_the_config_files_folder(tmp_path: Path) -> None:
    write(tmp_path / "team" / "sheetsync.toml",
          '[tracker]\npath = "data/tickets.xlsx"\n[state]\npath = "/var/lib/s.db"\n')
    config = load_config(tmp_path / "team" / "sheetsync.toml", environ={}, cwd=tmp_path)
    assert config.workbook_path == tmp_path / "team" / "data" / "tickets.xlsx"
    assert config.state_path == Path("/var/lib/s.db")
    assert config.outbox_path == tmp_path / "team" / "outbox.jsonl"


def test_a_missing_explicit_file_names_it(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"^nope\.toml: no such config file$"):
        load_config("nope.toml", environ={}, cwd=tmp_path)
    with pytest.raises(ConfigError, match=r"gone\.toml: no such config file \(from SHEETSYNC"):
        load_config(None, environ={"SHEETSYNC_CONFIG": "gone.toml"}, cwd=tmp_path)


@pytest.mark.parametrize(("text", "message"), [
    ('[sync]\ninterval_seconds = "fast"\n',
     'sheetsync.toml: sync.interval_seconds: expected a positive integer, got "fast"'),
    ("[sync]\ninterval_seconds = 0\n",
     "sheetsync.toml: sync.interval_seconds: expected a positive integer, got 0"),
    ("[sync]\ninterval_seconds = true\n",
     "sheetsync.toml: sync.interval_seconds: expected a positive integer, got true"),
    ("[sync]\nintervall_seconds = 30\n",
     'sheetsync.toml: sync.intervall_seconds: unknown setting (did you mean "interval_seconds"?)'),
    ('timezone = "IST"\n',
     'sheetsync.toml: timezone: expected an IANA timezone such as "Asia/Kolkata", got "IST"'),
    ('phone_region = "India"\n',
     'sheetsync.toml: phone_region: expected a two-letter region code such as "IN" or "ZA", '
     'got "India"'),
    ('preset = "zendesk"\n',
     'sheetsync.toml: preset: expected one of "seller-support", "saypro-interaction-log", '
     'got "zendesk"'),
    ('[tracker]\nbackend = "excel"\n',
     'sheetsync.toml: tracker.backend: expected "local" or "google", got "excel"'),
    ('[tracker]\ntab = ""\n',
     'sheetsync.toml: tracker.tab: expected a non-empty string, got ""'),
    ("tracker = 3\n", "sheetsync.toml: tracker: expected a table, got 3"),
    ('[columns.status]\nvalues = "Open"\n',
     'sheetsync.toml: columns.status.values: expected a list, got "Open"'),
    ("[columns.status]\nvaluez = []\n",
     'sheetsync.toml: columns.status.valuez: unknown setting (did you mean "values"?)'),
    ('[columns.refund]\nkind = "text"\n',
     "sheetsync.toml: columns.refund: not a column of this preset; to add a column, give it a "
     "header"),
    ("[ticket_ids]\ndigits = 40\n",
     "sheetsync.toml: ticket_ids.digits: expected a number <= 12, got 40"),
    ('[slack]\nbot_token = "xoxb-123"\n',
     "sheetsync.toml: slack.bot_token: secrets are not read from the config file; set "
     "SLACK_BOT_TOKEN in the environment"),
    ('[slack]\napi_url = "slack.com/api"\n',
     'sheetsync.toml: slack.api_url: expected an http(s) URL such as "https://slack.com/api/", '
     'got "slack.com/api"'),
    ('[slack]\nfollow_ups = ["closed"]\n',
     'sheetsync.toml: slack.follow_ups[0]: expected "assigned", "status", "priority", '
     '"resolved", "reopened", "task_closed" or "raised", got "closed"'),
    ("[sla]\nlate_alerts_max = -1\n",
     "sheetsync.toml: sla.late_alerts_max: expected a whole number, 0 or more, got -1"),
    ("[sync\n", "sheetsync.toml: invalid TOML: Expected ']' at the end of a table declaration "
                "(at line 1, column 6)"),
])
def test_a_malformed_file_gets_one_line_naming_the_file_the_key_and_what_was_expected(
    tmp_path: Path, text: str, message: str
) -> None:
    write(tmp_path / "sheetsync.toml", text)
    with pytest.raises(ConfigError) as error:
        load_config(environ={}, cwd=tmp_path)
    assert str(error.value) == message


def test_every_problem_in_a_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as error:
        config_from_dict({"sync": {"interval_seconds": -1}, "timezone": "Mars/Base"},
                         source=Path("team.toml"), base_dir=tmp_path)
    assert str(error.value).splitlines() == [
        'team.toml: timezone: expected an IANA timezone such as "Asia/Kolkata", got "Mars/Base"',
        "team.toml: sync.interval_seconds: expected a positive integer, got -1",
    ]
