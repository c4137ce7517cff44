"""The antavo-reference program (DESIGN 7) in the engine: every rule, refusals changing nothing, a sound ledger."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conformance.engine.antavo import (
    AccountNotFound,
    Antavo,
    Basket,
    CustomerFixture,
    CustomerNotFound,
    Item,
    NotEnoughPoints,
    TransactionAlreadyExists,
    exact,
)
from conformance.engine.clock import FixedClock
from conformance.engine.errors import InvalidRequest, TransactionNotFound
from conformance.engine.ledger import Ledger
from conformance.loader.programs import load_programs
from conformance.model.program import Program

SALLY = "a222e90f-2c59-468d-9b81-62f560084379"
PROGRAM: Program = load_programs()["antavo-reference"]
SEED = Basket("5875-9373-2618-7461-9237", Decimal(100), (Item("443", Decimal(50)), Item("543", Decimal(50))))


def domain(spendable: int = 0) -> Antavo:
    engine = Antavo(Ledger(":memory:", clock=FixedClock(), sequential=True), PROGRAM)
    engine.put_customers([CustomerFixture(SALLY, {"email": "sally.thompson@example.com"}, spendable=spendable)])
    return engine


@pytest.fixture
def antavo() -> Iterator[Antavo]:
    engine = domain(20)
    yield engine
    assert engine.ledger.check("antavo") == []
    engine.ledger.close()


def points(result: object) -> list[tuple[str, int]]:
    return [(e.action, e.points) for e in result.events]  # type: ignore[attr-defined]


def test_opt_in_earns_10_the_first_time_only(antavo: Antavo) -> None:
    first = antavo.opt_in("new", {"email": "n@example.com", "unknown": "dropped"})
    assert points(first) == [("opt_in", 10)]
    assert first.events[0].account.id == "primary_account" and first.events[0].expdate == "2025-01-01"
    assert first.customer.profile == {"email": "n@example.com"}
    assert points(antavo.opt_in("new")) == [] and antavo.customer("new").spendable == 10
    assert points(antavo.opt_in(SALLY)) == []  # fixture customers are already enrolled


def test_seed_checkout(antavo: Antavo) -> None:
    assert antavo.preview(SALLY, SEED).points == 100
    result = antavo.checkout(SALLY, SEED, points_burned=20)
    assert points(result) == [("checkout_item", 50), ("checkout_item", 50)]
    customer = result.customer
    assert (customer.spendable, customer.spent, customer.score) == (100, 20, 120)
    assert (customer.purchase_count, customer.purchase_total) == (1, Decimal(100))
    assert [e.expdate for e in result.events] == ["2025-01-01", "2025-01-01"]


def test_integer_parts(antavo: Antavo) -> None:
    items = antavo.checkout(SALLY, Basket("T-1", None, (Item("a", Decimal("50.99")), Item("b", Decimal("0.999")))))
    assert points(items) == [("checkout_item", 50), ("checkout_item", 0)]
    assert points(antavo.checkout(SALLY, Basket("T-2", Decimal("37.5")))) == [("checkout", 37)]


def test_burn_is_limited_to_the_balance_before_the_earn() -> None:
    engine = domain(10)
    with pytest.raises(NotEnoughPoints):
        engine.checkout(SALLY, SEED, points_burned=20)
    assert engine.customer(SALLY).spendable == 10 and engine.customer(SALLY).purchase_count == 0
    assert engine.checkout(SALLY, SEED, points_burned=10).customer.spendable == 100


def test_refusals_change_nothing(antavo: Antavo) -> None:
    antavo.checkout(SALLY, SEED)
    refusals = [
        (TransactionAlreadyExists, lambda: antavo.checkout(SALLY, SEED)),
        (CustomerNotFound, lambda: antavo.checkout("nobody", Basket("T-9", Decimal(1)))),
        (AccountNotFound, lambda: antavo.checkout(SALLY, Basket("T-9", Decimal(1)), account="other")),
        (TransactionNotFound, lambda: antavo.refund(SALLY, "T-missing")),
        (TransactionNotFound, lambda: antavo.refund("new", SEED.transaction_id)),
        (NotEnoughPoints, lambda: antavo.point_spend(SALLY, 1000)),
        (InvalidRequest, lambda: antavo.partial_refund(SALLY, SEED.transaction_id, Decimal(0))),
    ]
    antavo.opt_in("new")
    before = antavo.customer(SALLY)
    for error, call in refusals:
        with pytest.raises(error):
            call()
        assert antavo.customer(SALLY) == before
    with pytest.raises(TransactionAlreadyExists, match="ERR_TX_ALREADY_EXISTS"):
        antavo.checkout(SALLY, SEED)


def test_refund_takes_back_what_is_left_and_returns_the_burn_once(antavo: Antavo) -> None:
    antavo.checkout(SALLY, SEED, points_burned=20)
    assert points(antavo.partial_refund(SALLY, SEED.transaction_id, Decimal(33))) == [("partial_refund", -33)]
    refund = antavo.refund(SALLY, SEED.transaction_id)
    assert points(refund) == [("refund", -67), ("point_unspend", 20)]
    assert (refund.customer.spendable, refund.customer.spent) == (20, 0)
    assert points(antavo.refund(SALLY, SEED.transaction_id)) == []
    assert points(antavo.partial_refund(SALLY, SEED.transaction_id, Decimal(50))) == []


def test_partial_refund_never_takes_more_than_earned(antavo: Antavo) -> None:
    antavo.checkout(SALLY, Basket("T-3", None, (Item("a", Decimal(30)), Item("b", Decimal(10)))))  # total 40
    assert points(antavo.partial_refund(SALLY, "T-3", Decimal(10))) == [("partial_refund", -10)]
    assert points(antavo.partial_refund(SALLY, "T-3", Decimal(1000))) == [("partial_refund", -30)]
    assert points(antavo.partial_refund(SALLY, "T-3", Decimal(1))) == []


def test_partial_refund_of_a_zero_total_takes_what_is_left(antavo: Antavo) -> None:
    antavo.checkout(SALLY, Basket("T-4", Decimal(0), (Item("a", Decimal(7)),)))
    assert points(antavo.partial_refund(SALLY, "T-4", Decimal(1))) == [("partial_refund", -7)]


def test_spendable_never_goes_below_zero() -> None:
    engine = domain(0)
    engine.checkout(SALLY, SEED)
    engine.point_spend(SALLY, 90)  # 10 left
    result = engine.refund(SALLY, SEED.transaction_id)
    assert points(result) == [("refund", -10)] and result.customer.spendable == 0
    assert points(engine.refund(SALLY, SEED.transaction_id)) == []  # nothing spendable: nothing taken, 90 owed
    engine.put_customers([CustomerFixture(SALLY, spendable=50, spent=90)])
    assert points(engine.refund(SALLY, SEED.transaction_id)) == [("refund", -50)]  # the 90 left untaken before
    assert engine.ledger.check("antavo") == []


def test_accept_reject_and_attributes(antavo: Antavo) -> None:
    antavo.checkout(SALLY, SEED)
    assert points(antavo.checkout_accept(SALLY, SEED.transaction_id)) == []
    assert antavo.customer(SALLY).spendable == 120
    assert points(antavo.checkout_reject(SALLY, SEED.transaction_id)) == [("checkout_reject", -100)]
    assert antavo.opt_out(SALLY).customer.status == "inactive"
    updated = antavo.profile(SALLY, {"first_name": "Sal", "store": "london_02"}).customer
    assert updated.profile["first_name"] == "Sal" and updated.properties == {"store": "london_02"}


def test_accounts_external_ids_and_exact_numbers() -> None:
    engine = domain()
    engine.put_customers([CustomerFixture("multi", accounts=({"id": "main_account", "name": "Main", "spendable": 5},
                                                              {"id": "other", "spendable": 7}),
                                          external_id="M-1")])
    assert engine.find_by_external_id("M-1") == "multi"
    assert engine.customer("multi").spendable == 12
    result = engine.checkout("nobody", Basket("T-5", Decimal(3)), account="other", external_id="M-1")
    assert result.customer.id == "multi" and result.events[0].account.id == "other"
    assert [a.spendable for a in result.customer.accounts] == [5, 10]
    for bad in (0.5, "NaN", Decimal("-1"), Decimal("1E-500"), Decimal("1E+500")):
        with pytest.raises(InvalidRequest):
            exact(bad, "total")
    assert exact(Decimal("5E-324"), "total") == Decimal("5E-324")


def test_event_ids_repeat_in_deterministic_mode() -> None:
    runs = []
    for _ in range(2):
        engine = domain(20)
        runs.append([e.id for e in engine.checkout(SALLY, SEED, points_burned=20).events])
    assert runs[0] == runs[1] and len(set(runs[0])) == 2 and all(len(i) == 24 for i in runs[0])


subtotals = st.decimals(min_value=0, max_value=10**6, places=3, allow_nan=False, allow_infinity=False)
baskets = st.tuples(st.one_of(st.none(), subtotals), st.lists(subtotals, max_size=4)).filter(
    lambda b: b[0] is not None or b[1])


@settings(max_examples=60, deadline=None)
@given(basket=baskets, burn=st.integers(0, 30), refunds=st.lists(st.one_of(st.none(), subtotals), max_size=4))
def test_preview_equals_the_earn_and_refunds_stay_bounded(basket: tuple[Decimal | None, list[Decimal]], burn: int,
                                                          refunds: list[Decimal | None]) -> None:
    engine = domain(20)
    total, lines = basket
    cart = Basket("T-P", total, tuple(Item(str(i), s) for i, s in enumerate(lines)))
    preview = engine.preview(SALLY, cart)
    if burn > 20:
        with pytest.raises(NotEnoughPoints):
            engine.checkout(SALLY, cart, points_burned=burn)
        return
    result = engine.checkout(SALLY, cart, points_burned=burn)
    earned = sum(e.points for e in result.events)
    assert earned == preview.points and preview.bonus == 0
    assert earned == (sum(int(s) for s in lines) if lines else int(total or 0))
    taken = 0
    for refunded in refunds:
        if refunded is not None and refunded == 0:
            continue
        done = (engine.refund(SALLY, "T-P") if refunded is None
                else engine.partial_refund(SALLY, "T-P", refunded))
        taken -= sum(e.points for e in done.events if e.action != "point_unspend")
        assert 0 <= taken <= earned and done.customer.spendable >= 0
    assert engine.ledger.check("antavo") == []
    engine.ledger.close()
