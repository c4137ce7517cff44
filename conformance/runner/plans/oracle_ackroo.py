"""The stateful oracle's Ackroo model: credits and refunds by basket and tender, partial and full loyalty
and gift debits, gift loads, reversals and balance reads on one card, each mirrored on the engine."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from conformance.engine.ackroo import Ackroo, CardFixture, TransactionResult, basket_from_lists
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

DEVICE = "0d373af2942291bf"
CARD = "612573981949778930"
PRODUCTS = (("0101", "01", "2"), ("0102", "02", "4"), ("0103", "02", "5"), ("0104", "01", "3"),
            ("0105", "03", "7"), ("0199", "04", "1.25"))
"""(sku, dept, price): SKUs with each kind of ackroo-reference rule (rate, SKU rate, per unit) and a default."""
NAMES = {"AlreadyReversed": "TransactionAlreadyReversed"}
TRANSACTION_FIELDS = ("el_balance", "gc_balance", "promo_balance")
BALANCES = dict.fromkeys(TRANSACTION_FIELDS, BALANCE)


@dataclass
class AckrooModel(Model):
    api = "ackroo"
    program_id = "ackroo-reference"
    given: dict[str, Any] = field(default_factory=lambda: {
        "credentials": [{"token": "t-1", "device_id": DEVICE}],
        "cards": [{"cardnumber": CARD, "gift": "20.00", "earned": "1.00", "promo": "0.00", "active": True}],
    })

    def __post_init__(self) -> None:
        super().__post_init__()
        self.engine = Ackroo(self.ledger, self.program)
        self.engine.put_cards([CardFixture(CARD, Decimal("20.00"), Decimal("1.00"), Decimal(0), True)])

    @property
    def moves(self) -> dict[str, Callable[[Draw], Move]]:
        return {"credit": self.credit, "refund": self.refund, "loyalty-debit-partial": self.loyalty_partial,
                "loyalty-debit": self.loyalty_full, "gift-load": self.gift_load,
                "gift-debit-partial": self.gift_partial, "gift-debit": self.gift_full, "reversal": self.reversal,
                "reversal-again": self.reversal_again, "balance": self.balance}

    # --- moves ---

    def credit(self, draw: Draw) -> Move:
        return self._basket("credit", "loyaltyCreditMulti", draw, self.engine.credit_multi, "amount_funded", AWARD)

    def refund(self, draw: Draw) -> Move:
        return self._basket("refund", "loyaltyRefundMulti", draw, self.engine.refund_multi, "amount_redeemed", REFUND)

    def loyalty_partial(self, draw: Draw) -> Move:
        return self._amount("loyalty-debit-partial", "loyaltyDebitPartial", draw, self.engine.loyalty_debit_partial,
                            "amount_redeemed", REDEMPTION)

    def loyalty_full(self, draw: Draw) -> Move:
        return self._amount("loyalty-debit", "loyaltyDebit", draw, self.engine.loyalty_debit, "amount_redeemed",
                            REDEMPTION)

    def gift_load(self, draw: Draw) -> Move:
        return self._amount("gift-load", "giftCredit", draw, self.engine.gift_credit, "amount_funded", AWARD)

    def gift_partial(self, draw: Draw) -> Move:
        return self._amount("gift-debit-partial", "giftDebitPartial", draw, self.engine.gift_debit_partial,
                            "amount_redeemed", REDEMPTION)

    def gift_full(self, draw: Draw) -> Move:
        return self._amount("gift-debit", "giftDebit", draw, self.engine.gift_debit, "amount_redeemed", REDEMPTION)

    def reversal(self, draw: Draw) -> Move:
        picked = self.picked(draw)
        if picked is None:
            return self.balance(draw)
        number, capture = picked
        step_id = self.next_id("reversal")
        request = {"body": {"device_id": DEVICE, "transaction_number": f"{{{{{capture}}}}}", "clerk_id": ""}}
        title = f"Reverse the transaction of step {capture[1:]} (transactionReversal)"
        move = self._sent(step_id, title, "transactionReversal", request,
                          lambda: self.engine.reversal(number), ("amount_funded", "amount_redeemed"), REVERSAL)
        self.undone.append(picked)
        return move

    def reversal_again(self, draw: Draw) -> Move:
        return self.reversal(self.again(draw))

    def balance(self, draw: Draw) -> Move:
        card = self.engine.balance(CARD)
        body = {"el_balance": money(card.earned), "gc_balance": money(card.gift), "promo_balance": money(card.promo)}
        request = {"query": {"device_id": DEVICE, "cardnumber": CARD}}
        return Move([step(self.next_id("balance"), "Read the card's balances (cardBalanceQuery)", "cardBalanceQuery",
                          request, 200, body)], BALANCE)

    # --- how each kind is sent ---

    def _basket(self, name: str, operation: str, draw: Draw, run: Callable[..., TransactionResult], amount: str,
                check: str) -> Move:
        lines = [PRODUCTS[index % len(PRODUCTS)] for index, _ in draw.basket]
        quantities = [str(quantity) for _, quantity in draw.basket]
        total = sum((Decimal(price) * int(q) for (_, _, price), q in zip(lines, quantities, strict=True)), Decimal(0))
        tenders = ["0"] * 5
        if draw.tender < 5:
            tenders[draw.tender] = str(total)
        body = {"device_id": DEVICE, "cardnumber": CARD, "clerk_id": "", "ackroo_id": "",
                "price_list": [price for _, _, price in lines], "quantity_list": quantities,
                "dept_id_list": [dept for _, dept, _ in lines], "sku_id_list": [sku for sku, _, _ in lines],
                "tender_type_list": tenders, "promo_id_list": []}
        basket = basket_from_lists(body["price_list"], quantities, body["dept_id_list"], body["sku_id_list"])
        title = f"{name.capitalize()} a basket of {len(lines)} line(s), {total} paid ({operation})"
        return self._sent(self.next_id(name), title, operation, {"body": body},
                          lambda: run(CARD, basket, tenders), (amount,), check)

    def _amount(self, name: str, operation: str, draw: Draw, run: Callable[..., TransactionResult], amount: str,
                check: str) -> Move:
        body = {"device_id": DEVICE, "cardnumber": CARD, "clerk_id": "", "ackroo_id": "", "amount": str(draw.amount)}
        title = f"{name.replace('-', ' ').capitalize()} of {draw.amount} ({operation})"
        return self._sent(self.next_id(name), title, operation, {"body": body}, lambda: run(CARD, draw.amount),
                          (amount,), check)

    def _sent(self, step_id: str, title: str, operation: str, request: dict[str, Any],
              run: Callable[[], TransactionResult], amounts: tuple[str, ...], check: str) -> Move:
        try:
            result = run()
        except BusinessError as exc:
            status, code = refusal_of(exc, NAMES)
            return Move([step(step_id, title, operation, request, status, error=code)], check)
        capture = f"t{self.index}"
        self.done.append((result.transaction_number, capture))
        values = {"amount_funded": result.amount_funded, "amount_redeemed": result.amount_redeemed,
                  "el_balance": result.earned, "gc_balance": result.gift, "promo_balance": result.promo}
        body = {path: money(values[path]) for path in (*amounts, *TRANSACTION_FIELDS)}
        return Move([step(step_id, title, operation, request, 200, body, capture={capture: "transaction_number"})],
                    check, BALANCES)

