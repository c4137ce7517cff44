"""The transport seam: runners call `send`, and never know whether it is live HTTP, in-process or a cassette."""

from __future__ import annotations

from typing import Protocol

from conformance.core.exchange import HttpRequest, HttpResponse


class Transport(Protocol):
    """Sends one request to a target and returns its response; raises TargetError when it cannot."""

    base_url: str

    def send(self, request: HttpRequest) -> HttpResponse: ...

    def close(self) -> None: ...
