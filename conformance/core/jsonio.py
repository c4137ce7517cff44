"""JSON with exact money: numbers parse to Decimal and Decimals serialise as JSON numbers, never via float."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

_STR = json.encoder.encode_basestring
MAX_DEPTH = 64
"""Deepest nesting accepted: no documented body comes near it, and everything downstream may recurse."""
PLAIN_EXPONENT = 40
"""A Decimal whose exponent is within this is written in plain digits; beyond, in E notation (never 50 MB)."""


class Raw(str):
    """JSON text already serialised (and checked): `dumps` writes it verbatim."""


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def loads(text: str | bytes) -> Any:
    """Parse strict JSON; non-integer numbers become Decimal so `7.9` stays exactly 7.9.

    Refused with ValueError (so a caller answers 400, never 500): `NaN` / `Infinity`, strings holding a
    lone surrogate (they cannot be written back as UTF-8), and nesting deeper than MAX_DEPTH.
    """
    try:
        value = json.loads(text, parse_float=Decimal, parse_constant=_refuse_constant)
    except RecursionError:
        raise ValueError(f"nested deeper than {MAX_DEPTH} levels") from None
    _check(value)
    return value


def _check(value: Any) -> None:
    """Walk without recursion: bounded depth, and every string (keys too) encodable as UTF-8."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                raise ValueError("a string holds a lone surrogate (not valid Unicode)") from None
        elif isinstance(item, dict | list):
            if depth >= MAX_DEPTH:
                raise ValueError(f"nested deeper than {MAX_DEPTH} levels")
            children = [*item.keys(), *item.values()] if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)


def dumps(value: Any) -> str:
    """Serialise compactly; a Decimal is written as the number it is (``Decimal('7.90')`` -> ``7.90``)."""
    parts: list[str] = []
    _write(value, parts)
    return "".join(parts)


def _write(value: Any, out: list[str]) -> None:
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, Raw):
        out.append(value)
    elif isinstance(value, str):
        out.append(_STR(value))
    elif isinstance(value, int):
        out.append(str(value))
    elif isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"{value} cannot be written as JSON")
        text = str(value)
        exponent = value.as_tuple().exponent
        plain = "E" not in text or (isinstance(exponent, int) and abs(exponent) > PLAIN_EXPONENT)
        out.append(text if plain else format(value, "f"))
    elif isinstance(value, float):
        raise TypeError("floats are not written: money and points are Decimal or int")
    elif isinstance(value, dict):
        out.append("{")
        for index, (key, item) in enumerate(value.items()):
            if index:
                out.append(",")
            out.append(_STR(str(key)))
            out.append(":")
            _write(item, out)
        out.append("}")
    elif isinstance(value, list | tuple):
        out.append("[")
        for index, item in enumerate(value):
            if index:
                out.append(",")
            _write(item, out)
        out.append("]")
    else:
        raise TypeError(f"cannot write {type(value).__name__} as JSON")
