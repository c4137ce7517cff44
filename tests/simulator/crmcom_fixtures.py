"""The pinned CRM.COM REST fixture (DESIGN 6), the spec's example basket and helpers shared by the crmcom tests."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx

from conformance.core import jsonio
from tests.conftest import CONTROL_TOKEN

CONTACT = "4f7d9a12-3b6c-4e8f-a1d2-5c6b7e8f9a01"
OTHER = "0e8a5a3c-3f2b-4d5e-9a7b-1c2d3e4f5a6b"
CIM = "22265577"
KEY = "ck-1"
AUTH = {"api_key": KEY}
CONTROL = {"authorization": f"Bearer {CONTROL_TOKEN}"}
FIXTURE: dict[str, Any] = {
    "api": "crmcom", "program": "crmcom-reference", "credentials": [{"api_key": KEY}],
    "merchants": [{"code": "M1", "outlets": ["O1"]}, {"code": "M2", "outlets": ["O2"]}],
    "customers": [
        {"id": CONTACT, "cim": CIM, "email": "john.doe@example.com", "phone": "35799123456", "wallet": "10.00",
         "first_name": "John", "last_name": "Doe", "code": "C0001"},
        {"id": OTHER, "cim": "99887766", "email": "sally@example.com", "phone": "35799000000", "wallet": "0.00",
         "name": "Sally Smith", "pass_code": "1234"},
    ],
}
# the spec's example basket: net 10.50, tax 2.00, total 12.50 (award 0.525 -> 0.53)
BASKET = [
    {"product_sku": "COFFEE", "quantity": 2, "net_amount": Decimal("8.00"), "tax_amount": Decimal("1.52"),
     "total_amount": Decimal("9.52")},
    {"product_sku": "MUFFIN", "net_amount": Decimal("2.50"), "tax_amount": Decimal("0.48"),
     "total_amount": Decimal("2.98")},
]
# for the fuzzers: M1 under the id the spec's examples use for it, and enough NEW orders to act on
FUZZ_MERCHANTS = [{"code": "M1", "id": "7c1e2d3f-4a5b-4c6d-8e9f-0a1b2c3d4e5f", "outlets": ["O1"]},
                  {"code": "M2", "outlets": ["O2"]}]
FUZZ_ORDERS = [{"id": f"order-{n}", "contact": {"id": CONTACT},
                "items": [{"product_sku": "COFFEE", "quantity": 1, "net_amount": "4.00", "tax_amount": "0.76"}]}
               for n in range(40)]
FUZZ_FIXTURE: dict[str, Any] = {**FIXTURE, "merchants": FUZZ_MERCHANTS, "orders": FUZZ_ORDERS,
                                "customers": [{**FIXTURE["customers"][0], "wallet": "100000.00"},
                                              FIXTURE["customers"][1]]}
TAPS = {"merchant_tap": {"code": "M1"}, "outlet_tap": {"code": "O1"}}


def purchase(reference: str, **fields: Any) -> dict[str, Any]:
    """A purchase body for the fixture's contact at M1/O1 with the example basket; `fields` override."""
    return {"contact_id": CONTACT, "reference_number": reference, **TAPS, "products": BASKET, **fields}


def send(client: httpx.Client, method: str, path: str, body: Any = None, *,
         auth: dict[str, str] | None = None, params: dict[str, Any] | None = None) -> httpx.Response:
    """A crmcom request (with the fixture's api key unless `auth` says otherwise); money goes out as exact JSON
    numbers (jsonio, never float)."""
    headers = dict(AUTH if auth is None else auth)
    content = None
    if body is not None:
        content = body if isinstance(body, bytes) else jsonio.dumps(body).encode()
        headers["content-type"] = "application/json"
    return client.request(method, f"/crmcom{path}", headers=headers, content=content, params=params)


def load(client: httpx.Client, **extra: Any) -> None:
    """Reset the crmcom state and load the pinned fixture (plus `extra` fields)."""
    assert client.post("/_control/reset", json={"api": "crmcom"}, headers=CONTROL).status_code == 200
    response = client.post("/_control/fixtures", json={**FIXTURE, **extra}, headers=CONTROL)
    assert response.status_code == 200, response.text


def wallet(client: httpx.Client, contact: str = CONTACT) -> str:
    response = client.get(f"/crmcom/contacts/{contact}/wallet", headers=AUTH)
    assert response.status_code == 200, response.text
    return str(response.json()["balance"])


def trigger(client: httpx.Client, event: str, data: dict[str, Any]) -> httpx.Response:
    return client.post("/_control/trigger", json={"api": "crmcom", "event": event, "data": data}, headers=CONTROL)
