"""sheetsync as a library: check rows, run a cycle, build a report, with plain data in and out.

What a program embedding sheetsync calls. Rows are mappings from header text to value, as
the sheet has them (or a pandas DataFrame whose columns are the headers), so a caller needs
none of sheetsync's internals. Everything here is exported from `sheetsync`.

    >>> from datetime import datetime, timezone
    >>> import sheetsync
    >>> findings = sheetsync.check_rows([{
    ...     "Timestamp": "2026-11-20 10:00", "WhatsApp Number": "98765 43210",
    ...     "Seller Name": "Sharma General Store", "Issue Type": "Bug",
    ...     "Description": "Stock does not update", "Status": "Pending", "Priority": "High",
    ...     "Assigned To": "Priya (Support)", "Resolution Summary": None}],
    ...     now=datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc))
    >>> [(f.row, f.column, f.code) for f in findings]
    [(2, 'WhatsApp Number', 'phone.missing_country_code')]
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sheetsync.config import Config, config_from_dict
from sheetsync.core.reporting import Job, Report, chosen_period
from sheetsync.core.table import Grid
from sheetsync.errors import InputError
from sheetsync.schema import bind
from sheetsync.validators import CheckContext, Finding, check

if TYPE_CHECKING:
    import pandas

    from sheetsync.jobs.sync import CycleReport

__all__ = ["build_report", "check_rows", "run_cycle"]


def check_rows(rows: Iterable[Mapping[str, Any]] | pandas.DataFrame, *,
               preset: str | None = None, config: Config | None = None,
               now: datetime | None = None) -> list[Finding]:
    """Every finding in `rows`, checked as the tracker's rows would be.

    Rows are numbered as in a sheet whose first row is the header: the first row given is
    row 2. The columns are the preset's (`preset`, default seller-support) or the config's;
    the timezone and phone region are the config's. `now` (aware) says what "in the future"
    means; by default, the present. An unknown preset raises `ConfigError`, and rows without
    one of the preset's required columns `TrackerError`, each naming what is wrong.
    """
    if config is not None and preset is not None:
        raise InputError("check_rows: give a preset or a config, not both")
    config = config or config_from_dict({"preset": preset} if preset else {}, source=None,
                                        base_dir=Path.cwd())
    header, table = _table(rows)
    sheet = bind(Grid(tab="rows", rows=(tuple(header), *table)), config.schema)
    moment = (now or datetime.now(timezone.utc)).astimezone(config.timezone)
    return check(sheet, CheckContext(now=moment, timezone=config.timezone,
                                     phone_region=config.settings.phone_region))


def run_cycle(config: Config, *, dry_run: bool = False) -> CycleReport:
    """One sync cycle on the config's tracker, now, as `sheetsync sync` runs it (a dry run
    commits, sends and writes nothing)."""
    from sheetsync.jobs.sync import run_sync

    return run_sync(config, datetime.now(timezone.utc), dry_run=dry_run)


def build_report(config: Config, job: Job, period: str | None = None) -> Report:
    """A report as data (figures, tables, charts, digest), built from the tracker and its
    history as they stand; nothing is written or sent. `period` as `sheetsync report --for`
    takes it (2026-11-23, 2026-W47, 2026-11); by default today's for the morning review and
    the daily summary, the last complete week or month for the others."""
    from sheetsync.backends import open_backend
    from sheetsync.jobs.reports import build
    from sheetsync.state import open_state

    now = datetime.now(timezone.utc).astimezone(config.timezone)
    try:
        chosen = chosen_period(job, period, now)
    except ValueError as exc:
        raise InputError(str(exc)) from None
    sheet = bind(open_backend(config).read(), config.schema)
    with open_state(config) as store:
        return build(config, chosen, now, store, sheet)


def _table(rows: Iterable[Mapping[str, Any]] | pandas.DataFrame
           ) -> tuple[list[str], list[tuple[Any, ...]]]:
    """The header (every key, in the order first seen) and the rows as tuples under it; a
    DataFrame's missing values (NaN, NaT, None) are blank cells."""
    if hasattr(rows, "to_dict") and hasattr(rows, "columns"):
        rows = rows.to_dict("records")
    records = [dict(row) for row in rows]
    header = list(dict.fromkeys(str(key) for row in records for key in row))
    return header, [tuple(_cell(row.get(name)) for name in header) for row in records]


def _cell(value: Any) -> Any:
    """A value as a sheet cell holds it: pandas' missing markers blank, its Timestamp a
    datetime."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if hasattr(value, "to_pydatetime"):
        return None if value != value else value.to_pydatetime()  # NaT is not equal to itself
    return value
