"""The reference POS speaking the driver protocol on stdin/stdout (`conformance pos-driver`, or the lighter
`python -m conformance.pos`): one action JSON in, the till's result JSON out, the state in a file."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TextIO

from conformance.core.errors import UsageError
from conformance.core.exchange import HttpRequest, HttpResponse
from conformance.loader.driver import driver_problems
from conformance.pos.till import Till
from conformance.transport.live import HttpTransport


class LiveSend:
    """Sends to a base URL over HTTP, the connection opened on first use."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self._transport: HttpTransport | None = None

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if self._transport is None:
            self._transport = HttpTransport(self.base_url, timeout=10.0)
        return self._transport.send(request)


def perform(text: str, state: Path | None = None, output: TextIO | None = None) -> None:
    """Read one action, perform it, write the result; a malformed action is a UsageError (exit 2)."""
    try:
        action = json.loads(text)
    except ValueError as exc:
        raise UsageError(f"<stdin>:{getattr(exc, 'lineno', 1)}: the action is not JSON: {exc}") from None
    problems = driver_problems("action", action)
    if problems:
        raise UsageError(f"<stdin>:1: not a driver action (specs/driver/action.schema.json): {problems[0]}")
    till = Till.restore(LiveSend, state)
    result = till.perform(action)
    till.save(state)
    (output or sys.stdout).write(json.dumps(result) + "\n")
