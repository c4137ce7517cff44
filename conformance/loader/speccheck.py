"""`conformance specs check`: everything that makes a spec or requirements file trustworthy.

Each problem is a DataError naming the file and line, so a broken spec reads like a compiler error.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from jsonschema.exceptions import SchemaError
from openapi_spec_validator import OpenAPIV31SpecValidator
from referencing.exceptions import Unresolvable

from conformance.core.errors import DataError
from conformance.loader.driver import check_driver_schemas
from conformance.loader.paths import specs_dir
from conformance.loader.provenance import check_node_confidence, check_requirement_confidence
from conformance.loader.specs import (
    iter_operations,
    load_located_requirements,
    load_located_spec,
    schema_registry,
    validator_for,
)
from conformance.loader.yamlio import Located, Pointer
from conformance.model.spec import ACTORS, API_IDS, CONFIDENCE, LEVELS

SEED_FILE = re.compile(r"\b00[0-9]_[0-9a-f]{16}\.txt\b")
SEEDS = "seeds"
"""specs/seeds/: copies of the source documents, so `specs check` can verify quotes and line pointers."""
SOURCE = re.compile(r"\b00[0-9]_[0-9a-f]{16}\.txt\b|providers\.md|DESIGN\.md")
REQUIREMENT_ID = re.compile(r"^(ACK|CRMW|CRM|ANT|CTL)-[A-Z0-9]+(-[A-Z0-9]+)*$")
OPERATION_ID = re.compile(r"^[a-z][A-Za-z0-9]*$")
SCHEMA_KEYS_WITH_SUBSCHEMA = ("items", "additionalProperties", "not", "contains", "if", "then", "else",
                              "unevaluatedProperties", "unevaluatedItems", "propertyNames")
SCHEMA_KEYS_WITH_LISTS = ("allOf", "anyOf", "oneOf", "prefixItems")
SCHEMA_KEYS_WITH_MAPS = ("properties", "patternProperties", "$defs", "dependentSchemas")


def check_all(root: Path | None = None, apis: tuple[str, ...] = (*API_IDS, "control")) -> list[DataError]:
    """Check every spec and requirements file; return the problems (empty when all is well)."""
    problems: list[DataError] = []
    operation_ids: dict[str, str] = {}
    requirement_ids: dict[str, str] = {}
    for api in apis:
        try:
            spec = load_located_spec(api, root)
        except DataError as exc:
            problems.append(exc)
            continue
        problems.extend(check_spec(api, spec, operation_ids))
        if api == "control":
            continue
        try:
            reqs = load_located_requirements(api, root)
        except DataError as exc:
            problems.append(exc)
            continue
        known_ops = {op.operation_id for op in iter_operations(api, spec.data)}
        problems.extend(check_requirements(reqs, known_ops, requirement_ids, (root or specs_dir()) / SEEDS))
    if "control" in apis:  # a full check: the POS driver protocol's schemas too
        problems.extend(check_driver_schemas(root))
    return problems


def check_spec(api: str, spec: Located, operation_ids: dict[str, str]) -> Iterator[DataError]:
    doc = spec.data
    yield from _openapi_errors(spec)
    if api != "control" and (doc.get("info") or {}).get("x-api-id") != api:
        yield spec.error(("info",), f"info.x-api-id must be {api!r}")
    base = f"urn:conformance:spec:{api}"
    registry = schema_registry(base, doc)
    yield from _unresolved_refs(spec, base, registry)
    for op in iter_operations(api, doc):
        where = op.pointer
        body = doc[where[0]][where[1]][where[2]]
        if not op.operation_id:
            yield spec.error(where, f"{op.label} has no operationId")
        elif not OPERATION_ID.match(op.operation_id):
            yield spec.error((*where, "operationId"), f"operationId {op.operation_id!r} is not lowerCamelCase")
        elif op.operation_id in operation_ids:
            yield spec.error((*where, "operationId"),
                             f"operationId {op.operation_id!r} already used in {operation_ids[op.operation_id]}")
        else:
            operation_ids[op.operation_id] = f"{api} {op.label}"
        yield from _provenance(spec, where, body, f"{op.label}")
        if api != "control" and not op.webhook and "security" not in body and "security" not in doc:
            yield spec.error(where, f"{op.label} declares no security (use `security: []` for open operations)")
    for pointer, schema in _schemas(doc):
        for name, prop in (schema.get("properties") or {}).items():
            if isinstance(prop, Mapping) and api != "control":
                yield from _provenance(spec, (*pointer, "properties", name), prop, f"property {name!r}")
    yield from _examples(spec, base, registry)


def _openapi_errors(spec: Located) -> Iterator[DataError]:
    try:
        errors = list(OpenAPIV31SpecValidator(spec.data).iter_errors())
    except Exception as exc:  # the validator itself can choke on a badly broken document
        if not _is_unresolvable(exc):  # a broken $ref is said once, at its own line, by _unresolved_refs
            yield spec.error((), f"not a valid OpenAPI 3.1 document: {_short(exc)}")
        return
    for error in errors:
        pointer = tuple(error.absolute_path)
        yield spec.error(pointer, f"OpenAPI 3.1: {error.message[:300]}")


def _is_unresolvable(exc: BaseException | None) -> bool:
    while exc is not None:
        if isinstance(exc, Unresolvable) or type(exc).__name__ in ("PointerToNowhere", "RefResolutionError"):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def _short(exc: Exception) -> str:
    """An exception in one short line: never the document it quotes (a spec is 100 KB)."""
    text = str(exc).split(" within {", 1)[0].splitlines()[0] if str(exc) else type(exc).__name__
    return text if len(text) <= 200 else text[:200] + "..."


def _provenance(spec: Located, pointer: Pointer, node: Mapping[str, Any], what: str) -> Iterator[DataError]:
    source = node.get("x-source")
    if not source:
        yield spec.error(pointer, f"{what} has no x-source")
    elif not SOURCE.search(str(source)):
        yield spec.error((*pointer, "x-source"),
                         f"{what}: x-source {source!r} names neither a seed file, providers.md nor DESIGN.md")
    confidence = node.get("x-confidence")
    if confidence not in CONFIDENCE:
        yield spec.error((*pointer, "x-confidence") if confidence else pointer,
                         f"{what}: x-confidence must be one of {', '.join(CONFIDENCE)}")
    yield from check_node_confidence(spec, pointer, node, what)


def _walk(node: Any, pointer: Pointer) -> Iterator[tuple[Pointer, Any]]:
    yield pointer, node
    if isinstance(node, Mapping):
        for key, value in node.items():
            yield from _walk(value, (*pointer, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _walk(value, (*pointer, index))


def _unresolved_refs(spec: Located, base: str, registry: Any) -> Iterator[DataError]:
    resolver = registry.resolver(base)
    for pointer, node in _walk(spec.data, ()):
        if isinstance(node, Mapping) and isinstance(node.get("$ref"), str):
            ref = node["$ref"]
            try:
                resolver.lookup(ref)
            except Unresolvable:
                yield spec.error((*pointer, "$ref"), f"$ref {ref!r} does not resolve")


def _subschemas(schema: Mapping[str, Any], pointer: Pointer) -> Iterator[tuple[Pointer, Mapping[str, Any]]]:
    yield pointer, schema
    for key in SCHEMA_KEYS_WITH_SUBSCHEMA:
        if isinstance(schema.get(key), Mapping):
            yield from _subschemas(schema[key], (*pointer, key))
    for key in SCHEMA_KEYS_WITH_LISTS:
        for index, sub in enumerate(schema.get(key) or ()):
            if isinstance(sub, Mapping):
                yield from _subschemas(sub, (*pointer, key, index))
    for key in SCHEMA_KEYS_WITH_MAPS:
        for name, sub in (schema.get(key) or {}).items():
            if isinstance(sub, Mapping):
                yield from _subschemas(sub, (*pointer, key, name))


def _schemas(doc: Mapping[str, Any]) -> Iterator[tuple[Pointer, Mapping[str, Any]]]:
    """Every schema object of the document: components, parameters, bodies and responses."""
    for name, schema in ((doc.get("components") or {}).get("schemas") or {}).items():
        if isinstance(schema, Mapping):
            yield from _subschemas(schema, ("components", "schemas", name))
    for pointer, node in _walk(doc, ()):
        if pointer[:2] == ("components", "schemas"):
            continue
        if pointer and pointer[-1] == "schema" and isinstance(node, Mapping):
            yield from _subschemas(node, pointer)


def _examples(spec: Located, base: str, registry: Any) -> Iterator[DataError]:
    """Every media-type and parameter example must validate against its own schema."""
    for pointer, node in _walk(spec.data, ()):
        if not isinstance(node, Mapping) or not isinstance(node.get("schema"), Mapping):
            continue
        samples: list[tuple[Pointer, Any]] = []
        if "example" in node:
            samples.append(((*pointer, "example"), node["example"]))
        for name, example in (node.get("examples") or {}).items():
            if isinstance(example, Mapping) and "value" in example:
                samples.append(((*pointer, "examples", name, "value"), example["value"]))
        if not samples:
            continue
        try:
            validator = validator_for(base, registry, (*pointer, "schema"))
        except SchemaError as exc:
            yield spec.error((*pointer, "schema"), f"invalid schema: {exc.message}")
            continue
        for where, value in samples:
            try:
                errors = sorted(validator.iter_errors(value), key=lambda e: list(e.absolute_path))
            except Unresolvable:  # said once, at the $ref's own line, by _unresolved_refs
                break
            for error in errors[:3]:
                at = "/".join(str(p) for p in error.absolute_path) or "(root)"
                yield spec.error((*where, *error.absolute_path),
                                 f"example does not match its schema at {at}: {error.message[:200]}")


def check_requirements(reqs: Located, known_ops: set[str], seen: dict[str, str],
                       seeds: Path | None = None) -> Iterator[DataError]:
    for index, item in enumerate(reqs.data["requirements"]):
        where: Pointer = ("requirements", index)
        if not isinstance(item, Mapping):
            yield reqs.error(where, "a requirement must be a mapping")
            continue
        for key in ("id", "text", "level", "actor", "source"):
            if not item.get(key):
                yield reqs.error(where, f"requirement lacks `{key}`")
        rid = str(item.get("id", ""))
        if rid and not REQUIREMENT_ID.match(rid):
            yield reqs.error((*where, "id"), f"requirement id {rid!r} does not look like ACK-UC07 / CRM-VOID-1")
        if rid in seen:
            yield reqs.error((*where, "id"), f"duplicate requirement id {rid!r} (first in {seen[rid]})")
        elif rid:
            seen[rid] = f"{reqs.path}:{reqs.line_of((*where, 'id'))}"
        if item.get("level") and item["level"] not in LEVELS:
            yield reqs.error((*where, "level"), f"level must be one of {', '.join(LEVELS)}")
        if item.get("actor") and item["actor"] not in ACTORS:
            yield reqs.error((*where, "actor"), f"actor must be one of {', '.join(ACTORS)}")
        if item.get("source") and not SOURCE.search(str(item["source"])):
            yield reqs.error((*where, "source"), "source must name a seed file (e.g. 002_f24dd93b81ea83d9.txt), "
                                                 "providers.md or DESIGN.md")
        yield from check_requirement_confidence(reqs, index, item, seeds or specs_dir() / SEEDS)
        for op_index, op in enumerate(item.get("operations") or ()):
            if op not in known_ops:
                yield reqs.error((*where, "operations", op_index), f"unknown operationId {op!r}")
