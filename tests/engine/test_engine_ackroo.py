"""The Ackroo domain over the ledger: seed 002's use cases and every refusal leaving the state untouched."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest

from conformance.core.money import MoneyError
from conformance.engine.ackroo import Ackroo, CardFixture, basket_from_lists
from conformance.engine.clock import FixedClock
from conformance.engine.errors import (
    AlreadyReversed,
    BusinessError,
    CardAlreadyActive,
    CardInactive,
    CardNotFound,
    InsufficientFunds,
    InvalidRequest,
    LoyaltyAmountLessThreshold,
    NotReversible,
    TransactionNotFound,
)
from conformance.engine.ledger import Ledger
from conformance.model.program import Program, Spend
from tests.engine.engine_support import CARD, line, tenders

UC1 = [line("5", "2", "0103", "02"), line("3", "1", "0104", "01")]
UC5 = [line("2", "1", "0101"), line("4", "2", "0102", "02"), line("5", "2", "0103", "02"), line("7", "7", "0105", "03")]


def state(ackroo: Ackroo) -> tuple[object, ...]:
    """Everything a refused operation must leave as it was."""
    ledger = ackroo.ledger
    return (ackroo.balance(CARD), [(t.number, t.status) for t in ledger.transactions("ackroo")])


@pytest.mark.parametrize(
    ("lines", "paid", "reward"),
    [
        (UC1, tenders("13"), "1.30"),
        ([line("5", "2", "0103", "02"), line("3", "2", "0104")], tenders("13"), "1.60"),
        ([line("2", "1", "0101"), line("4", "2", "0102", "02")], tenders("8"), "2.00"),
        (UC5[:3], tenders("20"), "3.00"),
        (UC5, tenders("27"), "5.80"),
        (UC5, tenders("0", "27"), "2.90"),
        (UC5, tenders("7", "20"), "3.65"),
    ],
)
def test_credit_multi_use_cases_1_to_7(ackroo: Ackroo, lines: list[object], paid: list[Decimal], reward: str) -> None:
    result = ackroo.credit_multi(CARD, lines, paid)  # type: ignore[arg-type]
    assert (result.amount_funded, result.amount_redeemed) == (Decimal(reward), Decimal("0.00"))
    assert result.earned == Decimal(reward) == ackroo.balance(CARD).earned
    assert ackroo.ledger.check() == []


def test_use_case_8_refund_takes_back_what_the_lines_earned(ackroo: Ackroo) -> None:
    ackroo.credit_multi(CARD, UC1, tenders("13"))
    refund = ackroo.refund_multi(CARD, [line("5", "2", "0103", "02")], tenders("10"))
    assert refund.amount_redeemed == Decimal("1.00")
    assert refund.earned == Decimal("0.30")


def test_refund_never_takes_more_than_the_balance(ackroo: Ackroo) -> None:
    ackroo.put_card(CARD, earned="0.50", promo="2.00")
    refund = ackroo.refund_multi(CARD, UC1, tenders("13"))
    assert refund.amount_redeemed == Decimal("0.50")
    assert (refund.earned, refund.promo) == (Decimal("0.00"), Decimal("2.00"))
    assert ackroo.loyalty_refund(CARD, "1.00").amount_redeemed == Decimal("0.00")


def test_use_case_9_partial_loyalty_debit_empties_the_balance(ackroo: Ackroo) -> None:
    ackroo.put_card(CARD, earned="4.20")
    el_balance = ackroo.balance(CARD).earned
    result = ackroo.loyalty_debit_partial(CARD, "10")
    assert result.amount_redeemed == el_balance == Decimal("4.20")
    assert result.loyalty == ackroo.balance(CARD).loyalty == Decimal("0.00")


def test_loyalty_redemption_draws_on_earned_only(ackroo: Ackroo) -> None:
    ackroo.put_card(CARD, earned="3.00", promo="2.00")
    first = ackroo.loyalty_debit(CARD, "2.50")
    assert (first.promo, first.earned) == (Decimal("2.00"), Decimal("0.50"))
    rest = ackroo.loyalty_debit_partial(CARD, "10")  # use case 9: takes el_balance, promo stays
    assert (rest.amount_redeemed, rest.earned, rest.promo) == (Decimal("0.50"), Decimal("0.00"), Decimal("2.00"))
    nothing = ackroo.loyalty_debit_partial(CARD, "1")  # partial payment mode never refuses
    assert nothing.amount_redeemed == Decimal("0.00")


def test_full_debits_refuse_more_than_the_balance_and_change_nothing(ackroo: Ackroo) -> None:
    ackroo.put_card(CARD, gift="5.00", earned="1.00", promo="1.00")
    before = state(ackroo)
    with pytest.raises(InsufficientFunds) as loyalty:
        ackroo.loyalty_debit(CARD, "1.01")  # earned 1.00; promo is not redeemable
    with pytest.raises(InsufficientFunds):
        ackroo.gift_debit(CARD, "5.01")
    assert state(ackroo) == before
    assert (loyalty.value.code, loyalty.value.kind) == ("InsufficientFunds", "rule")
    assert ackroo.loyalty_debit(CARD, "1.00").loyalty == Decimal("1.00")
    assert ackroo.gift_debit(CARD, "5.00").gift == Decimal("0.00")


def test_use_case_10_and_11_gift_load_then_partial_debit(ackroo: Ackroo) -> None:
    ackroo.put_card(CARD, gift="13.45")
    loaded = ackroo.gift_credit(CARD, "10")
    assert loaded.gift == Decimal("23.45") and loaded.amount_funded == Decimal("10.00")
    spent = ackroo.gift_debit_partial(CARD, "50")
    assert spent.amount_redeemed == Decimal("23.45")
    assert ackroo.balance(CARD).gift == Decimal("0.00")


def test_use_case_12_gift_load_reversal_restores_the_balance(ackroo: Ackroo) -> None:
    ackroo.put_card(CARD, gift="7.25", earned="1.00")
    gc_balance = ackroo.balance(CARD).gift
    load = ackroo.gift_credit(CARD, "10")
    assert load.gift == gc_balance + 10
    reversal = ackroo.reversal(load.transaction_number)
    assert reversal.gift == gc_balance == ackroo.balance(CARD).gift
    assert reversal.amount_redeemed == Decimal("10.00") and reversal.earned == Decimal("1.00")
    assert reversal.transaction_number != load.transaction_number
    original = ackroo.transaction(load.transaction_number)
    assert (original.status, original.reversed_by) == ("reversed", reversal.transaction_number)
    assert ackroo.transaction(reversal.transaction_number).reverses == load.transaction_number
    before = state(ackroo)
    with pytest.raises(AlreadyReversed) as again:
        ackroo.reversal(load.transaction_number)
    assert again.value.kind == "conflict"
    with pytest.raises(AlreadyReversed):
        ackroo.void(load.transaction_number)
    with pytest.raises(NotReversible):
        ackroo.reversal(reversal.transaction_number)
    assert state(ackroo) == before
    assert ackroo.ledger.check() == []


def test_reversal_of_spent_funds_is_refused_and_changes_nothing(ackroo: Ackroo) -> None:
    load = ackroo.gift_credit(CARD, "10")
    ackroo.gift_debit(CARD, "8")
    before = state(ackroo)
    with pytest.raises(InsufficientFunds):
        ackroo.reversal(load.transaction_number)
    assert state(ackroo) == before
    assert ackroo.transaction(load.transaction_number).status == "posted"


def test_void_undoes_a_debit(ackroo: Ackroo) -> None:
    ackroo.put_card(CARD, earned="3.00", promo="1.00")
    debit = ackroo.loyalty_debit(CARD, "2.50")
    void = ackroo.void(debit.transaction_number)
    assert (void.kind, void.amount_funded, void.earned, void.promo) == (
        "void",
        Decimal("2.50"),
        Decimal("3.00"),
        Decimal("1.00"),
    )


def test_use_case_13_balance_breaks_loyalty_into_earned_and_promo(ackroo: Ackroo) -> None:
    ackroo.put_card(CARD, gift="10.00", earned="2.50", promo="1.25")
    card = ackroo.balance(CARD)
    assert (card.gift, card.loyalty, card.earned, card.promo, card.active) == (
        Decimal("10.00"),
        Decimal("3.75"),
        Decimal("2.50"),
        Decimal("1.25"),
        True,
    )


def test_gift_issue_activates_once_and_its_reversal_deactivates(ackroo: Ackroo) -> None:
    new = "6125739800000001"
    ackroo.put_card(new, active=False)
    with pytest.raises(CardInactive):
        ackroo.gift_credit(new, "5")
    issued = ackroo.gift_issue(new, "25")
    assert ackroo.balance(new).active and issued.gift == Decimal("25.00")
    with pytest.raises(CardAlreadyActive):
        ackroo.gift_issue(new, "25")
    ackroo.reversal(issued.transaction_number)
    assert ackroo.balance(new) == replace(ackroo.balance(new), gift=Decimal("0.00"), active=False)
    assert ackroo.gift_issue(new, "0").amount_funded == Decimal("0.00")  # a card can be issued again


def test_unknown_card_and_transaction(ackroo: Ackroo) -> None:
    with pytest.raises(CardNotFound) as card:
        ackroo.balance("999")
    with pytest.raises(CardNotFound):
        ackroo.loyalty_credit("999", "1")
    with pytest.raises(TransactionNotFound) as txn:
        ackroo.reversal("424242")
    assert card.value.kind == txn.value.kind == "not_found"
    assert isinstance(card.value, BusinessError) and card.value.code == "CardNotFound"


def test_fixture_transactions_keep_balances_equal_to_entries_and_cannot_be_reversed(ackroo: Ackroo) -> None:
    ackroo.put_card(CARD, gift="10.00", earned="2.00")
    ackroo.put_card(CARD, gift="4.00", earned="2.00", promo="1.00")  # re-putting sets, by posting the difference
    assert ackroo.balance(CARD).gift == Decimal("4.00")
    fixtures = ackroo.ledger.transactions("ackroo", account=CARD)
    assert [t.kind for t in fixtures] == ["fixture", "fixture"]
    with pytest.raises(NotReversible):
        ackroo.reversal(fixtures[0].number)
    assert ackroo.ledger.check() == []


def test_a_fixture_load_is_all_or_nothing(ackroo: Ackroo) -> None:
    ackroo.put_cards([CardFixture("5", gift="1")], settings={"credentials": [{"token": "t-1"}]})
    assert ackroo.ledger.get_setting("ackroo", "credentials") == [{"token": "t-1"}]
    with pytest.raises(InvalidRequest):
        ackroo.put_cards([CardFixture("6"), CardFixture("7", gift="-1")], settings={"program": "x"})
    assert ackroo.ledger.get_setting("ackroo", "program") is None and ackroo.ledger.holder("ackroo", "6") is None


def test_amounts_are_exact_positive_decimals(ackroo: Ackroo) -> None:
    before = state(ackroo)
    for bad in ("10.005", "0", "-1", "ten"):
        with pytest.raises((InvalidRequest, MoneyError)):
            ackroo.gift_credit(CARD, bad)
    with pytest.raises(MoneyError):
        ackroo.gift_credit(CARD, 10.0)  # type: ignore[arg-type]
    with pytest.raises(MoneyError):
        ackroo.put_card(CARD, gift=0.1)  # type: ignore[arg-type]
    assert state(ackroo) == before
    assert ackroo.gift_credit(CARD, "0.10").gift == Decimal("0.10")
    assert ackroo.gift_credit(CARD, 5).gift == Decimal("5.10")


def test_results_carry_sequential_numbers_and_the_clock(program: Program) -> None:
    clock = FixedClock()
    with Ledger(":memory:", clock=clock, sequential=True) as ledger:
        ackroo = Ackroo(ledger, program)
        ackroo.put_cards([CardFixture(CARD), CardFixture("2", gift="1")])  # one fixture transaction: number 1
        first = ackroo.loyalty_credit(CARD, "1")
        clock.advance(timedelta(minutes=5))
        second = ackroo.loyalty_credit(CARD, "1")
        assert (first.transaction_number, second.transaction_number) == ("2", "3")
        assert second.created_at - first.created_at == timedelta(minutes=5)
        stored = ledger.get_transaction("ackroo", "3")
        assert stored is not None and stored.created_at == second.created_at
        assert stored.data["request"] == {"amount": "1"}
        assert stored.data["result"]["earned"] == "2.00"


def test_spend_minimum_applies_to_loyalty_redemptions(program: Program, ledger: Ledger) -> None:
    strict = Ackroo(ledger, replace(program, spend=Spend(minimum=Decimal("5.00"))))
    strict.put_card(CARD, earned="20.00")
    with pytest.raises(LoyaltyAmountLessThreshold):
        strict.loyalty_debit(CARD, "4.99")
    assert strict.loyalty_debit_partial(CARD, "5").amount_redeemed == Decimal("5.00")


def test_basket_from_parallel_lists(ackroo: Ackroo) -> None:
    lines = basket_from_lists(["5", "3"], ["2", "1"], ["02", "01"], ["0103", "0104"])
    assert ackroo.credit_multi(CARD, lines, ["13", "0", "0", "0", "0"]).amount_funded == Decimal("1.30")
    with pytest.raises(InvalidRequest):
        basket_from_lists(["5"], ["2", "1"], ["02"], ["0103"])
    with pytest.raises(InvalidRequest):
        basket_from_lists(["5,00"], ["2"], ["02"], ["0103"])


def test_weighed_quantities_multiply_exactly_and_round_once(ackroo: Ackroo) -> None:
    # DESIGN.md § 9: decimal quantities. 0.5 kg of 0103 at 5.00 earns 10 % of 2.50; two lines of 1.012 units of
    # 0105 earn 0.40 a unit: 0.25 + 0.4048 + 0.4048 = 1.0596 -> 1.06 (rounding each line would give 1.05).
    lines = basket_from_lists(["5", "7", "7"], ["0.5", "1.012", "1.012"], ["02", "03", "03"], ["0103", "0105", "0105"])
    assert [ln.quantity for ln in lines] == [Decimal("0.5"), Decimal("1.012"), Decimal("1.012")]
    assert ackroo.credit_multi(CARD, lines, tenders("16.67")).amount_funded == Decimal("1.06")


@pytest.mark.parametrize("quantity", ["0", "0.000", "-1", "1.2345", "0.0001"])
def test_quantities_are_strictly_positive_with_three_decimals_at_most(ackroo: Ackroo, quantity: str) -> None:
    before = state(ackroo)
    with pytest.raises(InvalidRequest):
        ackroo.credit_multi(CARD, basket_from_lists(["5"], [quantity], ["02"], ["0103"]), tenders("5"))
    assert state(ackroo) == before
