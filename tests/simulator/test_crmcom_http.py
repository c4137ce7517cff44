"""Over real HTTP on loopback, the CRM.COM REST flows of seeds 001 and 003 give the crmcom-reference figures."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from tests.simulator.crmcom_fixtures import (
    BASKET,
    CIM,
    CONTACT,
    CONTROL,
    OTHER,
    TAPS,
    load,
    purchase,
    send,
    trigger,
    wallet,
)


@pytest.fixture(scope="module")
def client(live_simulator: Any) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live_simulator.origin, timeout=10) as http:
        yield http


@pytest.fixture
def crm(client: httpx.Client, live_simulator: Any) -> Iterator[httpx.Client]:
    """A clean crmcom state with the pinned fixture; afterwards the ledger must still be sound."""
    load(client)
    yield client
    assert live_simulator.app.state.ledger.check("crmcom") == []


def create(client: httpx.Client, body: dict[str, Any]) -> dict[str, Any]:
    response = send(client, "POST", "/purchases", body)
    assert response.status_code == 200, response.text
    return dict(response.json())


def line(sku: str, net: str, tax: str, total: str) -> dict[str, Any]:
    return {"product_sku": sku, "net_amount": Decimal(net), "tax_amount": Decimal(tax), "total_amount": Decimal(total)}


# --- purchases (CRM-PROG-1..4, 12) ---


def test_back_end_purchase_awards_five_percent_of_net_and_spends_the_request(crm: httpx.Client) -> None:
    data = create(crm, purchase("R-1001", spend_request={"amount": Decimal("5.00")}))
    assert (data["total_award_amount"], data["total_spend_amount"]) == ("0.53", "5.00")
    assert data["reduction_method"] == "BACK_END_REDUCTION" and data["reference_number"] == "R-1001"
    assert set(data) >= {"id", "number"}
    assert wallet(crm) == "5.53"


@pytest.mark.parametrize(("spend", "products", "spent", "after"), [
    ({"amount": Decimal("20.00")}, BASKET, "10.00", "0.53"),  # capped by the wallet
    ({"amount": Decimal("20.00")}, [line("TEA", "5.00", "1.00", "6.00")], "6.00", "4.25"),  # by the basket total
    ({"alternative_amount": 250}, BASKET, "2.50", "8.03"),  # 100 points = 1.00
    ({"amount": 0}, BASKET, "0.00", "10.53"),
    (None, BASKET, "0.00", "10.53"),  # no spend request spends nothing
])
def test_spend_is_capped_by_wallet_and_basket(crm: httpx.Client, spend: dict[str, Any] | None,
                                              products: list[dict[str, Any]], spent: str, after: str) -> None:
    body = purchase("R-1004", products=products, **({"spend_request": spend} if spend else {}))
    data = create(crm, body)
    assert data["total_spend_amount"] == spent
    assert Decimal(wallet(crm)) == Decimal("10.00") - Decimal(spent) + Decimal(data["total_award_amount"])
    assert wallet(crm) == after


def test_front_end_purchase_by_cim_reports_the_actual_spend(crm: httpx.Client) -> None:
    load(crm, customers=[{"id": CONTACT, "cim": CIM, "phone": "35799123456", "wallet": "10.00",
                         "reduction_method": "FRONT_END_REDUCTION"}])
    found = send(crm, "GET", "/customers", params={"phone": "35799123456"}).json()["content"]
    assert [c["id"] for c in found] == [CONTACT]
    data = create(crm, {"cim": CIM, "reference_number": "R-1004", **TAPS, "products": BASKET,
                        "spend_request": {"amount": Decimal("20.00")}})
    assert (data["total_spend_amount"], data["reduction_method"]) == ("10.00", "FRONT_END_REDUCTION")
    assert Decimal("12.50") - Decimal(data["total_spend_amount"]) == Decimal("2.50")  # what the contact pays


def test_pass_code_is_checked_when_the_contact_has_one(crm: httpx.Client) -> None:
    refused = send(crm, "POST", "/purchases", purchase("R-1", contact_id=OTHER, pass_code="9999"))
    assert refused.status_code == 403 and refused.json()["error"] == "CRM.EXCEPTIONS.INVALIDPASSCODEEXCEPTION"
    assert create(crm, purchase("R-1", contact_id=OTHER, pass_code="1234"))["total_award_amount"] == "0.53"
    assert create(crm, purchase("R-2", pass_code="anything"))["total_award_amount"] == "0.53"  # CONTACT has none


def test_performed_on_defaults_to_the_simulator_clock_and_ids_can_be_chosen(crm: httpx.Client) -> None:
    crm.post("/_control/clock", json={"set": "2023-11-14T22:13:20Z"}, headers=CONTROL)
    try:
        data = create(crm, purchase("R-1", id="b3a7c2de-5f41-4e6a-9c0d-2f8e1a6b7c90"))
        assert (data["performed_on"], data["id"]) == (1700000000, "b3a7c2de-5f41-4e6a-9c0d-2f8e1a6b7c90")
        assert create(crm, purchase("R-2", performed_on=1600000000))["performed_on"] == 1600000000
    finally:
        crm.post("/_control/clock", json={"real": True}, headers=CONTROL)
    again = send(crm, "POST", "/purchases", purchase("R-3", id="b3a7c2de-5f41-4e6a-9c0d-2f8e1a6b7c90"))
    assert again.status_code == 409 and again.json()["parameters"][0] == "id"


def test_duplicate_reference_number_is_409_and_awards_nothing_twice(crm: httpx.Client) -> None:
    create(crm, purchase("R-1001", spend_request={"amount": Decimal("5.00")}))
    again = send(crm, "POST", "/purchases", purchase("R-1001", spend_request={"amount": Decimal("5.00")}))
    assert again.status_code == 409
    assert again.json() == {"status": 409, "message": "A purchase with this reference number already exists.",
                            "error": "CRM.EXCEPTIONS.ALREADYEXISTSEXCEPTION",
                            "parameters": ["reference_number", "R-1001"]}
    assert wallet(crm) == "5.53"


# --- OTP spend (CRM-OTP-*, CRM-PROG-5) ---


def test_otp_spends_what_it_was_issued_for_once(crm: httpx.Client) -> None:
    issued = trigger(crm, "otp_requested", {"contact_id": CONTACT, "amount": "3.00"})
    assert issued.status_code == 200, issued.text
    otp = issued.json()["otp"]
    data = create(crm, {"cim": CIM, "reference_number": "R-1003", "outlet_tap": {"code": "O1"}, "products": BASKET,
                        "spend_request": {"otp": otp}})
    assert (data["total_spend_amount"], data["total_award_amount"]) == ("3.00", "0.53")
    assert wallet(crm) == "7.53"
    reused = send(crm, "POST", "/purchases", purchase("R-1005", spend_request={"otp": otp}))
    assert reused.status_code == 400
    assert reused.json()["error"] == "CRM.EXCEPTIONS.NOTFOUNDEXCEPTION" and reused.json()["parameters"][0] == "otp"
    assert otp not in reused.text
    assert wallet(crm) == "7.53"


def test_otp_of_another_contact_or_never_issued_spends_nothing(crm: httpx.Client) -> None:
    others = trigger(crm, "otp_requested", {"contact_id": OTHER}).json()["otp"]
    for otp in (others, "000000"):
        response = send(crm, "POST", "/purchases", purchase("R-1", spend_request={"otp": otp}))
        assert response.status_code == 400 and response.json()["parameters"] == ["otp", "***"]
    assert wallet(crm) == "10.00"
    mine = trigger(crm, "otp_requested", {"cim": CIM}).json()  # no amount: the whole wallet, then capped
    assert mine["amount"] is None
    data = create(crm, purchase("R-1", products=[line("TEA", "5.00", "1.00", "6.00")],
                                spend_request={"otp": mine["otp"]}))
    assert data["total_spend_amount"] == "6.00"


# --- void (CRM-VOID-*, CRM-PROG-6..8) ---


def test_cancel_returns_the_spend_then_takes_back_the_award(crm: httpx.Client) -> None:
    data = create(crm, purchase("R-1001", spend_request={"amount": Decimal("5.00")}))
    assert wallet(crm) == "5.53"
    cancelled = send(crm, "POST", f"/purchases/{data['id']}/cancel")
    assert cancelled.status_code == 200 and cancelled.json() == {"id": data["id"]}
    assert wallet(crm) == "10.00"
    second = send(crm, "POST", f"/purchases/{data['id']}/cancel")
    assert second.status_code == 409 and second.json()["error"] == "CRM.EXCEPTIONS.INVALIDSTATEEXCEPTION"
    assert wallet(crm) == "10.00"
    unknown = send(crm, "POST", "/purchases/1b2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d5e/cancel")
    assert unknown.status_code == 404 and unknown.json()["parameters"][0] == "purchase"


def test_cancel_never_takes_the_wallet_below_zero(crm: httpx.Client) -> None:
    p = create(crm, purchase("P", contact_id=OTHER))
    assert wallet(crm, OTHER) == "0.53"
    q = create(crm, purchase("Q", contact_id=OTHER, products=[line("MUFFIN", "2.50", "0.48", "2.98")],
                             spend_request={"amount": Decimal("0.50")}))
    assert (q["total_spend_amount"], q["total_award_amount"], wallet(crm, OTHER)) == ("0.50", "0.13", "0.16")
    assert send(crm, "POST", f"/purchases/{p['id']}/cancel").status_code == 200
    assert wallet(crm, OTHER) == "0.00"


# --- ad hoc return (CRM-RETURN-*, CRM-PROG-9) ---


def test_ad_hoc_returns_take_back_five_percent_of_the_net(crm: httpx.Client) -> None:
    total_only = {"contact_id": CONTACT, "reference_number": "RET-2001", "outlet_tap": {"code": "O1"},
                  "net_amount": Decimal("4.00"), "total_amount": Decimal("4.76")}
    response = send(crm, "POST", "/purchases/ad_hoc_return", total_only)
    assert response.status_code == 200, response.text
    assert (response.json()["reversed_award_amount"], response.json()["total_amount"]) == ("0.20", "4.76")
    assert wallet(crm) == "9.80"
    again = send(crm, "POST", "/purchases/ad_hoc_return", total_only)
    assert again.status_code == 409 and wallet(crm) == "9.80"
    itemised = {"cim": CIM, "reference_number": "RET-2002", **TAPS, "performed_on": 1700003600,
                "products": [line("MUFFIN", "2.50", "0.48", "2.98")]}
    assert send(crm, "POST", "/purchases/ad_hoc_return", itemised).json()["reversed_award_amount"] == "0.13"
    assert wallet(crm) == "9.67"


def test_ad_hoc_return_never_takes_more_than_the_wallet(crm: httpx.Client) -> None:
    load(crm, customers=[{"id": CONTACT, "cim": CIM, "wallet": "0.16"}])
    body = {"contact_id": CONTACT, "reference_number": "RET-3", "merchant_tap": {"code": "M1"},
            "total_amount": Decimal("10.00")}
    assert send(crm, "POST", "/purchases/ad_hoc_return", body).json()["reversed_award_amount"] == "0.16"
    assert wallet(crm) == "0.00"


# --- contact reclaim and self-service receipts (CRM-RECLAIM-*, CRM-SELF-3, CRM-PROG-10) ---


def test_contact_reclaim_awards_once_when_the_receipt_is_claimed(crm: httpx.Client) -> None:
    body = {"reference_number": "R-1002", "classification": {"code": "CONTACT_RECLAIM"}, **TAPS, "products": BASKET}
    data = create(crm, body)
    assert (data["total_award_amount"], data["total_spend_amount"]) == ("0.00", "0.00")
    claimed = trigger(crm, "receipt_claimed", {"cim": CIM, "qr": "R-1002;M1;O1;1250"})
    assert claimed.status_code == 200, claimed.text
    assert claimed.json() | {"purchase_id": None} == {"purchase_id": None, "claimed": True, "award": "0.53",
                                                      "reason": None, "balance": "10.53"}
    again = trigger(crm, "receipt_claimed", {"contact_id": CONTACT, "barcode": "M1;R-1002;1250;O1"}).json()
    assert (again["claimed"], again["award"], wallet(crm)) == (False, "0.00", "10.53")
    wrong = trigger(crm, "receipt_claimed", {"cim": CIM, "qr": "R-1002;M1;O1;999"})
    assert wrong.status_code == 400


def test_reclaim_with_contact_and_spend_request_spends_nothing(crm: httpx.Client) -> None:
    data = create(crm, purchase("R-7", classification={"code": "CONTACT_RECLAIM"},
                                spend_request={"amount": Decimal("5.00")}))
    assert (data["total_award_amount"], data["total_spend_amount"], wallet(crm)) == ("0.00", "0.00", "10.00")


def test_cancelled_reclaim_purchase_cannot_be_claimed(crm: httpx.Client) -> None:
    data = create(crm, {"reference_number": "R-8", "classification": {"code": "CONTACT_RECLAIM"}, **TAPS,
                        "products": BASKET})
    send(crm, "POST", f"/purchases/{data['id']}/cancel")
    claim = trigger(crm, "receipt_claimed", {"cim": CIM, "reference_number": "R-8", "merchant_code": "M1",
                                             "outlet_code": "O1", "amount": "12.50"}).json()
    assert (claim["claimed"], claim["reason"], wallet(crm)) == (False, "cancelled", "10.00")


def test_self_service_receipt_awards_five_percent_of_its_amount_once(crm: httpx.Client) -> None:
    first = trigger(crm, "receipt_claimed", {"cim": CIM, "barcode": "M2;S-1;705;O2"}).json()
    assert (first["claimed"], first["award"], first["balance"]) == (True, "0.35", "10.35")  # 0.3525
    second = trigger(crm, "receipt_claimed", {"cim": CIM, "qr": "S-1;M2;O2;705"}).json()
    assert (second["claimed"], second["award"], wallet(crm)) == (False, "0.00", "10.35")
    assert trigger(crm, "receipt_claimed", {"cim": CIM, "qr": "S-2;M1;O2;705"}).status_code == 400  # O2 is M2's


# --- customers and wallet (CRM-FRONT-7..9) ---


@pytest.mark.parametrize(("params", "found"), [
    ({"phone": "35799123456"}, [CONTACT]),
    ({"email": "JOHN.DOE@example.com"}, [CONTACT]),
    ({"cim": CIM}, [CONTACT]),
    ({"search_value": "smith"}, [OTHER]),
    ({"search_value": "example.com"}, [CONTACT, OTHER]),
    ({"search_value": "example.com", "phone": "35799000000"}, [OTHER]),
    ({"cim": "00000000"}, []),
    ({}, [CONTACT, OTHER]),
])
def test_customer_search(crm: httpx.Client, params: dict[str, str], found: list[str]) -> None:
    response = send(crm, "GET", "/customers", params=params)
    assert response.status_code == 200, response.text
    assert [c["id"] for c in response.json()["content"]] == found
    assert response.json()["paging"] == {"page": 1, "size": 20, "total": len(found), "has_more": False}


def test_customer_search_pages(crm: httpx.Client) -> None:
    page = send(crm, "GET", "/customers", params={"size": 1, "page": 2}).json()
    assert [c["id"] for c in page["content"]] == [OTHER]
    assert page["paging"] == {"page": 2, "size": 1, "total": 2, "has_more": False}
    first = send(crm, "GET", "/customers", params={"size": 1}).json()
    assert first["content"][0] == {"id": CONTACT, "code": "C0001", "name": "John Doe", "first_name": "John",
                                   "last_name": "Doe", "email": "john.doe@example.com", "phone": "35799123456",
                                   "cim": CIM}
    assert first["paging"]["has_more"] is True


def test_wallet_by_id_or_code_and_unknown_contact(crm: httpx.Client) -> None:
    by_code = send(crm, "GET", "/contacts/C0001/wallet").json()
    assert by_code == {"contact_id": CONTACT, "balance": "10.00", "currency_code": "EUR"}
    missing = send(crm, "GET", "/contacts/789dacae-cf71-414f-9483-ca88acaa4643/wallet")
    assert missing.status_code == 404
    assert missing.json() == {"status": 404, "message": "Record not found.",
                              "error": "CRM.EXCEPTIONS.NOTFOUNDEXCEPTION",
                              "parameters": ["contact", "789dacae-cf71-414f-9483-ca88acaa4643"]}


# --- product synchronisation (CRM-SYNC-*, CRM-PURCHASE-18) ---


def sync(client: httpx.Client, products: list[dict[str, Any]]) -> dict[str, Any]:
    started = send(client, "POST", "/synchronise_products", {"products": products})
    assert started.status_code == 200, started.text
    progress = send(client, "GET", f"/synchronise_products/{started.json()['id']}")
    assert progress.status_code == 200, progress.text
    return dict(progress.json())


def test_synchronisation_creates_then_updates_and_reports_progress(crm: httpx.Client) -> None:
    first = sync(crm, [{"code": "COFFEE", "family": "BEVERAGES", "vat_rate": 19}, {"code": "MUFFIN"}])
    assert (first["state"], first["total_products"], first["processed_products"]) == ("COMPLETED", 2, 2)
    assert (first["created_products"], first["updated_products"], first["failed_products"]) == (2, 0, 0)
    second = sync(crm, [{"code": "COFFEE"}, {"code": "TEA", "product_validity_from": 2, "product_validity_to": 1}])
    assert (second["created_products"], second["updated_products"], second["failed_products"]) == (0, 1, 1)
    assert second["errors"][0]["code"] == "TEA" and second["id"] != first["id"]
    assert send(crm, "GET", "/synchronise_products/nope").status_code == 404


def test_unknown_products_in_a_purchase_are_created_or_booked_to_the_default_product(crm: httpx.Client) -> None:
    create(crm, purchase("R-1", products=[line("TEA", "5.00", "1.00", "6.00")]))
    assert sync(crm, [{"code": "TEA"}])["updated_products"] == 1  # created while acquiring the purchase
    load(crm, settings={"default_product": "MISC"})
    data = create(crm, purchase("R-2", products=[line("SCONE", "5.00", "1.00", "6.00")]))
    assert data["total_award_amount"] == "0.25"  # earns all the same
    assert sync(crm, [{"code": "SCONE"}])["created_products"] == 1  # SCONE was booked to MISC, not created
    assert sync(crm, [{"code": "MISC"}])["updated_products"] == 1


# --- orders (CRM-ORDER-*) ---

ORDER = {"id": "9a1f3c52-7d84-4b6e-8f20-3c4d5e6f7a81", "number": "ORD-0001", "contact": {"id": CONTACT},
         "supply_method": "PICK_UP", "fulfilled_by": {"code": "O1", "name": "Main street outlet"}, "notes": "No sugar",
         "currency_code": "EUR", "created_on": 1700000200,
         "items": [{"product_sku": "COFFEE", "description": "Filter coffee", "quantity": 2, "net_amount": "8.00",
                    "tax_amount": "1.52", "total_amount": "9.52"}]}
ORDER_2 = {"id": "order-2", "items": [{"product_sku": "MUFFIN", "net_amount": "2.50", "tax_amount": "0.48"}],
           "created_on": 1700000300}


def test_orders_complete_and_cancel(crm: httpx.Client) -> None:
    load(crm, orders=[ORDER, ORDER_2])
    listed = send(crm, "GET", "/orders", params={"state": "NEW"}).json()
    assert [o["id"] for o in listed["content"]] == ["order-2", ORDER["id"]]  # newest first
    assert listed["content"][1] == {**{k: v for k, v in ORDER.items() if k != "contact"},
                                    "state": "NEW", "contact": {"id": CONTACT, "name": "John Doe"},
                                    "total_net_amount": "8.00", "total_tax_amount": "1.52", "total_amount": "9.52",
                                    "updated_on": 1700000200}
    assert listed["content"][0]["items"][0]["total_amount"] == "2.98"
    done = send(crm, "PUT", f"/orders/{ORDER['id']}/actions", {"action": "COMPLETE"})
    assert done.json() == {"id": ORDER["id"], "state": "COMPLETED"}
    assert wallet(crm) == "10.40"  # 5 % of the order's net 8.00
    assert send(crm, "PUT", f"/orders/{ORDER['id']}/actions", {"action": "COMPLETE"}).status_code == 409
    reasons = send(crm, "GET", "/order_cancellation_reasons").json()["content"]
    unknown = send(crm, "PUT", "/orders/order-2/actions", {"action": "CANCEL", "cancellation_reason_id": "nope"})
    assert unknown.status_code == 400 and unknown.json()["parameters"] == ["cancellation_reason", "nope"]
    assert [o["id"] for o in send(crm, "GET", "/orders", params={"state": "NEW"}).json()["content"]] == ["order-2"]
    cancelled = send(crm, "PUT", "/orders/order-2/actions",
                     {"action": "CANCEL", "cancellation_reason_id": reasons[1]["id"]})
    assert cancelled.json()["state"] == "CANCELLED"
    closed = send(crm, "GET", "/orders", params={"state": "CANCELLED"}).json()["content"]
    assert closed[0]["cancellation_reason"] == reasons[1]
    assert wallet(crm) == "10.40"
    assert send(crm, "GET", "/orders", params={"state": "COMPLETED"}).json()["content"][0]["id"] == ORDER["id"]
    assert send(crm, "PUT", "/orders/nope/actions", {"action": "COMPLETE"}).status_code == 404


def test_fixture_cancellation_reasons_replace_the_defaults(crm: httpx.Client) -> None:
    load(crm, cancellation_reasons=[{"id": "r-1", "name": "Kitchen closed"}])
    assert send(crm, "GET", "/order_cancellation_reasons").json()["content"] == [{"id": "r-1",
                                                                                 "name": "Kitchen closed"}]
