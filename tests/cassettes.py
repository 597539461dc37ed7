"""Writing vcrpy cassettes from a fake's exchanges, with vcrpy's own serializer.

No machine here reaches Slack or ClickUp, so the cassettes are written from the fakes (whose
answers follow the services' references); each file opens with a comment saying so. Only the
request header matching needs is kept: no Authorization, no machine's User-Agent.
"""

from __future__ import annotations

import http.client
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from vcr.request import Request
from vcr.serialize import serialize
from vcr.serializers import yamlserializer


@dataclass(frozen=True)
class Exchange:
    """One request and its answer, as a cassette keeps them."""

    method: str
    url: str
    body: bytes
    content_type: str | None  # the request's
    status: int
    headers: Mapping[str, str]  # the answer's
    answer: bytes


def write_cassette(path: Path, exchanges: Iterable[Exchange], note: str) -> None:
    """The exchanges as a vcrpy cassette at `path`, `note` as its opening comment."""
    requests, responses = [], []
    for e in exchanges:
        requests.append(Request(e.method, e.url, e.body or None,
                                {"Content-Type": e.content_type} if e.content_type else {}))
        responses.append({"status": {"code": e.status, "message": http.client.responses[e.status]},
                          "headers": {k: [v] for k, v in e.headers.items()},
                          "body": {"string": e.answer}})
    comment = "".join(f"# {line}\n" for line in note.splitlines())
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(comment + serialize({"requests": requests, "responses": responses},
                                        yamlserializer), encoding="utf-8")
