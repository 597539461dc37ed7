"""A stateful fake of ClickUp's API v2, mounted at requests' transport (its adapter).

sheetsync's real ClickUp client talks to it through a real `requests.Session`: the fake
replaces `HTTPAdapter.send` for ClickUp's host, so nothing reaches the network. It keeps the
list's tasks with their custom fields, enforces the token and a per-minute rate limit on an
injected clock (429 with `X-RateLimit-Reset`), and fails on request: drop the connection
before or after creating a task, time out after creating it, or answer 500. Every request is
checked against ClickUp's published API v2 reference (tests/schemas/clickup-api-v2.json):
the Create Task body strictly (a field the reference does not name fails), the query
parameters by name. Its state can live in a JSON file for a process killed and restarted.
"""

from __future__ import annotations

import json
import time
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
import requests

from tests.transport import json_response, mounted

TOKEN = "pk_fake_token"
LIST_ID = "901200000001"
KEY_FIELD = "6f1c2b7a-key0-4e8a-9c1d-sheetsync000"
SCHEMAS = Path(__file__).resolve().parent / "schemas" / "clickup-api-v2.json"
OPERATIONS = json.loads(SCHEMAS.read_text(encoding="utf-8"))["operations"]


def strict(schema: Any) -> Any:
    """The schema with every object closed: a property the reference does not name fails."""
    if isinstance(schema, dict):
        closed = {k: strict(v) for k, v in schema.items()}
        if closed.get("type") == "object" and "properties" in closed:
            closed.setdefault("additionalProperties", False)
        return closed
    if isinstance(schema, list):
        return [strict(v) for v in schema]
    return schema


CREATE_TASK = strict(OPERATIONS["CreateTask"]["requestBody"])


@dataclass
class FakeClickUp:
    """One workspace's list, its tasks and the faults to come."""

    path: Path | None = None
    token: str = TOKEN
    lists: tuple[str, ...] = (LIST_ID,)
    forbidden: tuple[str, ...] = ()  # lists the token's user cannot reach
    field_type: str = "short_text"  # the key field's type
    has_key_field: bool = True
    limit_per_minute: int | None = None
    clock: Callable[[], float] = field(default=time.time)
    tasks: dict[str, dict[str, Any]] = field(default_factory=dict)
    faults: list[tuple[str, str]] = field(default_factory=list)  # (operation, kind)
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    rate_limited: int = 0
    on_accept: Callable[[], None] = field(default=lambda: None)  # the crash test's kill point
    exchanges: list[tuple[requests.PreparedRequest, requests.Response]] = field(
        default_factory=list)
    _window: list[float] = field(default_factory=list)

    # --- persistence ---------------------------------------------------------------------

    @classmethod
    def at(cls, path: Path, **options: Any) -> FakeClickUp:
        fake = cls(path=path, **options)
        if path.exists():
            saved = json.loads(path.read_text(encoding="utf-8"))
            fake.tasks, fake.faults = saved["tasks"], [tuple(f) for f in saved["faults"]]
        return fake

    def save(self) -> None:
        if self.path is not None:
            self.path.write_text(json.dumps({"tasks": self.tasks, "faults": self.faults}),
                                 encoding="utf-8")

    # --- what a test does and looks at -------------------------------------------------------

    def fail(self, operation: str, kind: str) -> None:
        self.faults.append((operation, kind))
        self.save()

    def keys(self) -> list[str]:
        return [f["value"] for t in self.tasks.values() for f in t["custom_fields"]
                if f["id"] == KEY_FIELD]

    def close(self, task_id: str, status: str = "complete") -> None:
        task = self.tasks[task_id]
        task["status"] = {"status": status, "type": "closed", "color": "#6bc950",
                          "orderindex": 3}
        task["date_closed"] = task["date_updated"] = str(int(self.clock() * 1000))
        self.save()

    def operations(self) -> list[str]:
        return [name for name, _ in self.calls]

    # --- the transport -----------------------------------------------------------------------

    @contextmanager
    def installed(self) -> Iterator[FakeClickUp]:
        """Serve ClickUp's host from this fake in every requests session of this process."""
        def answer(host: str | None, request: requests.PreparedRequest
                   ) -> requests.Response | None:
            if host != "api.clickup.com":
                return None
            response = self.handle(request)
            self.exchanges.append((request, response))
            return response

        with mounted(answer):
            yield self

    def handle(self, request: requests.PreparedRequest) -> requests.Response:
        url = urllib.parse.urlsplit(request.url or "")
        query = dict(urllib.parse.parse_qsl(url.query))
        parts = url.path.removeprefix("/api/v2/").split("/")
        operation, ids = _route(request.method or "", parts)
        spec = OPERATIONS[operation]
        known = {p["name"] for p in spec["parameters"] if p["in"] == "query"}
        assert set(query) <= known, f"{operation}: not in the reference: {set(query) - known}"
        body = json.loads(request.body) if request.body else None
        if operation == "CreateTask":
            jsonschema.validate(body, CREATE_TASK)  # the published CreateTaskrequest, closed
        self.calls.append((operation, {**query, **(body or {})}))
        fault = next((f for f in self.faults if f[0] == operation), None)
        if fault is not None:
            self.faults.remove(fault)
            self.save()
            kind = fault[1]
            if kind == "drop":
                raise requests.ConnectionError("connection reset by peer")
            if kind == "500":
                return _response(request, 500, {"err": "Internal server error",
                                                "ECODE": "SERVER_500"})
            if kind == "429":
                return self._rate_limited(request)
        if request.headers.get("Authorization") != self.token:
            return _response(request, 401, {"err": "Token invalid", "ECODE": "OAUTH_025"})
        if self.limit_per_minute is not None:
            now = self.clock()
            self._window = [t for t in self._window if t > now - 60]
            if len(self._window) >= self.limit_per_minute:
                return self._rate_limited(request)
            self._window.append(now)
        if operation != "GetTask" and ids[0] in self.forbidden:
            return _response(request, 403, {"err": "Team not authorized", "ECODE": "OAUTH_027"})
        if operation != "GetTask" and ids[0] not in self.lists:
            return _response(request, 404, {"err": "List not found", "ECODE": "ITEM_013"})
        response = getattr(self, "_" + operation)(request, query, body, ids)
        if fault is not None and fault[1] == "drop-after-accept":
            raise requests.ConnectionError("connection aborted: remote end closed")
        if fault is not None and fault[1] == "timeout-after-accept":
            raise requests.ReadTimeout("read timed out")
        return response

    def _rate_limited(self, request: requests.PreparedRequest) -> requests.Response:
        self.rate_limited += 1
        reset = int((self._window[0] if self._window else self.clock()) + 60)
        return _response(request, 429, {"err": "Rate limit reached", "ECODE": "APP_002"},
                         {"X-RateLimit-Limit": str(self.limit_per_minute or 100),
                          "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(reset)})

    # --- the operations --------------------------------------------------------------------

    def _CreateTask(self, request: requests.PreparedRequest, query: dict[str, str],
                    body: dict[str, Any], ids: list[str]) -> requests.Response:
        task_id = f"86c{len(self.tasks) + 1:05x}"
        now = str(int(self.clock() * 1000))
        fields = {f["id"]: f.get("value") for f in body.get("custom_fields", [])}
        task = {
            "id": task_id, "custom_id": None, "name": body["name"],
            "text_content": body.get("markdown_content", ""),
            "status": {"status": "to do", "type": "open", "color": "#d3d3d3", "orderindex": 0},
            "date_created": now, "date_updated": now, "date_closed": None,
            "assignees": [{"id": a} for a in body.get("assignees", [])],
            "tags": [{"name": t} for t in body.get("tags", [])],
            "priority": None if body.get("priority") is None else {
                "id": str(body["priority"]),
                "priority": {1: "urgent", 2: "high", 3: "normal", 4: "low"}[body["priority"]]},
            "custom_fields": [{"id": KEY_FIELD, "name": "sheetsync key", "type": self.field_type,
                               "value": fields.get(KEY_FIELD)}],
            "list": {"id": ids[0]}, "url": f"https://app.clickup.com/t/{task_id}",
        }
        self.tasks[task_id] = task
        self.save()
        self.on_accept()
        return _response(request, 200, task)

    def _GetTasks(self, request: requests.PreparedRequest, query: dict[str, str],
                  body: Any, ids: list[str]) -> requests.Response:
        found = list(self.tasks.values())
        if query.get("include_closed") != "true":
            found = [t for t in found if t["status"]["type"] != "closed"]
        if "date_updated_gt" in query:
            found = [t for t in found if int(t["date_updated"]) > int(query["date_updated_gt"])]
        for condition in json.loads(query.get("custom_fields", "[]")):
            assert condition["operator"] == "=="
            found = [t for t in found if any(f["id"] == condition["field_id"] and
                                             f["value"] == condition["value"]
                                             for f in t["custom_fields"])]
        page = int(query.get("page", "0"))
        return _response(request, 200, {"tasks": found[page * 100:(page + 1) * 100],
                                        "last_page": (page + 1) * 100 >= len(found)})

    def _GetTask(self, request: requests.PreparedRequest, query: dict[str, str],
                 body: Any, ids: list[str]) -> requests.Response:
        if ids[0] not in self.tasks:
            return _response(request, 404, {"err": "Task not found", "ECODE": "ITEM_015"})
        return _response(request, 200, self.tasks[ids[0]])

    def _GetAccessibleCustomFields(self, request: requests.PreparedRequest,
                                   query: dict[str, str], body: Any, ids: list[str]
                                   ) -> requests.Response:
        fields = [{"id": "0a1b-other", "name": "Severity", "type": "drop_down"}]
        if self.has_key_field:
            fields.append({"id": KEY_FIELD, "name": "sheetsync key", "type": self.field_type,
                           "type_config": {}})
        return _response(request, 200, {"fields": fields})


def _route(method: str, parts: list[str]) -> tuple[str, list[str]]:
    if parts[0] == "list" and parts[2:] == ["task"]:
        return ("CreateTask" if method == "POST" else "GetTasks"), [parts[1]]
    if parts[0] == "list" and parts[2:] == ["field"]:
        return "GetAccessibleCustomFields", [parts[1]]
    if parts[0] == "task" and len(parts) == 2:
        return "GetTask", [parts[1]]
    raise AssertionError(f"the fake ClickUp has no {method} /{'/'.join(parts)}")


def _response(request: requests.PreparedRequest, status: int, body: Any,
              headers: dict[str, str] | None = None) -> requests.Response:
    return json_response(request, status, body, headers)
