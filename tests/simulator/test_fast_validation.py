"""jsonschema-rs and the OpenAPI-flavoured jsonschema validator give the same verdicts on our specs.

The simulator trusts a compiled validator's acceptance (loader/fastschema.py); this proves the two
agree on every documented example and on schemathesis-generated bodies, valid and invalid, and that a
refusal still reads exactly as jsonschema writes it.
"""

from __future__ import annotations

import contextlib
import json
from decimal import Decimal
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import seed as hypothesis_seed
from schemathesis import GenerationMode
from schemathesis.core.result import Ok

from conformance.core import jsonio
from conformance.loader.fastschema import Compiled, FastSchemas, examples_at
from conformance.loader.specs import deref, load_all_specs
from conformance.model.spec import API_IDS
from conformance.simulator.validation import BadRequest, compile_operations, validate_request

SPECS = load_all_specs()


def _pairs(api: str) -> list[tuple[str, str, Any, Compiled]]:
    """(operationId, media, jsonschema validator, compiled validator) for every JSON body."""
    found = []
    for op_id, schema in compile_operations(SPECS[api]).items():
        for media, slow in schema.body_validators.items():
            fast = schema.body_fast.get(media)
            if media == "application/json" and fast is not None:
                found.append((op_id, media, slow, fast))
    return found


def _raw_verdict(fast: Compiled, instance: Any) -> bool:
    return bool(fast._fast.is_valid(instance))


@pytest.mark.parametrize("api", API_IDS)
def test_every_body_schema_is_compiled(api: str) -> None:
    """No schema of ours falls back today: a disagreement on an example would show here first."""
    compiled = compile_operations(SPECS[api])
    slow_only = [(op, media) for op, s in compiled.items() for media, f in s.body_fast.items() if f is None]
    assert not slow_only
    assert all(p.fast is not None for s in compiled.values() for p in s.params if p.validator is not None)


@pytest.mark.parametrize("api", API_IDS)
def test_same_verdict_on_documented_examples(api: str) -> None:
    doc = SPECS[api].document
    checked = 0
    for op in SPECS[api].operations:
        if op.webhook:
            continue
        section, path, method = op.pointer
        body, _ = deref(doc, doc[section][path][method].get("requestBody") or {}, (*op.pointer, "requestBody"))
        content = (body.get("content") or {}).get("application/json")
        if not content:
            continue
        slow_fast = {o: (s, f) for o, _, s, f in _pairs(api)}.get(op.operation_id)
        assert slow_fast is not None
        slow, fast = slow_fast
        for example in examples_at(content):
            assert _raw_verdict(fast, example) == slow.is_valid(example), (op.operation_id, example)
            checked += 1
    assert checked > 0


def test_a_disagreeing_schema_is_left_to_jsonschema() -> None:
    """Python's `re` accepts 'a\\n' for `^a$`; ECMA does not: jsonschema-rs would say otherwise, so no fast path."""
    doc = {"components": {"schemas": {"A": {"type": "string", "pattern": "^a$"}}}}
    fast = FastSchemas(doc)

    class Lenient:
        def is_valid(self, instance: Any) -> bool:
            return True

    assert fast.get(("components", "schemas", "A"), Lenient(), ["a\n"]) is None
    assert fast.get(("components", "schemas", "A"), Lenient(), ["a"]) is not None
    assert fast.get(("components", "schemas", "missing"), Lenient(), []) is None


def _drawn_bodies(api: str, count: int) -> dict[tuple[str, str], list[Any]]:
    schema = schemathesis.openapi.from_dict(json.loads(json.dumps(SPECS[api].document, default=str)))
    by_route = {(op.method, op.path): op.operation_id for op in SPECS[api].operations}
    drawn: dict[tuple[str, str], list[Any]] = {}
    for result in schema.get_all_operations():
        if not isinstance(result, Ok):
            continue
        operation = result.ok()
        op_id = by_route.get((operation.method.lower(), operation.path))
        if op_id is None:
            continue
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            with contextlib.suppress(Exception):  # an operation schemathesis cannot draw for in this mode
                _collect(operation, mode, count, drawn.setdefault((op_id, mode.value), []))
    return drawn


def _collect(operation: Any, mode: GenerationMode, count: int, into: list[Any]) -> None:
    @settings(max_examples=count, database=None, deadline=None, suppress_health_check=list(HealthCheck))
    @hypothesis_seed(19)
    @given(operation.as_strategy(generation_mode=mode))
    def collect(case: Any) -> None:
        if case.media_type == "application/json" and not isinstance(case.body, (bytes, str)):
            with contextlib.suppress(ValueError):
                into.append(jsonio.loads(json.dumps(case.body, default=str, ensure_ascii=False)))

    collect()


@pytest.mark.parametrize("api", API_IDS)
def test_same_verdict_on_generated_bodies(api: str) -> None:
    pairs = {op: (slow, fast) for op, _, slow, fast in _pairs(api)}
    drawn = _drawn_bodies(api, 8)
    seen = {"positive": 0, "negative": 0}
    for (op_id, mode), bodies in drawn.items():
        if op_id not in pairs:
            continue
        slow, fast = pairs[op_id]
        for body in bodies:
            assert _raw_verdict(fast, body) == slow.is_valid(body), (op_id, mode, body)
            seen[mode] += 1
    assert seen["positive"] > 0 and seen["negative"] > 0, seen


@pytest.mark.parametrize("body", [
    {"cardnumber": "612573981949778930"},
    {"device_id": 7, "cardnumber": "x", "price_list": ["5"], "quantity_list": [Decimal("1.5")]},
    [],
])
def test_refusals_read_as_jsonschema_writes_them(body: Any) -> None:
    schema = compile_operations(SPECS["ackroo"])["loyaltyCreditMulti"]
    slow_only = type(schema)(schema.params, schema.body_required, schema.body_validators, {})
    with pytest.raises(BadRequest) as fast_refusal:
        validate_request(schema, "application/json", body, {}, {}, {})
    with pytest.raises(BadRequest) as slow_refusal:
        validate_request(slow_only, "application/json", body, {}, {}, {})
    assert fast_refusal.value.problems == slow_refusal.value.problems
    assert fast_refusal.value.problems
