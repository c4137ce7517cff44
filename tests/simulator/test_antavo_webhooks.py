"""The voucher-claimed webhook reaches a POS endpoint on loopback, with Antavo's retry policy (5 x 10 s, shortened
here by the fixture's settings): a failed first attempt is resent, and one that never succeeds ends `failed`."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from conformance.core import jsonio
from conformance.simulator.server import build_app
from conformance.simulator.state import SimulatorConfig
from tests.conftest import CONTROL_TOKEN, LiveServer, free_port
from tests.simulator.antavo_fixtures import FIXTURE

CONTROL = {"authorization": f"Bearer {CONTROL_TOKEN}"}
SEED_FIELDS = {"consentGuid", "voucherCode", "voucherStatus", "voucherType", "value", "voucherName", "expiresAt",
               "createdAt", "claimedAt", "eventName"}


class Receiver:
    """A POS webhook endpoint: answers the first `fail` deliveries with 500, then 200, and keeps every body."""

    def __init__(self) -> None:
        self.received: list[Any] = []
        self.fail = 0

    async def hook(self, request: Request) -> JSONResponse:
        self.received.append(jsonio.loads(await request.body()))
        if len(self.received) <= self.fail:
            return JSONResponse({"error": "not yet"}, 500)
        return JSONResponse({"ok": True})


@pytest.fixture(scope="module")
def receiver() -> Iterator[tuple[Receiver, str]]:
    pos = Receiver()
    server = LiveServer(Starlette(routes=[Route("/hooks/antavo", pos.hook, methods=["POST"])]))
    yield pos, f"{server.origin}/hooks/antavo"
    server.stop()


@pytest.fixture
def sim(live_simulator: Any) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live_simulator.origin, timeout=10) as client:
        client.post("/_control/reset", json={"api": "antavo"}, headers=CONTROL).raise_for_status()
        yield client


def load(client: httpx.Client, url: str, attempts: int) -> None:
    settings = {"webhook_attempts": attempts, "webhook_retry_delay_seconds": Decimal("0.1")}
    body = jsonio.dumps({**FIXTURE, "webhook_url": url, "settings": settings})
    client.post("/_control/fixtures", content=body, headers={**CONTROL, "content-type": "application/json"}
                ).raise_for_status()


def settled(client: httpx.Client, timeout: float = 10) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        (delivery,) = client.get("/_control/webhooks", params={"api": "antavo"}, headers=CONTROL).json()["deliveries"]
        if delivery["state"] in ("done", "failed") or time.monotonic() > deadline:
            return dict(delivery)
        time.sleep(0.05)


def test_voucher_webhook_is_resent_after_a_failed_attempt(sim: httpx.Client, receiver: tuple[Receiver, str]) -> None:
    pos, url = receiver
    pos.received.clear()
    pos.fail = 1
    load(sim, url, attempts=5)
    started = time.monotonic()
    response = sim.post("/_control/trigger", json={"api": "antavo", "event": "voucher_claimed",
                                                   "data": {"voucherCode": "COUPON-777"}}, headers=CONTROL)
    assert response.status_code == 200, response.text
    delivery = settled(sim)
    assert delivery["state"] == "done"
    assert [a["status"] for a in delivery["attempts"]] == [500, 200]
    assert time.monotonic() - started >= 0.1  # the retry waited the configured delay
    first, second = pos.received
    assert first == second  # resent with the same content
    assert set(first) == SEED_FIELDS
    assert (first["voucherCode"], first["voucherStatus"], first["eventName"], first["value"]) == (
        "COUPON-777", "claimed", "voucher_claimed", "10")


def test_a_webhook_that_never_succeeds_ends_failed(sim: httpx.Client, receiver: tuple[Receiver, str]) -> None:
    pos, url = receiver
    pos.received.clear()
    pos.fail = 99
    load(sim, url, attempts=3)
    assert sim.post("/_control/trigger", json={"api": "antavo", "event": "voucher_claimed"},
                    headers=CONTROL).status_code == 200
    delivery = settled(sim)
    assert delivery["state"] == "failed" and len(delivery["attempts"]) == 3 and len(pos.received) == 3


def test_trigger_refusals(sim: httpx.Client, receiver: tuple[Receiver, str]) -> None:
    def trigger(event: str, data: dict[str, Any] | None = None) -> int:
        body = {"api": "antavo", "event": event, **({"data": data} if data is not None else {})}
        return sim.post("/_control/trigger", json=body, headers=CONTROL).status_code

    assert trigger("voucher_claimed") == 400  # no webhook_url loaded yet
    load(sim, receiver[1], attempts=1)
    assert trigger("order_placed") == 400
    assert trigger("voucher_claimed", {"voucherCode": 123456}) == 400  # the message must keep its documented shape
    assert sim.get("/_control/webhooks", params={"api": "antavo"}, headers=CONTROL).json()["deliveries"] == []


def test_startup_and_shutdown_are_idempotent() -> None:
    """In-process clients may run a lifespan per request: twice is harmless, and a new loop starts anew."""
    app = build_app(SimulatorConfig(control_token="t"), ["antavo"])
    provider = app.providers["antavo"]
    provider.apply_fixtures({**FIXTURE, "webhook_url": f"http://127.0.0.1:{free_port()}/nobody",
                             "settings": {"webhook_attempts": 2, "webhook_retry_delay_seconds": 0}})

    async def run(wait: bool) -> None:
        await provider.startup()
        await provider.startup()
        provider.trigger("voucher_claimed", {})
        if wait:
            await asyncio.sleep(0.5)
        await provider.shutdown()
        await provider.shutdown()

    asyncio.run(run(wait=False))
    asyncio.run(run(wait=True))
    deliveries = app.state.deliveries.list("antavo")
    assert len(deliveries) == 2 and deliveries[1]["state"] == "failed" and len(deliveries[1]["attempts"]) == 2
    app.close()
