"""In-process ASGI: the same requests, no socket (Starlette's TestClient runs the app in a worker thread)."""

from __future__ import annotations

import time
import warnings
from typing import Any

import httpx

with warnings.catch_warnings():  # Starlette 1.x suggests httpx2; httpx is what the rest of the suite uses
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from conformance.core.errors import TargetError
from conformance.core.exchange import HttpRequest, HttpResponse


class AsgiTransport:
    def __init__(self, app: Any, base_url: str = "http://testserver") -> None:
        self.base_url = base_url.rstrip("/")
        self._client = TestClient(app, base_url="http://testserver", raise_server_exceptions=True)
        self._prefix = httpx.URL(self.base_url).raw_path.decode().rstrip("/")

    def send(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        try:
            response = self._client.request(request.method, self._prefix + request.path,
                                            headers=dict(request.headers), content=request.body or None)
        except Exception as exc:  # the app dropped the connection or crashed: the target broke, not us
            raise TargetError(f"{request.method} {request.path}: {exc.__class__.__name__}: {exc}") from exc
        return HttpResponse(response.status_code, dict(response.headers), response.content,
                            (time.perf_counter() - started) * 1000)

    def close(self) -> None:
        self._client.close()
