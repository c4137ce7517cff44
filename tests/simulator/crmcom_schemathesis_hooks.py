"""Schemathesis hooks for CRM.COM REST: form-encoded bodies in the bracket notation the simulator reads
(`SCHEMATHESIS_HOOKS=tests.simulator.crmcom_schemathesis_hooks`; the in-process test imports it).

Schemathesis's own form serializer passes a body to `requests` as flat pairs, which turns a nested object
or a list of objects into unrelated repeated keys; seed 001's form bodies nest (`merchant_tap[code]=M1`).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import schemathesis


def bracket_pairs(value: Any, prefix: str = "") -> list[tuple[str, str]]:
    """`{"a": {"b": [1]}}` -> `[("a[b][0]", "1")]`: the encoding conformance.simulator.forms reads back."""
    if isinstance(value, dict):
        items: list[tuple[str, Any]] = [(str(k), v) for k, v in value.items()]
    elif isinstance(value, list):
        items = [(str(i), v) for i, v in enumerate(value)]
    else:
        text = "true" if value is True else "false" if value is False else "" if value is None else str(value)
        return [(prefix, text)]
    pairs: list[tuple[str, str]] = []
    for key, item in items:
        pairs.extend(bracket_pairs(item, f"{prefix}[{key}]" if prefix else key))
    return pairs


@schemathesis.serializer("application/x-www-form-urlencoded")
def bracket_form(ctx: Any, value: Any) -> bytes:
    return urlencode(bracket_pairs(value)).encode() if isinstance(value, (dict, list)) else str(value).encode()
