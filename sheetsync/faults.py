"""Faults at the I/O edges, classified in one place: a passing fault, damage a person must
repair, or something nobody expected.

Every edge (Slack, ClickUp, Google, the workbook, the state store) raises its libraries' own
exceptions mid-call: a body cut short (`http.client.IncompleteRead`), urllib3's
`ProtocolError`, requests' `ChunkedEncodingError`, a TLS error, a reset, a timeout, a file
half-written by a person's save. The edges and the daemon ask here what such a fault means
instead of keeping catch lists of their own, so a class missed once is not missed everywhere.
"""

from __future__ import annotations

import errno
import http.client
import socket
import sqlite3
import zipfile
import zlib

import requests
import urllib3.exceptions
from psycopg import Error as PgError
from psycopg import OperationalError as PgOperationalError
from sqlalchemy.exc import DBAPIError

from sheetsync.errors import InputError, SheetsyncError
from sheetsync.core.privacy import mask_phones_in

#: No answer, or half of one: the request may or may not have reached the service.
NETWORK: tuple[type[Exception], ...] = (
    OSError,  # ConnectionError, TimeoutError, ssl.SSLError, socket errors, urllib's URLError
    http.client.HTTPException,  # IncompleteRead, BadStatusLine, RemoteDisconnected
    urllib3.exceptions.HTTPError,  # ProtocolError, ReadTimeoutError, DecodeError
    requests.RequestException,  # ConnectionError, ChunkedEncodingError, Timeout
)
#: A file caught while a person's program writes it: read it again next cycle.
HALF_WRITTEN: tuple[type[Exception], ...] = (zipfile.BadZipFile, EOFError, zlib.error)


def is_network(exc: BaseException) -> bool:
    """Whether `exc` says the service's answer was lost or cut (the outcome is unknown)."""
    return isinstance(exc, NETWORK)


def describe(exc: BaseException) -> str:
    """A network fault in a few words: `timed out`, `IncompleteRead`, `SSLError`."""
    reason = getattr(exc, "reason", None)
    inner = reason if isinstance(reason, BaseException) else exc
    if isinstance(inner, (socket.timeout, TimeoutError)):
        return "timed out"
    return type(inner).__name__


def one_line(exc: BaseException, limit: int = 300) -> str:
    """What an unexpected exception says, for one log line: its type, its message's first
    line, phone numbers and credentials masked."""
    text = str(exc).strip().splitlines()
    said = f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__
    return mask_phones_in(said[:limit])


def state_fault(exc: BaseException, where: object) -> SheetsyncError | None:
    """What a fault of the state store at `where` means for a person, or None when it is not
    one of the store's (a bug: let it be seen).

    Damage found by SQLite is named as damage, with the way back (a backup); a full disk and
    a read-only file system are named as such, never as "not a state file", which would
    invite deleting a healthy state. The drivers' errors mean the same whether raised bare
    or wrapped by SQLAlchemy (a `DBAPIError` holding the driver's in `.orig`).
    """
    if isinstance(exc, SheetsyncError):
        return exc
    if isinstance(exc, DBAPIError) and isinstance(exc.orig, Exception):
        return state_fault(exc.orig, where)  # SQLAlchemy's wrapping of the driver's error
    full = StateUnavailable(f"{where}: the disk is full; free some space (the state is intact, "
                            "sheetsync tries again next cycle)")
    if isinstance(exc, OSError):
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return full
        if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
            return StateUnavailable(f"{where}: cannot be written ({exc.strerror or exc}); make "
                                    "the file and its folder writable by this user")
        return StateUnavailable(f"{where}: {exc.strerror or exc}")
    if isinstance(exc, sqlite3.Error):
        name = getattr(exc, "sqlite_errorname", "") or ""
        if name.startswith("SQLITE_FULL"):
            return full
        if name.startswith(("SQLITE_READONLY", "SQLITE_CANTOPEN", "SQLITE_PERM")):
            return StateUnavailable(f"{where}: cannot be written ({exc}); make the file and its "
                                    "folder writable by this user")
        if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
            return StateUnavailable(f"{where}: busy in another process for too long ({exc}); "
                                    "sheetsync tries again next cycle")
        if name.startswith("SQLITE_IOERR"):
            return StateUnavailable(f"{where}: the disk failed to read or write ({exc}); check "
                                    "the disk; sheetsync tries again next cycle")
        if name.startswith("SQLITE_NOTADB"):
            return NotAState(f"{where}: not a sheetsync state file ({exc}); point state.path "
                             "at the state, or move this file away")
        if name.startswith("SQLITE_CORRUPT") or "malformed" in str(exc):
            return DamagedState(
                f"{where}: the state file is damaged ({exc}); stop sheetsync, move the file "
                "away and put the latest copy from `sheetsync backup` in its place (a tracker "
                "adopted anew records a baseline and sends nothing for what came before)")
        return StateUnavailable(f"{where}: {exc}")
    if isinstance(exc, PgError):
        said = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        if isinstance(exc, PgOperationalError):
            return StateUnavailable(f"{where}: the database is unreachable ({said}); sheetsync "
                                    "tries again next cycle")
        return StateUnavailable(f"{where}: {said}")
    return None


class StateUnavailable(SheetsyncError):
    """The state cannot be used now (disk full, read-only, unreachable); it is intact."""


class NotAState(InputError):
    """A file that is not sheetsync's state (empty, another program's database)."""


class DamagedState(InputError):
    """A state file SQLite found damaged: restore it from a backup."""
