"""What the fakes mounted at requests' transport share: a JSON answer as requests builds one."""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any

import requests
from requests.structures import CaseInsensitiveDict


def json_response(request: requests.PreparedRequest, status: int, body: Any,
                  headers: dict[str, str] | None = None,
                  content_type: str = "application/json") -> requests.Response:
    """An HTTP answer with a JSON body, for `request`, as the real adapter would return it."""
    response = requests.Response()
    response.status_code = status
    response._content = json.dumps(body).encode()
    response.headers = CaseInsensitiveDict({"Content-Type": content_type, **(headers or {})})
    response.url = request.url or ""
    response.request = request
    response.encoding = "utf-8"
    response.reason = HTTPStatus(status).phrase
    return response
