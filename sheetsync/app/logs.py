"""Structured logs: one event a line, as `key=value` text for people or JSON lines for machines.

Every line passes through a mask, so no log line holds a full phone number; secrets never
reach a log call in the first place. Times are in the team's configured timezone with its
offset (not the host's, which is UTC in a container): each tracker's lines in its own zone,
process-wide lines in the first tracker's.
"""

from __future__ import annotations

import json
import logging
import sys
import traceback
from contextvars import ContextVar
from datetime import datetime, timezone, tzinfo
from typing import Any, TextIO

from sheetsync.core.privacy import mask_phones_in

LOGGER = "sheetsync"
#: The tracker the current thread works for, in a process serving several ([[trackers]]);
#: every event and metric is labelled with it. "" for a process serving one.
TRACKER: ContextVar[str] = ContextVar("tracker", default="")
#: The timezone the current thread's lines are in (its tracker's); None: the process's.
ZONE: ContextVar[tzinfo | None] = ContextVar("zone", default=None)
_PROCESS_ZONE: list[tzinfo | None] = [None]  # the first tracker's, set by `setup`


def setup(fmt: str = "text", stream: TextIO | None = None, level: int = logging.INFO,
          zone: tzinfo | None = None) -> None:
    """Send sheetsync's events to `stream` (stderr) as text or JSON lines, their times in
    `zone` (the configured timezone; the host's when None)."""
    _PROCESS_ZONE[0] = zone
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    logger = logging.getLogger(LOGGER)
    logger.handlers[:] = [handler]
    logger.setLevel(level)
    logger.propagate = False


def event(name: str, level: int = logging.INFO, **fields: Any) -> None:
    """Log one event with its fields (and the tracker's name, where there are several)."""
    tracker = TRACKER.get()
    logging.getLogger(LOGGER).log(level, name, extra={"fields": {
        **({"tracker": tracker} if tracker else {}), **fields}})


def debug_traceback(name: str, exc: BaseException) -> None:
    """The traceback of an unexpected fault, at debug level (masked like every line)."""
    logger = logging.getLogger(LOGGER)
    if logger.isEnabledFor(logging.DEBUG):
        text = "".join(traceback.format_exception(exc)).rstrip()
        logger.debug(name, extra={"fields": {"traceback": text}})


def _fields(record: logging.LogRecord) -> dict[str, Any]:
    return dict(getattr(record, "fields", {}))


def _at(record: logging.LogRecord) -> datetime:
    """When the line was logged, in the thread's tracker's zone (else the process's)."""
    zone = ZONE.get() or _PROCESS_ZONE[0]
    moment = datetime.fromtimestamp(record.created, timezone.utc)
    return moment.astimezone(zone) if zone is not None else moment.astimezone()


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        at = _at(record)
        pairs = " ".join(f"{k}={_text(v)}" for k, v in _fields(record).items())
        said = record.getMessage() + (f" {pairs}" if pairs else "")
        return f"{at.isoformat(timespec='seconds')} {record.levelname.lower()} " \
               f"{mask_phones_in(said)}"


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        at = _at(record)
        said = {"event": record.getMessage(), **_fields(record)}
        return json.dumps({"at": at.isoformat(timespec="milliseconds"),
                           "level": record.levelname.lower(),
                           **json.loads(mask_phones_in(json.dumps(said, ensure_ascii=False,
                                                                  default=str)))},
                          ensure_ascii=False)


def _text(value: Any) -> str:
    text = str(value)
    return json.dumps(text, ensure_ascii=False) if (" " in text or not text) else text
