"""Random sequences of Ackroo operations against a plain Python model of the cards (hypothesis).

After every step: no balance below zero, every balance equals the sum of its ledger entries
(``Ledger.check``), the engine's balances equal the model's, a successful reversal restores exactly the
balances before the reversed transaction's own effect, and a refused operation changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from conformance.engine.ackroo import Ackroo, CardBalance, CardFixture, TransactionResult
from conformance.engine.clock import FixedClock
from conformance.engine.errors import (
    AlreadyReversed,
    BusinessError,
    CardAlreadyActive,
    CardInactive,
    InsufficientFunds,
    NotReversible,
    TransactionNotFound,
)
from conformance.engine.ledger import Ledger
from conformance.engine.rules import Line, earn
from conformance.loader.programs import load_program
from tests.engine.engine_support import PROGRAM_FILE

PROGRAM = load_program(PROGRAM_FILE)
CARDS = ("6125000000000001", "6125000000000002", "6125000000000003")  # the third starts inactive
ZERO = Decimal("0.00")
Deltas = dict[str, Decimal]
Plan = Callable[[CardBalance], "Deltas | type[BusinessError]"]

amounts = st.integers(min_value=1, max_value=3000).map(lambda c: Decimal(c).scaleb(-2))
lines = st.lists(
    st.builds(
        Line,
        sku=st.sampled_from(["0101", "0102", "0103", "0104", "0105"]),
        dept=st.sampled_from(["01", "02", "03"]),
        price=st.integers(min_value=0, max_value=2000).map(lambda c: Decimal(c).scaleb(-2)),
        quantity=st.integers(min_value=1, max_value=7).map(Decimal),
    ),
    min_size=1,
    max_size=4,
)
tenders = st.lists(st.integers(min_value=0, max_value=40).map(Decimal), min_size=5, max_size=5)
cards = st.sampled_from(CARDS)


def loyalty_draw(card: CardBalance, amount: Decimal) -> Deltas:
    """From earned only (the reference program's redemption order: use case 9 debits el_balance)."""
    return {"earned": -amount}


class AckrooMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.ledger = Ledger(":memory:", clock=FixedClock(), sequential=True)
        self.ackroo = Ackroo(self.ledger, PROGRAM)
        self.ackroo.put_cards(
            [
                CardFixture(CARDS[0], gift="20.00", earned="5.00", promo="2.00"),
                CardFixture(CARDS[1], earned="1.00"),
                CardFixture(CARDS[2], active=False),
            ]
        )
        self.model = self.snapshot()
        self.count = len(self.ledger.transactions("ackroo"))
        self.effects: dict[str, tuple[str, Deltas]] = {}
        self.numbers: list[str] = []
        self.reversed: set[str] = set()
        self.reversals: set[str] = set()
        self.issues: set[str] = set()

    def teardown(self) -> None:
        self.ledger.close()

    def snapshot(self) -> dict[str, CardBalance]:
        return {card: self.ackroo.balance(card) for card in CARDS}

    def run(
        self, card: str, plan: Plan, call: Callable[[], TransactionResult], *, activate: bool = False
    ) -> TransactionResult | None:
        """Predict from the model, run, and check: the predicted error with nothing changed, or the deltas."""
        before = self.model[card]
        expected: Deltas | type[BusinessError]
        if activate and before.active:
            expected = CardAlreadyActive
        elif not activate and not before.active:
            expected = CardInactive
        else:
            expected = plan(before)
        if isinstance(expected, type):
            try:
                call()
            except BusinessError as error:
                assert type(error) is expected, (error, expected)
                return None
            raise AssertionError(f"expected {expected.code}")
        result = call()
        after = replace(
            before,
            gift=before.gift + expected.get("gift", ZERO),
            earned=before.earned + expected.get("earned", ZERO),
            promo=before.promo + expected.get("promo", ZERO),
            active=before.active or activate,
        )
        self.model[card] = after
        assert (result.gift, result.earned, result.promo) == (after.gift, after.earned, after.promo)
        assert result.amount_funded == sum((d for d in expected.values() if d > 0), ZERO)
        assert result.amount_redeemed == -sum((d for d in expected.values() if d < 0), ZERO)
        self.count += 1
        self.effects[result.transaction_number] = (card, expected)
        self.numbers.append(result.transaction_number)
        return result

    @rule(card=cards, basket=lines, paid=tenders)
    def credit_multi(self, card: str, basket: list[Line], paid: list[Decimal]) -> None:
        reward = earn(PROGRAM, basket, paid)
        self.run(card, lambda _: {"earned": reward}, lambda: self.ackroo.credit_multi(card, basket, paid))

    @rule(card=cards, basket=lines, paid=tenders)
    def refund_multi(self, card: str, basket: list[Line], paid: list[Decimal]) -> None:
        reward = earn(PROGRAM, basket, paid)
        self.run(
            card, lambda b: {"earned": -min(reward, b.earned)}, lambda: self.ackroo.refund_multi(card, basket, paid)
        )

    @rule(card=cards, amount=amounts)
    def loyalty_credit(self, card: str, amount: Decimal) -> None:
        self.run(card, lambda _: {"earned": amount}, lambda: self.ackroo.loyalty_credit(card, amount))

    @rule(card=cards, amount=amounts)
    def loyalty_refund(self, card: str, amount: Decimal) -> None:
        self.run(card, lambda b: {"earned": -min(amount, b.earned)}, lambda: self.ackroo.loyalty_refund(card, amount))

    @rule(card=cards, amount=amounts)
    def loyalty_debit(self, card: str, amount: Decimal) -> None:
        def plan(b: CardBalance) -> Deltas | type[BusinessError]:
            return InsufficientFunds if amount > b.earned else loyalty_draw(b, amount)

        self.run(card, plan, lambda: self.ackroo.loyalty_debit(card, amount))

    @rule(card=cards, amount=amounts)
    def loyalty_debit_partial(self, card: str, amount: Decimal) -> None:
        plan: Plan = lambda b: loyalty_draw(b, min(amount, b.earned))  # noqa: E731
        self.run(card, plan, lambda: self.ackroo.loyalty_debit_partial(card, amount))

    @rule(card=cards, amount=amounts)
    def gift_credit(self, card: str, amount: Decimal) -> None:
        self.run(card, lambda _: {"gift": amount}, lambda: self.ackroo.gift_credit(card, amount))

    @rule(card=st.sampled_from(CARDS[2:]) | cards, amount=amounts)  # mostly the inactive card
    def gift_issue(self, card: str, amount: Decimal) -> None:
        result = self.run(card, lambda _: {"gift": amount}, lambda: self.ackroo.gift_issue(card, amount), activate=True)
        if result is not None:
            self.issues.add(result.transaction_number)

    @rule(card=cards, amount=amounts)
    def gift_debit(self, card: str, amount: Decimal) -> None:
        def plan(b: CardBalance) -> Deltas | type[BusinessError]:
            return InsufficientFunds if amount > b.gift else {"gift": -amount}

        self.run(card, plan, lambda: self.ackroo.gift_debit(card, amount))

    @rule(card=cards, amount=amounts)
    def gift_debit_partial(self, card: str, amount: Decimal) -> None:
        self.run(card, lambda b: {"gift": -min(amount, b.gift)}, lambda: self.ackroo.gift_debit_partial(card, amount))

    @precondition(lambda self: self.numbers)
    @rule(data=st.data(), void=st.booleans())
    def reverse(self, data: st.DataObject, void: bool) -> None:
        self.undo(data.draw(st.sampled_from(self.numbers), label="transaction"), void)

    @precondition(lambda self: self.numbers)
    @rule(void=st.booleans())
    def reverse_latest(self, void: bool) -> None:
        """The common case at a till: undo the transaction just made."""
        self.undo(self.numbers[-1], void)

    def undo(self, number: str, void: bool) -> None:
        card, effect = self.effects[number]
        before = self.model[card]
        undo = {bucket: -delta for bucket, delta in effect.items()}
        expected: type[BusinessError] | None = None
        if number in self.reversals:
            expected = NotReversible
        elif number in self.reversed:
            expected = AlreadyReversed
        elif any(getattr(before, bucket) + delta < 0 for bucket, delta in undo.items()):
            expected = InsufficientFunds
        call = self.ackroo.void if void else self.ackroo.reversal
        if expected is not None:
            try:
                call(number)
            except BusinessError as error:
                assert type(error) is expected, (error, expected)
                return
            raise AssertionError(f"expected {expected.code}")
        result = call(number)
        restored = replace(
            before,
            gift=before.gift - effect.get("gift", ZERO),
            earned=before.earned - effect.get("earned", ZERO),
            promo=before.promo - effect.get("promo", ZERO),
            active=before.active and number not in self.issues,
        )
        assert (result.gift, result.earned, result.promo) == (restored.gift, restored.earned, restored.promo)
        self.model[card] = restored
        self.count += 1
        self.reversed.add(number)
        self.reversals.add(result.transaction_number)
        self.effects[result.transaction_number] = (card, undo)
        self.numbers.append(result.transaction_number)

    @rule(number=st.sampled_from(["0", "999999", "abc"]))
    def reverse_unknown(self, number: str) -> None:
        try:
            self.ackroo.reversal(number)
        except TransactionNotFound:
            return
        raise AssertionError("an unknown transaction was reversed")

    @invariant()
    def balances_match_the_model_and_never_go_negative(self) -> None:
        snapshot = self.snapshot()
        assert snapshot == self.model
        assert all(min(c.gift, c.earned, c.promo) >= 0 for c in snapshot.values())
        assert len(self.ledger.transactions("ackroo")) == self.count  # refused operations post nothing

    @invariant()
    def every_balance_is_the_sum_of_its_entries(self) -> None:
        assert self.ledger.check() == []


AckrooMachine.TestCase.settings = settings(
    max_examples=60, stateful_step_count=30, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
TestAckrooStateful = AckrooMachine.TestCase
