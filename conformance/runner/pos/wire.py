"""Reading the exchanges a POS sent, in the shape `GET /_control/exchanges` serves them (redacted), and
validating their requests against the api's spec.

An entry: ``{"seq", "api", "operation_id", "at", "request": {"method", "path", "query", "headers", "body"},
"response": {"status", "headers", "body"}}``. Recorded traffic (HAR, cassettes, pacts) is converted to
this shape before it is judged.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl

from jsonschema import Draft202012Validator

from conformance.core.redact import MASK
from conformance.loader.specs import deref, schema_registry, validator_for
from conformance.model.spec import ApiSpec

Entry = Mapping[str, Any]


def request_body(entry: Entry) -> Any:
    return (entry.get("request") or {}).get("body")


def response_body(entry: Entry) -> Any:
    return (entry.get("response") or {}).get("body")


def status(entry: Entry) -> int:
    return int((entry.get("response") or {}).get("status") or 0)


def query(entry: Entry) -> dict[str, str]:
    return dict(parse_qsl(str((entry.get("request") or {}).get("query") or ""), keep_blank_values=True))


def path(entry: Entry) -> str:
    return str((entry.get("request") or {}).get("path") or "")


def refused(api: str, entry: Entry) -> bool:
    """The provider said no: a 4xx/5xx, or (Web API) HTTP 200 with a status.code other than OK."""
    if status(entry) >= 400 or status(entry) == 0:
        return True
    body = response_body(entry)
    if api == "crmcom-webapi" and isinstance(body, Mapping):
        code = (body.get("status") or {}).get("code") if isinstance(body.get("status"), Mapping) else None
        return code not in (None, "OK")
    return False


def committed(api: str, entry: Entry) -> bool:
    """The provider took the request: accepted, or committed and its answer lost (logged with status 0)."""
    return status(entry) == 0 or not refused(api, entry)


def masked(value: Any) -> bool:
    """A value the exchange log masked (a secret, or a card number cut to its last four digits)."""
    return isinstance(value, str) and (value == MASK or (value.startswith("*") and value.lstrip("*")[-4:].isdigit()))


_VALIDATORS: dict[tuple[str, int, str], Draft202012Validator | None] = {}


def _at(document: Mapping[str, Any], pointer: tuple[str | int, ...]) -> Any:
    node: Any = document
    for part in pointer:
        node = node[part]
    return node


def _body_validator(spec: ApiSpec, operation_id: str) -> Draft202012Validator | None:
    """The compiled schema of the operation's request body (JSON or form), once per spec document."""
    key = (spec.api, id(spec.document), operation_id)
    if key not in _VALIDATORS:
        _VALIDATORS[key] = _compile(spec, operation_id)
    return _VALIDATORS[key]


def _compile(spec: ApiSpec, operation_id: str) -> Draft202012Validator | None:
    pointer = tuple(spec.operation(operation_id).pointer)
    body, body_pointer = deref(spec.document, _at(spec.document, pointer).get("requestBody"), (*pointer, "requestBody"))
    if not isinstance(body, Mapping):
        return None
    content = body.get("content") or {}
    base = f"urn:conformance:requests:{spec.api}"
    for media in ("application/json", "application/x-www-form-urlencoded"):
        if media in content and "schema" in content[media]:
            registry = schema_registry(base, spec.document)
            return validator_for(base, registry, (*body_pointer, "content", media, "schema"))
    return None


def request_problems(spec: ApiSpec, operation_id: str, body: Any) -> list[tuple[str, str]]:
    """(field, problem) for each way the request body breaks the spec; a masked value is not judged."""
    validator = _body_validator(spec, operation_id)
    if validator is None or body is None:
        return []
    problems = []
    for error in validator.iter_errors(body):
        if masked(error.instance):
            continue
        where = ".".join(str(p) for p in error.absolute_path) or "(body)"
        problems.append((where, error.message[:300]))
    return sorted(problems)
