"""Money is Decimal, never float: parse, round half up to cents, format, and convert to minor units."""

from __future__ import annotations

from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")
MAX_MINOR = 2**63 - 1
"""The largest amount in minor units a ledger can hold (SQLite's 64-bit INTEGER)."""


class MoneyError(ValueError):
    """A value that is not an exact decimal amount (a float, NaN, infinity or garbage)."""


def to_decimal(value: object) -> Decimal:
    """Read an amount from a str, int or Decimal. Floats are refused: they are not exact."""
    if isinstance(value, bool | float):
        raise MoneyError(f"{value!r} is not an exact amount (floats are refused)")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, str):
        try:
            result = Decimal(value.strip())
        except InvalidOperation:
            raise MoneyError(f"{value!r} is not a decimal amount") from None
    else:
        raise MoneyError(f"{value!r} is not a decimal amount")
    if not result.is_finite():
        raise MoneyError(f"{value!r} is not a finite amount")
    return result


def cents(value: Decimal) -> Decimal:
    """Round half up to cents: the one rounding every reference program applies, once, at the end."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def floor_int(value: Decimal) -> int:
    """Integer part of a non-negative amount (Antavo points)."""
    return int(value.to_integral_value(rounding=ROUND_DOWN))


def format_money(value: Decimal) -> str:
    """Two-decimal string, as Ackroo and CRM.COM REST print money: ``Decimal('1.3') -> '1.30'``.

    Zero is never signed: ``-0.0`` prints ``0.00`` (the specs' money pattern has no ``-0.00``)."""
    rounded = cents(value)
    return str(abs(rounded) if rounded.is_zero() else rounded)


def to_minor(value: Decimal, scale: int = 2) -> int:
    """Exact integer minor units (cents for scale 2, points for scale 0); refuses sub-unit remainders
    and amounts a 64-bit ledger cannot hold (checked before `int()`, which a `1E+100000000` would stall)."""
    if value.is_finite() and not value.is_zero() and value.adjusted() + scale > 18:
        raise MoneyError(f"{value} is out of range")
    scaled = value.scaleb(scale)
    if scaled != scaled.to_integral_value():
        raise MoneyError(f"{value} has more than {scale} decimal places")
    minor = int(scaled)
    if abs(minor) > MAX_MINOR:
        raise MoneyError(f"{value} is out of range")
    return minor


def from_minor(minor: int, scale: int = 2) -> Decimal:
    """Inverse of :func:`to_minor`."""
    return Decimal(minor).scaleb(-scale)


def money_equal(a: object, b: object) -> bool:
    """Compare amounts as Decimal: ``"1.3"`` equals ``"1.30"`` equals ``Decimal("1.3")``."""
    try:
        return to_decimal(a) == to_decimal(b)
    except MoneyError:
        return False
