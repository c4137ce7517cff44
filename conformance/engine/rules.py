"""Pure earn evaluation: a basket and its tenders against a Program, exact until one rounding at the end.

Line earns are summed as exact fractions; the tender split (DESIGN section 7) multiplies that sum by
``sum(amount_i * rate_i) / sum(amount_i)``, which only depends on the tenders' proportions. The
division is exact too (``Fraction``), so a result lying exactly on a half cent rounds up as it should,
never down by a binary or 28-digit artefact.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from conformance.core.money import to_decimal
from conformance.engine.errors import InvalidRequest
from conformance.model.program import EarnRule, Program, Rounding, RuleSource

Amount = Decimal | int | str
"""An exact amount as callers hold it; floats are refused (MoneyError) wherever one is read."""
Tenders = Sequence[Amount] | Mapping[str, Amount]
"""Amounts paid by tender: by slot position (Ackroo's ``tender_type_list``) or by slot name."""


@dataclass(frozen=True)
class Line:
    """One basket line. ``amount`` overrides price x quantity (CRM.COM's ``net_amount`` after discounts)."""

    sku: str
    dept: str
    price: Decimal
    quantity: Decimal
    amount: Decimal | None = None

    def __post_init__(self) -> None:
        for name in ("price", "quantity", "amount"):
            value = getattr(self, name)
            if value is None:
                continue
            exact = to_decimal(value)  # floats raise MoneyError: a float never enters the engine
            if exact < 0:
                raise InvalidRequest(f"line {self.sku!r}: {name} {value} is negative")
            object.__setattr__(self, name, exact)

    @property
    def total(self) -> Decimal:
        """What the line is worth: its explicit amount, else price x quantity."""
        return self.amount if self.amount is not None else self.price * self.quantity


@dataclass(frozen=True)
class LineEarn:
    """Which rule a line used and what it earned (exact, before any tender weighing)."""

    line: Line
    rule: EarnRule
    source: RuleSource
    exact: Fraction


@dataclass(frozen=True)
class Evaluation:
    """The whole computation, for explanations in reports: per-line earns, tender factor, result."""

    lines: tuple[LineEarn, ...]
    basket: Fraction
    """Sum of the line earns (rounded per line first when the program says ``per: line``)."""
    factor: Fraction
    """The tender weighting: 1 for a program without tender slots."""
    earn: Decimal
    """The reward, rounded once, in the program's unit."""


def evaluate(program: Program, lines: Sequence[Line], tenders: Tenders = ()) -> Evaluation:
    """Evaluate a basket; raises InvalidRequest for a negative or undefined tender."""
    earned: list[LineEarn] = []
    basket = Fraction(0)
    for line in lines:
        item = _line_earn(program, line)
        earned.append(item)
        basket += Fraction(round_amount(item.exact, program.rounding)) if program.rounding.per == "line" else item.exact
    factor = tender_factor(program, tenders)
    return Evaluation(tuple(earned), basket, factor, round_amount(basket * factor, program.rounding))


def earn(program: Program, lines: Sequence[Line], tenders: Tenders = ()) -> Decimal:
    """The reward a basket earns under a program (see :func:`evaluate`)."""
    return evaluate(program, lines, tenders).earn


def tender_factor(program: Program, tenders: Tenders) -> Fraction:
    """``sum(amount * rate) / sum(amount)`` over the program's slots.

    A program without slots is not weighed (factor 1). When every amount is zero (or none is given)
    the program's ``unpaid`` policy decides: ``basket`` -> 1 (plain basket earn), ``nothing`` -> 0.
    """
    slots = program.tenders.slots
    if not slots:
        return Fraction(1)
    amounts = _amounts_by_slot(program, tenders)
    paid = sum(amounts, Fraction(0))
    if paid == 0:
        return Fraction(1) if program.tenders.unpaid == "basket" else Fraction(0)
    weighted = sum((amount * Fraction(slot.rate) for amount, slot in zip(amounts, slots, strict=True)), Fraction(0))
    return weighted / paid


def _amounts_by_slot(program: Program, tenders: Tenders) -> list[Fraction]:
    slots = program.tenders.slots
    amounts = [Fraction(0)] * len(slots)
    if isinstance(tenders, Mapping):
        names = program.tenders.names
        pairs = []
        for name, value in tenders.items():
            if name not in names:
                raise InvalidRequest(f"unknown tender {name!r} (the program has {', '.join(names)})")
            pairs.append((names.index(name), value))
    else:
        pairs = list(enumerate(tenders))
    for index, value in pairs:
        amount = to_decimal(value)
        if amount < 0:
            raise InvalidRequest(f"tender {index + 1} is negative ({value})")
        if index >= len(slots):
            if amount != 0:
                raise InvalidRequest(f"tender slot {index + 1} is not defined (the program has {len(slots)})")
            continue
        amounts[index] = Fraction(amount)
    return amounts


def _line_earn(program: Program, line: Line) -> LineEarn:
    source, rule = program.earn.match(line.sku, line.dept)
    if rule.per_unit is not None:
        exact = Fraction(rule.per_unit) * Fraction(line.quantity)
    else:
        assert rule.rate is not None  # EarnRule guarantees exactly one of the two
        exact = Fraction(line.total) * Fraction(rule.rate)
    return LineEarn(line, rule, source, exact)


def round_amount(value: Fraction, rounding: Rounding) -> Decimal:
    """Round an exact value to ``places`` decimals, half up (away from zero) or down (toward zero)."""
    scaled = abs(value) * 10**rounding.places
    units = math.floor(scaled + Fraction(1, 2)) if rounding.mode == "half-up" else math.floor(scaled)
    return Decimal(units if value >= 0 else -units).scaleb(-rounding.places)
