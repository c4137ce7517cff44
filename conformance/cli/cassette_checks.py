"""What `cassettes lint` and `cassettes diff` judge: recordings against the specs, live answers against recordings.

Lint: every recorded request routes to an operation of its api's spec (or of the control spec), its
status is documented, its body validates against that response's schema, and a request the provider
accepted (2xx, and for the CRM.COM Web API a `status.code` of OK) validates against the request schema.
Requests the recording shows refused are left alone: negative scenarios send them on purpose. Values the
redaction masked are not judged (a masked card number is not a schema problem).

Diff: per interaction, the status and every body field of a live answer against the recorded one, ignoring
ids, times, and what the redaction masks.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from conformance.checks.schema import response_schema, schemas_of
from conformance.core import jsonio
from conformance.core.exchange import HttpResponse
from conformance.core.redact import MASK
from conformance.loader.cassettes import BASE_URL, Cassette, Interaction
from conformance.loader.specs import load_control_spec, spec_for
from conformance.model.spec import ApiSpec
from conformance.simulator.forms import FormError, form_body
from conformance.simulator.routing import Match, MethodNotAllowed, Router
from conformance.simulator.validation import BadRequest, OperationSchema, compile_operations, parse_body

_MASKED = re.compile(r"^\*+[0-9]{0,4}$")
_TIME = re.compile(r"^\d{4}-\d\d-\d\d([T ]\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:?\d\d)?)?$")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_ID_KEY = re.compile(r"(^|_|\b)(id|guid|uuid|number|code)$|Id$|_at$|date|time", re.IGNORECASE)


@dataclass(frozen=True)
class Problem:
    """One finding about a cassette, printed as `file:line: message`."""

    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


@cache
def _router(api: str) -> Router:
    return Router(_spec(api))


@cache
def _requests(api: str) -> dict[str, OperationSchema]:
    return compile_operations(_spec(api))


FORM = "application/x-www-form-urlencoded"


def _spec(api: str) -> ApiSpec:
    return load_control_spec() if api == "control" else spec_for(api)


def _split(cassette: Cassette, uri: str) -> tuple[str, str, str] | None:
    """(spec name, path within it, query) of a recorded uri; None when it is under no known base."""
    parts = urlsplit(uri)
    if parts.path.startswith("/_control/"):  # the control spec's paths keep their /_control prefix
        return "control", parts.path, parts.query
    prefix = f"/{cassette.api}"
    if parts.path == prefix or parts.path.startswith(prefix + "/"):
        return cassette.api, parts.path[len(prefix):] or "/", parts.query
    return None


def masked(value: Any) -> bool:
    return isinstance(value, str) and (value == MASK or (bool(_MASKED.match(value)) and "*" in value))


def _accepted(api: str, interaction: Interaction) -> bool:
    if not 200 <= interaction.status < 300:
        return False
    if api != "crmcom-webapi":
        return True
    body = _json(interaction.response_body)
    status = body.get("status") if isinstance(body, dict) else None
    return not isinstance(status, dict) or str(status.get("code", "OK")).upper() in ("OK", "SUCCESS", "0")


def _json(text: str) -> Any:
    try:
        return jsonio.loads(text) if text else None
    except ValueError:
        return None


def lint(cassette: Cassette) -> Iterator[Problem]:
    for interaction in cassette.interactions:
        where = f"{cassette.path}:{interaction.line}"
        split = _split(cassette, interaction.uri)
        if split is None:
            yield Problem(where, f"{interaction.uri}: not under {BASE_URL}/{cassette.api} or {BASE_URL}/_control")
            continue
        api, path, query = split
        found = _router(api).match(interaction.method, path)
        if isinstance(found, MethodNotAllowed):
            yield Problem(where, f"{interaction.method} {path}: method not documented (documented: "
                          f"{', '.join(found.allow)})")
            continue
        if not isinstance(found, Match):
            yield Problem(where, f"{interaction.method} {path}: unknown operation (no path of the {api} spec)")
            continue
        operation = found.operation.operation_id
        spec = _spec(api)
        response = HttpResponse(interaction.status, dict(interaction.response_headers),
                                interaction.response_body.encode())
        if schemas_of(spec).documented(operation, interaction.status) is None:
            documented = ", ".join(schemas_of(spec).statuses(operation)) or "none"
            yield Problem(where, f"{operation}: status {interaction.status} is undocumented (documented: {documented})")
            continue
        for finding in response_schema(spec, operation, response):
            if not masked(finding.actual):
                yield Problem(where, f"response: {finding.message}")
        if _accepted(api, interaction):
            yield from (Problem(where, f"{operation} request accepted but {text}")
                        for text in _request_problems(api, operation, interaction, found.path_params, query))


def _form_schema(api: str, operation: str) -> Any:
    found = _spec(api).operation(operation)
    pointer = found.pointer if found else ()
    document = _spec(api).document
    node = document[pointer[0]][pointer[1]][pointer[2]] if len(pointer) >= 3 else {}
    return (((node.get("requestBody") or {}).get("content") or {}).get(FORM) or {}).get("schema") or {}


def _request_problems(api: str, operation: str, interaction: Interaction, path_params: dict[str, str],
                      query: str) -> list[str]:
    schema = _requests(api)[operation]
    headers = {name.lower(): value for name, value in interaction.request_headers.items()}
    try:
        media, body = parse_body(headers.get("content-type", ""), interaction.request_body.encode())
    except BadRequest as exc:
        return exc.problems
    problems = []
    for param in schema.params:
        source = {"query": dict(parse_qsl(query, keep_blank_values=True)), "path": path_params,
                  "header": headers}.get(param.location, {})
        key = param.name.lower() if param.location == "header" else param.name
        if key in source and masked(source[key]):
            continue
        if key not in source and param.required and param.location != "cookie":
            problems.append(f"{param.location} parameter {param.name!r} is missing")
    validator = schema.body_validators.get(media or "") if media else None
    if validator is not None and media == FORM:  # judged as the JSON body it stands for, as the simulator reads it
        try:
            body = form_body(interaction.request_body.encode(), _form_schema(api, operation), _spec(api).document)
        except FormError as exc:
            return [*problems, f"body: {exc}"]
    if validator is not None:
        for error in validator.iter_errors(body):
            if not masked(error.instance):
                at = "/".join(str(p) for p in error.absolute_path)
                problems.append(f"body{'/' + at if at else ''}: {error.message[:160]}")
    return problems


# --- diff -------------------------------------------------------------------------------------------------


def _fields(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict):
        found: dict[str, Any] = {}
        for key, item in value.items():
            found.update(_fields(item, f"{prefix}.{key}" if prefix else str(key)))
        return found
    if isinstance(value, list):
        found = {}
        for index, item in enumerate(value):
            found.update(_fields(item, f"{prefix}.{index}" if prefix else str(index)))
        return found or {prefix: []}
    return {prefix: value}


def _volatile(field: str, recorded: Any, live: Any) -> bool:
    """Ids, times and masked values are expected to differ between runs and targets."""
    leaf = field.rsplit(".", 1)[-1]
    texts = [str(v) for v in (recorded, live) if v is not None]
    return (masked(recorded) or masked(live) or bool(_ID_KEY.search(leaf))
            or (bool(texts) and all(_TIME.match(t) or _UUID.match(t) for t in texts)))


def drift(recorded: Interaction, live: Interaction) -> list[str]:
    """Where a live answer differs from the recorded one: `field: recorded X, live Y`."""
    if (recorded.method, urlsplit(recorded.uri).path.split("/", 2)[-1]) != \
            (live.method, urlsplit(live.uri).path.split("/", 2)[-1]):
        return [f"request: recorded {recorded.method} {recorded.uri}, live {live.method} {live.uri}"]
    lines = [f"status: recorded {recorded.status}, live {live.status}"] if recorded.status != live.status else []
    old, new = _json(recorded.response_body), _json(live.response_body)
    if old is None or new is None:
        if recorded.response_body != live.response_body and (old is None) != (new is None):
            lines.append("body: one answer is JSON, the other is not")
        return lines
    before, after = _fields(old), _fields(new)
    for field in sorted(set(before) | set(after)):
        if field not in after:
            lines.append(f"{field}: recorded {jsonio.dumps(before[field])}, live (absent)")
        elif field not in before:
            lines.append(f"{field}: recorded (absent), live {jsonio.dumps(after[field])}")
        elif before[field] != after[field] and not _volatile(field, before[field], after[field]):
            lines.append(f"{field}: recorded {jsonio.dumps(before[field])}, live {jsonio.dumps(after[field])}")
    return lines
