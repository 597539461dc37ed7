"""The exceptions each I/O edge's libraries raise mid-call, made as those libraries make them,
and a way to throw one into the requests transport (ClickUp, Google) once.

The Slack fake takes them by name (`FakeSlack.fail(method, "raise", error=NAME)`), since its
faults can be kept in a file for another process.
"""

from __future__ import annotations

import errno
import http.client
import socket
import sqlite3
import ssl
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import psycopg
import psycopg.errors
import requests
import urllib3.exceptions

from tests.transport import mounted


def _incomplete_read() -> BaseException:
    return http.client.IncompleteRead(b'{"ok": true, "chan', 120)


#: Raised by a network call half-way: the answer lost or cut. (name -> a fresh instance)
NETWORK: dict[str, Callable[[], BaseException]] = {
    "IncompleteRead": _incomplete_read,
    "RemoteDisconnected": lambda: http.client.RemoteDisconnected("Remote end closed connection"),
    "ProtocolError": lambda: urllib3.exceptions.ProtocolError(
        "Connection broken: IncompleteRead(18 bytes read, 120 more expected)",
        _incomplete_read()),
    "ChunkedEncodingError": lambda: requests.exceptions.ChunkedEncodingError(
        "Connection broken: InvalidChunkLength(got length b'', 0 bytes read)"),
    "ConnectionError": lambda: requests.ConnectionError("Connection aborted."),
    "SSLError": lambda: ssl.SSLError(1, "[SSL: DECRYPTION_FAILED_OR_BAD_RECORD_MAC]"),
    "timeout": lambda: socket.timeout("The read operation timed out"),
    "ReadTimeout": lambda: requests.ReadTimeout("Read timed out. (read timeout=30)"),
    "ConnectionResetError": lambda: ConnectionResetError(errno.ECONNRESET,
                                                         "Connection reset by peer"),
}
#: Raised while reading a workbook a person's program is saving this very moment.
WORKBOOK: dict[str, Callable[[], BaseException]] = {
    "BadZipFile": lambda: zipfile.BadZipFile("File is not a zip file"),
    "EOFError": lambda: EOFError(),
}
#: Raised by the state store's database calls.
STATE: dict[str, Callable[[], BaseException]] = {
    "ENOSPC": lambda: OSError(errno.ENOSPC, "No space left on device"),
    "EROFS": lambda: OSError(errno.EROFS, "Read-only file system"),
    "DatabaseError": lambda: sqlite3.DatabaseError("database disk image is malformed"),
    "OperationalError": lambda: sqlite3.OperationalError("disk I/O error"),
    "PgOperationalError": lambda: psycopg.OperationalError(
        "consuming input failed: server closed the connection unexpectedly"),
}


def _sqlite(kind: type[sqlite3.Error], message: str, code: int, name: str
            ) -> Callable[[], BaseException]:
    """An sqlite3 error as the module raises it: SQLite's result code and its name on it."""
    def make() -> BaseException:
        error = kind(message)
        error.sqlite_errorcode, error.sqlite_errorname = code, name  # type: ignore[attr-defined]
        return error
    return make


#: The drivers' own errors under SQLAlchemy, which wraps them (the state store's faults).
DRIVER: dict[str, Callable[[], BaseException]] = {
    **{name: STATE[name] for name in ("DatabaseError", "OperationalError", "PgOperationalError")},
    "PgProgrammingError": lambda: psycopg.errors.UndefinedTable(
        'relation "effects" does not exist'),
    "SQLITE_FULL": _sqlite(sqlite3.OperationalError, "database or disk is full", 13,
                           "SQLITE_FULL"),
    "SQLITE_READONLY": _sqlite(sqlite3.OperationalError, "attempt to write a readonly database",
                               8, "SQLITE_READONLY"),
    "SQLITE_BUSY": _sqlite(sqlite3.OperationalError, "database is locked", 5, "SQLITE_BUSY"),
    "SQLITE_CORRUPT": _sqlite(sqlite3.DatabaseError, "database disk image is malformed", 11,
                              "SQLITE_CORRUPT"),
    "SQLITE_NOTADB": _sqlite(sqlite3.DatabaseError, "file is not a database", 26,
                             "SQLITE_NOTADB"),
}
EVERYTHING = {**NETWORK, **WORKBOOK, **STATE,
              "RuntimeError": lambda: RuntimeError("something nobody foresaw")}


@contextmanager
def raised_once(host: str, exception: BaseException) -> Iterator[list[str]]:
    """The next request to `host` through requests raises `exception` at the transport (as
    the adapter would let it through), then requests go on to whatever serves them; yields
    the URLs it cut."""
    cut: list[str] = []

    def answer(to: str | None, request: requests.PreparedRequest) -> None:
        if to == host and not cut:
            cut.append(request.url or "")
            raise exception
        return None

    with mounted(answer):  # type: ignore[arg-type]
        yield cut
