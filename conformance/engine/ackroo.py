"""The Ackroo domain over the ledger: gift and loyalty cards, earn by basket, debits, refunds, reversals.

A card is a ledger holder (its ``active`` flag) with three buckets: ``gift``, ``earned`` and ``promo``
(loyalty = earned + promo). Each operation is one ledger transaction: it either commits whole and
returns a :class:`TransactionResult`, or raises a :class:`BusinessError` and changes nothing.
Inferred rules (DESIGN section 7 and providers.md 1.2 are silent) are marked "Inferred" below.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from conformance.core.money import MoneyError, from_minor, to_decimal, to_minor
from conformance.engine.errors import (
    CardAlreadyActive,
    CardInactive,
    CardNotFound,
    InsufficientFunds,
    InvalidRequest,
    LoyaltyAmountLessThreshold,
    NotReversible,
    TransactionNotFound,
)
from conformance.engine.ledger import Ledger, LedgerTx, TxRecord
from conformance.engine.rules import Amount, Line, Tenders, evaluate
from conformance.model.program import Program

API = "ackroo"
GIFT, EARNED, PROMO = "gift", "earned", "promo"
BUCKETS = (GIFT, EARNED, PROMO)
LOYALTY = (EARNED, PROMO)
FIXTURE = "fixture"
"""Kind of the opening-balance transactions fixtures post; they cannot be reversed."""

Meta = Mapping[str, Any]
Plan = Callable[[dict[str, int]], dict[str, int]]
"""Given a card's balances (minor units), the amounts to post per bucket (or a BusinessError)."""


@dataclass(frozen=True)
class CardBalance:
    """What ``/device/card`` reports."""

    cardnumber: str
    gift: Decimal
    earned: Decimal
    promo: Decimal
    active: bool

    @property
    def loyalty(self) -> Decimal:
        return self.earned + self.promo


@dataclass(frozen=True)
class TransactionResult:
    """What every Ackroo transaction returns: its number and time, what moved, and the new balances."""

    transaction_number: str
    created_at: datetime
    kind: str
    cardnumber: str
    amount_funded: Decimal
    amount_redeemed: Decimal
    gift: Decimal
    earned: Decimal
    promo: Decimal

    @property
    def loyalty(self) -> Decimal:
        return self.earned + self.promo


@dataclass(frozen=True)
class CardFixture:
    """A card as ``POST /_control/fixtures`` gives it: balances to hold and the active flag."""

    cardnumber: str
    gift: Amount = Decimal(0)
    earned: Amount = Decimal(0)
    promo: Amount = Decimal(0)
    active: bool = True


class Ackroo:
    """Ackroo cards over a shared :class:`Ledger`, earning by a :class:`Program`."""

    api = API

    def __init__(self, ledger: Ledger, program: Program) -> None:
        if program.api != API:
            raise ValueError(f"program {program.id} is for {program.api}, not {API}")
        unknown = set(program.redemption_order) - set(LOYALTY)
        if unknown or not program.redemption_order:
            raise ValueError(f"program {program.id}: redemption_order must list loyalty buckets {LOYALTY}")
        self.ledger = ledger
        self.program = program

    # --- fixtures and reads ---

    def put_cards(self, cards: Sequence[CardFixture], *, settings: Meta | None = None) -> list[CardBalance]:
        """Create or update cards in one transaction; balances are set by an opening ``fixture`` transaction
        posting the difference, so every balance still equals the sum of its entries. ``settings``
        (credentials, program id...) are stored in the same transaction: a fixture load is all or nothing."""
        with self.ledger.transaction(API) as tx:
            for key, value in (settings or {}).items():
                tx.set_setting(key, value)
            for card in cards:
                self._open(tx, card.cardnumber)
                tx.put_holder(card.cardnumber, {**(tx.holder(card.cardnumber) or {}), "active": bool(card.active)})
                target = {GIFT: card.gift, EARNED: card.earned, PROMO: card.promo}
                current = tx.balances(card.cardnumber)
                delta = {
                    bucket: self._minor(value, allow_zero=True) - current[bucket] for bucket, value in target.items()
                }
                if any(delta.values()):
                    tx.post(FIXTURE, card.cardnumber, delta, data={"request": {"fixture": target}})
        return [self.balance(card.cardnumber) for card in cards]

    def put_card(
        self, cardnumber: str, *, gift: Amount = 0, earned: Amount = 0, promo: Amount = 0, active: bool = True
    ) -> CardBalance:
        """One card (see :meth:`put_cards`)."""
        return self.put_cards([CardFixture(cardnumber, gift, earned, promo, active)])[0]

    def balance(self, cardnumber: str) -> CardBalance:
        """The card's balances and active flag; CardNotFound for an unknown card."""
        with self.ledger.view(API) as tx:
            holder, minor = tx.holder(cardnumber), tx.balances(cardnumber)
        if holder is None:
            raise CardNotFound(f"card {_mask(cardnumber)} not found")
        return CardBalance(cardnumber, *self._decimals(minor), active=bool(holder.get("active")))

    def transaction(self, number: str) -> TxRecord:
        record = self.ledger.get_transaction(API, number)
        if record is None:
            raise TransactionNotFound(f"transaction {number} not found")
        return record

    # --- loyalty ---

    def credit_multi(
        self, cardnumber: str, lines: Sequence[Line], tenders: Tenders, *, meta: Meta | None = None
    ) -> TransactionResult:
        """Earn on a basket: what the program gives the lines, weighted by the tenders (DESIGN 7)."""
        evaluation = evaluate(self.program, lines, tenders)
        reward = self._minor(evaluation.earn, allow_zero=True)
        request = _request(meta, lines=_lines(lines), tenders=_tenders(tenders), earn=evaluation.earn)
        return self._run("loyalty_credit_multi", cardnumber, request, lambda _: {EARNED: reward})

    def refund_multi(
        self, cardnumber: str, lines: Sequence[Line], tenders: Tenders, *, meta: Meta | None = None
    ) -> TransactionResult:
        """Take back what the same lines and tenders would earn, never more than the earned balance holds.

        Inferred: the take-back comes from ``earned`` only (it undoes an earn; promo dollars are not earned).
        """
        evaluation = evaluate(self.program, lines, tenders)
        wanted = self._minor(evaluation.earn, allow_zero=True)
        request = _request(meta, lines=_lines(lines), tenders=_tenders(tenders), earn=evaluation.earn)
        return self._run("loyalty_refund_multi", cardnumber, request, lambda b: {EARNED: -min(wanted, b[EARNED])})

    def loyalty_credit(self, cardnumber: str, amount: Amount, *, meta: Meta | None = None) -> TransactionResult:
        """Fund an amount of earned loyalty."""
        minor = self._minor(amount)
        return self._run("loyalty_credit", cardnumber, _request(meta, amount=amount), lambda _: {EARNED: minor})

    def loyalty_refund(self, cardnumber: str, amount: Amount, *, meta: Meta | None = None) -> TransactionResult:
        """Take back an amount of earned loyalty, never more than the earned balance holds.

        Inferred: the single-amount twin of :meth:`refund_multi` (a sale refunded, its earn taken back).
        """
        minor = self._minor(amount)
        request = _request(meta, amount=amount)
        return self._run("loyalty_refund", cardnumber, request, lambda b: {EARNED: -min(minor, b[EARNED])})

    def loyalty_debit(self, cardnumber: str, amount: Amount, *, meta: Meta | None = None) -> TransactionResult:
        """Redeem exactly ``amount`` of loyalty (promo, then earned); InsufficientFunds when it holds less."""
        minor = self._redeemable(amount)

        def plan(balances: dict[str, int]) -> dict[str, int]:
            if minor > self._redeemable_balance(balances):
                raise InsufficientFunds(f"loyalty balance is below {amount}")
            return self._draw(balances, minor)

        return self._run("loyalty_debit", cardnumber, _request(meta, amount=amount), plan)

    def loyalty_debit_partial(self, cardnumber: str, amount: Amount, *, meta: Meta | None = None) -> TransactionResult:
        """Redeem ``min(amount, loyalty balance)``, promo then earned (use case 9); never refused for funds."""
        minor = self._redeemable(amount)
        request = _request(meta, amount=amount)
        return self._run(
            "loyalty_debit_partial",
            cardnumber,
            request,
            lambda b: self._draw(b, min(minor, self._redeemable_balance(b))),
        )

    # --- gift ---

    def gift_credit(self, cardnumber: str, amount: Amount, *, meta: Meta | None = None) -> TransactionResult:
        """Load an active gift card (use cases 10 and 12)."""
        minor = self._minor(amount)
        return self._run("gift_credit", cardnumber, _request(meta, amount=amount), lambda _: {GIFT: minor})

    def gift_issue(self, cardnumber: str, amount: Amount, *, meta: Meta | None = None) -> TransactionResult:
        """Activate a known, inactive card and load it; CardAlreadyActive otherwise. A zero load only activates."""
        minor = self._minor(amount, allow_zero=True)
        return self._run(
            "gift_issue", cardnumber, _request(meta, amount=amount), lambda _: {GIFT: minor}, activate=True
        )

    def gift_debit(self, cardnumber: str, amount: Amount, *, meta: Meta | None = None) -> TransactionResult:
        """Redeem exactly ``amount`` of gift ("InsufficientFunds mode"): refused when the card holds less."""
        minor = self._minor(amount)

        def plan(balances: dict[str, int]) -> dict[str, int]:
            if minor > balances[GIFT]:
                raise InsufficientFunds(f"gift balance is below {amount}")
            return {GIFT: -minor}

        return self._run("gift_debit", cardnumber, _request(meta, amount=amount), plan)

    def gift_debit_partial(self, cardnumber: str, amount: Amount, *, meta: Meta | None = None) -> TransactionResult:
        """Redeem ``min(amount, gift balance)`` ("Partial Payment mode", use case 11)."""
        minor = self._minor(amount)
        request = _request(meta, amount=amount)
        return self._run("gift_debit_partial", cardnumber, request, lambda b: {GIFT: -min(minor, b[GIFT])})

    # --- undo ---

    def reversal(self, transaction_number: str, *, meta: Meta | None = None) -> TransactionResult:
        """Undo a whole transaction by posting its negated entries (use case 12).

        Refused, changing nothing: unknown number (TransactionNotFound), already reversed or voided
        (AlreadyReversed), a reversal or a fixture (NotReversible), funds spent since (InsufficientFunds).
        Reversing a ``gift_issue`` also deactivates the card again (inferred).
        """
        return self._undo("reversal", transaction_number, meta)

    def void(self, transaction_number: str, *, meta: Meta | None = None) -> TransactionResult:
        """``DELETE /transaction``: the same as :meth:`reversal`, recorded as a void."""
        return self._undo("void", transaction_number, meta)

    # --- a seam for the simulator's fault profiles ---

    def post(self, kind: str, cardnumber: str, plan: Plan, *, request: Meta | None = None) -> TransactionResult:
        """Post one transaction of ``kind`` on an active card, moving what ``plan`` returns: how a fault profile
        acts like a buggy provider (the operations above never need it). The ledger still refuses a balance
        below zero."""
        return self._run(kind, cardnumber, dict(request or {}), plan)

    def minor(self, amount: Amount) -> int:
        """Exact minor units of a positive request amount; InvalidRequest otherwise."""
        return self._minor(amount)

    # --- internals ---

    def _run(
        self, kind: str, cardnumber: str, request: Meta, plan: Plan, *, activate: bool = False
    ) -> TransactionResult:
        with self.ledger.transaction(API) as tx:
            holder = tx.holder(cardnumber)
            if holder is None:
                raise CardNotFound(f"card {_mask(cardnumber)} not found")
            if activate:
                if holder.get("active"):
                    raise CardAlreadyActive(f"card {_mask(cardnumber)} is already active")
                tx.put_holder(cardnumber, {**holder, "active": True})
            elif not holder.get("active"):
                raise CardInactive(f"card {_mask(cardnumber)} is not active")
            before = tx.balances(cardnumber)
            amounts = plan(before)
            result = self._summary(before, amounts)
            record = tx.post(kind, cardnumber, amounts, data={"request": request, "result": result})
            return self._result(record, result)

    def _undo(self, kind: str, number: str, meta: Meta | None) -> TransactionResult:
        with self.ledger.transaction(API) as tx:
            original = tx.get(number)
            if original is None:
                raise TransactionNotFound(f"transaction {number} not found")
            if original.kind == FIXTURE:
                raise NotReversible(f"transaction {number} is a fixture")
            assert original.account is not None  # every Ackroo transaction is on one card
            amounts = {p.bucket: -p.amount for p in tx.entries(number)}
            result = self._summary(tx.balances(original.account), amounts)
            request = _request(meta, transaction_number=number)
            record = tx.reverse(number, kind, data={"request": request, "result": result})
            if original.kind == "gift_issue":
                tx.put_holder(original.account, {**(tx.holder(original.account) or {}), "active": False})
            return self._result(record, result)

    def _open(self, tx: LedgerTx, cardnumber: str) -> None:
        for bucket in BUCKETS:
            tx.open_account(cardnumber, bucket, self.program.scale)

    def _redeemable_balance(self, balances: Mapping[str, int]) -> int:
        """What a loyalty redemption can draw: the buckets of the program's redemption order."""
        return sum(balances[bucket] for bucket in self.program.redemption_order)

    def _draw(self, balances: Mapping[str, int], minor: int) -> dict[str, int]:
        """Split a loyalty redemption (at most the redeemable balance) across buckets in redemption order."""
        amounts: dict[str, int] = {}
        left = minor
        for bucket in self.program.redemption_order:
            take = min(left, balances[bucket])
            amounts[bucket] = -take
            left -= take
        assert left == 0, "callers cap the amount at the redeemable balance"
        return amounts

    def _redeemable(self, amount: Amount) -> int:
        """A loyalty redemption amount; below the program's spend minimum is LoyaltyAmountLessThreshold."""
        minor = self._minor(amount)
        minimum = self.program.spend.minimum
        if minimum is not None and to_decimal(amount) < minimum:
            raise LoyaltyAmountLessThreshold(f"{amount} is below the redemption minimum {minimum}")
        return minor

    def _minor(self, amount: Amount, *, allow_zero: bool = False) -> int:
        """Exact minor units of a positive amount (floats raise MoneyError: a harness bug, not a request)."""
        value = to_decimal(amount)
        if value < 0 or (value == 0 and not allow_zero):
            raise InvalidRequest(f"amount {amount} must be {'zero or more' if allow_zero else 'above zero'}")
        try:
            return to_minor(value, self.program.scale)
        except MoneyError:
            raise InvalidRequest(f"amount {amount} has more than {self.program.scale} decimal places") from None

    def _decimals(self, minor: Mapping[str, int]) -> tuple[Decimal, Decimal, Decimal]:
        scale = self.program.scale
        return from_minor(minor[GIFT], scale), from_minor(minor[EARNED], scale), from_minor(minor[PROMO], scale)

    def _summary(self, before: Mapping[str, int], amounts: Mapping[str, int]) -> dict[str, Decimal]:
        """What moved and the balances after it: the transaction's stored result and its returned fields."""
        after = {bucket: before[bucket] + amounts.get(bucket, 0) for bucket in BUCKETS}
        funded = sum(a for a in amounts.values() if a > 0)
        redeemed = -sum(a for a in amounts.values() if a < 0)
        gift, earned, promo = self._decimals(after)
        scale = self.program.scale
        return {
            "amount_funded": from_minor(funded, scale),
            "amount_redeemed": from_minor(redeemed, scale),
            "gift": gift,
            "earned": earned,
            "promo": promo,
        }

    @staticmethod
    def _result(record: TxRecord, summary: Mapping[str, Decimal]) -> TransactionResult:
        assert record.account is not None  # every Ackroo transaction is on one card
        return TransactionResult(record.number, record.created_at, record.kind, record.account, **summary)


def basket_from_lists(
    prices: Sequence[Amount], quantities: Sequence[Amount], depts: Sequence[str], skus: Sequence[str]
) -> list[Line]:
    """Lines from Ackroo's parallel ``price_list``/``quantity_list``/``dept_id_list``/``sku_id_list``."""
    if not len(prices) == len(quantities) == len(depts) == len(skus):
        raise InvalidRequest("price_list, quantity_list, dept_id_list and sku_id_list differ in length")
    try:
        return [
            Line(sku, dept, to_decimal(price), _quantity(quantity))
            for price, quantity, dept, sku in zip(prices, quantities, depts, skus, strict=True)
        ]
    except MoneyError as exc:
        raise InvalidRequest(str(exc)) from None


QUANTITY_PLACES = 3
"""Weighed goods: a quantity has at most three decimals (DESIGN.md § 9: "0.5", "1.25")."""


def _quantity(value: Amount) -> Decimal:
    """A strictly positive quantity with at most three decimals, kept exact (the earn is rounded once, at the end)."""
    quantity = to_decimal(value)  # finite, never a float
    exponent = quantity.normalize().as_tuple().exponent
    if quantity <= 0 or (isinstance(exponent, int) and exponent < -QUANTITY_PLACES):
        raise InvalidRequest(f"quantity {value} is not a positive amount with at most {QUANTITY_PLACES} decimals")
    return quantity


def _request(meta: Meta | None, **fields: Any) -> dict[str, Any]:
    """The request summary stored with a transaction: the operation's fields, then the caller's extras."""
    return {**(meta or {}), **fields}


def _lines(lines: Sequence[Line]) -> list[dict[str, Any]]:
    return [{"sku": ln.sku, "dept": ln.dept, "price": ln.price, "quantity": ln.quantity} for ln in lines]


def _tenders(tenders: Tenders) -> Any:
    return dict(tenders) if isinstance(tenders, Mapping) else list(tenders)


def _mask(cardnumber: str) -> str:
    """Only the last 4 digits of a card number go into messages (DESIGN section 4)."""
    return "*" + cardnumber[-4:]


__all__ = [
    "API",
    "BUCKETS",
    "Ackroo",
    "CardBalance",
    "CardFixture",
    "TransactionResult",
    "basket_from_lists",
]
