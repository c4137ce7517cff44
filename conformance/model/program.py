"""A reward program as frozen data: what a basket earns, how tenders weigh, how spend is bounded and rounded.

One format serves the four reference programs of DESIGN section 7, so the engine evaluates them all
the same way and an implementer can read the rules without reading code:

- ``ackroo-reference``: default 10 %, per-SKU 20 % and a fixed 0.40 per unit, five weighted tender slots.
- ``crmcom-webapi-reference``: default 0 %, product code ``Soft Drinks`` 1 % (``skus`` keyed by product
  code, line amount = ``net_amount``), spend minimum 1.00 and maximum 7.90, the rest in ``extra``.
- ``crmcom-reference``: default 5 % of ``net_amount``, ``extra.points_per_unit: 100``.
- ``antavo-reference``: currency ``points`` at scale 0, rate 1 point per unit, rounding ``down`` per
  ``line`` (the integer part of each item's subtotal), ``extra.opt_in_points: 10``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from types import MappingProxyType
from typing import Any, Literal

RoundingMode = Literal["half-up", "down"]
RoundingPer = Literal["transaction", "line"]
UnpaidPolicy = Literal["basket", "nothing"]
RuleSource = Literal["sku", "department", "default"]

_EMPTY: Mapping[str, Any] = MappingProxyType({})


@dataclass(frozen=True)
class EarnRule:
    """How one line earns: a fraction of its amount, or a fixed amount per unit that replaces the fraction."""

    rate: Decimal | None = None
    per_unit: Decimal | None = None

    def __post_init__(self) -> None:
        if (self.rate is None) == (self.per_unit is None):
            raise ValueError("an earn rule has exactly one of rate and per_unit")


@dataclass(frozen=True)
class Earn:
    """The line rules, most specific first: a SKU's rule, else its department's, else the default."""

    default: EarnRule
    skus: Mapping[str, EarnRule] = field(default_factory=lambda: _EMPTY)
    departments: Mapping[str, EarnRule] = field(default_factory=lambda: _EMPTY)

    def __hash__(self) -> int:  # the mappings are read-only views; hash what identifies the rules
        return hash((self.default, tuple(self.skus.items()), tuple(self.departments.items())))

    def match(self, sku: str, dept: str) -> tuple[RuleSource, EarnRule]:
        """The rule that applies to a line, and where it came from: SKU, then department, then default."""
        if sku in self.skus:
            return "sku", self.skus[sku]
        if dept in self.departments:
            return "department", self.departments[dept]
        return "default", self.default


@dataclass(frozen=True)
class Tender:
    """One tender slot (its position is its index in the POS's tender list) and its earn multiplier."""

    name: str
    rate: Decimal


@dataclass(frozen=True)
class Tenders:
    """Tender slots in wire order. No slots means tenders do not weigh the earn.

    ``unpaid`` says what a basket earns when every tender amount is zero (or none is given):
    ``basket`` earns the plain basket earn, as if tenders were not weighed; ``nothing`` earns zero.
    """

    slots: tuple[Tender, ...] = ()
    unpaid: UnpaidPolicy = "basket"

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(slot.name for slot in self.slots)


@dataclass(frozen=True)
class Spend:
    """Bounds on what one transaction may spend (None: unbounded)."""

    minimum: Decimal | None = None
    maximum: Decimal | None = None


@dataclass(frozen=True)
class Rounding:
    """How the exact earn becomes an amount: ``places`` decimals, ``mode``, once per ``per``.

    ``per: line`` rounds each line, then the total once more (a no-op unless tenders split it).
    """

    mode: RoundingMode = "half-up"
    places: int = 2
    per: RoundingPer = "transaction"


@dataclass(frozen=True)
class Program:
    """A reward program: the oracle every implementation of an api is certified against."""

    id: str
    api: str
    description: str
    currency: str
    scale: int
    """Decimal places of the program's unit (2 for money, 0 for points): the ledger's minor unit."""
    earn: Earn
    tenders: Tenders = field(default_factory=Tenders)
    redemption_order: tuple[str, ...] = ()
    """Loyalty buckets a redemption draws from, first to last (Ackroo: promo, then earned)."""
    spend: Spend = field(default_factory=Spend)
    rounding: Rounding = field(default_factory=Rounding)
    extra: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)
    """Api-specific settings the common fields do not cover (read-only)."""

    def __hash__(self) -> int:  # `extra` is an unhashable read-only view; equal programs share id and api
        return hash((self.id, self.api))
