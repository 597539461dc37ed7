"""The errors sheetsync reports to a person, and the exit code each one means."""

from __future__ import annotations


class SheetsyncError(Exception):
    """A failure explained in one line; the CLI prints it as `Error: ...`."""

    exit_code = 1


class InputError(SheetsyncError):
    """Configuration or input a person must fix before the command can run (exit 2)."""

    exit_code = 2


class ConfigError(InputError):
    """A setting that cannot be used; the message names the file and the key path."""


class TrackerError(InputError):
    """The tracker cannot be read as the schema expects (missing file, tab or column)."""
