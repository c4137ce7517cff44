"""How the reference POS delivers a request: retries on an outage with the same body (so the same
reference), never retries a 4xx, and queues a transaction it could not deliver to resend it later.

A retry answered "duplicate" means an earlier attempt was committed and only its answer was lost: the
transaction is delivered, exactly once (seed 004's real-time versus queued note; issue 17's resilience plan).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from conformance.core.errors import TargetError
from conformance.core.exchange import HttpRequest, HttpResponse

ATTEMPTS = 3
"""Sends of one request before it is queued (an outage of a few calls is ridden out)."""
OUTAGE_STATUSES = frozenset({502, 503, 504})


@dataclass(frozen=True)
class Delivery:
    """What happened to one request: its last response (None: never answered), and whether it was queued."""

    response: HttpResponse | None
    attempts: int = 1
    queued: bool = False
    duplicate_on_retry: bool = False


def is_outage(response: HttpResponse | None) -> bool:
    return response is None or response.status in OUTAGE_STATUSES


def deliver(send: Callable[[HttpRequest], HttpResponse], sign: Callable[[HttpRequest], HttpRequest],
            request: HttpRequest, duplicate: Callable[[HttpResponse], bool]) -> Delivery:
    """Send `request` (signed afresh each attempt) until answered; an outage is retried, a 4xx is not."""
    response: HttpResponse | None = None
    for attempt in range(1, ATTEMPTS + 1):
        try:
            response = send(sign(request))
        except TargetError:
            response = None
        if not is_outage(response):
            assert response is not None
            return Delivery(response, attempt, duplicate_on_retry=attempt > 1 and duplicate(response))
    return Delivery(response, ATTEMPTS)


def to_record(request: HttpRequest) -> dict[str, Any]:
    """A queued request as JSON (the driver's state file keeps the queue between actions)."""
    return {"method": request.method, "path": request.path, "headers": dict(request.headers),
            "body": request.body.decode("utf-8")}


def from_record(record: dict[str, Any]) -> HttpRequest:
    return HttpRequest(record["method"], record["path"], dict(record["headers"]), record["body"].encode("utf-8"))
