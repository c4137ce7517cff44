"""Plan `spec`: schemathesis (its v4 library API) generates positive and negative requests for every
operation; each goes through the plan's own transport (live or in-process alike), authenticated the way a
POS would (Escher signing included), and the response is judged by schemathesis's checks. The statuses
each provider documents for refusing schema-valid requests come from the repository's schemathesis.toml.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator, Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import seed as hypothesis_seed
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.config import SchemathesisConfig
from schemathesis.core.failures import FailureGroup
from schemathesis.core.result import Ok

from conformance.core.exchange import Exchange, HttpRequest
from conformance.loader.paths import data_root
from conformance.loader.scenarios import load_scenarios
from conformance.model.result import ScenarioResult
from conformance.model.spec import ApiSpec, Operation
from conformance.runner.auth import SigningClock, authenticate
from conformance.runner.plans.common import CheckLog, requirements_of
from conformance.runner.scenarios import Target

CHECKS = {  # schemathesis check -> our check id and title
    "not_a_server_error": ("spec.server-error", "no generated request gets a 5xx"),
    "status_code_conformance": ("spec.status-codes", "every status is one the spec documents"),
    "content_type_conformance": ("spec.content-type", "every content type is one the spec documents"),
    "response_schema_conformance": ("spec.response-schema", "every response body matches its schema"),
    "negative_data_rejection": ("spec.negative-data", "schema-invalid requests are refused"),
}
FUNCTIONS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
             negative_data_rejection]


def _config() -> SchemathesisConfig:
    path = data_root() / "schemathesis.toml"
    if not path.is_file():
        path = Path(__file__).resolve().parents[3] / "schemathesis.toml"
    return SchemathesisConfig.from_path(path) if path.is_file() else SchemathesisConfig()


def _confidence(operation: Operation, check: str, document: Mapping[str, Any]) -> str:
    """A negative case may break an inferred limit: then its refusal is only expected, not documented."""
    if check == "spec.negative-data" and "'x-confidence': 'inferred'" in repr(_request_body(operation, document)):
        return "inferred"
    return operation.confidence


def _request_body(operation: Operation, document: Mapping[str, Any]) -> Any:
    node: Any = document
    for part in operation.pointer:
        node = node.get(part, {}) if isinstance(node, Mapping) else {}
    return node.get("requestBody") if isinstance(node, Mapping) else None


def spec_checks(api: str, target: Target, spec: ApiSpec, *, seed: int = 0, max_examples: int = 10,
                report_dir: Path | None = None) -> list[ScenarioResult]:
    logs = {name: CheckLog(api, check, title) for name, (check, title) in CHECKS.items()}
    scenario = next((s for s in load_scenarios(api).values() if s.given.get("credentials")), None)
    credential = dict(scenario.given["credentials"][0]) if scenario else None
    if scenario is not None:
        target.setup.apply(scenario)
    schema = schemathesis.openapi.from_dict(json.loads(json.dumps(spec.document, default=str)), config=_config())
    clock = SigningClock()
    by_path = {(op.method, op.path): op for op in spec.operations}
    for result in schema.get_all_operations():
        if not isinstance(result, Ok):
            continue
        operation = result.ok()
        ours = by_path.get((operation.method.lower(), operation.path))
        if ours is None or ours.webhook:
            continue
        for case in _cases(operation, seed, max_examples):
            if _touches_headers(case):
                continue
            _judge(api, target, ours, case, credential, clock, logs, spec)
    return [log.result() for log in logs.values()]


def _cases(operation: Any, seed: int, max_examples: int) -> Iterator[Any]:
    drawn: list[Any] = []
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
        @settings(max_examples=max(1, max_examples // 2), database=None, deadline=None,
                  suppress_health_check=list(HealthCheck), derandomize=False)
        @hypothesis_seed(seed)
        @given(operation.as_strategy(generation_mode=mode))
        def collect(case: Any) -> None:
            drawn.append(case)

        try:
            collect()
        except Exception:
            continue
    yield from drawn


def _request(case: Any) -> HttpRequest:
    kwargs = case.as_transport_kwargs(base_url="")
    path = case.formatted_path
    params = kwargs.get("params") or {}
    if params:
        path += "?" + urlencode(params, doseq=True)
    headers = {k: str(v) for k, v in (kwargs.get("headers") or {}).items()
               if k.lower() not in ("user-agent", "accept-encoding", "connection", "x-schemathesis-testcaseid")}
    body: bytes | None = None
    if "json" in kwargs:
        body = json.dumps(kwargs["json"], ensure_ascii=False, default=str).encode()
        headers.setdefault("Content-Type", "application/json")
    elif isinstance(kwargs.get("data"), Mapping):
        body = urlencode(kwargs["data"], doseq=True).encode()
    elif isinstance(kwargs.get("data"), (bytes, str)):
        body = kwargs["data"] if isinstance(kwargs["data"], bytes) else kwargs["data"].encode()
    return HttpRequest(case.method.upper(), path, headers, body or b"")


def _judge(api: str, target: Target, operation: Operation, case: Any, credential: Mapping[str, Any] | None,
           clock: SigningClock, logs: dict[str, CheckLog], spec: ApiSpec) -> None:
    request = _request(case)
    if credential is not None and api != "crmcom-webapi":
        with contextlib.suppress(ValueError):  # a credential the api cannot use: sent as generated
            request = authenticate(api, request, credential, target.transport.base_url, clock.next())
    response = target.transport.send(request)
    wire = httpx.Response(response.status, headers=dict(response.headers), content=response.body,
                          request=httpx.Request(request.method, target.transport.base_url + request.path,
                                                headers=dict(request.headers), content=request.body or b""))
    wire.elapsed = timedelta(milliseconds=response.elapsed_ms)
    failed: dict[str, str] = {}
    try:
        case.validate_response(wire, checks=FUNCTIONS)
    except FailureGroup as group:
        for failure in group.exceptions:
            name = _check_name(failure)
            failed.setdefault(name, f"{getattr(failure, 'title', '')}: {getattr(failure, 'message', failure)}")
    except AssertionError as exc:
        failed.setdefault("not_a_server_error" if response.status >= 500 else "status_code_conformance", str(exc))
    label = f"{operation.operation_id} ({case.meta.generation.mode.value if case.meta else 'case'})"
    exchange = Exchange(request, response, operation.operation_id)
    for name, log in logs.items():
        log.requirements |= requirements_of(spec, operation.operation_id)
        if name in failed:
            log.failed(label, f"{operation.operation_id}: {failed[name]}".strip(), exchange=exchange,
                       step_id=operation.operation_id,
                       confidence=_confidence(operation, CHECKS[name][0], spec.document))
        elif not log.probes or log.probes[-1].step_id != operation.operation_id:
            log.passed(label, operation.operation_id)


KINDS = {"ServerError": "not_a_server_error", "ContentTypeServerError": "not_a_server_error",
         "UndefinedStatusCode": "status_code_conformance", "JsonSchemaError": "response_schema_conformance",
         "MalformedJson": "response_schema_conformance", "ContentDeserializationError": "response_schema_conformance",
         "DiscriminatorMismatch": "response_schema_conformance", "UndefinedContentType": "content_type_conformance",
         "MalformedMediaType": "content_type_conformance", "MissingContentType": "content_type_conformance",
         "AcceptedNegativeData": "negative_data_rejection"}


def _check_name(failure: Any) -> str:
    return KINDS.get(type(failure).__name__, "status_code_conformance")


CREDENTIALS = ("api_key", "access_token", "token", "Authorization")


def _touches_headers(case: Any) -> bool:
    """A negative case that breaks a header (the credential's, usually): the plan authenticates every request
    itself, so such a case would be sent repaired; the security plan judges missing credentials instead."""
    phase = getattr(getattr(case, "meta", None), "phase", None)
    data = getattr(phase, "data", None)
    location = str(getattr(getattr(data, "parameter_location", None), "value", "")).lower()
    described = f"{getattr(data, 'description', '')} {getattr(data, 'parameter', '')}"
    return location == "header" or (location == "query" and any(name in described for name in CREDENTIALS))
