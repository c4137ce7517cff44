"""Form-encoded request bodies read as the JSON body they stand for (CRM.COM REST, seed 001: the API "accepts
form-encoded request bodies").

A form carries only flat text pairs, so nesting uses the bracket notation of form-encoding APIs
(`merchant_tap[code]=M1`, `products[0][net_amount]=8.00`, `ids[]=a&ids[]=b`), and a value becomes a number
or a boolean only where the operation's own JSON schema asks for one. The result is then validated by the
same schema as a JSON body, so both encodings are held to one rule.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import parse_qsl

from conformance.loader.specs import deref

_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")
_INTEGER = re.compile(r"^-?[0-9]+$")
_NUMBER = re.compile(r"^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]{1,4})?$")
"""A JSON number literal, as a JSON body would carry it (exponent bounded: a form value is text)."""
MAX_DEPTH = 8
"""Deeper bracket paths are refused: no CRM.COM body nests further, and a bound keeps parsing cheap."""


class FormError(ValueError):
    """The form cannot stand for a JSON body (a malformed key, clashing paths, or too deep a nesting)."""


def form_body(raw: bytes, schema: Mapping[str, Any], document: Mapping[str, Any]) -> Any:
    """The JSON body a form-encoded request stands for, typed by `schema` (a request body schema of `document`)."""
    try:
        pairs = parse_qsl(raw.decode("utf-8"), keep_blank_values=True, strict_parsing=True)
    except (UnicodeDecodeError, ValueError):
        raise FormError("malformed form data") from None
    tree: dict[str, Any] = {}
    for key, value in pairs:
        _put(tree, _path(key), value)
    return _typed(_lists(tree), schema, document, 0)


def _path(key: str) -> list[str]:
    found = _KEY.match(key)
    if found is None:
        raise FormError(f"malformed form key {key[:60]!r}")
    path = [found.group(1), *re.findall(r"\[([^\[\]]*)\]", found.group(2))]
    if len(path) > MAX_DEPTH:
        raise FormError(f"form key {key[:60]!r} nests deeper than {MAX_DEPTH}")
    return path


def _put(tree: dict[str, Any], path: list[str], value: str) -> None:
    node = tree
    for depth, part in enumerate(path):
        last = depth == len(path) - 1
        if part == "":  # `ids[]=a`: the next element of a list
            part = str(sum(1 for k in node if k.isdigit()))
        if last:
            if part in node:
                raise FormError(f"form key {'.'.join(path)!r} is given twice")
            node[part] = value
        else:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise FormError(f"form key {'.'.join(path)!r} is both a value and an object")
            node = child


def _lists(node: Any) -> Any:
    """Objects whose keys are all indices become lists, in index order."""
    if not isinstance(node, dict):
        return node
    items = {k: _lists(v) for k, v in node.items()}
    if items and all(k.isdigit() for k in items):
        return [items[k] for k in sorted(items, key=int)]
    return items


def _branches(schema: Any, document: Mapping[str, Any], depth: int) -> list[Mapping[str, Any]]:
    """The schema and every allOf / anyOf / oneOf branch under it, `$ref`s followed."""
    node, _ = deref(document, schema, ())
    if not isinstance(node, Mapping) or depth > 16:
        return []
    found = [node]
    for key in ("allOf", "anyOf", "oneOf"):
        for branch in node.get(key) or ():
            found.extend(_branches(branch, document, depth + 1))
    return found


def _typed(value: Any, schema: Any, document: Mapping[str, Any], depth: int) -> Any:
    branches = _branches(schema, document, depth)
    if isinstance(value, dict):
        properties: dict[str, Any] = {}
        for branch in branches:
            properties.update({k: v for k, v in (branch.get("properties") or {}).items() if k not in properties})
        return {k: _typed(v, properties.get(k, {}), document, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        items: Any = next((b["items"] for b in branches if isinstance(b.get("items"), Mapping)), {})
        return [_typed(v, items, document, depth + 1) for v in value]
    types: set[Any] = set()
    for branch in branches:
        declared = branch.get("type")
        types.update(declared if isinstance(declared, list) else [declared])
    if "integer" in types and _INTEGER.match(value):
        return int(value)
    if "number" in types and _NUMBER.match(value):
        try:
            return Decimal(value)
        except InvalidOperation:  # pragma: no cover - the pattern admits only valid literals
            return value
    if "boolean" in types and value in ("true", "false"):
        return value == "true"
    return value
