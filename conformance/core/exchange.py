"""The HTTP exchange types every layer shares: what was sent, what came back."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from conformance.core import jsonio


@dataclass(frozen=True)
class HttpRequest:
    """A request relative to a target's base URL (`path` may carry a query string)."""

    method: str
    path: str
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""

    @classmethod
    def json(cls, method: str, path: str, payload: Any, headers: Mapping[str, str] | None = None) -> HttpRequest:
        return cls(method.upper(), path, {"content-type": "application/json", **(headers or {})},
                   jsonio.dumps(payload).encode())


@dataclass(frozen=True)
class HttpResponse:
    status: int
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""
    elapsed_ms: float = 0.0

    def json(self) -> Any:
        """The body as JSON with Decimal numbers, or None when it is not JSON."""
        if not self.body:
            return None
        try:
            return jsonio.loads(self.body)
        except ValueError:
            return None

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


@dataclass(frozen=True)
class Exchange:
    request: HttpRequest
    response: HttpResponse
    operation_id: str | None = None
