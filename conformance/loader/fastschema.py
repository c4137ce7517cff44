"""Compiled validators (jsonschema-rs) beside the OpenAPI-flavoured jsonschema ones, for the simulator's hot path.

Why: the pure-Python validator spends ~0.5 ms per request body, most of it in `referencing` lookups;
jsonschema-rs gives a verdict in microseconds. It only ever *accepts* faster: a body it refuses is
validated again by jsonschema, which writes the messages (and has the last word), and a schema whose
documented examples get different verdicts from the two libraries is left to jsonschema alone.
jsonschema-rs already reads patterns as ECMA-262 (`$` ends the input) and Decimal numbers exactly.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any, Protocol

import jsonschema_rs

from conformance.core import jsonio


class Judge(Protocol):
    """A validator's verdict (jsonschema's and jsonschema-rs's validators both have it)."""

    def is_valid(self, instance: Any) -> bool: ...


def fragment(pointer: tuple[str | int, ...]) -> str:
    """The key jsonschema-rs gives a subschema in a validator map (`#/paths/~1x/post/...`, braces kept)."""
    return "#/" + "/".join(str(p).replace("~", "~0").replace("/", "~1") for p in pointer)


class FastSchemas:
    """Every subschema of one OpenAPI document, compiled once by jsonschema-rs (formats asserted)."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        try:
            self._map: Any = jsonschema_rs.validator_map_for(_plain(document), validate_formats=True)
        except (ValueError, TypeError, jsonschema_rs.ValidationError):  # a document it cannot read: no fast path
            self._map = None

    def get(self, pointer: tuple[str | int, ...], slow: Judge, examples: list[Any]) -> Compiled | None:
        """The compiled validator at `pointer`, or None where it is missing or disagrees with `slow` on an example."""
        fast = self._map.get(fragment(pointer)) if self._map is not None else None
        if fast is None:
            return None
        for example in examples:
            if _safe_verdict(fast, example) != slow.is_valid(example):
                return None
        return Compiled(fast)


class Compiled:
    """A compiled validator whose conversion failures (a value jsonschema-rs cannot read) count as 'not sure'."""

    __slots__ = ("_fast",)

    def __init__(self, fast: Any) -> None:
        self._fast = fast

    def is_valid(self, instance: Any) -> bool:
        return _safe_verdict(self._fast, instance) is True


def _safe_verdict(fast: Any, instance: Any) -> bool | None:
    try:
        return bool(fast.is_valid(instance))
    except (ValueError, TypeError, OverflowError, RecursionError):
        return None


def _plain(document: Mapping[str, Any]) -> Any:
    """The document as JSON values (YAML may hold dates in examples); numbers stay exact (Decimal)."""
    return json.loads(json.dumps(document, default=str), parse_float=Decimal)


def examples_at(content: Mapping[str, Any]) -> list[Any]:
    """The documented example values of a media type or parameter object, as the simulator parses them."""
    found: list[Any] = []
    for raw in _raw_examples(content):
        try:
            found.append(jsonio.loads(jsonio.dumps(raw)))
        except (TypeError, ValueError):
            continue
    return found


def _raw_examples(content: Mapping[str, Any]) -> Iterator[Any]:
    if "example" in content:
        yield content["example"]
    for item in (content.get("examples") or {}).values():
        if isinstance(item, Mapping) and "value" in item:
            yield item["value"]
