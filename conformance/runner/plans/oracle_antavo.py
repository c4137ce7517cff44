"""The stateful oracle's Antavo model: checkouts with items (with and without points burned), refunds and
partial refunds of earlier checkouts, and customer reads, mirrored on the engine. Points are integers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from conformance.engine.antavo import Antavo, Basket, CustomerFixture, EventResult, Item
from conformance.engine.errors import BusinessError
from conformance.runner.plans.oracle import AWARD, BALANCE, REDEMPTION, REFUND, Draw, Model, Move, refusal_of, step

CUSTOMER_ID = "a222e90f-2c59-468d-9b81-62f560084379"
PROFILE = {"email": "sally.thompson@example.com", "first_name": "Sally", "last_name": "Thompson"}
PRODUCTS = (("443", Decimal("50")), ("543", Decimal("49.99")), ("601", Decimal("12.5")), ("702", Decimal("3")))
"""(product_id, subtotal per unit) of the items a checkout sends."""
BALANCES = {"spendable": BALANCE, "spent": BALANCE}
BUSINESS_STATUS = {"NotEnoughPoints": 409, "ERR_TX_ALREADY_EXISTS": 400}
"""DESIGN section 9 as the Antavo simulator answers: a burn above the balance is a 409 conflict."""


@dataclass
class AntavoModel(Model):
    api = "antavo"
    program_id = "antavo-reference"
    given: dict[str, Any] = field(default_factory=lambda: {
        "clock": {"real": True}, "signature_enforcement": True,
        "credentials": [{"api_key": "ak-1", "secret": "as-1", "region": "eu"}],
        "customers": [{"id": CUSTOMER_ID, **PROFILE, "spendable": "40"}],
    })

    def __post_init__(self) -> None:
        super().__post_init__()
        self.engine = Antavo(self.ledger, self.program)
        self.engine.put_customers([CustomerFixture(CUSTOMER_ID, dict(PROFILE), spendable="40")])

    @property
    def moves(self) -> dict[str, Callable[[Draw], Move]]:
        return {"checkout": self.checkout, "checkout-burn": self.checkout_burn, "refund": self.refund,
                "partial-refund": self.partial_refund, "preview": self.preview, "customer": self.customer}

    def checkout(self, draw: Draw) -> Move:
        return self._checkout(draw, 0)

    def checkout_burn(self, draw: Draw) -> Move:
        return self._checkout(draw, draw.cents % 60 + 1)

    def refund(self, draw: Draw) -> Move:
        picked = self.picked(draw)
        if picked is None:
            return self.customer(draw)
        transaction_id, _ = picked
        return self._event(self.next_id("refund"), f"Refund checkout {transaction_id} (antavoPostEvent)",
                           "refund", {"transaction_id": transaction_id},
                           lambda: self.engine.refund(CUSTOMER_ID, transaction_id), REFUND)

    def partial_refund(self, draw: Draw) -> Move:
        picked = self.picked(draw)
        if picked is None:
            return self.customer(draw)
        transaction_id, _ = picked
        total = draw.amount
        return self._event(self.next_id("partial-refund"),
                           f"Refund {total} of checkout {transaction_id} (antavoPostEvent)", "partial_refund",
                           {"transaction_id": transaction_id, "total": total},
                           lambda: self.engine.partial_refund(CUSTOMER_ID, transaction_id, total), REFUND)

    def preview(self, draw: Draw) -> Move:
        """The points a checkout of this basket would earn, recording nothing."""
        data, basket = self._basket(draw, f"P-{self.index + 1}")
        points = self.engine.preview(CUSTOMER_ID, basket).points
        body = {"customer": CUSTOMER_ID, "action": "checkout", "data": data}
        return Move([step(self.next_id("preview"), "Preview the points of a checkout (antavoPointsPreview)",
                          "antavoPointsPreview", {"body": body}, 200, {"data.purchase.points": points})], AWARD)

    def customer(self, draw: Draw) -> Move:
        customer = self.engine.customer(CUSTOMER_ID)
        return Move([step(self.next_id("customer"), "Read the customer (antavoGetCustomer)", "antavoGetCustomer",
                          {"path": {"customer_id": CUSTOMER_ID}}, 200,
                          {"spendable": customer.spendable, "spent": customer.spent})], BALANCE, dict(BALANCES))

    # --- helpers ---

    def _checkout(self, draw: Draw, burned: int) -> Move:
        transaction_id = f"T-{self.index + 1}"
        data, basket = self._basket(draw, transaction_id)
        if burned:
            data["points_burned"] = burned
        title = f"Checkout {transaction_id}" + (f", {burned} points burned" if burned else "") + " (antavoPostEvent)"
        move = self._event(self.next_id("checkout-burn" if burned else "checkout"), title, "checkout", data,
                           lambda: self.engine.checkout(CUSTOMER_ID, basket, points_burned=burned),
                           REDEMPTION if burned else AWARD, transaction_id)
        move.fields = {"spendable": AWARD, "spent": REDEMPTION if burned else BALANCE}
        return move

    @staticmethod
    def _basket(draw: Draw, transaction_id: str) -> tuple[dict[str, Any], Basket]:
        """The checkout's `data` as sent, and the engine's basket of it."""
        lines = [(PRODUCTS[index % len(PRODUCTS)], quantity) for index, quantity in draw.basket]
        items = [{"product_id": product, "price": price, "quantity": quantity, "subtotal": price * quantity}
                 for (product, price), quantity in lines]
        total = sum((price * quantity for (_, price), quantity in lines), Decimal(0))
        basket = Basket(transaction_id, total, tuple(Item(product, price * quantity)
                                                     for (product, price), quantity in lines))
        return {"transaction_id": transaction_id, "total": total, "items": items}, basket

    def _event(self, step_id: str, title: str, action: str, data: dict[str, Any], run: Callable[[], EventResult],
               check: str, done: str | None = None) -> Move:
        body = {"customer": CUSTOMER_ID, "action": action, "data": data}
        try:
            result = run()
        except BusinessError as exc:
            status = BUSINESS_STATUS.get(exc.code, refusal_of(exc)[0])
            return Move([step(step_id, title, "antavoPostEvent", {"body": body}, status)], check)
        if done is not None:
            self.done.append((done, done))
        expected: dict[str, Any] = {"spendable": result.customer.spendable, "spent": result.customer.spent,
                                    "events": {"$len": len(result.events)}}
        if action != "checkout":
            expected.update({f"events.{i}.points": event.points for i, event in enumerate(result.events)})
        return Move([step(step_id, title, "antavoPostEvent", {"body": body}, 200, expected)], check, dict(BALANCES))
