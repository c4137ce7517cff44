"""The CRM.COM REST domain over the ledger: the crmcom-reference figures (CRM-PROG-*), receipts, orders and
synchronisation, and every refusal leaving the state untouched."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest

from conformance.engine.crmcom import (
    AlreadyExists,
    CancellationReason,
    ContactFixture,
    CrmCom,
    Fixture,
    InvalidState,
    Merchant,
    Order,
    OrderItem,
    Outlet,
    ProductLine,
    PurchaseRequest,
    Receipt,
    ReceiptMismatch,
    ReturnRequest,
    SpendRequest,
    SyncProduct,
    TapMismatch,
    TapRef,
    UnknownReference,
    UnknownResource,
    WrongPassCode,
    unit_id,
)
from conformance.engine.errors import BusinessError, InvalidRequest
from conformance.engine.ledger import Ledger
from conformance.loader.programs import load_program

PROGRAM = Path(__file__).resolve().parents[2] / "scenarios" / "programs" / "crmcom-reference.yaml"
JOHN, SALLY = "4f7d9a12-3b6c-4e8f-a1d2-5c6b7e8f9a01", "0e8a5a3c-3f2b-4d5e-9a7b-1c2d3e4f5a6b"
COFFEE = ProductLine("COFFEE", Decimal("8.00"), Decimal("1.52"), Decimal("9.52"), Decimal(2))
MUFFIN = ProductLine("MUFFIN", Decimal("2.50"), Decimal("0.48"), Decimal("2.98"))
TEA = ProductLine("TEA", Decimal("5.00"), Decimal("1.00"), Decimal("6.00"))
BASKET = (COFFEE, MUFFIN)
M1, O1 = TapRef(code="M1"), TapRef(code="O1")


@pytest.fixture
def crm(ledger: Ledger) -> CrmCom:
    domain = CrmCom(ledger, load_program(PROGRAM))
    merchants = (Merchant(unit_id("merchant", "M1"), "M1", outlets=(Outlet(unit_id("outlet", "O1"), "O1"),)),
                 Merchant(unit_id("merchant", "M2"), "M2", outlets=(Outlet(unit_id("outlet", "O2"), "O2"),)))
    domain.load(Fixture(contacts=(ContactFixture(JOHN, Decimal("10.00"), cim="22265577"),
                                  ContactFixture(SALLY, Decimal("0.00"), pass_code="1234")), merchants=merchants))
    return domain


def buy(crm: CrmCom, reference: str, *, lines: tuple[ProductLine, ...] = BASKET, contact: str | None = JOHN,
        spend: SpendRequest | None = None, **fields: object) -> tuple[Decimal, Decimal]:
    result = crm.purchase(PurchaseRequest(reference, lines, contact_id=contact, merchant_tap=M1, outlet_tap=O1,
                                          spend=spend, **fields))  # type: ignore[arg-type]
    return result.award, result.spend


def balance(crm: CrmCom, contact: str = JOHN) -> Decimal:
    return crm.wallet(contact)[1]


def state(crm: CrmCom) -> tuple[object, ...]:
    ledger = crm.ledger
    return (balance(crm), balance(crm, SALLY), [(t.number, t.kind) for t in ledger.transactions("crmcom")],
            crm.orders())


@pytest.mark.parametrize(("lines", "spend", "award", "spent", "after"), [
    (BASKET, None, "0.53", "0.00", "10.53"),  # CRM-PROG-1, -12: 5 % of 10.50 = 0.525
    (BASKET, SpendRequest(amount=Decimal("5.00")), "0.53", "5.00", "5.53"),  # CRM-PROG-2, -4
    (BASKET, SpendRequest(amount=Decimal("20.00")), "0.53", "10.00", "0.53"),  # capped by the wallet
    ((TEA,), SpendRequest(amount=Decimal("20.00")), "0.25", "6.00", "4.25"),  # capped by the basket total
    (BASKET, SpendRequest(alternative_amount=Decimal(250)), "0.53", "2.50", "8.03"),  # CRM-PROG-3
    (BASKET, SpendRequest(amount=Decimal("1.005")), "0.53", "1.01", "9.52"),  # half up, once
    ((COFFEE,), None, "0.40", "0.00", "10.40"),  # quantity does not multiply the net
])
def test_purchase_figures(crm: CrmCom, lines: tuple[ProductLine, ...], spend: SpendRequest | None, award: str,
                          spent: str, after: str) -> None:
    assert buy(crm, "R-1", lines=lines, spend=spend) == (Decimal(award), Decimal(spent))
    assert balance(crm) == Decimal(after)
    assert crm.ledger.check() == []


def test_spend_is_capped_by_the_balance_before_this_purchase_award(crm: CrmCom) -> None:
    # SALLY holds 0.00: the 0.13 this purchase awards cannot be spent by it
    assert buy(crm, "R-1", lines=(MUFFIN,), contact=SALLY, spend=SpendRequest(amount=Decimal(1))) == (
        Decimal("0.13"), Decimal("0.00"))


def test_cancel_returns_the_spend_then_takes_back_the_award(crm: CrmCom) -> None:
    result = crm.purchase(PurchaseRequest("R-1", BASKET, contact_id=JOHN, merchant_tap=M1,
                                          spend=SpendRequest(amount=Decimal(5))))
    cancel = crm.cancel(result.id)
    assert (cancel.returned_spend, cancel.reversed_award, cancel.balance) == (Decimal("5.00"), Decimal("0.53"),
                                                                              Decimal("10.00"))
    before = state(crm)
    with pytest.raises(InvalidState):
        crm.cancel(result.id.upper())
    assert state(crm) == before
    with pytest.raises(UnknownResource):
        crm.cancel("1b2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d5e")


def test_cancel_never_takes_more_than_the_balance_then_holds(crm: CrmCom) -> None:
    p = crm.purchase(PurchaseRequest("P", BASKET, contact_id=SALLY, outlet_tap=O1))
    assert buy(crm, "Q", lines=(MUFFIN,), contact=SALLY, spend=SpendRequest(amount=Decimal("0.50"))) == (
        Decimal("0.13"), Decimal("0.50"))
    assert balance(crm, SALLY) == Decimal("0.16")
    assert crm.cancel(p.id).reversed_award == Decimal("0.16")
    assert balance(crm, SALLY) == Decimal("0.00")
    assert crm.ledger.check() == []


@pytest.mark.parametrize(("request_", "taken", "after"), [
    (ReturnRequest("RET-1", contact_id=JOHN, outlet_tap=O1, total_amount=Decimal("4.76"),
                   net_amount=Decimal("4.00")), "0.20", "9.80"),
    (ReturnRequest("RET-2", cim="22265577", merchant_tap=M1, lines=(MUFFIN,)), "0.13", "9.87"),
    (ReturnRequest("RET-3", contact_id=JOHN, merchant_tap=M1, total_amount=Decimal("4.00")), "0.20", "9.80"),
    (ReturnRequest("RET-4", contact_id=JOHN, merchant_tap=M1, total_amount=Decimal("1000")), "10.00", "0.00"),
])
def test_ad_hoc_return_figures(crm: CrmCom, request_: ReturnRequest, taken: str, after: str) -> None:
    result = crm.ad_hoc_return(request_)
    assert (result.reversed_award, result.balance) == (Decimal(taken), Decimal(after))
    assert crm.ledger.check() == []


def test_otp_spends_its_amount_once_and_only_for_its_contact(crm: CrmCom) -> None:
    otp = crm.issue_otp(contact_id=JOHN, amount=Decimal("3.00"))
    assert otp.code.isdigit() and len(otp.code) == 6
    foreign = crm.issue_otp(contact_id=SALLY)
    before = state(crm)
    for code in (foreign.code, "000000"):
        with pytest.raises(UnknownReference) as refused:
            buy(crm, "R-1", spend=SpendRequest(otp=code))
        assert refused.value.parameters == ("otp", "***")
    assert state(crm) == before
    assert buy(crm, "R-1", spend=SpendRequest(otp=otp.code)) == (Decimal("0.53"), Decimal("3.00"))
    with pytest.raises(UnknownReference):
        buy(crm, "R-2", spend=SpendRequest(otp=otp.code))
    whole = crm.issue_otp(cim="22265577")
    assert buy(crm, "R-3", lines=(TEA,), spend=SpendRequest(otp=whole.code)) == (Decimal("0.25"), Decimal("6.00"))


def test_contact_reclaim_awards_once_when_claimed(crm: CrmCom) -> None:
    result = crm.purchase(PurchaseRequest("R-1002", BASKET, classification_code="CONTACT_RECLAIM",
                                          merchant_tap=M1, outlet_tap=O1))
    assert (result.award, result.spend, result.contact_id, result.balance) == (Decimal(0), Decimal(0), None, None)
    receipt = Receipt("R-1002", "M1", "O1", Decimal("12.50"))
    claim = crm.claim(receipt, cim="22265577")
    assert (claim.claimed, claim.award, claim.balance, claim.purchase_id) == (True, Decimal("0.53"),
                                                                              Decimal("10.53"), result.id)
    again = crm.claim(receipt, contact_id=SALLY)
    assert (again.claimed, again.award, again.reason) == (False, Decimal(0), "already claimed")
    assert crm.cancel(result.id).reversed_award == Decimal("0.53")  # the claimed award goes back on a void
    assert balance(crm) == Decimal("10.00")


def test_claims_of_other_receipts(crm: CrmCom) -> None:
    buy(crm, "R-1")
    normal = crm.claim(Receipt("R-1", "M1", "O1", Decimal("12.50")), contact_id=JOHN)
    assert (normal.claimed, normal.reason) == (False, "awarded when submitted")
    before = state(crm)
    for bad in (Receipt("R-1", "M2", "O1", Decimal("12.50")), Receipt("R-1", "M1", "O2", Decimal("12.50")),
                Receipt("R-1", "M1", "O1", Decimal("12.49"))):
        with pytest.raises(ReceiptMismatch):
            crm.claim(bad, contact_id=JOHN)
    with pytest.raises(UnknownReference):
        crm.claim(Receipt("S-1", "M9", "O1", Decimal(1)), contact_id=JOHN)
    with pytest.raises(TapMismatch):
        crm.claim(Receipt("S-1", "M1", "O2", Decimal(1)), contact_id=JOHN)
    assert state(crm) == before
    self_service = crm.claim(Receipt("S-1", "M2", "O2", Decimal("7.05")), contact_id=JOHN)
    assert (self_service.claimed, self_service.award) == (True, Decimal("0.35"))


@pytest.mark.parametrize(("receipt", "qr", "barcode"), [
    (Receipt("R-1002", "M1", "O1", Decimal("12.50")), "R-1002;M1;O1;1250", "M1;R-1002;1250;O1"),
    (Receipt("R-7", "M1", "O1", Decimal("7.05")), "R-7;M1;O1;705", "M1;R-7;705;O1"),
    (Receipt("R-8", "M1", "O1", Decimal("0.99")), "R-8;M1;O1;99", "M1;R-8;99;O1"),
])
def test_receipt_payloads(receipt: Receipt, qr: str, barcode: str) -> None:
    assert (receipt.qr(), receipt.barcode()) == (qr, barcode)  # CRM-RECEIPT-1..3
    assert Receipt.from_qr(qr) == receipt == Receipt.from_barcode(barcode)


@pytest.mark.parametrize("payload", ["R-1;M1;O1", "R-1;M1;O1;12.50", "R-1;;O1;1250", "R-1;M1;O1;1250;", ""])
def test_malformed_receipt_payloads(payload: str) -> None:
    with pytest.raises(InvalidRequest):
        Receipt.from_qr(payload)


@pytest.mark.parametrize(("request_", "error"), [
    (PurchaseRequest("R-X", BASKET, contact_id="789dacae-cf71-414f-9483-ca88acaa4643", merchant_tap=M1),
     UnknownReference),
    (PurchaseRequest("R-X", BASKET, cim="0", merchant_tap=M1), UnknownReference),
    (PurchaseRequest("R-X", BASKET, contact_id=JOHN, merchant_tap=TapRef(code="M9")), UnknownReference),
    (PurchaseRequest("R-X", BASKET, contact_id=JOHN, outlet_tap=TapRef(id="nope")), UnknownReference),
    (PurchaseRequest("R-X", BASKET, contact_id=JOHN, merchant_tap=TapRef(code="M2"), outlet_tap=O1), TapMismatch),
    (PurchaseRequest("R-X", BASKET, contact_id=JOHN), InvalidRequest),
    (PurchaseRequest("R-X", BASKET, merchant_tap=M1), InvalidRequest),
    (PurchaseRequest("R-X", BASKET, contact_id=SALLY, pass_code="0000", merchant_tap=M1), WrongPassCode),
    (PurchaseRequest("R-1", BASKET, contact_id=JOHN, merchant_tap=M1), AlreadyExists),
    (PurchaseRequest("R-X", BASKET, id="B3A7C2DE-5F41-4E6A-9C0D-2F8E1A6B7C90", contact_id=JOHN, merchant_tap=M1),
     AlreadyExists),
])
def test_refused_purchases_change_nothing(crm: CrmCom, request_: PurchaseRequest,
                                          error: type[BusinessError]) -> None:
    buy(crm, "R-1", id="b3a7c2de-5f41-4e6a-9c0d-2f8e1a6b7c90")
    before = state(crm)
    with pytest.raises(error):
        crm.purchase(request_)
    assert state(crm) == before
    assert crm.ledger.check() == []


def test_outlet_alone_names_its_merchant_and_ids_work_like_codes(crm: CrmCom) -> None:
    result = crm.purchase(PurchaseRequest("R-1", BASKET, contact_id=JOHN.upper(),
                                          merchant_tap=TapRef(id=unit_id("merchant", "M1").upper()),
                                          outlet_tap=TapRef(id=unit_id("outlet", "O1"))))
    assert result.contact_id == JOHN
    record = crm.ledger.transactions("crmcom", reference="R-1")[0].data["request"]
    assert (record["merchant"], record["outlet"]) == ("M1", "O1")


def test_unknown_products_are_created_or_booked_to_the_default_product(crm: CrmCom) -> None:
    buy(crm, "R-1", lines=(TEA,))
    assert crm.product("TEA") == {"code": "TEA", "source": "purchase"}
    crm.load(Fixture(default_product="MISC"))
    buy(crm, "R-2", lines=(ProductLine("SCONE", Decimal(2), Decimal(0), Decimal(2)),))
    assert crm.product("SCONE") is None and crm.product("MISC") is not None
    line = crm.ledger.transactions("crmcom", reference="R-2")[0].data["request"]["lines"][0]
    assert (line["product_sku"], line["intended_product_identifier"]) == ("MISC", "SCONE")


def test_synchronisation_counts_and_family_rules(ledger: Ledger) -> None:
    crm = CrmCom(ledger, load_program(PROGRAM))
    process = crm.synchronise([SyncProduct("A", {"family": "F"}), SyncProduct("A", {"brand": "B"}),
                               SyncProduct("C", {"product_validity_from": 5, "product_validity_to": 1})])
    assert (process.state, process.total, process.processed) == ("COMPLETED", 3, 3)
    assert (process.created, process.updated, process.failed) == (1, 1, 1)
    assert crm.sync_process(process.id) == process
    assert crm.product("A") == {"code": "A", "family": "F", "brand": "B", "source": "synchronisation"}
    with pytest.raises(UnknownResource):
        crm.sync_process("nope")


def test_deterministic_mode_repeats_ids(ledger: Ledger) -> None:
    first = CrmCom(ledger, load_program(PROGRAM)).synchronise([SyncProduct("A")]).id
    with Ledger(":memory:", sequential=True) as other:
        assert CrmCom(other, load_program(PROGRAM)).synchronise([SyncProduct("A")]).id == first


def order(order_id: str, contact: str | None = JOHN, created: int = 100) -> Order:
    return Order(order_id, "", "NEW", (OrderItem("COFFEE", Decimal(2), Decimal("8.00"), Decimal("1.52"),
                                                 Decimal("9.52")),), created, created, contact_id=contact)


def test_orders_complete_award_and_cancel_with_a_reason(crm: CrmCom) -> None:
    crm.load(Fixture(orders=(order("o-1"), order("o-2", created=200), order("o-3", None, 150)),
                     reasons=(CancellationReason("r-1", "Out of stock"),)))
    assert [o.id for o in crm.orders("NEW")] == ["o-2", "o-3", "o-1"]
    assert [o.number for o in crm.orders()] == ["ORD-0002", "ORD-0003", "ORD-0001"]
    done = crm.order_action("o-1", "COMPLETE")
    assert (done.state, done.total_amount, balance(crm)) == ("COMPLETED", Decimal("9.52"), Decimal("10.40"))
    before = state(crm)
    for action, reason, error in (("COMPLETE", None, InvalidState), ("CANCEL", "r-9", UnknownReference),
                                  ("CANCEL", None, InvalidRequest)):
        with pytest.raises(error):
            crm.order_action("o-1" if error is InvalidState else "o-2", action, reason)
    assert state(crm) == before
    cancelled = crm.order_action("o-2", "CANCEL", "r-1")
    assert cancelled.cancellation_reason == CancellationReason("r-1", "Out of stock")
    assert crm.order_action("o-3", "COMPLETE").state == "COMPLETED"  # no contact: nothing to award
    assert balance(crm) == Decimal("10.40") and crm.orders("NEW") == []


def test_bad_fixtures_are_refused_whole(crm: CrmCom) -> None:
    before = state(crm)
    for fixture in (Fixture(contacts=(ContactFixture(JOHN, Decimal("1.005")),)),
                    Fixture(contacts=(ContactFixture(JOHN, Decimal(1), reduction_method="SIDEWAYS"),)),
                    Fixture(merchants=(Merchant("x", "M3", outlets=(Outlet("y", "O1"),)),)),
                    Fixture(contacts=(ContactFixture(JOHN, Decimal(-1)),)),
                    Fixture(orders=(order("o-1", contact="789dacae-cf71-414f-9483-ca88acaa4643"),)),
                    Fixture(orders=(replace_items(order("o-1")),))):
        with pytest.raises(InvalidRequest):
            crm.load(fixture)
    assert state(crm) == before


def replace_items(placed: Order) -> Order:
    return replace(placed, items=())


def test_contacts_search(crm: CrmCom) -> None:
    crm.load(Fixture(contacts=(ContactFixture(JOHN, Decimal(10), cim="22265577", email="John@Example.com",
                                              first_name="John", last_name="Doe"),)))
    assert [c.id for c in crm.contacts(email="john@example.com")] == [JOHN]
    assert [c.name for c in crm.contacts(search="DOE")] == ["John Doe"]
    assert crm.contacts(cim="2226557") == []
    assert len(crm.contacts()) == 2
