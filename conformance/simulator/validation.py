"""Validate a request against its operation's schemas: compiled once at start-up, checked on every call."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import parse_qsl

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError
from starlette.requests import Request

from conformance.core import jsonio
from conformance.loader.fastschema import Compiled, FastSchemas, examples_at
from conformance.loader.specs import deref, schema_registry, validator_for
from conformance.model.spec import ApiSpec

JSON_TYPES = ("application/json",)
FORM_TYPES = ("application/x-www-form-urlencoded",)


MAX_BODY_BYTES = 1024 * 1024
"""Largest request body accepted (1 MiB, far above any documented request); larger is 413."""


class BodyTooLarge(Exception):
    """The request body is over MAX_BODY_BYTES (by its Content-Length, or as it streams in)."""


async def read_body(request: Request, limit: int = MAX_BODY_BYTES) -> bytes:
    """The request body, refused as soon as it passes `limit` (never held whole in memory)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
    return b"".join(chunks)


class BadRequest(Exception):
    """The request breaks the spec; `problems` says how, one line each."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


@dataclass(frozen=True)
class Param:
    name: str
    location: str
    required: bool
    validator: Draft202012Validator | None
    kind: str | None
    fast: Compiled | None = None


@dataclass(frozen=True)
class OperationSchema:
    """What a request for one operation must look like."""

    params: tuple[Param, ...]
    body_required: bool
    body_validators: Mapping[str, Draft202012Validator]
    body_fast: Mapping[str, Compiled | None]


def _json_type(schema: Mapping[str, Any]) -> str | None:
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), None)
    return kind if isinstance(kind, str) else None


def compile_operations(spec: ApiSpec) -> dict[str, OperationSchema]:
    """One compiled schema set per operationId (parameters may be declared on the path item too)."""
    base = f"urn:conformance:spec:{spec.api}"
    registry = schema_registry(base, spec.document)
    doc = spec.document
    fast = FastSchemas(doc)
    compiled = {}
    for op in spec.operations:
        if op.webhook:
            continue
        section, path, method = op.pointer
        item = doc[section][path]
        params: dict[tuple[str, str], Param] = {}
        for owner, owner_pointer in ((item, (section, path)), (item[method], op.pointer)):
            for index, raw in enumerate(owner.get("parameters") or ()):
                param, where = deref(doc, raw, (*owner_pointer, "parameters", index))
                schema, _ = deref(doc, param.get("schema") or {}, (*where, "schema"))
                slow = validator_for(base, registry, (*where, "schema")) if "schema" in param else None
                params[(param["name"], param["in"])] = Param(
                    name=param["name"], location=param["in"], required=bool(param.get("required")),
                    validator=slow, kind=_json_type(schema),
                    fast=fast.get((*where, "schema"), slow, examples_at(param)) if slow is not None else None,
                )
        body, body_pointer = deref(doc, item[method].get("requestBody") or {}, (*op.pointer, "requestBody"))
        contents = {media: content for media, content in (body.get("content") or {}).items()
                    if isinstance(content, Mapping) and "schema" in content}
        validators = {media: validator_for(base, registry, (*body_pointer, "content", media, "schema"))
                      for media in contents}
        quick = {media: fast.get((*body_pointer, "content", media, "schema"), validators[media],
                                 examples_at(content) if media in JSON_TYPES else [])
                 for media, content in contents.items()}
        compiled[op.operation_id] = OperationSchema(tuple(params.values()), bool(body.get("required")), validators,
                                                    quick)
    return compiled


def _coerce(value: str, kind: str | None) -> Any:
    """Query and path values arrive as text; read them as the type their schema declares."""
    if kind == "integer":
        try:
            return int(value)
        except ValueError:
            return value
    if kind == "number":
        try:
            return Decimal(value)
        except InvalidOperation:
            return value
    if kind == "boolean" and value in ("true", "false"):
        return value == "true"
    return value


def describe(error: ValidationError) -> str:
    """A validation message that never repeats the offending value (it may hold a card number or a secret)."""
    if error.validator in ("anyOf", "oneOf"):
        rule = error.schema.get("description") if isinstance(error.schema, Mapping) else None
        return f"does not match any allowed shape{': ' + str(rule).strip().splitlines()[0] if rule else ''}"
    message = error.message
    shown = repr(error.instance)
    if message.startswith(shown):  # jsonschema opens with the value itself; the rest names only the rule
        message = "value" + message[len(shown):]
    return message[:200]


def _errors(validator: Draft202012Validator, instance: Any, label: str, fast: Compiled | None = None) -> list[str]:
    """Problems with `instance`, one line each; a compiled validator's acceptance is final (fastschema.py)."""
    if fast is not None and fast.is_valid(instance):
        return []
    problems = []
    for error in sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))[:5]:
        at = "/".join(str(p) for p in error.absolute_path)
        problems.append(f"{label}{'/' + at if at else ''}: {describe(error)}")
    return problems


def parse_body(content_type: str, raw: bytes) -> tuple[str | None, Any]:
    """(media type, parsed body); raises BadRequest on malformed JSON or an unsupported media type."""
    if not raw:
        return None, None
    media = content_type.split(";")[0].strip().lower()
    if media in FORM_TYPES:
        try:
            return media, dict(parse_qsl(raw.decode("utf-8"), keep_blank_values=True, strict_parsing=True))
        except (UnicodeDecodeError, ValueError):
            raise BadRequest(["body: malformed form data"]) from None
    if media in JSON_TYPES or media.endswith("+json") or not media:
        try:
            return "application/json", jsonio.loads(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            raise BadRequest([f"body: not valid JSON ({str(exc)[:120]})"]) from None
    raise BadRequest([f"body: unsupported media type {media!r}"])


def validate_request(schema: OperationSchema, media: str | None, body: Any, query: Mapping[str, str],
                     path_params: Mapping[str, str], headers: Mapping[str, str], *,
                     ignore_params: frozenset[str] = frozenset()) -> dict[str, Any]:
    """Raise BadRequest listing every problem; return the typed parameter values on success."""
    problems: list[str] = []
    values: dict[str, Any] = {}
    sources = {"query": query, "path": path_params, "header": headers}
    for param in schema.params:
        if param.location == "cookie" or param.name in ignore_params:
            continue
        source = sources[param.location]
        key = param.name.lower() if param.location == "header" else param.name
        if key not in source:
            if param.required:
                problems.append(f"{param.location} parameter {param.name!r} is required")
            continue
        value = _coerce(source[key], param.kind)
        values[param.name] = value
        if param.validator is not None:
            problems.extend(_errors(param.validator, value, f"{param.location} parameter {param.name!r}", param.fast))
    if media is None:  # no body at all (a JSON `null` is a body, and is validated as one)
        if schema.body_required:
            problems.append("body: a request body is required")
    elif schema.body_validators:
        validator = schema.body_validators.get(media or "")
        if validator is None:
            problems.append(f"body: media type {media!r} not accepted (use {', '.join(schema.body_validators)})")
        else:
            problems.extend(_errors(validator, body, "body", schema.body_fast.get(media or "")))
    else:
        problems.append("body: this operation takes no body")
    if problems:
        raise BadRequest(problems)
    return values
