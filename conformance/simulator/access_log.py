"""`conformance simulate --access-log FILE`: one line per request, redacted, with its validation result (as
Prism prints), so a person wiring a POS sees at once what reached the simulator and why it was refused.

Kept out of the request path's modules: the app calls `write` once per request when a log is open.
"""

from __future__ import annotations

import sys
import threading
from typing import Any, TextIO

from conformance.core.redact import mask_cards_in_text, redact_query

PROBLEMS = "conformance.problems"
"""The ASGI scope key where the pipeline leaves a refused request's validation problems."""


def verdict(status: int, operation_id: str | None, problems: Any) -> str:
    """The request's validation result in words."""
    if problems:
        return "invalid: " + "; ".join(str(p) for p in problems)[:500]
    if operation_id is None:
        return "no such operation" if status in (404, 405) else "not handled"
    if status in (401, 403):
        return "valid request, credentials refused"
    return "valid request"


class AccessLog:
    def __init__(self, stream: TextIO, owned: bool) -> None:
        self.stream = stream
        self.owned = owned
        self.lock = threading.Lock()

    @classmethod
    def open(cls, target: str | None) -> AccessLog | None:
        """`-` is stderr; any other value a file appended to; None no log."""
        if not target:
            return None
        if target == "-":
            return cls(sys.stderr, owned=False)
        return cls(open(target, "a", encoding="utf-8", buffering=1), owned=True)

    def write(self, *, at: str, api: str, operation_id: str | None, method: str, path: str, query: str,
              status: int, duration_ms: float, scope: Any) -> None:
        where = mask_cards_in_text(path) + (f"?{redact_query(query)}" if query else "")
        result = verdict(status, operation_id, scope.get(PROBLEMS) if isinstance(scope, dict) else None)
        line = (f"{at} {api} {method} {where} -> {status} ({duration_ms:.0f} ms) {operation_id or '-'}: "
                f"{mask_cards_in_text(result)}\n")
        with self.lock:
            self.stream.write(line)
            self.stream.flush()

    def close(self) -> None:
        if self.owned:
            self.stream.close()
