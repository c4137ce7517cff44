"""Money is Decimal, never float: parse, round half up to cents, format, and convert to minor units."""

from __future__ import annotations

from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")


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
    """Two-decimal string, as Ackroo and CRM.COM REST print money: ``Decimal('1.3') -> '1.30'``."""
    return str(cents(value))


def to_minor(value: Decimal, scale: int = 2) -> int:
    """Exact integer minor units (cents for scale 2, points for scale 0); refuses sub-unit remainders."""
    scaled = value.scaleb(scale)
    if scaled != scaled.to_integral_value():
        raise MoneyError(f"{value} has more than {scale} decimal places")
    return int(scaled)


def from_minor(minor: int, scale: int = 2) -> Decimal:
    """Inverse of :func:`to_minor`."""
    return Decimal(minor).scaleb(-scale)


def money_equal(a: object, b: object) -> bool:
    """Compare amounts as Decimal: ``"1.3"`` equals ``"1.30"`` equals ``Decimal("1.3")``."""
    try:
        return to_decimal(a) == to_decimal(b)
    except MoneyError:
        return False
