"""The stateful oracle's CRM.COM Web API model: previews, purchases, spend requests on them and cancels
(also twice), each followed by a wallet read, after a login; refusals are HTTP 200 with a status code."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from conformance.engine.crmcom_webapi import CustomerFixture, CustomerRef, EventDetails, EventRef, ProductLine, WebApi
from conformance.engine.errors import BusinessError
from conformance.runner.plans.oracle import AWARD, BALANCE, REDEMPTION, REVERSAL, Draw, Model, Move, money, step

CUSTOMER = {"number": "001", "name": "John Doe", "authentication_code": "22265577", "wallet": "10.00"}
PRODUCTS = (("Soft Drinks", Decimal("8.00"), Decimal("2.00")), ("Sandwiches", Decimal("2.00"), Decimal("0.50")),
            ("Soft Drinks", Decimal("1.37"), Decimal("0.33")), ("Coffee", Decimal("3.10"), Decimal("0.60")))
"""(product code, net, vat) per unit: Soft Drinks earn 1 % of the net in crmcom-webapi-reference."""
UNIT, PERFORMED_ON, EXTERNAL_SYSTEM = {"name": "Unit"}, "2017-05-22T16:05:00", "POSID01"
DETAILS: dict[str, Any] = {"performed_by_unit_identifier": UNIT, "performed_on": PERFORMED_ON,
                           "external_system": EXTERNAL_SYSTEM}
ACCOUNT = {"number": "001"}
WALLET = {"data.wallet.balance": BALANCE}


@dataclass
class WebApiModel(Model):
    api = "crmcom-webapi"
    program_id = "crmcom-webapi-reference"
    given: dict[str, Any] = field(default_factory=lambda: {
        "credentials": [{"username": "pos", "password": "pw", "organisation": "demo"}],
        "customers": [dict(CUSTOMER)],
    })

    def __post_init__(self) -> None:
        super().__post_init__()
        self.engine = WebApi(self.ledger, self.program)
        self.engine.put_customers([CustomerFixture.from_mapping(CUSTOMER)])
        self.ref = CustomerRef("number", "001")
        self.details = EventDetails(PERFORMED_ON, UNIT, EXTERNAL_SYSTEM)

    @property
    def moves(self) -> dict[str, Callable[[Draw], Move]]:
        return {"preview": self.preview, "purchase": self.purchase, "spend": self.spend, "cancel": self.cancel,
                "cancel-again": self.cancel_again, "show": self.show}

    def prelude(self) -> list[dict[str, Any]]:
        return [step("login", "Log in (webApiLogin)", "webApiLogin",
                     {"body": {"username": "pos", "password": "pw", "organisation": "demo"}}, 200,
                     {"status.code": "OK"}, capture={"token": "data.token"})]

    # --- moves ---

    def preview(self, draw: Draw) -> Move:
        products, lines = self._basket(draw)
        preview = self.engine.preview(self.ref, lines)
        body = {"token": "{{token}}", "accounts_receivable_identifier": ACCOUNT, "products_set": products,
                "reference_number": f"PRE-{self.index + 1}", **DETAILS}
        data = step(self.next_id("preview"), "Preview a purchase (webApiPurchasePreview)", "webApiPurchasePreview",
                    {"body": body}, 200, {"status.code": "OK", "data.total_award_amount": money(preview.award),
                                          "data.total_additional_spend_amount": money(preview.additional_spend)})
        return Move([data], AWARD, {"data.total_additional_spend_amount": REDEMPTION})

    def purchase(self, draw: Draw) -> Move:
        products, lines = self._basket(draw)
        reference = f"REF-{self.index + 1}"
        purchase = self.engine.create_purchase(self.ref, lines, reference, self.details)
        capture = f"t{self.index + 1}"
        self.done.append((purchase.number, capture))
        body = {"token": "{{token}}", "accounts_receivable_identifier": ACCOUNT, "products_set": products,
                "reference_number": reference, "process_immediately": True, **DETAILS}
        data = step(self.next_id("purchase"), f"Submit purchase {reference} (webApiPurchaseCreate)",
                    "webApiPurchaseCreate", {"body": body}, 200,
                    {"status.code": "OK", "data.total_awarded_amount": money(purchase.award)},
                    capture={capture: "data.number"})
        return self._then_wallet(data, AWARD)

    def spend(self, draw: Draw) -> Move:
        picked = self.picked(draw)
        if picked is None:
            return self.show(draw)
        number, capture = picked
        body = {"token": "{{token}}", "accounts_receivable_identifier": ACCOUNT, "spend_amount": draw.amount,
                "purchase_customer_request_identifier": {"number": f"{{{{{capture}}}}}"},
                "process_immediately": True, **DETAILS}
        step_id = self.next_id("spend")
        title = f"Spend {draw.amount} on the purchase of step {capture[1:]} (webApiSpendRequestCreate)"
        try:
            result = self.engine.spend(self.ref, EventRef("number", number), draw.amount, self.details)
        except BusinessError as exc:
            return self._then_wallet(step(step_id, title, "webApiSpendRequestCreate", {"body": body}, 200,
                                          error=exc.code), REDEMPTION)
        data = step(step_id, title, "webApiSpendRequestCreate", {"body": body}, 200,
                    {"status.code": "OK", "data.spend_reward_transaction.total_amount": money(result.spent)})
        return self._then_wallet(data, REDEMPTION)

    def cancel(self, draw: Draw) -> Move:
        picked = self.picked(draw)
        if picked is None:
            return self.show(draw)
        number, capture = picked
        body = {"token": "{{token}}", "customer_event_identifier": {"number": f"{{{{{capture}}}}}"}}
        step_id = self.next_id("cancel")
        title = f"Cancel the purchase of step {capture[1:]} (webApiPurchaseCancel)"
        self.undone.append(picked)
        try:
            self.engine.cancel(EventRef("number", number))
        except BusinessError as exc:
            return self._then_wallet(step(step_id, title, "webApiPurchaseCancel", {"body": body}, 200,
                                          error=exc.code), REVERSAL)
        data = step(step_id, title, "webApiPurchaseCancel", {"body": body}, 200,
                    {"status.code": "OK", "data.life_cycle_state": "CANCELLED"})
        return self._then_wallet(data, REVERSAL)

    def cancel_again(self, draw: Draw) -> Move:
        return self.cancel(self.again(draw))

    def show(self, draw: Draw) -> Move:
        return Move([self._wallet_step()], BALANCE, dict(WALLET))

    # --- helpers ---

    def _basket(self, draw: Draw) -> tuple[list[dict[str, Any]], list[ProductLine]]:
        products, lines = [], []
        for index, quantity in draw.basket:
            code, net, vat = PRODUCTS[index % len(PRODUCTS)]
            amounts = {"net_amount": net * quantity, "vat_amount": vat * quantity,
                       "total_amount": (net + vat) * quantity}
            products.append({"product_identifier": {"code": code}, "quantity": quantity, **amounts})
            lines.append(ProductLine({"code": code}, Decimal(quantity), amounts["net_amount"],
                                     amounts["vat_amount"], amounts["total_amount"]))
        return products, lines

    def _then_wallet(self, data: dict[str, Any], check: str) -> Move:
        return Move([data, self._wallet_step()], check, dict(WALLET))

    def _wallet_step(self) -> dict[str, Any]:
        balance = self.engine.customer(self.ref).balance
        body = {"token": "{{token}}", "rewards_participant_identifier": ACCOUNT, "fields_set": "wallet"}
        return step(self.next_id("wallet"), "Read the customer's wallet (webApiRewardsParticipantShow)",
                    "webApiRewardsParticipantShow", {"body": body}, 200,
                    {"status.code": "OK", "data.wallet.balance": money(balance)})
