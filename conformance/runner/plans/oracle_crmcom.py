"""The stateful oracle's CRM.COM REST model: purchases with and without a spend, resubmissions of a
reference number, cancels (also twice), ad hoc returns and contact-reclaim purchases claimed by receipt,
each followed by a wallet read, mirrored on the engine."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from conformance.engine.crmcom import (
    ContactFixture,
    CrmCom,
    Fixture,
    Merchant,
    Outlet,
    ProductLine,
    PurchaseRequest,
    Receipt,
    ReturnRequest,
    SpendRequest,
    TapRef,
)
from conformance.engine.errors import BusinessError
from conformance.runner.plans.oracle import (
    AWARD,
    BALANCE,
    REDEMPTION,
    REFUND,
    REVERSAL,
    Draw,
    Model,
    Move,
    money,
    refusal_of,
    step,
)

CONTACT = "4f7d9a12-3b6c-4e8f-a1d2-5c6b7e8f9a01"
MERCHANT_ID = "7c1e2d3f-4a5b-4c6d-8e9f-0a1b2c3d4e5f"
PRODUCTS = (("COFFEE", Decimal("4.00"), Decimal("0.76")), ("MUFFIN", Decimal("2.50"), Decimal("0.48")),
            ("SANDWICH", Decimal("5.90"), Decimal("1.12")), ("WATER", Decimal("1.00"), Decimal("0.00")),
            ("CAKE", Decimal("3.33"), Decimal("0.63")), ("TEA", Decimal("2.10"), Decimal("0.40")))
"""(sku, net, tax) per unit: the award is 5 % of the net, so a tax-free line and odd cents matter."""
RECLAIM = "CONTACT_RECLAIM"


@dataclass
class CrmComModel(Model):
    api = "crmcom"
    program_id = "crmcom-reference"
    given: dict[str, Any] = field(default_factory=lambda: {
        "credentials": [{"api_key": "ck-1"}],
        "merchants": [{"id": MERCHANT_ID, "code": "M1", "name": "Demo Coffee Ltd",
                       "outlets": [{"code": "O1", "name": "Main street outlet"}]}],
        "customers": [{"id": CONTACT, "code": "C0001", "name": "John Doe", "cim": "22265577", "wallet": "10.00"}],
    })
    bodies: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Capture name -> the purchase body sent, for resubmissions."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self.engine = CrmCom(self.ledger, self.program)
        self.engine.load(Fixture(
            contacts=(ContactFixture(id=CONTACT, code="C0001", name="John Doe", cim="22265577",
                                     wallet=Decimal("10.00")),),
            merchants=(Merchant(MERCHANT_ID, "M1", "Demo Coffee Ltd", (Outlet("outlet-o1", "O1"),)),)))

    @property
    def moves(self) -> dict[str, Callable[[Draw], Move]]:
        return {"purchase": self.purchase, "purchase-with-spend": self.purchase_with_spend,
                "resubmit": self.resubmit, "cancel": self.cancel, "cancel-again": self.cancel_again,
                "return": self.ad_hoc_return, "reclaim": self.reclaim, "wallet": self.wallet}

    # --- moves ---

    def purchase(self, draw: Draw) -> Move:
        return self._purchase(draw, spend=None)

    def purchase_with_spend(self, draw: Draw) -> Move:
        return self._purchase(draw, spend=draw.amount)

    def resubmit(self, draw: Draw) -> Move:
        picked = self.picked(draw)
        if picked is None:
            return self.wallet(draw)
        _, capture = picked
        body = {k: v for k, v in self.bodies[capture].items() if k != "id"}
        step_id = self.next_id("resubmit")
        title = f"Resubmit the purchase of step {capture[1:]} with its reference number (crmPurchaseCreate)"
        try:
            self.engine.purchase(_request(body))
        except BusinessError as exc:
            status, _ = refusal_of(exc)
            return self._then_wallet(step(step_id, title, "crmPurchaseCreate", {"body": body}, status), AWARD)
        raise AssertionError("the engine accepted a reference number twice")

    def cancel(self, draw: Draw) -> Move:
        picked = self.picked(draw)
        if picked is None:
            return self.wallet(draw)
        purchase_id, capture = picked
        step_id = self.next_id("cancel")
        title = f"Cancel the purchase of step {capture[1:]} (crmPurchaseCancel)"
        request = {"path": {"id": f"{{{{{capture}}}}}"}}
        try:
            self.engine.cancel(purchase_id)
            status = 200
        except BusinessError as exc:
            status, _ = refusal_of(exc)
        self.undone.append(picked)
        return self._then_wallet(step(step_id, title, "crmPurchaseCancel", request, status), REVERSAL)

    def cancel_again(self, draw: Draw) -> Move:
        return self.cancel(self.again(draw))

    def ad_hoc_return(self, draw: Draw) -> Move:
        net = draw.amount
        total = net + (net * Decimal("0.19")).quantize(Decimal("0.01"))
        reference = f"RET-{self.index + 1}"
        body = {"contact_id": CONTACT, "reference_number": reference, "outlet_tap": {"code": "O1"},
                "net_amount": net, "total_amount": total}
        result = self.engine.ad_hoc_return(ReturnRequest(reference, contact_id=CONTACT, total_amount=total,
                                                         net_amount=net, outlet_tap=TapRef(code="O1")))
        data = step(self.next_id("return"), f"Ad hoc return of {total} ({net} net) (crmPurchaseAdHocReturn)",
                    "crmPurchaseAdHocReturn", {"body": body}, 200,
                    {"reversed_award_amount": money(result.reversed_award)})
        return self._then_wallet(data, REFUND)

    def reclaim(self, draw: Draw) -> Move:
        """A contact-reclaim purchase (no contact, nothing awarded), then the contact claims its receipt."""
        body = self._body(draw, spend=None)
        body.pop("contact_id")
        body["classification"] = {"code": RECLAIM}
        result = self.engine.purchase(_request(body))
        total = sum((Decimal(str(line["total_amount"])) for line in body["products"]), Decimal(0))
        receipt = Receipt(body["reference_number"], "M1", "O1", total)
        claim = self.engine.claim(receipt, contact_id=CONTACT)
        first = step(self.next_id("reclaim-purchase"), "Submit a contact-reclaim purchase (crmPurchaseCreate)",
                     "crmPurchaseCreate", {"body": body}, 200,
                     {"total_award_amount": money(result.award), "total_spend_amount": money(result.spend)})
        second = step(self.next_id("claim"), "The contact scans the purchase's receipt (controlTrigger)",
                      "controlTrigger", {"body": {"api": "crmcom", "event": "receipt_claimed",
                                                  "data": {"contact_id": CONTACT, "qr": receipt.qr()}}}, 200,
                      {"claimed": claim.claimed, "award": money(claim.award)})
        move = self._then_wallet(first, AWARD)
        move.steps.insert(1, second)
        return move

    def wallet(self, draw: Draw) -> Move:
        return Move([self._wallet_step()], BALANCE)

    # --- helpers ---

    def _purchase(self, draw: Draw, spend: Decimal | None) -> Move:
        body = self._body(draw, spend)
        result = self.engine.purchase(_request(body))
        capture = f"t{self.index + 1}"
        self.done.append((result.id, capture))
        self.bodies[capture] = body
        title = f"Submit a purchase of {len(body['products'])} line(s)" + (f", spend {spend}" if spend else "")
        data = step(self.next_id("purchase"), f"{title} (crmPurchaseCreate)", "crmPurchaseCreate", {"body": body},
                    200, {"total_award_amount": money(result.award), "total_spend_amount": money(result.spend)},
                    capture={capture: "id"})
        move = self._then_wallet(data, AWARD)
        move.fields["total_spend_amount"] = REDEMPTION
        return move

    def _body(self, draw: Draw, spend: Decimal | None) -> dict[str, Any]:
        products = []
        for index, quantity in draw.basket:
            sku, net, tax = PRODUCTS[index % len(PRODUCTS)]
            products.append({"product_sku": sku, "quantity": quantity, "net_amount": net * quantity,
                             "tax_amount": tax * quantity, "total_amount": (net + tax) * quantity})
        body: dict[str, Any] = {"contact_id": CONTACT, "reference_number": f"R-{self.index + 1}",
                                "merchant_tap": {"code": "M1"}, "outlet_tap": {"code": "O1"}, "products": products}
        if spend is not None:
            body["spend_request"] = {"amount": spend}
        return body

    def _then_wallet(self, data: dict[str, Any], check: str) -> Move:
        return Move([data, self._wallet_step()], check, {"balance": BALANCE})

    def _wallet_step(self) -> dict[str, Any]:
        _, balance = self.engine.wallet(CONTACT)
        return step(self.next_id("wallet"), "Read the contact's wallet (crmContactWalletGet)", "crmContactWalletGet",
                    {"path": {"id": CONTACT}}, 200, {"balance": money(balance)})


def _request(body: dict[str, Any]) -> PurchaseRequest:
    """The engine's view of a purchase body the model built (only the fields the model sends)."""
    lines = tuple(ProductLine(p["product_sku"], p["net_amount"], p["tax_amount"], p["total_amount"],
                              Decimal(p["quantity"])) for p in body["products"])
    spend = body.get("spend_request")
    return PurchaseRequest(body["reference_number"], lines, contact_id=body.get("contact_id"),
                           classification_code=(body.get("classification") or {}).get("code"),
                           merchant_tap=TapRef(code="M1"), outlet_tap=TapRef(code="O1"),
                           spend=None if spend is None else SpendRequest(amount=spend["amount"]))
