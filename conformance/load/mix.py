"""What a till does all day, per api: identify, preview, sale with award, redemption, refund, balance.

Each step builds an unsigned request from a counter and what the virtual till remembers (its own sales,
for refunds); `runner.auth` signs it in the api's own way. The weights are a busy till's: most calls
read or sell, a few redeem or refund. Where an api documents no such call (Ackroo and CRM.COM REST have
no points preview) the step is absent, not faked. `FIXTURE` is what `/_control/fixtures` sets up on a
simulator; against another target, `--fixture FILE` names the same things (credential, card, customer).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from conformance.core import jsonio
from conformance.core.exchange import HttpRequest

CARD, DEVICE = "612573981949778930", "0d373af2942291bf"
CUSTOMER = "a222e90f-2c59-468d-9b81-62f560084379"
CONTACT = "4f7d9a12-3b6c-4e8f-a1d2-5c6b7e8f9a01"

FIXTURES: dict[str, dict[str, Any]] = {
    "ackroo": {"api": "ackroo", "credentials": [{"token": "load-token", "device_id": DEVICE}],
               "cards": [{"cardnumber": CARD, "gift": "100.00", "earned": "100.00", "promo": "0"}]},
    "crmcom": {"api": "crmcom", "credentials": [{"api_key": "load-key"}],
               "merchants": [{"code": "M1", "outlets": ["O1"]}],
               "customers": [{"id": CONTACT, "cim": "22265577", "phone": "35799123456", "email": "till@example.com",
                              "wallet": "100.00"}]},
    "antavo": {"api": "antavo", "credentials": [{"api_key": "load-key", "secret": "load-secret", "region": "eu"}],
               "customers": [{"id": CUSTOMER, "email": "till@example.com", "spendable": "1000"}]},
}


@dataclass
class Till:
    """One virtual till's memory: a counter for unique references, and its sales not yet refunded."""

    number: int = 0
    sales: list[str] = field(default_factory=list)

    def reference(self, prefix: str) -> str:
        self.number += 1
        return f"{prefix}-{uuid.uuid4().hex[:12]}-{self.number}"


Build = Callable[[Till, dict[str, Any]], HttpRequest]
"""(till, fixture) -> the unsigned request of one step."""


@dataclass(frozen=True)
class Step:
    name: str
    """The till action (identify, preview, sale, redemption, refund, balance): the report's row."""
    weight: int
    build: Build
    remembers_sale: bool = False
    """A 2xx answer makes this request's reference refundable (the till remembers it)."""


def _first(fixture: dict[str, Any], key: str, field_name: str) -> str:
    return str(fixture[key][0][field_name])


# --- Ackroo -----------------------------------------------------------------------------------------------

def _ackroo_card(till: Till, fx: dict[str, Any]) -> dict[str, str]:
    return {"device_id": _first(fx, "credentials", "device_id"), "cardnumber": _first(fx, "cards", "cardnumber"),
            "clerk_id": "", "ackroo_id": ""}


def _ackroo_query(till: Till, fx: dict[str, Any]) -> HttpRequest:
    card = _ackroo_card(till, fx)
    return HttpRequest("GET", f"/device/card?cardnumber={card['cardnumber']}&device_id={card['device_id']}")


def _ackroo_basket(prices: list[str], quantities: list[str], cash: str) -> dict[str, Any]:
    return {"price_list": prices, "quantity_list": quantities, "dept_id_list": ["02"] * len(prices),
            "sku_id_list": ["0103"] * len(prices), "tender_type_list": [cash, "0", "0", "0", "0"], "promo_id_list": []}


ACKROO = (
    Step("identify", 2, _ackroo_query),
    Step("sale", 5, lambda t, fx: HttpRequest.json("POST", "/transaction/loyalty/credit/multi", {
        **_ackroo_card(t, fx), **_ackroo_basket(["5", "3"], ["2", "1"], "13")})),
    Step("redemption", 1, lambda t, fx: HttpRequest.json("POST", "/transaction/loyalty/debit/partial", {
        **_ackroo_card(t, fx), "amount": "0.10"})),
    Step("refund", 1, lambda t, fx: HttpRequest.json("POST", "/transaction/loyalty/refund/multi", {
        **_ackroo_card(t, fx), **_ackroo_basket(["1"], ["1"], "1")})),
    Step("balance", 3, _ackroo_query),
)


# --- CRM.COM REST -----------------------------------------------------------------------------------------

def _crm_sale(till: Till, fx: dict[str, Any], spend: Decimal | None = None) -> HttpRequest:
    body: dict[str, Any] = {
        "contact_id": _first(fx, "customers", "id"), "reference_number": till.reference("load"),
        "merchant_tap": {"code": str(fx["merchants"][0]["code"])},
        "outlet_tap": {"code": str(fx["merchants"][0]["outlets"][0])},
        "products": [{"product_sku": "COFFEE", "quantity": 1, "net_amount": Decimal("8.00"),
                      "tax_amount": Decimal("1.52"), "total_amount": Decimal("9.52")}]}
    if spend is not None:
        body["spend_request"] = {"amount": spend}
    return HttpRequest.json("POST", "/purchases", body)


CRMCOM = (
    Step("identify", 2, lambda t, fx: HttpRequest("GET", f"/customers?phone={_first(fx, 'customers', 'phone')}")),
    Step("sale", 5, _crm_sale),
    Step("redemption", 1, lambda t, fx: _crm_sale(t, fx, Decimal("1.00"))),
    Step("refund", 1, lambda t, fx: HttpRequest.json("POST", "/purchases/ad_hoc_return", {
        "contact_id": _first(fx, "customers", "id"), "reference_number": t.reference("ret"),
        "outlet_tap": {"code": str(fx["merchants"][0]["outlets"][0])},
        "net_amount": Decimal("0.50"), "total_amount": Decimal("0.60")})),
    Step("balance", 3, lambda t, fx: HttpRequest("GET", f"/contacts/{_first(fx, 'customers', 'id')}/wallet")),
)


# --- Antavo -----------------------------------------------------------------------------------------------

def _antavo_event(till: Till, fx: dict[str, Any], action: str, data: dict[str, Any], path: str = "/events"
                  ) -> HttpRequest:
    return HttpRequest.json("POST", path, {"customer": _first(fx, "customers", "id"), "action": action, "data": data})


def _antavo_checkout(till: Till, fx: dict[str, Any], burned: int = 0) -> HttpRequest:
    data: dict[str, Any] = {"transaction_id": till.reference("load"), "total": 10}
    if burned:
        data["points_burned"] = burned
    return _antavo_event(till, fx, "checkout", data)


def _antavo_refund(till: Till, fx: dict[str, Any]) -> HttpRequest:
    if not till.sales:  # nothing of this till's to refund yet: sell instead
        return _antavo_checkout(till, fx)
    return _antavo_event(till, fx, "refund", {"transaction_id": till.sales.pop(0)})


def _antavo_profile(till: Till, fx: dict[str, Any]) -> HttpRequest:
    # A signed GET repeats byte for byte within one second (replays are refused): a unique `till` parameter.
    return HttpRequest("GET", f"/customers/{_first(fx, 'customers', 'id')}?till={till.reference('read')}")


ANTAVO = (
    Step("identify", 2, _antavo_profile),
    Step("preview", 1, lambda t, fx: _antavo_event(t, fx, "checkout", {"transaction_id": t.reference("preview"),
                                                                       "total": 10},
                                                   "/extensions/automation/campaign-bonus")),
    Step("sale", 5, _antavo_checkout, remembers_sale=True),
    Step("redemption", 1, lambda t, fx: _antavo_checkout(t, fx, burned=1)),
    Step("refund", 1, _antavo_refund),
    Step("balance", 3, _antavo_profile),
)

MIXES: dict[str, tuple[Step, ...]] = {"ackroo": ACKROO, "crmcom": CRMCOM, "antavo": ANTAVO}
"""The apis with a till mix (the CRM.COM Web API's session login is not in the mix yet)."""


def sale_reference(request: HttpRequest) -> str | None:
    """The transaction id a remembered sale can later be refunded by (Antavo's `data.transaction_id`)."""
    try:
        payload = jsonio.loads(request.body)
    except ValueError:
        return None
    data = payload.get("data") if isinstance(payload, dict) else None
    return str(data["transaction_id"]) if isinstance(data, dict) and "transaction_id" in data else None
