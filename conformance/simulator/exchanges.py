"""The exchange log: what the POS sent and what it got, redacted at the moment it is recorded.

It holds only what it can serve: each entry is kept as the JSON text `GET /_control/exchanges` writes
(numbers as the text that was sent), bodies cut to BODY_LIMIT characters, and the whole log to
TOTAL_LIMIT characters and `limit` entries, the oldest going first. A value that cannot be written is
recorded as a note instead, so one odd request never breaks the log.
"""

from __future__ import annotations

import threading
from collections import deque
from decimal import Decimal
from typing import Any

from conformance.core import jsonio
from conformance.core.redact import redact, redact_headers, redact_query

BODY_LIMIT = 64 * 1024
"""Characters of one body kept in the log; a longer body is replaced by a note of its size."""
TOTAL_LIMIT = 32 * 1024 * 1024
"""Characters the whole log keeps (a long-running sandbox stays bounded in memory)."""


def _body_text(body: Any) -> jsonio.Raw:
    """A redacted body as JSON text, or a JSON string saying why it is not shown."""
    try:
        text = jsonio.dumps(redact(body))
        text.encode("utf-8")
    except (TypeError, ValueError, RecursionError):
        return jsonio.Raw(jsonio.dumps("<body not recorded: not writable as JSON>"))
    if len(text) > BODY_LIMIT:
        return jsonio.Raw(jsonio.dumps(f"<body not recorded: {len(text)} characters, over {BODY_LIMIT}>"))
    return jsonio.Raw(text)


class ExchangeLog:
    """A bounded, sequence-numbered log; `GET /_control/exchanges?since=N` reads it incrementally."""

    def __init__(self, limit: int = 20_000, total_limit: int = TOTAL_LIMIT) -> None:
        self._items: deque[tuple[int, str, jsonio.Raw]] = deque()
        self._limit = limit
        self._total_limit = total_limit
        self._size = 0
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
                        "headers": redact_headers(request_headers), "body": _body_text(request_body)},
            "response": {"status": status, "headers": redact_headers(response_headers),
                         "body": _body_text(response_body)},
        }
        with self._lock:
            self._seq += 1
            text = jsonio.Raw(jsonio.dumps({"seq": self._seq, **entry}))
            self._items.append((self._seq, api, text))
            self._size += len(text)
            while self._items and (len(self._items) > self._limit or self._size > self._total_limit):
                self._size -= len(self._items.popleft()[2])

    def since(self, seq: int = 0, api: str | None = None) -> list[jsonio.Raw]:
        """Entries after `seq` (of one api, or all) as JSON text, for `jsonio.dumps` to write as they are."""
        with self._lock:
            return [text for number, name, text in self._items if number > seq and (api is None or name == api)]

    def entries(self, seq: int = 0, api: str | None = None) -> list[dict[str, Any]]:
        """The same entries parsed (for in-process readers and tests)."""
        return [jsonio.loads(text) for text in self.since(seq, api)]

    @property
    def size(self) -> int:
        """Characters held (what TOTAL_LIMIT bounds)."""
        return self._size

    def clear(self, api: str | None = None) -> None:
        with self._lock:
            kept = [item for item in self._items if api is not None and item[1] != api]
            self._items = deque(kept)
            self._size = sum(len(item[2]) for item in kept)
