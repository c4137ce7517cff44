"""Over real HTTP on loopback, the Ackroo use cases 1-13 give the documented results."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from tests.conftest import CONTROL_TOKEN
from tests.simulator.ackroo_fixtures import AUTH, CARD, DEVICE, FIXTURE, USE_CASES, basket

CONTROL = {"authorization": f"Bearer {CONTROL_TOKEN}"}


@pytest.fixture
def ackroo(live_simulator: Any) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live_simulator.origin, timeout=10) as client:
        assert client.post("/_control/reset", json={"api": "ackroo"}, headers=CONTROL).status_code == 200
        assert client.post("/_control/fixtures", json=FIXTURE, headers=CONTROL).status_code == 200
        yield client


def post(client: httpx.Client, path: str, body: dict[str, Any]) -> httpx.Response:
    return client.post(f"/ackroo{path}", json=body, headers=AUTH)


def balance(client: httpx.Client) -> dict[str, Any]:
    response = client.get("/ackroo/device/card", params={"cardnumber": CARD, "device_id": DEVICE}, headers=AUTH)
    assert response.status_code == 200, response.text
    return dict(response.json())


@pytest.mark.parametrize("case", sorted(USE_CASES))
def test_credit_multi_rewards_the_documented_amount(ackroo: httpx.Client, case: int) -> None:
    body, reward = USE_CASES[case]
    response = post(ackroo, "/transaction/loyalty/credit/multi", body)
    assert response.status_code == 200, response.text
    data = response.json()
    assert data["amount_funded"] == reward
    assert data["el_balance"] == reward
    assert data["transaction_number"] == data["txn_id"]
    assert balance(ackroo)["earned"] == reward


def test_uc08_refund_takes_back_one_dollar(ackroo: httpx.Client) -> None:
    assert post(ackroo, "/transaction/loyalty/credit/multi", USE_CASES[1][0]).json()["el_balance"] == "1.30"
    refund = basket(["5"], ["2"], ["02"], ["0103"], ["10", "0", "0", "0", "0"])
    response = post(ackroo, "/transaction/loyalty/refund/multi", refund)
    assert response.status_code == 200, response.text
    assert response.json()["amount_redeemed"] == "1.00"
    assert balance(ackroo)["earned"] == "0.30"


def test_uc09_partial_loyalty_debit_empties_the_balance(ackroo: httpx.Client) -> None:
    post(ackroo, "/transaction/loyalty/credit/multi", USE_CASES[5][0])
    before = balance(ackroo)["el_balance"]
    assert Decimal(before) < 10
    body = {"device_id": DEVICE, "cardnumber": CARD, "clerk_id": "", "ackroo_id": "", "amount": "10"}
    response = post(ackroo, "/transaction/loyalty/debit/partial", body)
    assert response.status_code == 200, response.text
    assert response.json()["amount_redeemed"] == before
    assert balance(ackroo)["loyalty"] == "0.00"


def test_uc10_to_12_gift_load_partial_debit_and_reversal(ackroo: httpx.Client) -> None:
    body = {"device_id": DEVICE, "cardnumber": CARD, "clerk_id": "", "ackroo_id": "", "amount": "10"}
    start = balance(ackroo)["gc_balance"]
    load = post(ackroo, "/transaction/gift/credit", body)
    assert load.status_code == 200, load.text
    assert load.json()["gc_balance"] == "10.00"  # uc10: gc_balance + 10
    txn_id = load.json()["txn_id"]
    reversal = post(ackroo, "/transaction/reversal", {"device_id": DEVICE, "transaction_number": txn_id,
                                                      "clerk_id": ""})
    assert reversal.status_code == 200, reversal.text
    assert reversal.json()["gc_balance"] == start  # uc12: the original gc_balance
    again = post(ackroo, "/transaction/reversal", {"device_id": DEVICE, "transaction_number": txn_id, "clerk_id": ""})
    assert again.status_code == 409
    assert again.json()["error"] == "TransactionAlreadyReversed"
    post(ackroo, "/transaction/gift/credit", body)
    debit = post(ackroo, "/transaction/gift/debit/partial", {**body, "amount": "50"})  # uc11
    assert debit.status_code == 200, debit.text
    assert debit.json()["amount_redeemed"] == "10.00"
    assert balance(ackroo)["gc_balance"] == "0.00"


def test_uc13_balance_check_by_post_breaks_loyalty_down(ackroo: httpx.Client) -> None:
    ackroo.post("/_control/fixtures", headers=CONTROL, json={
        "api": "ackroo", "cards": [{"cardnumber": CARD, "gift": "25.00", "earned": "5.80", "promo": "1.50"}]})
    response = post(ackroo, "/device/card", {"device_id": DEVICE, "cardnumber": CARD})
    assert response.status_code == 200, response.text
    data = response.json()
    assert (data["gift"], data["loyalty"], data["earned"], data["promo"]) == ("25.00", "7.30", "5.80", "1.50")
    assert (data["gc_balance"], data["el_balance"], data["promo_balance"]) == ("25.00", "5.80", "1.50")
    assert CARD not in response.text  # the card number comes back masked


def test_json_suffix_is_served(ackroo: httpx.Client) -> None:
    response = post(ackroo, "/transaction/loyalty/credit/multi.json", USE_CASES[1][0])
    assert response.status_code == 200, response.text


def test_access_token_in_body_or_query_authenticates(ackroo: httpx.Client) -> None:
    body = {**USE_CASES[1][0], "access_token": "t-1"}
    assert ackroo.post("/ackroo/transaction/loyalty/credit/multi", json=body).status_code == 200
    response = ackroo.get("/ackroo/device/card", params={"cardnumber": CARD, "device_id": DEVICE,
                                                         "access_token": "t-1"})
    assert response.status_code == 200
