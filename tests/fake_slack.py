"""A stateful fake of the Slack Web API, mounted at the HTTP transport (`http.client`).

slack-sdk's real `WebClient` talks to it through urllib exactly as it would to Slack: the fake
replaces `http.client.HTTPSConnection` (as vcrpy does), so requests, headers, 429s, HTTP errors
and dropped connections all go through the SDK's own code. It keeps the channel's messages
(with their metadata and threads), enforces the token and the app's scopes, can hold to a
per-channel rate limit on an injected clock, and fails on request: drop the connection after
accepting a post, time out, answer 429 with Retry-After, or 500. Its state can live in a JSON
file, so a process killed mid-request and the one restarted after it see the same channel.

Shapes follow Slack's method reference (chat.postMessage, chat.update, conversations.history,
conversations.replies, conversations.list, auth.test).
"""

from __future__ import annotations

import http.client
import io
import json
import os
import socket
import time
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.cassettes import Exchange, write_cassette

TOKEN = "xoxb-fake-token"
APP_TOKEN = "xapp-1-fake-app-token"  # the app-level token Socket Mode connects with
USERS = ("U012PRIYA", "U012RAHUL", "U0STRANGER")  # the workspace's members, for users.info
CHANNELS = {"seller-support": "C0SELLERS1", "tech-support": "C0TECHSUP1"}
ALL_SCOPES = ("chat:write", "channels:history", "groups:history", "channels:read",
              "groups:read")


@dataclass
class Fault:
    """What to do instead of (or after) answering one request for `method`."""

    method: str
    kind: str  # "drop-after-accept", "drop", "timeout-after-accept", "429", "500", "error",
    # "cut-after-accept" (the answer's body ends half-way), "raise-after-accept" (`error`
    # names an exception of tests.edge_faults, raised after the post is taken)
    error: str = ""  # Slack's error code, for "error"
    retry_after: int = 1


@dataclass
class FakeSlack:
    """The channel's messages and the faults to come; persisted to `path` when one is given."""

    path: Path | None = None
    token: str = TOKEN
    scopes: tuple[str, ...] = ALL_SCOPES
    members: tuple[str, ...] = tuple(CHANNELS.values())  # channels the bot is in
    limit_per_second: float | None = None  # Slack's per-channel posting limit, on `clock`
    clock: Callable[[], float] = field(default=time.time)
    messages: list[dict[str, Any]] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    rate_limited: int = 0  # 429s answered
    exchanges: list[tuple[str, str, bytes, dict[str, str], Reply]] = field(
        default_factory=list)  # every request answered, for writing cassettes
    on_accept: Callable[[], None] = field(default=lambda: None)  # the crash test's kill point
    socket_url: str = ""  # where apps.connections.open sends Socket Mode (tests.fake_socket)
    ephemeral: list[dict[str, Any]] = field(default_factory=list)  # answers one person sees
    views: list[dict[str, Any]] = field(default_factory=list)  # modals opened
    _last_post: dict[str, float] = field(default_factory=dict)
    _last_ts: float = 0.0

    # --- persistence (for a process that is killed and restarted) ------------------------------

    @classmethod
    def at(cls, path: Path, **options: Any) -> FakeSlack:
        fake = cls(path=path, **options)
        fake.load()
        return fake

    def load(self) -> None:
        """The workspace as its file holds it: another process (a second replica) may have
        posted since this one started."""
        if self.path is not None and self.path.exists():
            saved = json.loads(self.path.read_text(encoding="utf-8"))
            self.messages = saved["messages"]
            self.faults = [Fault(**f) for f in saved["faults"]]
            self.ephemeral, self.views = saved.get("ephemeral", []), saved.get("views", [])
            self._last_ts = max((float(m["ts"]) for m in self.messages), default=0.0)

    def save(self) -> None:
        """Written whole, then renamed into place: a test (or a replica) loading it while a
        daemon saves reads the workspace before or after, never a half-written file."""
        if self.path is not None:
            part = self.path.with_name(f"{self.path.name}.{os.getpid()}.part")
            part.write_text(json.dumps({"messages": self.messages, "faults": [
                f.__dict__ for f in self.faults], "ephemeral": self.ephemeral,
                "views": self.views}), encoding="utf-8")
            os.replace(part, self.path)

    # --- what a test looks at ----------------------------------------------------------------

    def top_level(self) -> list[dict[str, Any]]:
        return [m for m in self.messages if "thread_ts" not in m]

    def replies(self, ts: str) -> list[dict[str, Any]]:
        return [m for m in self.messages if m.get("thread_ts") == ts]

    def keys(self) -> list[str]:
        return [m["metadata"]["event_payload"]["key"] for m in self.messages
                if m.get("metadata")]

    def write_cassette(self, path: Path, note: str) -> None:
        """Every exchange so far as a vcrpy cassette."""
        write_cassette(path, [
            Exchange(verb, url, body, headers.get("Content-Type"), reply.status,
                     {"Content-Type": reply.content_type, **reply.headers}, reply.data)
            for verb, url, body, headers, reply in self.exchanges], note)

    def fail(self, method: str, kind: str, **options: Any) -> None:
        self.faults.append(Fault(method, kind, **options))
        self.save()

    def posts(self) -> int:
        return sum(1 for method, _ in self.calls if method == "chat.postMessage")

    # --- the transport -----------------------------------------------------------------------

    @contextmanager
    def installed(self) -> Iterator[FakeSlack]:
        """Serve every HTTPS request in this process; nothing reaches the network."""
        real = http.client.HTTPSConnection
        fake = self

        class Connection:
            def __init__(self, host: str, *args: Any, **kwargs: Any) -> None:
                self.host, self.sock = host, None
                self._request: tuple[str, str, bytes, dict[str, str]] | None = None

            def set_debuglevel(self, level: int) -> None: ...

            def set_tunnel(self, *args: Any, **kwargs: Any) -> None: ...

            def request(self, method: str, url: str, body: bytes | None = None,
                        headers: dict[str, str] | None = None, **kwargs: Any) -> None:
                self._request = (method, url, body or b"", dict(headers or {}))

            def getresponse(self) -> http.client.HTTPResponse:
                assert self._request is not None
                verb, path, body, headers = self._request
                return fake.handle(verb, f"https://{self.host}{path}", body, headers)

            def close(self) -> None: ...

        http.client.HTTPSConnection = Connection  # type: ignore[misc,assignment]
        try:
            yield self
        finally:
            http.client.HTTPSConnection = real  # type: ignore[misc]

    def handle(self, verb: str, url: str, body: bytes, headers: dict[str, str]
               ) -> http.client.HTTPResponse:
        method = urllib.parse.urlsplit(url).path.rsplit("/", 1)[-1]
        params = _params(body, headers.get("Content-Type", ""))
        self.load()
        if urllib.parse.urlsplit(url).hostname == "hooks.slack.com":  # a response_url
            self.calls.append(("response_url", params))
            self.ephemeral.append({"response_url": url, **params})
            self.save()
            return Reply(200, "ok").response()
        self.calls.append((method, params))
        fault = next((f for f in self.faults if f.method == method), None)
        if fault is not None:
            self.faults.remove(fault)
            self.save()
        reply = self._fault(fault) if fault is not None else None
        if reply is None:
            if headers.get("Authorization") != \
                    f"Bearer {APP_TOKEN if method.startswith('apps.') else self.token}":
                reply = Reply(200, {"ok": False, "error": "invalid_auth"})
            else:
                reply = getattr(self, "_" + method.replace(".", "_"))(params)
        if fault is not None and fault.kind == "drop-after-accept":
            raise http.client.RemoteDisconnected("Remote end closed connection without response")
        if fault is not None and fault.kind == "timeout-after-accept":
            raise socket.timeout("timed out")
        if fault is not None and fault.kind == "raise-after-accept":
            from tests.edge_faults import EVERYTHING

            raise EVERYTHING[fault.error]()
        self.exchanges.append((verb, url, body, headers, reply))
        return reply.response(cut=fault is not None and fault.kind == "cut-after-accept")

    def _fault(self, fault: Fault) -> Reply | None:
        """The answer a planned fault gives instead of Slack's; None when Slack answers."""
        if fault.kind == "429":
            self.rate_limited += 1
            return Reply(429, {"ok": False, "error": "ratelimited"},
                         {"Retry-After": str(fault.retry_after)})
        if fault.kind == "500":
            return Reply(500, "<html>Internal Server Error</html>")
        if fault.kind == "drop":
            raise ConnectionResetError("connection reset by peer")
        if fault.kind == "error":
            return Reply(200, {"ok": False, "error": fault.error,
                               **({"needed": "chat:write"} if fault.error == "missing_scope"
                                  else {})})
        return None

    # --- the methods ---------------------------------------------------------------------------

    def _chat_postMessage(self, params: dict[str, Any]) -> Reply:
        channel = str(params["channel"])
        if refusal := self._refuse(channel, "chat:write"):
            return refusal
        now = self.clock()
        if self.limit_per_second and now - self._last_post.get(channel, -1e9) < \
                1 / self.limit_per_second:
            self.rate_limited += 1
            return Reply(429, {"ok": False, "error": "ratelimited"},
                         {"Retry-After": f"{1 / self.limit_per_second:g}"})
        self._last_post[channel] = now
        if params.get("thread_ts") and not any(m["ts"] == params["thread_ts"]
                                               for m in self.messages):
            return Reply(200, {"ok": False, "error": "thread_not_found"})
        ts = f"{max(now, self._last_ts + 1e-6):.6f}"  # Slack's ts: the post's time, unique
        self._last_ts = float(ts)
        message = {"type": "message", "ts": ts, "channel": channel, "text": params["text"],
                   "blocks": params.get("blocks"), "bot_id": "B0SHEETSYNC",
                   "metadata": params.get("metadata")}
        for name in ("thread_ts", "reply_broadcast", "parse", "link_names"):
            if name in params:
                message[name] = params[name]
        self.messages.append(message)
        self.save()
        self.on_accept()
        return Reply(200, {"ok": True, "channel": channel, "ts": ts, "message": message})

    def _chat_update(self, params: dict[str, Any]) -> Reply:
        if refusal := self._refuse(str(params["channel"]), "chat:write"):
            return refusal
        for message in self.messages:
            if message["ts"] == params["ts"]:
                message.update(text=params["text"], blocks=params.get("blocks"),
                               metadata=params.get("metadata", message.get("metadata")),
                               edited=True)
                self.save()
                return Reply(200, {"ok": True, "channel": params["channel"],
                                       "ts": params["ts"], "text": params["text"]})
        return Reply(200, {"ok": False, "error": "message_not_found"})

    def _conversations_history(self, params: dict[str, Any]) -> Reply:
        channel = str(params["channel"])
        if refusal := self._refuse(channel, "channels:history"):
            return refusal
        oldest = float(params.get("oldest") or 0)
        found = [m for m in self.messages if m["channel"] == channel and float(m["ts"]) >= oldest
                 and ("thread_ts" not in m or m.get("reply_broadcast"))]
        return self._page(list(reversed(found)), params)

    def _conversations_replies(self, params: dict[str, Any]) -> Reply:
        channel = str(params["channel"])
        if refusal := self._refuse(channel, "channels:history"):
            return refusal
        parent = [m for m in self.messages if m["ts"] == params["ts"]]
        if not parent:
            return Reply(200, {"ok": False, "error": "thread_not_found"})
        return self._page(parent + self.replies(str(params["ts"])), params)

    def _conversations_list(self, params: dict[str, Any]) -> Reply:
        if "channels:read" not in self.scopes:
            return Reply(200, {"ok": False, "error": "missing_scope",
                                   "needed": "channels:read,groups:read"})
        return Reply(200, {"ok": True, "channels": [
            {"id": id_, "name": name, "is_member": id_ in self.members}
            for name, id_ in CHANNELS.items()], "response_metadata": {"next_cursor": ""}})

    def _conversations_info(self, params: dict[str, Any]) -> Reply:
        channel = str(params["channel"])
        if channel not in CHANNELS.values():
            return Reply(200, {"ok": False, "error": "channel_not_found"})
        name = next(n for n, i in CHANNELS.items() if i == channel)
        return Reply(200, {"ok": True, "channel": {"id": channel, "name": name,
                                                   "is_private": False,
                                                   "is_member": channel in self.members}})

    def _auth_test(self, params: dict[str, Any]) -> Reply:
        return Reply(200, {"ok": True, "user_id": "U0SHEETSYNC", "bot_id": "B0SHEETSYNC",
                           "user": "sheetsync", "team": "Seller Support"},
                         {"X-OAuth-Scopes": ",".join(self.scopes)})

    def _apps_connections_open(self, params: dict[str, Any]) -> Reply:
        if not self.socket_url:
            return Reply(200, {"ok": False, "error": "not_allowed_token_type"})
        return Reply(200, {"ok": True, "url": self.socket_url})

    def _views_open(self, params: dict[str, Any]) -> Reply:
        view = params["view"] if isinstance(params["view"], dict) else json.loads(params["view"])
        self.views.append({"trigger_id": params.get("trigger_id"), "view": view})
        self.save()
        return Reply(200, {"ok": True, "view": {"id": f"V{len(self.views):08d}", **view}})

    def _chat_postEphemeral(self, params: dict[str, Any]) -> Reply:
        if refusal := self._refuse(str(params["channel"]), "chat:write"):
            return refusal
        self.ephemeral.append(dict(params))
        self.save()
        return Reply(200, {"ok": True, "message_ts": f"{self.clock():.6f}"})

    def _users_info(self, params: dict[str, Any]) -> Reply:
        user = str(params.get("user"))
        if user not in USERS:
            return Reply(200, {"ok": False, "error": "user_not_found"})
        return Reply(200, {"ok": True, "user": {"id": user, "name": user.lower(),
                                                "deleted": False}})

    def _refuse(self, channel: str, scope: str) -> Reply | None:
        if channel not in CHANNELS.values():
            return Reply(200, {"ok": False, "error": "channel_not_found"})
        if scope not in self.scopes and not (scope == "channels:history" and
                                             "groups:history" in self.scopes):
            return Reply(200, {"ok": False, "error": "missing_scope", "needed": scope})
        if channel not in self.members:
            return Reply(200, {"ok": False, "error": "not_in_channel"})
        return None

    def _page(self, messages: list[dict[str, Any]], params: dict[str, Any]
              ) -> Reply:
        """One page of `limit` messages, metadata only with include_all_metadata."""
        start = int(params.get("cursor") or 0)
        limit = int(params.get("limit") or 100)
        page = [dict(m) for m in messages[start:start + limit]]
        if str(params.get("include_all_metadata")) not in ("1", "true", "True"):
            for m in page:
                m.pop("metadata", None)
        more = start + limit < len(messages)
        return Reply(200, {"ok": True, "messages": page, "has_more": more,
                               "response_metadata": {"next_cursor": str(start + limit)
                                                     if more else ""}})


def _params(body: bytes, content_type: str) -> dict[str, Any]:
    """A request's arguments: slack-sdk sends JSON for chat.* and a form for the rest."""
    if not body:
        return {}
    if "json" in content_type:
        return dict(json.loads(body))
    return dict(urllib.parse.parse_qsl(body.decode()))


@dataclass
class Reply:
    """One answer: status, JSON body (or an HTML error page), headers."""

    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def data(self) -> bytes:
        return self.body.encode() if isinstance(self.body, str) else \
            json.dumps(self.body).encode()

    @property
    def content_type(self) -> str:
        return "text/html" if isinstance(self.body, str) else "application/json; charset=utf-8"

    def response(self, cut: bool = False) -> http.client.HTTPResponse:
        """A real `HTTPResponse`, parsed from bytes as if read off a socket (`cut`: the
        connection ends half-way through the body, so reading it raises IncompleteRead)."""
        lines = [f"HTTP/1.1 {self.status} {http.client.responses[self.status]}",
                 f"Content-Type: {self.content_type}", f"Content-Length: {len(self.data)}",
                 *(f"{k}: {v}" for k, v in self.headers.items()), "", ""]
        raw = "\r\n".join(lines).encode() + (self.data[:len(self.data) // 2] if cut else
                                               self.data)

        class _Socket:
            def makefile(self, *args: Any, **kwargs: Any) -> io.BytesIO:
                return io.BytesIO(raw)

        response = http.client.HTTPResponse(_Socket())  # type: ignore[arg-type]
        response.begin()
        return response
