"""The exchange log: what the POS sent and what it got, redacted at the moment it is recorded."""

from __future__ import annotations

import threading
from collections import deque
from decimal import Decimal
from typing import Any

from conformance.core.redact import redact, redact_headers, redact_query


class ExchangeLog:
    """A bounded, sequence-numbered log; `GET /_control/exchanges?since=N` reads it incrementally."""

    def __init__(self, limit: int = 20_000) -> None:
        self._items: deque[dict[str, Any]] = deque(maxlen=limit)
        self._seq = 0
        self._lock = threading.Lock()

    def record(self, *, api: str, operation_id: str | None, at: str, duration_ms: float, method: str, path: str,
               query: str, request_headers: dict[str, str], request_body: Any, status: int,
               response_headers: dict[str, str], response_body: Any) -> None:
        entry = {
            "api": api,
            "operation_id": operation_id,
            "at": at,
            "duration_ms": Decimal(f"{duration_ms:.3f}"),
            "request": {"method": method, "path": redact(path), "query": redact_query(query),
                        "headers": redact_headers(request_headers), "body": redact(request_body)},
            "response": {"status": status, "headers": redact_headers(response_headers),
                         "body": redact(response_body)},
        }
        with self._lock:
            self._seq += 1
            self._items.append({"seq": self._seq, **entry})

    def since(self, seq: int = 0, api: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            return [e for e in self._items if e["seq"] > seq and (api is None or e["api"] == api)]

    def clear(self, api: str | None = None) -> None:
        with self._lock:
            kept = [e for e in self._items if api is not None and e["api"] != api]
            self._items.clear()
            self._items.extend(kept)
