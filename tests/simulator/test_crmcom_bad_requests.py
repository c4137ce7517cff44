"""Every kind of bad CRM.COM request gets CRM.COM's error body with the right status, never a 500, and changes
nothing: missing or wrong api_key on every operation, each semi-optional rule of seed 003 broken in turn,
unknown references, duplicates."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from tests.simulator.crmcom_fixtures import BASKET, CIM, CONTACT, load, purchase, send, trigger, wallet

ORDER = {"id": "order-1", "contact": {"id": CONTACT},
         "items": [{"product_sku": "COFFEE", "quantity": 2, "net_amount": "8.00", "tax_amount": "1.52"}]}
RETURN = {"contact_id": CONTACT, "reference_number": "RET-1", "outlet_tap": {"code": "O1"},
          "total_amount": Decimal("4.76")}
PRODUCT = dict(BASKET[0])


@pytest.fixture(scope="module")
def client(live_simulator: Any) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live_simulator.origin, timeout=10) as http:
        yield http


@pytest.fixture
def crm(client: httpx.Client, live_simulator: Any) -> Iterator[httpx.Client]:
    load(client, orders=[ORDER])
    yield client
    assert live_simulator.app.state.ledger.check("crmcom") == []


def snapshot(client: httpx.Client, live_simulator: Any) -> tuple[object, ...]:
    """What a refused request must leave as it was: the wallet, every ledger transaction, the orders."""
    ledger = live_simulator.app.state.ledger
    transactions = [(t.number, t.kind, t.status) for t in ledger.transactions("crmcom")]
    return wallet(client), transactions, ledger.holder("crmcom", "order:order-1")


def assert_crm_error(response: httpx.Response, status: int, error: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = dict(response.json())
    assert set(body) == {"status", "message", "error", "parameters"}
    assert body["status"] == status and body["message"] and body["error"].startswith("CRM.EXCEPTIONS.")
    assert error is None or body["error"] == error, body
    return body


# --- authentication: every operation, missing and wrong key (CRM-AUTH-1, CRM-AUTH-2) ---

OPERATIONS = [
    ("POST", "/purchases", purchase("R-AUTH")),
    ("POST", f"/purchases/{CONTACT}/cancel", None),
    ("POST", "/purchases/ad_hoc_return", RETURN),
    ("GET", "/customers", None),
    ("GET", f"/contacts/{CONTACT}/wallet", None),
    ("POST", "/synchronise_products", {"products": [{"code": "COFFEE"}]}),
    ("GET", "/synchronise_products/some-process", None),
    ("GET", "/orders", None),
    ("PUT", "/orders/order-1/actions", {"action": "COMPLETE"}),
    ("GET", "/order_cancellation_reasons", None),
]


@pytest.mark.parametrize("auth", [{}, {"api_key": "wrong"}], ids=["missing", "wrong"])
@pytest.mark.parametrize(("method", "path", "body"), OPERATIONS, ids=[f"{m} {p}" for m, p, _ in OPERATIONS])
def test_every_operation_needs_the_api_key(crm: httpx.Client, live_simulator: Any, method: str, path: str,
                                           body: Any, auth: dict[str, str]) -> None:
    before = snapshot(crm, live_simulator)
    response = send(crm, method, path, body, auth=auth)
    assert_crm_error(response, 401, "CRM.EXCEPTIONS.UNAUTHORIZEDEXCEPTION")
    assert "ck-1" not in response.text
    assert snapshot(crm, live_simulator) == before


@pytest.mark.parametrize("auth", [{"api_key": ""}, {"Authorization": "Bearer ck-1"}],
                         ids=["empty", "bearer-instead"])
def test_only_the_exact_key_in_the_api_key_header_counts(crm: httpx.Client, live_simulator: Any,
                                                         auth: dict[str, str]) -> None:
    before = snapshot(crm, live_simulator)
    assert_crm_error(send(crm, "POST", "/purchases", purchase("R-AUTH"), auth=auth), 401)
    assert snapshot(crm, live_simulator) == before


# --- POST /purchases: seed 003's rules broken one at a time (CRM-PURCHASE-2..17, CRM-ERR-2/3) ---

def without(body: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k not in keys}


GOOD = purchase("R-BAD", spend_request={"amount": Decimal("5.00")})
MANDATORY = "CRM.EXCEPTIONS.MANDATORYPARAMETEREXCEPTION"
INVALID = "CRM.EXCEPTIONS.INVALIDVALUEEXCEPTION"
NOT_FOUND = "CRM.EXCEPTIONS.NOTFOUNDEXCEPTION"
BAD_PURCHASES: dict[str, tuple[Any, int, str]] = {
    # contact_id / cim (semi-optional): one or both (naming the same contact), not neither
    "neither contact_id nor cim": (without(GOOD, "contact_id"), 400, MANDATORY),
    "contact_id with another contact's cim": ({**GOOD, "cim": "11111111"}, 400, NOT_FOUND),
    "reclaim without contact but with a spend request": (
        {**without(GOOD, "contact_id"), "classification": {"code": "CONTACT_RECLAIM"}}, 400, INVALID),
    # merchant_tap / outlet_tap (semi-optional): at least one; each by id, code or both (agreeing)
    "neither merchant_tap nor outlet_tap": (without(GOOD, "merchant_tap", "outlet_tap"), 400, MANDATORY),
    "merchant_tap with neither id nor code": ({**GOOD, "merchant_tap": {}}, 400, MANDATORY),
    "outlet_tap with disagreeing id and code": ({**GOOD, "outlet_tap": {"id": "x", "code": "O1"}}, 400, NOT_FOUND),
    "merchant_tap with an unknown field": ({**GOOD, "merchant_tap": {"code": "M1", "name": "x"}}, 400, INVALID),
    # classification: id, code or both
    "classification with neither id nor code": ({**GOOD, "classification": {}}, 400, MANDATORY),
    # spend_request: exactly one of amount / alternative_amount / otp
    "empty spend_request": ({**GOOD, "spend_request": {}}, 400, MANDATORY),
    "spend_request with amount and alternative_amount": (
        {**GOOD, "spend_request": {"amount": 1, "alternative_amount": 100}}, 400, INVALID),
    "spend_request with amount and otp": ({**GOOD, "spend_request": {"amount": 1, "otp": "123456"}}, 400, INVALID),
    "negative spend amount": ({**GOOD, "spend_request": {"amount": -1}}, 400, INVALID),
    # mandatory fields
    "missing reference_number": (without(GOOD, "reference_number"), 400, MANDATORY),
    "empty reference_number": ({**GOOD, "reference_number": ""}, 400, INVALID),
    "missing products": (without(GOOD, "products"), 400, MANDATORY),
    "empty products": ({**GOOD, "products": []}, 400, INVALID),
    "line without product_sku": ({**GOOD, "products": [without(PRODUCT, "product_sku")]}, 400, MANDATORY),
    "line without net_amount": ({**GOOD, "products": [without(PRODUCT, "net_amount")]}, 400, MANDATORY),
    "line without tax_amount": ({**GOOD, "products": [without(PRODUCT, "tax_amount")]}, 400, MANDATORY),
    "line without total_amount": ({**GOOD, "products": [without(PRODUCT, "total_amount")]}, 400, MANDATORY),
    "negative net_amount": ({**GOOD, "products": [{**PRODUCT, "net_amount": -1}]}, 400, INVALID),
    "amount as a string": ({**GOOD, "products": [{**PRODUCT, "net_amount": "8.00"}]}, 400, INVALID),
    "zero quantity": ({**GOOD, "products": [{**PRODUCT, "quantity": 0}]}, 400, INVALID),
    # types and unknown fields
    "performed_on as a date string": ({**GOOD, "performed_on": "2023-11-14"}, 400, INVALID),
    "performed_on as a fraction": ({**GOOD, "performed_on": Decimal("1700000000.5")}, 400, INVALID),
    "contact_id not a GUID": ({**GOOD, "contact_id": "john"}, 400, INVALID),
    "currency_code lower case": ({**GOOD, "currency_code": "eur"}, 400, INVALID),
    "superseded accounts_receivable_identifier": ({**GOOD, "accounts_receivable_identifier": {"id": "1"}}, 400,
                                                  INVALID),
    "superseded performed_by_business_unit_identifier": (
        {**GOOD, "performed_by_business_unit_identifier": {"code": "M1"}}, 400, INVALID),
    "superseded token in the body": ({**GOOD, "token": "ck-1"}, 400, INVALID),
    "not JSON": (b"reference_number=R-BAD", 400, INVALID),
    "a JSON array": ([GOOD], 400, INVALID),
    # references that name nothing: 400 NOTFOUND [entity, value] (seed 001's printed error)
    "unknown contact_id": ({**GOOD, "contact_id": "789dacae-cf71-414f-9483-ca88acaa4643"}, 400, NOT_FOUND),
    "unknown cim": ({**without(GOOD, "contact_id"), "cim": "00000000"}, 400, NOT_FOUND),
    "unknown merchant code": ({**GOOD, "merchant_tap": {"code": "M9"}}, 400, NOT_FOUND),
    "unknown merchant id": ({**GOOD, "merchant_tap": {"id": CONTACT}}, 400, NOT_FOUND),
    "unknown outlet": ({**GOOD, "outlet_tap": {"code": "O9"}}, 400, NOT_FOUND),
    "outlet not of the merchant": ({**GOOD, "merchant_tap": {"code": "M2"}}, 400, INVALID),
    "unknown OTP": ({**GOOD, "spend_request": {"otp": "999999"}}, 400, NOT_FOUND),
}


@pytest.mark.parametrize("name", sorted(BAD_PURCHASES))
def test_bad_purchase_is_refused_in_crm_shape_and_changes_nothing(crm: httpx.Client, live_simulator: Any,
                                                                  name: str) -> None:
    body, status, error = BAD_PURCHASES[name]
    before = snapshot(crm, live_simulator)
    refused = assert_crm_error(send(crm, "POST", "/purchases", body), status, error)
    assert isinstance(refused["parameters"], list) and refused["parameters"]
    assert snapshot(crm, live_simulator) == before
    # the same reference_number is still free for the corrected request (CRM-PURCHASE-22)
    corrected = send(crm, "POST", "/purchases", GOOD)
    assert corrected.status_code == 200, corrected.text
    assert corrected.json()["total_spend_amount"] == "5.00"


def test_unknown_contact_error_is_the_one_seed_001_prints(crm: httpx.Client) -> None:
    response = send(crm, "POST", "/purchases", {**GOOD, "contact_id": "789dacae-cf71-414f-9483-ca88acaa4643"})
    assert response.json() == {"status": 400, "message": "Record not found.",
                               "error": "CRM.EXCEPTIONS.NOTFOUNDEXCEPTION",
                               "parameters": ["contact", "789dacae-cf71-414f-9483-ca88acaa4643"]}


def test_full_card_numbers_are_not_echoed(crm: httpx.Client, live_simulator: Any) -> None:
    card = "4111111111111111"
    refused = send(crm, "POST", "/purchases", {**without(GOOD, "contact_id"), "cim": card})
    assert refused.status_code == 400 and card not in refused.text
    accepted = send(crm, "POST", "/purchases", {**GOOD, "payment_medium_identifier": card})
    assert accepted.status_code == 200
    stored = live_simulator.app.state.ledger.transactions("crmcom", reference="R-BAD")[0].data
    assert card not in str(stored) and stored["request"]["payment_medium_identifier"].endswith("1111")


def test_wrong_pass_code_is_403_and_changes_nothing(crm: httpx.Client, live_simulator: Any) -> None:
    load(crm, customers=[{"id": CONTACT, "cim": CIM, "wallet": "10.00", "pass_code": "1234"}])
    before = snapshot(crm, live_simulator)
    body = assert_crm_error(send(crm, "POST", "/purchases", {**GOOD, "pass_code": "0000"}), 403,
                            "CRM.EXCEPTIONS.INVALIDPASSCODEEXCEPTION")
    assert "1234" not in str(body) and "0000" not in str(body)
    assert snapshot(crm, live_simulator) == before


def test_used_otp_is_refused_and_changes_nothing(crm: httpx.Client, live_simulator: Any) -> None:
    otp = trigger(crm, "otp_requested", {"contact_id": CONTACT, "amount": "1.00"}).json()["otp"]
    assert send(crm, "POST", "/purchases", purchase("R-OTP", spend_request={"otp": otp})).status_code == 200
    before = snapshot(crm, live_simulator)
    assert_crm_error(send(crm, "POST", "/purchases", purchase("R-OTP-2", spend_request={"otp": otp})), 400, NOT_FOUND)
    assert snapshot(crm, live_simulator) == before


# --- other operations ---

BAD_OTHERS: dict[str, tuple[str, str, Any, int, str]] = {
    "return: neither contact_id nor cim": ("POST", "/purchases/ad_hoc_return", without(RETURN, "contact_id"), 400,
                                          MANDATORY),
    "return: no tap": ("POST", "/purchases/ad_hoc_return", without(RETURN, "outlet_tap"), 400, MANDATORY),
    "return: neither products nor total": ("POST", "/purchases/ad_hoc_return", without(RETURN, "total_amount"), 400,
                                           MANDATORY),
    "return: both products and total": ("POST", "/purchases/ad_hoc_return", {**RETURN, "products": BASKET}, 400,
                                        INVALID),
    "return: net_amount without total": ("POST", "/purchases/ad_hoc_return",
                                         {**without(RETURN, "total_amount"), "products": BASKET, "net_amount": 1},
                                         400, MANDATORY),
    "return: unknown contact": ("POST", "/purchases/ad_hoc_return",
                                {**RETURN, "contact_id": "789dacae-cf71-414f-9483-ca88acaa4643"}, 400, NOT_FOUND),
    "return: outlet not of the merchant": ("POST", "/purchases/ad_hoc_return",
                                           {**RETURN, "merchant_tap": {"code": "M2"}}, 400, INVALID),
    "cancel: with a body": ("POST", "/purchases/x/cancel", {"reason": "x"}, 400, INVALID),
    "cancel: unknown purchase": ("POST", "/purchases/1b2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d5e/cancel", None, 404,
                                 NOT_FOUND),
    "customers: size 0": ("GET", "/customers?size=0", None, 400, INVALID),
    "customers: size 101": ("GET", "/customers?size=101", None, 400, INVALID),
    "customers: page 0": ("GET", "/customers?page=0", None, 400, INVALID),
    "customers: page not a number": ("GET", "/customers?page=one", None, 400, INVALID),
    "orders: unknown state": ("GET", "/orders?state=OPEN", None, 400, INVALID),
    "order: CANCEL without a reason": ("PUT", "/orders/order-1/actions", {"action": "CANCEL"}, 400, INVALID),
    "order: COMPLETE with a reason": ("PUT", "/orders/order-1/actions",
                                      {"action": "COMPLETE", "cancellation_reason_id": "x"}, 400, INVALID),
    "order: unknown action": ("PUT", "/orders/order-1/actions", {"action": "REFUND"}, 400, INVALID),
    "order: unknown reason": ("PUT", "/orders/order-1/actions", {"action": "CANCEL", "cancellation_reason_id": "x"},
                              400, NOT_FOUND),
    "order: unknown order": ("PUT", "/orders/nope/actions", {"action": "COMPLETE"}, 404, NOT_FOUND),
    "sync: product without code": ("POST", "/synchronise_products", {"products": [{"description": "x"}]}, 400,
                                   MANDATORY),
    "sync: no product": ("POST", "/synchronise_products", {"products": []}, 400, INVALID),
    "sync: 1001 products": ("POST", "/synchronise_products", {"products": [{"code": "P"}] * 1001}, 400, INVALID),
    "sync: vat_rate above 100": ("POST", "/synchronise_products", {"products": [{"code": "P", "vat_rate": 101}]},
                                 400, INVALID),
    "sync: unknown process": ("GET", "/synchronise_products/nope", None, 404, NOT_FOUND),
    "wrong method": ("GET", "/purchases", None, 405, "CRM.EXCEPTIONS.METHODNOTALLOWEDEXCEPTION"),
    "no such operation": ("GET", "/nothing/here", None, 404, NOT_FOUND),
}


@pytest.mark.parametrize("name", sorted(BAD_OTHERS))
def test_bad_request_is_refused_in_crm_shape_and_changes_nothing(crm: httpx.Client, live_simulator: Any,
                                                                 name: str) -> None:
    method, path, body, status, error = BAD_OTHERS[name]
    before = snapshot(crm, live_simulator)
    assert_crm_error(send(crm, method, path, body), status, error)
    assert snapshot(crm, live_simulator) == before


def test_duplicate_return_reference_is_409_and_takes_nothing_more(crm: httpx.Client, live_simulator: Any) -> None:
    assert send(crm, "POST", "/purchases/ad_hoc_return", RETURN).status_code == 200
    before = snapshot(crm, live_simulator)
    assert_crm_error(send(crm, "POST", "/purchases/ad_hoc_return", RETURN), 409,
                     "CRM.EXCEPTIONS.ALREADYEXISTSEXCEPTION")
    assert snapshot(crm, live_simulator) == before


@pytest.mark.parametrize(("event", "data"), [
    ("otp_requested", {"contact_id": "789dacae-cf71-414f-9483-ca88acaa4643"}),
    ("otp_requested", {}),
    ("otp_requested", {"contact_id": CONTACT, "amount": "-1"}),
    ("receipt_claimed", {"cim": CIM, "qr": "R-1;M1;O1"}),
    ("receipt_claimed", {"cim": CIM, "qr": "R-1;M9;O1;100"}),
    ("receipt_claimed", {"cim": CIM}),
    ("order_placed", {"items": []}),
    ("order_placed", {"contact": {"id": "789dacae-cf71-414f-9483-ca88acaa4643"},
                      "items": [{"product_sku": "X", "net_amount": "1.00"}]}),
    ("voucher_claimed", {}),
])
def test_bad_trigger_is_refused_and_changes_nothing(crm: httpx.Client, live_simulator: Any, event: str,
                                                    data: dict[str, Any]) -> None:
    before = snapshot(crm, live_simulator)
    response = trigger(crm, event, data)
    assert response.status_code == 400, response.text
    assert set(response.json()) == {"error", "message"}
    assert snapshot(crm, live_simulator) == before


@pytest.mark.parametrize("fixture", [
    {"customers": [{"id": "not-a-guid", "wallet": "1.00"}]},
    {"customers": [{"id": CONTACT, "wallet": "1.005"}]},
    {"customers": [{"id": CONTACT, "wallet": "-1.00"}]},
    {"customers": [{"id": CONTACT, "wallet": "ten"}]},
    {"credentials": [{"token": "x"}]},
    {"merchants": [{"code": "M3", "outlets": ["O1"]}]},
    {"program": "ackroo-reference"},
    {"webhook_url": "ftp://example.com"},
    {"settings": {"webhook_attempts": 0}},
    {"orders": [{"items": [{"product_sku": "X", "net_amount": "1.001"}]}]},
])
def test_bad_fixture_is_refused_whole(crm: httpx.Client, live_simulator: Any, fixture: dict[str, Any]) -> None:
    from tests.simulator.crmcom_fixtures import CONTROL, FIXTURE

    before = snapshot(crm, live_simulator)
    response = crm.post("/_control/fixtures", json={**FIXTURE, "customers": [], **fixture}, headers=CONTROL)
    assert response.status_code == 400, response.text
    assert snapshot(crm, live_simulator) == before
    assert send(crm, "GET", "/customers").json()["paging"]["total"] == 2


def test_responses_never_leak_a_server_error(crm: httpx.Client) -> None:
    line = {**PRODUCT, "net_amount": Decimal("1E+9"), "total_amount": Decimal("1E+9"), "quantity": Decimal("1E+6")}
    huge = {**GOOD, "products": [line] * 50, "spend_request": {"alternative_amount": Decimal("1E+11")}}
    response = send(crm, "POST", "/purchases", huge)
    assert response.status_code == 200, response.text
    assert response.json()["total_spend_amount"] == "10.00"
    assert response.json()["total_award_amount"] == "2500000000.00"
