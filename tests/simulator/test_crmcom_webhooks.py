"""The orderCreated webhook reaches a real receiver on loopback, with retries after a failed attempt, and every
attempt is in GET /_control/webhooks (CRM-ORDER-12)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from conformance.core import jsonio
from tests.conftest import LiveServer
from tests.simulator.crmcom_fixtures import CONTACT, CONTROL, load, send, trigger

ITEMS = [{"product_sku": "COFFEE", "quantity": 2, "net_amount": "8.00", "tax_amount": "1.52"}]


class Receiver:
    """A front-end system's webhook endpoint: answers `failures` times 500, then 200; keeps what it got."""

    def __init__(self) -> None:
        self.failures = 0
        self.received: list[dict[str, Any]] = []
        self.app = Starlette(routes=[Route("/hooks/orders", self.hook, methods=["POST"])])

    async def hook(self, request: Request) -> Response:
        self.received.append({"body": jsonio.loads(await request.body()),
                              "content_type": request.headers.get("content-type")})
        if self.failures > 0:
            self.failures -= 1
            return Response("try later", 500)
        return Response(status_code=204)


@pytest.fixture(scope="module")
def receiver() -> Iterator[tuple[Receiver, str]]:
    hooks = Receiver()
    server = LiveServer(hooks.app)
    yield hooks, f"{server.origin}/hooks/orders"
    server.stop()


@pytest.fixture
def crm(live_simulator: Any, receiver: tuple[Receiver, str]) -> Iterator[tuple[httpx.Client, Receiver]]:
    hooks, url = receiver
    hooks.failures, hooks.received = 0, []
    with httpx.Client(base_url=live_simulator.origin, timeout=10) as client:
        load(client, webhook_url=url, settings={"webhook_retry_delay": "0.2", "webhook_attempts": 3})
        yield client, hooks


def deliveries(client: httpx.Client, until: str, count: int = 1) -> list[dict[str, Any]]:
    """The crmcom delivery log, once `count` deliveries reached state `until` (or after 10 s)."""
    deadline = time.monotonic() + 10
    while True:
        items: list[dict[str, Any]] = client.get("/_control/webhooks", params={"api": "crmcom"},
                                                 headers=CONTROL).json()["deliveries"]
        if sum(i["state"] == until for i in items) >= count or time.monotonic() > deadline:
            return items
        time.sleep(0.05)


def test_order_placed_is_delivered_after_a_failed_attempt(crm: tuple[httpx.Client, Receiver]) -> None:
    client, hooks = crm
    hooks.failures = 1
    placed = trigger(client, "order_placed", {"contact": {"id": CONTACT}, "items": ITEMS, "supply_method": "PICK_UP"})
    assert placed.status_code == 200, placed.text
    (item,) = deliveries(client, "done")
    assert item["state"] == "done" and item["event"] == "orderCreated" and item["id"] == placed.json()["webhook"]
    assert [a["status"] for a in item["attempts"]] == [500, 204]
    assert len(hooks.received) == 2 and hooks.received[0] == hooks.received[1]
    order = hooks.received[-1]["body"]
    assert hooks.received[-1]["content_type"] == "application/json"
    assert order == placed.json()["order"] == item["payload"]
    assert (order["state"], order["total_amount"], order["contact"]["id"]) == ("NEW", "9.52", CONTACT)
    listed = send(client, "GET", "/orders", params={"state": "NEW"}).json()["content"]
    assert listed == [order]  # the webhook carries the order as GET /orders lists it


def test_fixture_orders_fire_the_webhook_too(crm: tuple[httpx.Client, Receiver],
                                            receiver: tuple[Receiver, str]) -> None:
    client, hooks = crm
    load(client, webhook_url=receiver[1], orders=[{"id": "o-1", "items": ITEMS},
                                                  {"id": "o-2", "items": ITEMS, "state": "COMPLETED"}])
    (item,) = deliveries(client, "done")
    assert item["payload"]["id"] == "o-1" and [r["body"]["id"] for r in hooks.received] == ["o-1"]


def test_a_receiver_that_keeps_failing_gets_every_attempt_then_the_delivery_fails(
        crm: tuple[httpx.Client, Receiver]) -> None:
    client, hooks = crm
    hooks.failures = 10
    trigger(client, "order_placed", {"items": ITEMS})
    (item,) = deliveries(client, "failed")
    assert item["state"] == "failed" and [a["status"] for a in item["attempts"]] == [500, 500, 500]


def test_no_webhook_url_no_delivery(live_simulator: Any) -> None:
    with httpx.Client(base_url=live_simulator.origin, timeout=10) as client:
        load(client)
        placed = trigger(client, "order_placed", {"items": ITEMS})
        assert placed.status_code == 200 and placed.json()["webhook"] is None
        assert deliveries(client, "done", count=0) == []
