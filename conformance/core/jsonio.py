"""JSON with exact money: numbers parse to Decimal and Decimals serialise as JSON numbers, never via float."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

_STR = json.encoder.encode_basestring


def loads(text: str | bytes) -> Any:
    """Parse JSON; non-integer numbers become Decimal so `7.9` stays exactly 7.9. Nesting too deep for the
    parser is malformed input (a ValueError), never a crash."""
    try:
        return json.loads(text, parse_float=Decimal)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None


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
    elif isinstance(value, str):
        out.append(_STR(value))
    elif isinstance(value, int):
        out.append(str(value))
    elif isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"{value} cannot be written as JSON")
        text = str(value)
        out.append(text if "E" not in text else format(value, "f"))
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
