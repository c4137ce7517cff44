"""Every kind of bad request gets a 4xx in Ackroo's documented shape, never a 500, and changes nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.conftest import CONTROL_TOKEN
from tests.simulator.ackroo_fixtures import AUTH, CARD, DEVICE, FIXTURE, USE_CASES

CONTROL = {"authorization": f"Bearer {CONTROL_TOKEN}"}
GOOD = USE_CASES[1][0]
CREDIT = "/ackroo/transaction/loyalty/credit/multi"


@pytest.fixture
def ackroo(live_simulator: Any) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live_simulator.origin, timeout=10) as client:
        client.post("/_control/reset", json={"api": "ackroo"}, headers=CONTROL)
        client.post("/_control/fixtures", json={**FIXTURE, "cards": [
            {"cardnumber": CARD, "gift": "5.00", "earned": "2.00", "promo": "0.00", "active": True}]}, headers=CONTROL)
        yield client


def snapshot(client: httpx.Client) -> dict[str, Any]:
    response = client.get("/ackroo/device/card", params={"cardnumber": CARD, "device_id": DEVICE}, headers=AUTH)
    return dict(response.json())


SEED_TYPOGRAPHIC = json.dumps(GOOD).replace('"quantity_list": ["2", "1"]', '"quantity_list": ["2", “1”]')
BAD_BODIES: dict[str, tuple[str, bytes | dict[str, Any], int]] = {
    "typographic quotes (seed use case 4)": (CREDIT, SEED_TYPOGRAPHIC.encode(), 400),
    "typographic quotes (seed use case 9)": ("/ackroo/transaction/loyalty/debit/partial",
                                             b'{"device_id": "0d373af2942291bf", "cardnumber": "612573981949778930",'
                                             b' "amount\xe2\x80\x9d: \xe2\x80\x9c10\xe2\x80\x9d}', 400),
    "mismatched list lengths": (CREDIT, {**GOOD, "quantity_list": ["2"]}, 400),
    "four tender slots": (CREDIT, {**GOOD, "tender_type_list": ["13", "0", "0", "0"]}, 400),
    "six tender slots": (CREDIT, {**GOOD, "tender_type_list": ["13", "0", "0", "0", "0", "0"]}, 400),
    "negative price": (CREDIT, {**GOOD, "price_list": ["-5", "3"]}, 400),
    "non-numeric price": (CREDIT, {**GOOD, "price_list": ["five", "3"]}, 400),
    "numbers instead of strings": (CREDIT, {**GOOD, "price_list": [5, 3]}, 400),
    "negative debit": ("/ackroo/transaction/loyalty/debit/partial",
                       {"device_id": DEVICE, "cardnumber": CARD, "amount": "-1"}, 400),
    "zero gift load": ("/ackroo/transaction/gift/credit",
                       {"device_id": DEVICE, "cardnumber": CARD, "amount": "0"}, 400),
    "three decimals": ("/ackroo/transaction/gift/credit",
                       {"device_id": DEVICE, "cardnumber": CARD, "amount": "1.005"}, 400),
    "missing cardnumber": (CREDIT, {k: v for k, v in GOOD.items() if k != "cardnumber"}, 400),
    "unknown field": (CREDIT, {**GOOD, "points": "100"}, 400),
    "not JSON at all": (CREDIT, b"price_list=5", 400),
    "unknown device": (CREDIT, {**GOOD, "device_id": "ffffffffffffffff"}, 403),
    "unknown card": (CREDIT, {**GOOD, "cardnumber": "4111111111111111"}, 404),
    "unknown transaction": ("/ackroo/transaction/reversal", {"device_id": DEVICE, "transaction_number": "999"}, 404),
    "full gift debit above the balance": ("/ackroo/transaction/gift/debit",
                                          {"device_id": DEVICE, "cardnumber": CARD, "amount": "50"}, 422),
    "issuing an active card": ("/ackroo/transaction/gift/issue",
                               {"device_id": DEVICE, "cardnumber": CARD, "amount": "10"}, 422),
}


@pytest.mark.parametrize("name", sorted(BAD_BODIES))
def test_bad_request_is_refused_in_ackroo_shape_and_changes_nothing(ackroo: httpx.Client, name: str) -> None:
    path, body, status = BAD_BODIES[name]
    before = snapshot(ackroo)
    if isinstance(body, bytes):
        response = ackroo.post(path, content=body, headers={**AUTH, "content-type": "application/json"})
    else:
        response = ackroo.post(path, json=body, headers=AUTH)
    assert response.status_code == status, response.text
    error = response.json()
    assert set(error) == {"error", "message"}
    assert error["error"][0].isupper() and error["message"]
    assert CARD not in response.text
    assert snapshot(ackroo) == before


@pytest.mark.parametrize("headers", [{}, {"authorization": "Bearer nope"}, {"authorization": "Basic dDox"}])
def test_bad_or_missing_token_is_401(ackroo: httpx.Client, headers: dict[str, str]) -> None:
    before = snapshot(ackroo)
    response = ackroo.post(CREDIT, json=GOOD, headers=headers)
    assert response.status_code == 401
    assert response.json()["error"] == "InvalidToken"
    assert snapshot(ackroo) == before


def test_unknown_path_and_wrong_method(ackroo: httpx.Client) -> None:
    missing = ackroo.post("/ackroo/transaction/nothing", json={}, headers=AUTH)
    assert missing.status_code == 404 and missing.json()["error"] == "NotFound"
    wrong = ackroo.put(CREDIT, json=GOOD, headers=AUTH)
    assert wrong.status_code == 405 and wrong.headers["allow"] == "POST"
