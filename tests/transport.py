"""What the fakes mounted at requests' transport share: mounting one in front of the transport,
and a JSON answer as requests builds one."""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http import HTTPStatus
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from requests.structures import CaseInsensitiveDict

#: A fake's answer to a request for a host (None: not its host).
Answer = Callable[[str | None, requests.PreparedRequest], "requests.Response | None"]


@contextmanager
def mounted(answer: Answer) -> Iterator[None]:
    """Put `answer` in front of requests' transport, in every session of this process, until
    the block ends: what it answers never reaches the network, and a request it leaves (None)
    goes to whatever transport was there before (another fake, say)."""
    real = HTTPAdapter.send

    def send(adapter: HTTPAdapter, request: requests.PreparedRequest, *args: Any,
             **kwargs: Any) -> requests.Response:
        response = answer(urllib.parse.urlsplit(request.url or "").hostname, request)
        if response is None:
            passed: requests.Response = real(adapter, request, *args, **kwargs)
            return passed
        return response

    HTTPAdapter.send = send  # type: ignore[method-assign,assignment]
    try:
        yield
    finally:
        HTTPAdapter.send = real  # type: ignore[method-assign]


def json_response(request: requests.PreparedRequest, status: int, body: Any,
                  headers: dict[str, str] | None = None,
                  content_type: str = "application/json",
                  dumps: Callable[[Any], str] = json.dumps) -> requests.Response:
    """An HTTP answer with a JSON body (written by `dumps`), for `request`, as the real
    adapter would return it."""
    response = requests.Response()
    response.status_code = status
    response._content = dumps(body).encode()
    response.headers = CaseInsensitiveDict({"Content-Type": content_type, **(headers or {})})
    response.url = request.url or ""
    response.request = request
    response.encoding = "utf-8"
    response.reason = HTTPStatus(status).phrase
    return response
