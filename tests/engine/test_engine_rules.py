"""The reference Ackroo program reproduces every figure of DESIGN section 7 (seed 002, use cases 1-8)."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest

from conformance.core.money import MoneyError
from conformance.engine.errors import InvalidRequest
from conformance.engine.rules import Line, earn, evaluate, round_amount, tender_factor
from conformance.model.program import Program, Rounding, Tenders
from tests.engine.engine_support import line, tenders

UC1 = [line("5", "2", "0103", "02"), line("3", "1", "0104", "01")]
UC2 = [line("5", "2", "0103", "02"), line("3", "2", "0104", "01")]
UC3 = [line("2", "1", "0101", "01"), line("4", "2", "0102", "02")]
UC4 = [*UC3, line("5", "2", "0103", "02")]
UC5 = [*UC4, line("7", "7", "0105", "03")]


@pytest.mark.parametrize(
    ("case", "lines", "paid", "reward"),
    [
        (1, UC1, tenders("13"), "1.30"),
        (2, UC2, tenders("13"), "1.60"),
        (3, UC3, tenders("8"), "2.00"),
        (4, UC4, tenders("20"), "3.00"),
        (5, UC5, tenders("27"), "5.80"),
        (6, UC5, tenders("0", "27"), "2.90"),
        (7, UC5, tenders("7", "20"), "3.65"),
        (8, [line("5", "2", "0103", "02")], tenders("10"), "1.00"),
    ],
)
def test_design_table(program: Program, case: int, lines: list[Line], paid: list[Decimal], reward: str) -> None:
    result = earn(program, lines, paid)
    assert result == Decimal(reward)
    assert str(result) == reward  # two decimals, as Ackroo prints money


def test_only_tender_proportions_matter(program: Program) -> None:
    assert earn(program, UC5, tenders("7", "20")) == earn(program, UC5, tenders("0.70", "2.00"))
    assert earn(program, UC2, tenders("13")) == earn(program, UC2, tenders("1000"))


def test_tenders_by_name_equal_tenders_by_slot(program: Program) -> None:
    by_name = {"cash": Decimal("7"), "debit": Decimal("20")}
    assert earn(program, UC5, by_name) == earn(program, UC5, tenders("7", "20"))


def test_uc7_is_rounded_once_at_the_end(program: Program) -> None:
    evaluation = evaluate(program, UC5, tenders("7", "20"))
    assert evaluation.basket == Fraction("5.8")
    assert evaluation.factor == Fraction(17, 27)
    assert evaluation.earn == Decimal("3.65")  # 3.6518...: rounding the cash and debit shares apart gives 3.66
    assert [item.source for item in evaluation.lines] == ["sku", "sku", "default", "sku"]


def test_all_zero_tenders_earn_the_plain_basket(program: Program) -> None:
    """Decision: ``unpaid: basket`` (a POS that sends no tender amounts still earns on its lines)."""
    assert earn(program, UC5, tenders()) == Decimal("5.80")
    assert earn(program, UC5, []) == Decimal("5.80")
    nothing = Program(**{**program.__dict__, "tenders": Tenders(program.tenders.slots, "nothing")})
    assert earn(program, UC5, tenders()) != earn(nothing, UC5, tenders())
    assert earn(nothing, UC5, tenders()) == Decimal("0.00")


def test_gift_tender_earns_nothing(program: Program) -> None:
    assert earn(program, UC5, tenders("0", "0", "0", "27")) == Decimal("0.00")


def test_department_override_sits_between_sku_and_default(program: Program) -> None:
    from types import MappingProxyType

    from conformance.model.program import Earn, EarnRule

    earn_rules = Earn(
        program.earn.default,
        program.earn.skus,
        MappingProxyType({"02": EarnRule(rate=Decimal("0.5")), "01": EarnRule(per_unit=Decimal("1"))}),
    )
    custom = Program(**{**program.__dict__, "earn": earn_rules})
    # 0103 (dept 02) now earns 50 %, 0104 (dept 01) 1.00 per unit; SKU 0101 keeps its own 20 %
    basket = [line("5", "2", "0103", "02"), line("3", "2", "0104", "01"), line("2", "1", "0101", "01")]
    assert earn(custom, basket, tenders("1")) == Decimal("5.00") + Decimal("2.00") + Decimal("0.40")


def test_rounding_is_half_up_exactly_on_the_half_cent(program: Program) -> None:
    # 0.05 x 10 % = 0.005: exactly half a cent rounds up, however the tender split is expressed
    assert earn(program, [line("0.05", "1", "0103")], tenders("1")) == Decimal("0.01")
    half = Rounding("half-up", 2, "transaction")
    assert round_amount(Fraction(5, 1000), half) == Decimal("0.01")
    assert round_amount(Fraction(4999, 1000000), half) == Decimal("0.00")
    assert round_amount(Fraction(7, 2), Rounding("down", 0, "line")) == Decimal("3")


def test_explicit_line_amount_overrides_price_times_quantity(program: Program) -> None:
    discounted = Line("0103", "02", Decimal("5"), Decimal("2"), amount=Decimal("8"))
    assert earn(program, [discounted], tenders("8")) == Decimal("0.80")


def test_negative_and_unknown_tenders_are_refused(program: Program) -> None:
    with pytest.raises(InvalidRequest):
        tender_factor(program, tenders("-1", "2"))
    with pytest.raises(InvalidRequest):
        tender_factor(program, [*tenders("1"), Decimal("3")])
    with pytest.raises(InvalidRequest):
        tender_factor(program, {"bitcoin": Decimal("1")})
    assert tender_factor(program, [*tenders("1"), Decimal("0")]) == 1  # a zero sixth slot is harmless
    with pytest.raises(InvalidRequest):
        line("-5", "1", "0103")


def test_floats_never_enter_the_engine(program: Program) -> None:
    with pytest.raises(MoneyError):
        Line("0103", "02", 5.0, Decimal("1"))  # type: ignore[arg-type]
    with pytest.raises(MoneyError):
        earn(program, UC1, [13.0, 0, 0, 0, 0])  # type: ignore[list-item]
