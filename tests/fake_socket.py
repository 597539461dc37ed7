"""A fake Slack Socket Mode endpoint on loopback: a WebSocket server delivering envelopes.

The fake Slack's `apps.connections.open` answers this server's `ws://127.0.0.1:PORT/` URL
(tests.fake_slack: `socket_url`); slack-sdk's built-in Socket Mode client connects to it as it
would to Slack, gets `hello`, then each envelope `deliver` queues, and sends back its
acknowledgement, which the server keeps (`acks`). Envelopes follow Slack's Socket Mode
reference (https://api.slack.com/apis/socket-mode): `envelope_id`, `type`, `payload`,
`accepts_response_payload`, `retry_attempt`, `retry_reason`.
"""

from __future__ import annotations

import json
import queue
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from websockets.exceptions import ConnectionClosed
from websockets.sync.server import ServerConnection, serve


class FakeSocketMode:
    """The WebSocket side of Socket Mode: envelopes out, acknowledgements in."""

    def __init__(self) -> None:
        self.acks: list[dict[str, Any]] = []
        self.connections = 0
        self.open = 0  # connections not yet closed: an envelope queued now goes to one of them
        self._outgoing: queue.Queue[dict[str, Any]] = queue.Queue()
        self._acked = threading.Condition()
        self._server = serve(self._serve, "127.0.0.1", 0)
        self.url = f"ws://127.0.0.1:{self._server.socket.getsockname()[1]}/"

    def deliver(self, kind: str, payload: dict[str, Any], envelope_id: str,
                retry_attempt: int = 0) -> None:
        """Queue one envelope, as Slack sends it (again, with `retry_attempt` > 0)."""
        self._outgoing.put({"envelope_id": envelope_id, "type": kind, "payload": payload,
                            "accepts_response_payload": kind != "events_api",
                            "retry_attempt": retry_attempt,
                            "retry_reason": "timeout" if retry_attempt else ""})

    def ack(self, envelope_id: str, timeout: float = 20) -> dict[str, Any]:
        """The acknowledgement of one envelope, once it arrives."""
        deadline = time.monotonic() + timeout
        with self._acked:
            while True:
                found = [a for a in self.acks if a.get("envelope_id") == envelope_id]
                if found:
                    return found[0]
                left = deadline - time.monotonic()
                assert left > 0, f"no acknowledgement of {envelope_id}: {self.acks}"
                self._acked.wait(left)

    def _serve(self, connection: ServerConnection) -> None:
        self.connections += 1
        self.open += 1
        connection.send(json.dumps({"type": "hello", "num_connections": 1,
                                    "debug_info": {"host": "fake-socket-mode"},
                                    "connection_info": {"app_id": "A0SHEETSYNC"}}))
        try:
            while True:
                try:
                    connection.send(json.dumps(self._outgoing.get(timeout=0.05)))
                except queue.Empty:
                    pass
                try:
                    message = connection.recv(timeout=0.05)
                except TimeoutError:
                    continue
                with self._acked:
                    self.acks.append(json.loads(message))
                    self._acked.notify_all()
        except ConnectionClosed:
            return
        finally:
            self.open -= 1

    @contextmanager
    def running(self) -> Iterator[FakeSocketMode]:
        thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self._server.shutdown()
            thread.join(timeout=5)
