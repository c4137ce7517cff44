"""Live HTTP with httpx: a connection-reusing client against a base URL (any server, loopback in tests)."""

from __future__ import annotations

import time

import httpx

from conformance.core.errors import TargetError, Unreachable
from conformance.core.exchange import HttpRequest, HttpResponse


class HttpTransport:
    def __init__(self, base_url: str, timeout: float = 30.0, client: httpx.Client | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self._client = client or httpx.Client(timeout=timeout)

    def send(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        try:
            response = self._client.request(request.method, self.base_url + request.path,
                                             headers=dict(request.headers), content=request.body or None)
        except httpx.ConnectError as exc:
            raise Unreachable(f"cannot connect to {self.base_url}: {exc}") from exc
        except httpx.HTTPError as exc:
            where = f"{request.method} {self.base_url}{request.path}"
            raise TargetError(f"{where}: {exc.__class__.__name__}: {exc}") from exc
        return HttpResponse(response.status_code, dict(response.headers), response.content,
                            (time.perf_counter() - started) * 1000)

    def close(self) -> None:
        self._client.close()
