"""ClickUp: one task per technical ticket, created once, found again by its key, followed.

ClickUp has no idempotency key, so the effect's key is set in a text custom field of the list
in the same request that creates the task. After any attempt whose outcome is unknown (a
dropped connection, a timeout, a 5xx, a crash before the record), the list is searched for the
key (closed tasks included) before a task is created again. A small client over requests:
nothing is retried blindly, requests' adapter retries nothing, and calls are paced under the
token's rate (100 a minute on the common plans); a 429 waits until `X-RateLimit-Reset`.
Reference: ClickUp API v2 (`CreateTask`, `GetTasks`, `GetTask`, `GetAccessibleCustomFields`).
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import requests

from sheetsync.app import metrics
from sheetsync.core.clickup_task import task_body
from sheetsync.core.effects import Effect
from sheetsync.faults import NETWORK, describe
from sheetsync.integrations import DeliveryError
from sheetsync.integrations.pacing import Clock, Pacer, Sleep, backoff
from sheetsync.core.task_links import TaskState

TOKEN_ENV = "CLICKUP_API_TOKEN"
API_URL = "https://api.clickup.com/api/v2/"
ATTEMPTS = 3  # tries of one effect within a cycle when the outcome is unclear
RATE_LIMIT_WAITS = 3  # 429s waited out within one call
MAX_RESET_WAIT = 70.0  # seconds: a reset further off than this is left to the next cycle
TEXT_FIELDS = ("short_text", "text")
TIMEOUT = (5.0, 30.0)  # connect, read


class ClickUpFault(Exception):
    """A ClickUp answer that is not what was asked for; `status` 0: no answer at all."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class ClickUpSink:
    """Creates ClickUp tasks in one list with a personal token (or an OAuth one)."""

    name = "clickup"

    def __init__(self, token: str, list_id: str, key_field: str, *, api_url: str = API_URL,
                 user_ids: Mapping[str, int] | None = None, requests_per_minute: int = 100,
                 level_lists: Sequence[str] = (),
                 session: requests.Session | None = None, clock: Clock = time.time,
                 sleep: Sleep = time.sleep, jitter: Callable[[], float] = random.random) -> None:
        self.list_id, self.key_field, self.api_url = list_id, key_field, api_url
        self.user_ids = dict(user_ids or {})
        self.level_lists = tuple(level_lists)  # where escalation levels route their tasks
        self.clock, self.sleep, self.jitter = clock, sleep, jitter
        # 10% under the token's rate: ClickUp counts per token, per minute.
        self.pacer = Pacer(60.0 / requests_per_minute * 1.1, clock, sleep)
        self.session = session or requests.Session()
        # A personal token goes as it is ("pk_..."); an OAuth token with "Bearer".
        self.session.headers["Authorization"] = token
        self.rate_limited = 0  # 429s received, for the benchmark and the logs

    # --- delivery --------------------------------------------------------------------------

    def deliver(self, effect: Effect, parent: Mapping[str, Any] | None,
                begin: Callable[[], None]) -> Mapping[str, Any]:
        """Create the task once; search for its key first after any unclear attempt."""
        unclear = effect.unclear
        last = ""
        for attempt in range(ATTEMPTS):
            if attempt:
                self.sleep(backoff(attempt, rng=self.jitter))
            try:
                listed = str(effect.payload.get("list_id") or self.list_id)  # a level's own list
                if unclear:
                    found = self.find(effect.key, listed)
                    if found is not None:
                        return {"id": found.task_id, "url": found.url,
                                "status": found.status, "found": True}
                begin()
                try:
                    task = self._call("POST", f"list/{listed}/task",
                                      json=task_body(effect.payload, effect.key,
                                                     self.key_field, self.user_ids))
                except ClickUpFault as fault:
                    unclear = unclear or _transient(fault)  # ClickUp may have created it
                    raise
                created = _state(task)
                return {"id": created.task_id, "url": created.url, "status": created.status}
            except ClickUpFault as fault:
                if not _transient(fault):
                    raise self._refused(fault, unclear) from None
                last = str(fault)
        raise DeliveryError(f"{last}; will search for its key before creating it again",
                            "retry", unclear=unclear)

    def find(self, key: str, list_id: str | None = None) -> TaskState | None:
        """The task carrying `key` in the key field (of this list, or `list_id`), closed
        ones too."""
        query = json.dumps([{"field_id": self.key_field, "operator": "==", "value": key}],
                           separators=(",", ":"))
        for task in self._tasks({"custom_fields": query, "include_closed": "true",
                                 "subtasks": "true"}, list_id):
            return _state(task)
        return None

    # --- following tasks -------------------------------------------------------------------

    def updated_since(self, epoch_ms: int) -> Iterator[TaskState]:
        """The tasks changed after `epoch_ms` in the list and the escalation levels' lists,
        closed ones included."""
        for listed in dict.fromkeys([self.list_id, *self.level_lists]):
            for task in self._tasks({"date_updated_gt": str(epoch_ms), "include_closed": "true",
                                     "subtasks": "true", "order_by": "updated"}, listed):
                yield _state(task)

    def task(self, task_id: str) -> TaskState:
        """One task by ID (a person's link may point into another list)."""
        try:
            return _state(self._call("GET", f"task/{task_id}"))
        except ClickUpFault as fault:
            if fault.status in (400, 404):  # ClickUp answers 401 "Team not authorized" too
                return TaskState(task_id, None, None, False, exists=False)
            raise

    def start(self) -> str:
        """Check the token, the list and the key field now, not at the first Bug days later."""
        try:
            fields = self._call("GET", f"list/{self.list_id}/field").get("fields") or []
        except ClickUpFault as fault:
            raise (DeliveryError(str(fault), "retry") if _transient(fault) or fault.status == 400
                   else self._refused(fault, False)) from None
        for field in fields:
            if field.get("id") == self.key_field:
                if field.get("type") not in TEXT_FIELDS:
                    raise DeliveryError(
                        f"clickup.key_field_id: the field {field.get('name')!r} is of type "
                        f"{field.get('type')!r}; sheetsync needs a Text field", "blocked")
                return f"list {self.list_id}, key field {field.get('name')!r}"
        raise DeliveryError(
            f"clickup.key_field_id: list {self.list_id} has no custom field {self.key_field}; "
            "in ClickUp add a Text custom field (say \"sheetsync key\") to the list, then put "
            "its ID (GET /list/{list_id}/field lists them) in clickup.key_field_id", "blocked")

    # --- HTTP ------------------------------------------------------------------------------

    def _tasks(self, query: Mapping[str, str], list_id: str | None = None
               ) -> Iterator[dict[str, Any]]:
        for page in range(100):
            answer = self._call("GET", f"list/{list_id or self.list_id}/task",
                                params={**query, "page": str(page)})
            yield from answer.get("tasks") or []
            if answer.get("last_page", True) or not answer.get("tasks"):
                return

    def _call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        """One request, paced; a 429 waits until the reset it names (bounded)."""
        for _ in range(RATE_LIMIT_WAITS + 1):
            self.pacer.wait()
            metrics.of(metrics.API_REQUESTS, "clickup").inc()
            try:
                response = self.session.request(method, self.api_url + path, timeout=TIMEOUT,
                                                **kwargs)
            except NETWORK as exc:  # dropped, reset, timed out, cut mid-body
                raise ClickUpFault(0, f"no answer from ClickUp ({describe(exc)})") from None
            finally:
                self.pacer.done()
            if response.status_code != 429:
                break
            self.rate_limited += 1
            metrics.of(metrics.API_RATE_LIMITED, "clickup").inc()
            wait = self._until_reset(response.headers.get("X-RateLimit-Reset"))
            if wait > MAX_RESET_WAIT:
                break
            self.pacer.back_off(wait)
        if response.status_code == 429:
            raise ClickUpFault(429, "ClickUp rate limit: still 429 after waiting for the reset")
        if response.status_code >= 400:
            raise ClickUpFault(response.status_code, f"ClickUp answered "
                               f"{response.status_code} {_err(response)}")
        try:
            return dict(response.json())
        except ValueError:
            raise ClickUpFault(502, "ClickUp answered with something that is not JSON") from None

    def _until_reset(self, reset: str | None) -> float:
        try:
            return max(float(reset or "") - self.clock(), 0.0) + 0.5
        except ValueError:
            return 60.0  # no reset named: a minute is ClickUp's window

    def _refused(self, fault: ClickUpFault, unclear: bool) -> DeliveryError:
        """A definite answer: what it means for the effect, naming the setting to fix."""
        if fault.status == 429:
            return DeliveryError(str(fault), "retry", unclear=unclear)
        if fault.status == 401:
            return DeliveryError(f"{fault}: ClickUp refused the token; set a valid one in "
                                 f"{TOKEN_ENV}", "blocked", unclear=unclear)
        if fault.status == 403:
            return DeliveryError(f"{fault}: the token's user cannot reach list {self.list_id}; "
                                 "share the list with it, or check clickup.list_id", "blocked",
                                 unclear=unclear)
        if fault.status == 404:
            return DeliveryError(f"{fault}: no list {self.list_id}; check clickup.list_id",
                                 "blocked", unclear=unclear)
        return DeliveryError(f"ClickUp refused the task ({fault})", "rejected", unclear=unclear)


def _transient(fault: ClickUpFault) -> bool:
    """No answer, a timeout or a server error: the outcome is unknown, try again later."""
    return fault.status in (0, 408) or fault.status >= 500


def _state(task: Mapping[str, Any]) -> TaskState:
    status = task.get("status") or {}
    closed = status.get("type") in ("closed", "done") or bool(task.get("date_closed"))
    return TaskState(str(task["id"]), task.get("url"), status.get("status"), closed)


def _err(response: requests.Response) -> str:
    """ClickUp's `{"err": ..., "ECODE": ...}`, or the start of a body that is not JSON."""
    try:
        body = response.json()
        return f"{body.get('err', '')} ({body.get('ECODE', '')})".strip()
    except (ValueError, AttributeError):
        return response.text[:80]
