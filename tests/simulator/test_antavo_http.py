"""Over real HTTP on loopback, signed as a POS signs, the seed's Antavo figures and flows come out as documented."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from tests.conftest import CONTROL_TOKEN
from tests.simulator.antavo_fixtures import (
    CHECKOUT,
    CUSTOMER,
    FIXTURE,
    OPT_IN,
    PREVIEW,
    SEED_ITEMS,
    AntavoClient,
    checkout,
)

CONTROL = {"authorization": f"Bearer {CONTROL_TOKEN}"}
PREVIEW_PATH = "/extensions/automation/campaign-bonus"


def load(client: httpx.Client, **changes: Any) -> None:
    """Reset the api and load the pinned fixture (the customer's fields changed as asked)."""
    client.post("/_control/reset", json={"api": "antavo"}, headers=CONTROL).raise_for_status()
    customer = {**FIXTURE["customers"][0], **changes}
    client.post("/_control/fixtures", json={**FIXTURE, "customers": [customer]}, headers=CONTROL).raise_for_status()


@pytest.fixture
def antavo(live_simulator: Any) -> Iterator[AntavoClient]:
    with httpx.Client(base_url=live_simulator.origin, timeout=10) as client:
        load(client)
        yield AntavoClient(client)


def test_first_opt_in_of_a_new_customer_earns_10_points(antavo: AntavoClient) -> None:
    body = {**OPT_IN, "customer": "b333f01a-0000-4000-8000-000000000001"}
    response = antavo.event(body)
    assert response.status_code == 200, response.text
    (event,) = response.json()["events"]
    assert (event["action"], event["points"]) == ("opt_in", 10)
    assert event["account"] == {"id": "primary_account", "name": "Primary account"}
    assert len(event["id"]) == 24 and int(event["id"], 16) >= 0
    profile = antavo.customer(body["customer"]).json()
    assert (profile["spendable"], profile["score"], profile["status"]) == (10, 10, "active")
    assert (profile["email"], profile["first_name"], profile["last_name"]) == (
        "sally.thompson@example.com", "Sally", "Thompson")
    again = antavo.event(body)  # a repeated opt_in is answered 200 and earns nothing
    assert again.status_code == 200 and again.json()["events"] == []
    assert antavo.customer(body["customer"]).json()["spendable"] == 10


def test_fixture_customers_are_already_enrolled(antavo: AntavoClient) -> None:
    response = antavo.event(OPT_IN)
    assert response.status_code == 200 and response.json()["events"] == []
    assert antavo.balances()["spendable"] == 0


def test_seed_checkout_earns_50_plus_50_as_two_checkout_item_events(antavo: AntavoClient) -> None:
    load(antavo.client, spendable="20")  # the seed burns 20 points: the customer must hold them
    response = antavo.event(CHECKOUT)
    assert response.status_code == 200, response.text
    data = response.json()
    assert [(e["action"], e["points"]) for e in data["events"]] == [("checkout_item", 50), ("checkout_item", 50)]
    assert all(e["expdate"] for e in data["events"])
    # 20 - 20 burned + 100 earned (the seed's spent 0 / spendable 608 contradict its own burn: not used)
    assert (data["spendable"], data["spent"], data["score"]) == (100, 20, 120)
    assert data["id"] == CUSTOMER and data["email"] == "sally.thompson@example.com"
    profile = antavo.customer().json()
    assert (profile["spendable"], profile["spent"], profile["score"]) == (100, 20, 120)
    assert profile["accounts"][0]["earned"] == profile["score"]
    assert (profile["purchase_count"], profile["purchase_total"]) == (1, 100)


def test_preview_returns_what_the_same_checkout_then_earns(antavo: AntavoClient) -> None:
    before = antavo.balances()
    preview = antavo.request("POST", PREVIEW_PATH, PREVIEW)
    assert preview.status_code == 200, preview.text
    assert preview.json() == {"data": {"campaigns": [], "purchase": {"base": 100, "bonus": 0, "points": 100}}}
    assert antavo.balances() == before  # a preview awards nothing
    body = checkout(PREVIEW["data"]["transaction_id"])  # and does not consume the transaction id
    response = antavo.event(body)
    assert response.status_code == 200, response.text
    assert sum(e["points"] for e in response.json()["events"]) == preview.json()["data"]["purchase"]["base"]


@pytest.mark.parametrize(("data", "earned"), [
    ({"transaction_id": "TX-1001", "total": Decimal("37.5"), "currency": "GBP", "total_quantity": 2},
     [("checkout", 37)]),
    ({"transaction_id": "TX-1003", "items": [{"product_id": "1", "subtotal": Decimal("50.99")},
                                             {"product_id": "2", "subtotal": Decimal("0.999")}]},
     [("checkout_item", 50), ("checkout_item", 0)]),
])
def test_earn_is_the_integer_part(antavo: AntavoClient, data: dict[str, Any], earned: list[tuple[str, int]]) -> None:
    basket = {"total": 0, **{k: v for k, v in data.items() if k in ("transaction_id", "total", "items")}}
    preview = antavo.request("POST", PREVIEW_PATH, {"customer": CUSTOMER, "action": "checkout", "data": basket})
    response = antavo.event({"customer": CUSTOMER, "action": "checkout", "data": data})
    assert response.status_code == 200, response.text
    assert [(e["action"], e["points"]) for e in response.json()["events"]] == earned
    assert preview.json()["data"]["purchase"]["base"] == sum(points for _, points in earned)


def test_duplicate_transaction_id_is_400_err_tx_already_exists_and_changes_nothing(antavo: AntavoClient) -> None:
    assert antavo.event(checkout("DUP-1")).status_code == 200
    before = antavo.balances()
    response = antavo.event(checkout("DUP-1", items=[{"product_id": "9", "subtotal": 500}]))
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["type"] == "BadRequestException" and isinstance(error["code"], int)
    assert "ERR_TX_ALREADY_EXISTS" in error["message"]
    assert antavo.balances() == before


def test_burning_more_than_the_balance_before_the_earn_is_409(antavo: AntavoClient) -> None:
    load(antavo.client, spendable="10")
    response = antavo.event(checkout("BURN-1", burned=20))  # the checkout would earn 100, but not before
    assert response.status_code == 409
    assert response.json() == {"error": {"type": "ConflictException", "code": 120241,
                                         "message": response.json()["error"]["message"]}}
    assert antavo.balances()["spendable"] == 10
    assert antavo.event(checkout("BURN-1", burned=10)).status_code == 200  # the refusal recorded nothing


def test_refund_and_partial_refund(antavo: AntavoClient) -> None:
    load(antavo.client, spendable="20")
    assert antavo.event(checkout("R-1", burned=20)).status_code == 200  # spendable 100, spent 20
    partial = antavo.event({"customer": CUSTOMER, "action": "partial_refund",
                            "data": {"transaction_id": "R-1", "total": 33}})
    assert partial.status_code == 200, partial.text
    assert [(e["action"], e["points"]) for e in partial.json()["events"]] == [("partial_refund", -33)]
    refund = antavo.event({"customer": CUSTOMER, "action": "refund", "data": {"transaction_id": "R-1"}})
    assert [(e["action"], e["points"]) for e in refund.json()["events"]] == [("refund", -67), ("point_unspend", 20)]
    assert (refund.json()["spendable"], refund.json()["spent"]) == (20, 0)
    again = antavo.event({"customer": CUSTOMER, "action": "refund", "data": {"transaction_id": "R-1"}})
    assert again.status_code == 200 and again.json()["events"] == []
    unknown = antavo.event({"customer": CUSTOMER, "action": "refund", "data": {"transaction_id": "nope"}})
    assert unknown.status_code == 404 and unknown.json()["error"]["type"] == "NotFoundException"


def test_unknown_customer_is_404_160212(antavo: AntavoClient) -> None:
    for response in (antavo.customer("00000000-0000-4000-8000-000000000000"),
                     antavo.event({**CHECKOUT, "customer": "nobody"}),
                     antavo.request("POST", PREVIEW_PATH, {**PREVIEW, "customer": "nobody"})):
        assert response.status_code == 404, response.text
        assert response.json()["error"] == {"type": "NotFoundException", "code": 160212,
                                             "message": "Customer not found"}


def test_preview_400_is_flat(antavo: AntavoClient) -> None:
    response = antavo.request("POST", PREVIEW_PATH, {**PREVIEW, "data": {"transaction_id": "x"}})
    assert response.status_code == 400
    assert response.json() == {"code": 113401, "error": "Property total cannot be empty", "type": "BadRequestException"}


def test_event_400_names_the_missing_attribute(antavo: AntavoClient) -> None:
    before = antavo.balances()
    response = antavo.event({"customer": CUSTOMER, "action": "checkout", "data": {"total": 10}})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == 113401
    assert "transaction_id" in response.json()["error"]["message"]
    assert antavo.balances() == before


def test_bulk_reports_each_event_in_order(antavo: AntavoClient) -> None:
    response = antavo.request("POST", "/events/bulk", {"events": [checkout("B-1"), checkout("B-1"),
                                                                  {**OPT_IN, "customer": "bulk-new"}]})
    assert response.status_code == 200, response.text
    data = response.json()
    assert (data["total"], data["errors"]) == (3, 1)
    first, second, third = data["results"]
    assert [e["points"] for e in first["events"]] == [50, 50]
    assert "ERR_TX_ALREADY_EXISTS" in second["error"]["message"]
    assert third["events"][0]["points"] == 10
    assert antavo.balances()["spendable"] == 100


def test_customer_profile_fields_and_identifiers(antavo: AntavoClient) -> None:
    response = antavo.customer(params={"fields": "groups,purchases.ytd"})
    assert response.status_code == 200 and response.headers["vary"] == "Accept"
    profile = response.json()
    assert {"groups", "purchases", "tiers", "accounts", "membership_id", "optin_at"} <= set(profile)
    (account,) = profile["accounts"]
    assert {rate["currency"] for rate in account["burn_rates"]} == {"GBP", "EUR"}
    assert antavo.customer(params={"fields": "colour"}).status_code == 400
    spaced = antavo.event({**OPT_IN, "customer": "a b"})  # sent as a%20b, signed as sent
    assert spaced.status_code == 200
    assert antavo.customer("a%20b").json()["id"] == "a b"


def test_other_actions(antavo: AntavoClient) -> None:
    load(antavo.client, spendable="30")
    assert antavo.event(checkout("A-1")).status_code == 200
    accept = antavo.event({"customer": CUSTOMER, "action": "checkout_accept", "data": {"transaction_id": "A-1"}})
    assert accept.status_code == 200 and accept.json()["spendable"] == 130
    spend = antavo.event({"customer": CUSTOMER, "action": "point_spend", "data": {"points": 30}})
    assert spend.status_code == 200 and (spend.json()["spendable"], spend.json()["spent"]) == (100, 30)
    too_much = antavo.event({"customer": CUSTOMER, "action": "point_spend", "data": {"points": 101}})
    assert too_much.status_code == 409
    reject = antavo.event({"customer": CUSTOMER, "action": "checkout_reject", "data": {"transaction_id": "A-1"}})
    assert reject.json()["spendable"] == 0  # taken back exactly as a refund does
    profile = antavo.event({"customer": CUSTOMER, "action": "profile", "data": {"first_name": "Sal"}})
    assert profile.json()["first_name"] == "Sal"
    assert antavo.event({"customer": CUSTOMER, "action": "opt_out", "data": {}}).status_code == 200
    assert antavo.customer().json()["status"] == "inactive"
    other = antavo.event({**checkout("A-2"), "account": "other_account"})
    assert other.status_code == 404
    items = antavo.event({"customer": CUSTOMER, "action": "checkout",
                          "data": {"transaction_id": "A-3", "items": SEED_ITEMS[:1]}})
    assert items.status_code == 200  # without total: the original total is the sum of the subtotals
    half = antavo.event({"customer": CUSTOMER, "action": "partial_refund", "data": {"transaction_id": "A-3",
                                                                                   "total": 25}})
    assert [e["points"] for e in half.json()["events"]] == [-25]
