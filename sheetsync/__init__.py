"""sheetsync: a support team's ticket spreadsheet stays the source of truth; sheetsync keeps it valid and acts on it."""

from __future__ import annotations

__version__ = "0.1.0"

from sheetsync.api import build_report, check_rows, run_cycle  # noqa: E402
from sheetsync.config import Config, load_config  # noqa: E402
from sheetsync.errors import ConfigError, InputError, SheetsyncError, TrackerError  # noqa: E402
from sheetsync.schema import PRESETS, Schema, Sheet, bind  # noqa: E402
from sheetsync.validators import CODES, CheckContext, Finding, check  # noqa: E402

__all__ = [
    "CODES",
    "CheckContext",
    "Config",
    "ConfigError",
    "Finding",
    "InputError",
    "PRESETS",
    "Schema",
    "Sheet",
    "SheetsyncError",
    "TrackerError",
    "__version__",
    "bind",
    "build_report",
    "check",
    "check_rows",
    "load_config",
    "run_cycle",
]
