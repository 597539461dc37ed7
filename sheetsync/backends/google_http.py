"""gspread's HTTP client made fit for a daemon: a timeout, bounded retries, a request budget.

gspread 6.2.1 has no request timeout by default (gspread#1566 reports hangs), and its
`BackOffHTTPClient` retries a persistent 429 forever, without jitter, and re-sends
non-idempotent POSTs after a 5xx (gspread's `http_client.py`, `BackOffHTTPClient.request`).
This client replaces it: every request has a timeout; 408, 429 and 5xx are retried a bounded
number of times with Google's truncated exponential backoff (`min(2**n + random, 64)` seconds, the
Workspace limits pages' algorithm), a `Retry-After` honoured; and requests are spent from a
per-minute budget below the Sheets quota (60 reads and 60 writes per minute per user, and a
service account is one user), and from the budgets every tracker of the process on the same
credential and project shares (`sheetsync.integrations.quota`), so the daemon never starts a
429 storm.

A POST is re-sent after an unclear outcome (a 5xx, a dropped connection, a read timeout) only
when sending it twice does what sending it once does: a values write, notes, validations.
A request that adds something (a conditional-format rule, a protected range, a chart, a
tab) is re-sent only after a 408 or 429, which say it was not applied; otherwise the error
goes up and the next cycle reconciles from a fresh read.
"""

from __future__ import annotations

import json as json_
import random
import time
from collections import Counter
from collections.abc import Callable, Mapping, MutableMapping, Sequence
from typing import Any

import requests
from google.auth.credentials import Credentials
from gspread.exceptions import APIError
from gspread.http_client import HTTPClient
from gspread.urls import SPREADSHEET_URL, SPREADSHEET_VALUES_BATCH_URL

from sheetsync.app import metrics
from sheetsync.core.google_cells import narrow_cells
from sheetsync.integrations.pacing import Budget, Clock, Sleep
from sheetsync.integrations.quota import Share

#: Statuses Google documents as worth a retry (408, 429, 5xx).
RETRIED = frozenset({408, 429, 500, 502, 503, 504})
#: Statuses that say the request was not applied at all.
NOT_APPLIED = frozenset({408, 429})
#: batchUpdate request kinds that set a value: applying one twice is applying it once.
IDEMPOTENT_REQUESTS = frozenset({
    "updateCells", "repeatCell", "setDataValidation", "updateSheetProperties",
    "updateDimensionProperties", "setBasicFilter", "clearBasicFilter", "autoResizeDimensions",
    "updateConditionalFormatRule", "updateChartSpec", "updateSpreadsheetProperties",
})
#: A POST that reads (its ranges travel in the body): Sheets counts it as a read.
READ_POST = ":getByDataFilter"
MAX_BACKOFF = 64.0  # seconds; "typically 32 or 64" (Drive limits page)
MAX_RETRY_AFTER = 120.0  # a longer Retry-After fails the cycle; the daemon tries again later


class GoogleHTTPClient(HTTPClient):
    """The HTTP client sheetsync hands gspread (`http_client=`), over google-auth's session."""

    def __init__(self, auth: Credentials | None, session: requests.Session | None = None, *,
                 timeout: float = 60.0, retries: int = 5, per_minute: int = 40,
                 clock: Clock = time.monotonic, sleep: Sleep = time.sleep,
                 jitter: Callable[[], float] = random.random) -> None:
        super().__init__(auth, session)  # type: ignore[arg-type]
        self.timeout = (10.0, timeout)  # (connect, read)
        self.retries = retries
        self.budget = Budget(per_minute, clock, sleep)
        self.drive_budget = Budget(per_minute * 10, clock, sleep)  # Drive's quota is larger
        self.sleep = sleep
        self.jitter = jitter
        self.sent: Counter[str] = Counter()  # requests by kind: read, write, drive
        self.rate_limited = 0
        self.share: Share | None = None  # the process's budgets this tracker shares

    def fetch_cells(self, spreadsheet_id: str, params: Mapping[str, Any],
                    cells: Sequence[str] = ()) -> dict[str, Any]:
        """Single-column ranges' grid data, each cell parsed as its value (`narrow_cells`),
        from the response's bytes (gspread's `fetch_sheet_metadata` parses every cell into
        dicts of its own): spreadsheets.get of `params`' ranges, or, for `cells` (A1 ranges,
        as many as wanted), spreadsheets.getByDataFilter, whose ranges travel in the body
        (the URL of a GET naming a thousand cells would outgrow what Google accepts)."""
        url = SPREADSHEET_URL % spreadsheet_id
        response = self.request("post", url + ":getByDataFilter", params=params, json={
            "dataFilters": [{"a1Range": cell} for cell in cells]}) if cells else \
            self.request("get", url, params=params)
        answer: dict[str, Any] = json_.loads(response.content, object_hook=narrow_cells)
        return answer

    def fetch_values(self, spreadsheet_id: str, ranges: Sequence[str],
                     params: Mapping[str, Any]) -> bytes:
        """values:batchGet of `ranges`, as the answer's bytes: the read parses them a row at a
        time (`core.google_values`), where gspread's `values_batch_get` parses them whole."""
        return self.request("get", SPREADSHEET_VALUES_BATCH_URL % spreadsheet_id,
                            params={**params, "ranges": list(ranges)}).content

    def request(self, method: str, endpoint: str, params: Any = None, data: bytes | None = None,
                json: Mapping[str, Any] | None = None, files: Any = None,
                headers: MutableMapping[str, str] | None = None) -> requests.Response:
        kind = request_kind(method, endpoint)
        params = compact(params)
        replayable = method.upper() == "GET" or is_idempotent(endpoint, json)
        for attempt in range(self.retries + 1):
            (self.drive_budget if kind == "drive" else self.budget).spend(kind)
            if self.share is not None and kind != "drive":
                self.share.spend(kind)
            self.sent[kind] += 1
            metrics.of(metrics.API_REQUESTS, "google").inc()
            try:
                response = self.session.request(method=method, url=endpoint, json=json,
                                                params=params, data=data, files=files,
                                                headers=headers, timeout=self.timeout)
            except (requests.Timeout, requests.ConnectionError) as exc:
                # A connect timeout never reached Google: always safe to send again.
                safe = replayable or isinstance(exc, requests.ConnectTimeout)
                if not safe or attempt == self.retries:
                    raise
                wait = None
            else:
                if response.ok:
                    return response
                status = response.status_code
                if status == 429:
                    self.rate_limited += 1
                    metrics.of(metrics.API_RATE_LIMITED, "google").inc()
                if (status not in RETRIED and not _drive_rate_limit(response)) or \
                        attempt == self.retries or \
                        (status not in NOT_APPLIED and not replayable):
                    raise APIError(response)
                wait = retry_after(response.headers)
                if wait is not None and wait > MAX_RETRY_AFTER:
                    raise APIError(response)
            self.sleep(wait if wait is not None else
                       min(2.0 ** attempt + self.jitter(), MAX_BACKOFF))
        raise AssertionError("unreachable: the last attempt returns or raises")


def compact(params: Any) -> Any:
    """A request's query with `prettyPrint=false`: Google's APIs indent their JSON answers
    unless told not to (a standard parameter of every discovery document, default true; the
    Cloud client libraries send it for that reason, googleapis/python-cloud-core#28). Indented,
    a tracker's values read is 1.9 times as large and a narrow read 3.2 times (a seeded 10k-row
    tracker), and every byte of it is held while it is parsed."""
    if params is None:
        return {"prettyPrint": "false"}
    if isinstance(params, Mapping):
        return {**params, "prettyPrint": "false"}
    return [*params, ("prettyPrint", "false")]  # a sequence of pairs, as requests takes


def request_kind(method: str, endpoint: str) -> str:
    """Which quota a request spends: Drive's, or Sheets' reads or writes."""
    if "/drive/" in endpoint:
        return "drive"
    return "read" if method.upper() == "GET" or endpoint.endswith(READ_POST) else "write"


def is_idempotent(endpoint: str, body: Mapping[str, Any] | None) -> bool:
    """Whether sending this POST twice leaves the spreadsheet as sending it once does."""
    if endpoint.endswith(("values:batchUpdate", READ_POST)):
        return True
    if endpoint.endswith(":batchUpdate") and body is not None:
        return all(set(r) <= IDEMPOTENT_REQUESTS for r in body.get("requests", ()))
    return False


def retry_after(headers: Mapping[str, str]) -> float | None:
    """A Retry-After given in seconds (Google's form), or None."""
    value = headers.get("Retry-After")
    try:
        return max(float(value), 0.0) if value is not None else None
    except ValueError:
        return None


def _drive_rate_limit(response: requests.Response) -> bool:
    """Drive sometimes says "slow down" with a 403 (userRateLimitExceeded)."""
    if response.status_code != 403 or "/drive/" not in (response.url or ""):
        return False
    try:
        errors = response.json()["error"].get("errors", [])
    except (ValueError, KeyError, AttributeError):
        return False
    return any(e.get("reason") in ("userRateLimitExceeded", "rateLimitExceeded")
               for e in errors)
