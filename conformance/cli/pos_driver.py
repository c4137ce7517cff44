"""`conformance pos-driver`: the reference POS speaking the driver protocol on stdin/stdout (DESIGN section 8).

One action JSON on stdin; the till's state (provider, token, its sales, the queue) is kept in a file
between runs (`CONFORMANCE_POS_STATE`, default in the temporary directory); the result on stdout.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from conformance.core.errors import UsageError
from conformance.core.exchange import HttpRequest, HttpResponse
from conformance.loader.driver import driver_problems
from conformance.pos.till import Till
from conformance.transport.live import HttpTransport


def _live(base_url: str) -> HttpTransportSend:
    return HttpTransportSend(base_url)


class HttpTransportSend:
    """Sends to a base URL over HTTP, the connection opened on first use (a balance check after a network cut)."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self._transport: HttpTransport | None = None

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if self._transport is None:
            self._transport = HttpTransport(self.base_url, timeout=10.0)
        return self._transport.send(request)


def pos_driver(
    state: Path | None = typer.Option(None, "--state", help="Where the till keeps its state between actions "
                                      "(default: $CONFORMANCE_POS_STATE or a file in the temporary directory)."),
) -> None:
    """The reference POS as a driver: one action JSON on stdin, the till's result JSON on stdout."""
    text = sys.stdin.read()
    try:
        action = json.loads(text)
    except ValueError as exc:
        raise UsageError(f"<stdin>:{getattr(exc, 'lineno', 1)}: the action is not JSON: {exc}") from None
    problems = driver_problems("action", action)
    if problems:
        raise UsageError(f"<stdin>:1: not a driver action (specs/driver/action.schema.json): {problems[0]}")
    till = Till.restore(_live, state)
    result = till.perform(action)
    till.save(state)
    sys.stdout.write(json.dumps(result) + "\n")
