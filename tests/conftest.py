"""No test opens a network connection: only this machine's own addresses can be reached.

Every HTTP exchange goes through a fake at the transport or a vcrpy cassette; this guard
makes a request that slipped past them (a client library's own lookup, say) fail loudly
instead of waiting on a resolver.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest

LOCAL = ("localhost", "127.0.0.1", "::1", "0.0.0.0", "")


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    real = socket.getaddrinfo

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else str(host or "")
        if name not in LOCAL:
            raise AssertionError(f"a test tried to reach {name}: use a fake or a cassette")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    yield
