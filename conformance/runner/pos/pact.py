"""A POS's pact (written by its own consumer tests, any Pact library, v3 or v4) certified against the spec.

Two passes, one result per interaction. First every request and every response example is judged
against the api's spec (a pact can only promise what the provider documents); then pact-python's
verifier replays the interactions against the simulator, each provider state put in place through the
control interface: a state named after a scenario id gets that scenario's `given`, a state whose
parameters are fixture fields (`credentials`, `cards`, `customers`, ...) gets those fixtures.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import os
import re
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from jsonschema import Draft202012Validator, validators

from conformance.checks.schema import schemas_of
from conformance.core import jsonio
from conformance.core.errors import DataError, TargetError
from conformance.core.exchange import Exchange, HttpRequest, HttpResponse
from conformance.loader.specs import OpenApiValidator, pointer_uri
from conformance.model.result import Finding, Outcome, ScenarioResult, StepResult, Verdict
from conformance.model.scenario import Scenario, freeze, thaw
from conformance.model.spec import ApiSpec
from conformance.runner.pos.recordings import Route, operation_of, read_json, read_text
from conformance.runner.redaction import redact_exchange, redact_finding
from conformance.runner.setup import ControlSetup

RequestCheck = Callable[[str, HttpRequest], list[str]]
"""(operationId, request relative to the api's base URL) -> what breaks the spec, one line each naming the
field. The CLI hands in the simulator's request validation: the runner never imports the simulator."""

HTTP_INTERACTION = "Synchronous/HTTP"
FIXTURE_KEYS = frozenset({"credentials", "cards", "customers", "merchants", "products", "tokens", "balances",
                          "program", "clock", "signature_enforcement"})
SIGNED_APIS = frozenset({"antavo"})
"""Apis whose requests carry a signature a replay cannot renew: their states switch enforcement off."""
CHECK_OPERATION = "pact_operation"
CHECK_REQUEST = "pact_request_schema"
CHECK_RESPONSE = "pact_response_schema"
CHECK_STATE = "pact_provider_state"
CHECK_VERIFY = "pact_verification"


@dataclass(frozen=True)
class PactInteraction:
    index: int
    description: str
    states: tuple[tuple[str, Mapping[str, Any]], ...]
    request: HttpRequest
    """Method, path with its query, headers and body, as the consumer sent them."""
    status: int
    response_headers: Mapping[str, str]
    response_body: bytes
    kind: str = HTTP_INTERACTION


@dataclass(frozen=True)
class PactFile:
    path: Path
    consumer: str
    provider: str
    version: str
    interactions: tuple[PactInteraction, ...]


# --- reading ----------------------------------------------------------------------------------------------


def load_pact(path: Path) -> PactFile:
    """A pact file (specification v2, v3 or v4); a malformed one is a DataError naming the file and line."""
    text = read_text(path)
    data = read_json(path, text)
    if not isinstance(data, dict) or not isinstance(data.get("interactions"), list):
        raise DataError(path, None, "not a pact file: no `interactions` list")
    meta = data.get("metadata") or {}
    spec = meta.get("pactSpecification") or meta.get("pact-specification") or {}
    version = str(spec.get("version", "2.0.0")) if isinstance(spec, dict) else "2.0.0"
    interactions = tuple(_interaction(path, text, index, entry) for index, entry in enumerate(data["interactions"]))
    return PactFile(path, _name(data.get("consumer")), _name(data.get("provider")), version, interactions)


def _name(party: Any) -> str:
    return str(party.get("name", "")) if isinstance(party, dict) else ""


def _interaction(path: Path, text: str, index: int, entry: Any) -> PactInteraction:
    try:
        description = str(entry["description"])
        request, response = entry["request"], entry["response"]
        method, target, status = str(request["method"]).upper(), str(request["path"]), int(response["status"])
    except (KeyError, TypeError, ValueError):
        raise DataError(path, _line_of(text, index), f"interactions[{index}]: an HTTP interaction needs a "
                        "description, request.method, request.path and response.status") from None
    query = _query(request.get("query"))
    headers = _headers(request.get("headers"))
    body = _body(path, text, index, request.get("body"), headers)
    reply_headers = _headers(response.get("headers"))
    reply = _body(path, text, index, response.get("body"), reply_headers)
    return PactInteraction(
        index=index, description=description, states=_states(entry),
        request=HttpRequest(method, target + (f"?{query}" if query else ""), headers, body), status=status,
        response_headers=reply_headers, response_body=reply, kind=str(entry.get("type", HTTP_INTERACTION)))


def _line_of(text: str, index: int) -> int | None:
    """The line of the `index`-th interaction's description (good enough to open the file at)."""
    found = [m.start() for m in re.finditer(r'"description"\s*:', text)]
    return text.count("\n", 0, found[index]) + 1 if index < len(found) else None


def _states(entry: Mapping[str, Any]) -> tuple[tuple[str, Mapping[str, Any]], ...]:
    if isinstance(entry.get("providerStates"), list):
        return tuple((str(s.get("name", "")), dict(s.get("params") or {})) for s in entry["providerStates"]
                     if isinstance(s, dict))
    if isinstance(entry.get("providerState"), str):  # v2
        return ((entry["providerState"], {}),)
    return ()


def _query(query: Any) -> str:
    if isinstance(query, str):  # v2
        return query
    if isinstance(query, dict):
        return urlencode([(k, v) for k, values in query.items()
                          for v in (values if isinstance(values, list) else [values])])
    return ""


def _headers(headers: Any) -> dict[str, str]:
    if not isinstance(headers, dict):
        return {}
    return {str(k).lower(): ", ".join(map(str, v)) if isinstance(v, list) else str(v) for k, v in headers.items()}


def _body(path: Path, text: str, index: int, body: Any, headers: dict[str, str]) -> bytes:
    """v4 bodies are `{content, contentType, encoded}`; v2/v3 bodies are the JSON value itself."""
    if body is None:
        return b""
    if isinstance(body, dict) and "content" in body and set(body) <= {"content", "contentType", "encoded"}:
        if body.get("contentType"):
            headers.setdefault("content-type", str(body["contentType"]))
        content, encoded = body.get("content"), body.get("encoded")
        if str(encoded).lower() == "base64":
            try:
                return base64.b64decode(str(content))
            except (binascii.Error, ValueError):
                raise DataError(path, _line_of(text, index), f"interactions[{index}]: body is not base64") from None
        if str(encoded).lower() == "json" and isinstance(content, str):
            return content.encode("utf-8")  # already JSON text
        body = content
    if isinstance(body, str) and not headers.get("content-type", "").endswith("json"):
        return body.encode("utf-8")
    headers.setdefault("content-type", "application/json")
    return json.dumps(body, separators=(",", ":")).encode("utf-8")


# --- judging against the spec ----------------------------------------------------------------------------


def judge_against_spec(pact: PactFile, spec: ApiSpec, route: Route, check_request: RequestCheck
                       ) -> dict[int, list[Finding]]:
    """Per interaction, what its request or response example breaks in the spec.

    A request the spec refuses is a finding, unless the pact itself expects a refusal (4xx): a consumer
    test of the POS's error handling. Response examples are often partial (Pact matches the fields given
    and ignores the rest), so a `required` property missing from one is not a finding.
    """
    findings: dict[int, list[Finding]] = {}
    for item in pact.interactions:
        label = f"interaction {item.description!r}"
        found = findings.setdefault(item.index, [])
        if item.kind != HTTP_INTERACTION:
            found.append(Finding(CHECK_OPERATION, f"{label}: a {item.kind} interaction is not an HTTP request "
                                 "to the provider", expected=HTTP_INTERACTION, actual=item.kind))
            continue
        bare = item.request.path.partition("?")[0]
        operation = operation_of(route, item.request.method, bare)
        if operation is None:
            found.append(Finding(CHECK_OPERATION, f"{label}: {item.request.method} {bare} is not an operation of "
                                 f"the {spec.api} spec", actual=f"{item.request.method} {bare}"))
            continue
        if item.status < 400:
            for problem in check_request(operation, item.request):
                at = problem.split(":", 1)[0]
                found.append(Finding(CHECK_REQUEST, f"{label} ({operation}): the request breaks the spec: {problem}",
                                     expected=f"a request {spec.api} documents for {operation}", actual=problem,
                                     field=at, step_id=str(item.index)))
        for message, expected, actual, at in _response_problems(spec, operation, item):
            found.append(Finding(CHECK_RESPONSE, f"{label} ({operation}): the expected response breaks the spec: "
                                 f"{message}", expected=expected, actual=actual, field=at, step_id=str(item.index)))
    return findings


_PartialValidator: Any = validators.extend(  # type: ignore[no-untyped-call]
    OpenApiValidator, {"required": lambda *args: iter(()), "oneOf": Draft202012Validator.VALIDATORS["anyOf"]})
"""A pact's response example may hold only the fields the consumer reads: nothing is required, and a
partial body may fit several `oneOf` branches."""


def _response_problems(spec: ApiSpec, operation: str, item: PactInteraction) -> list[tuple[str, Any, Any, str]]:
    """(message, expected, actual, field) for what the response example breaks; its status must be documented."""
    schemas = schemas_of(spec)
    found = schemas.documented(operation, item.status)
    if found is None:
        documented = ", ".join(schemas.statuses(operation))
        return [(f"status {item.status} is not documented (documented: {documented})", documented, item.status,
                 "status")]
    pointer, declared = found
    media = (item.response_headers.get("content-type") or "application/json").split(";")[0].strip().lower()
    content = declared.get("content") or {}
    if not item.response_body or "schema" not in (content.get(media) or {}):
        return []
    try:
        body = jsonio.loads(item.response_body)
    except ValueError:
        return [("the body is not valid JSON", media, item.response_body[:100].decode("utf-8", "replace"), "$")]
    validator = _PartialValidator({"$ref": pointer_uri(schemas.base, (*pointer, "content", media, "schema"))},
                                  registry=schemas.registry, format_checker=Draft202012Validator.FORMAT_CHECKER)
    problems = []
    for error in sorted(validator.iter_errors(body), key=lambda e: [str(p) for p in e.absolute_path])[:5]:
        at = ".".join(str(p) for p in error.absolute_path) or "$"
        problems.append((f"body {at}: {error.message[:200]}", f"{error.validator}: {error.validator_value!r}"[:120],
                         error.instance, at))
    return problems


# --- provider states --------------------------------------------------------------------------------------


class ProviderStates:
    """pact-python's state handler: each interaction starts from a reset api, then its states are applied.

    It never raises (a failing handler makes the verifier retry for minutes); what went wrong is kept in
    `problems`, by state name, and reported on the interactions that use the state.
    """

    def __init__(self, api: str, control: ControlSetup, scenarios: Mapping[str, Scenario]) -> None:
        self.api = api
        self.control = control
        self.scenarios = scenarios
        self.problems: dict[str, str] = {}
        self.applied: list[str] = []
        self._fresh = True
        self._lock = threading.Lock()

    def __call__(self, state: str, action: str, parameters: Mapping[str, Any] | None = None) -> None:
        with self._lock:
            if action == "teardown":
                self._fresh = True
                return
            try:
                if self._fresh:
                    self._post("/reset", {"api": self.api})
                    self._fresh = False
                self._apply(state, dict(parameters or {}))
                self.applied.append(state)
            except (TargetError, OSError, ValueError) as exc:
                self.problems[state] = str(exc)

    def scenario_for(self, state: str, parameters: Mapping[str, Any]) -> Scenario | None:
        """The scenario whose `given` the state stands for (by id), or one made of fixture parameters."""
        if state in self.scenarios:
            return self.scenarios[state]
        given = {k: v for k, v in parameters.items() if k in FIXTURE_KEYS and k != "program"}
        if not given:
            return None
        program = parameters.get("program")
        return Scenario(id=state, title=state, api=self.api, requirements=(), steps=(), given=freeze(given),
                        program=str(program) if program else None)

    def _apply(self, state: str, parameters: dict[str, Any]) -> None:
        scenario = self.scenario_for(state, parameters)
        if scenario is None:
            if state:
                self.problems[state] = (f"provider state {state!r} is neither a scenario id of {self.api} nor "
                                        f"fixture parameters ({', '.join(sorted(FIXTURE_KEYS))})")
            return
        if scenario.clock is not None:
            self._post("/clock", thaw(scenario.clock))
        fixtures = scenario.fixtures
        if self.api in SIGNED_APIS:
            fixtures["signature_enforcement"] = False
        self._post("/fixtures", fixtures)

    def _post(self, path: str, body: Any) -> None:
        answer = self.control.send(HttpRequest.json("POST", path, body))
        if answer.status >= 300:
            raise ValueError(f"POST /_control{path} answered {answer.status}: {answer.text[:200]}")


# --- verifying against the simulator ----------------------------------------------------------------------


@dataclass(frozen=True)
class Verification:
    """What pact-python's verifier said, per interaction description."""

    mismatches: Mapping[str, list[str]] = field(default_factory=dict)
    passed: frozenset[str] = frozenset()


def verify(pact: PactFile, base_url: str, states: ProviderStates, *, timeout_ms: int = 10_000) -> Verification:
    """Replay the pact against `base_url` (the simulator's api prefix, on 127.0.0.1) with pact-python."""
    os.environ.setdefault("PACT_DO_NOT_TRACK", "true")
    from pact import Verifier

    host = urlsplit(base_url).hostname or "127.0.0.1"
    verifier = (Verifier(pact.provider or states.api, host=host).add_transport(url=base_url)
                .add_source(pact.path).state_handler(states, teardown=True).set_request_timeout(timeout_ms))
    with _quiet(), contextlib.suppress(RuntimeError):  # a failed verification: the results say which and why
        verifier.verify()
    results = verifier.results
    mismatches: dict[str, list[str]] = {}
    passed = set()
    for result in results.get("interactionResults") or []:
        description = str(result.get("description", ""))
        if result.get("result") == "OK":
            passed.add(description)
            continue
        mismatch = result.get("mismatch") or {}
        lines = [f"{m.get('path', '')} {m.get('mismatch', '')}".strip() for m in mismatch.get("mismatches") or []]
        mismatches[description] = lines or [str(mismatch.get("message") or "verification failed")]
    return Verification(mismatches, frozenset(passed))


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """The verifier's Rust core and its state server print to the process's stdout and stderr; the results
    carry everything, so a line-oriented CLI keeps its own output clean."""
    saved = [os.dup(1), os.dup(2)]
    try:
        with open(os.devnull, "wb") as sink:
            os.dup2(sink.fileno(), 1)
            os.dup2(sink.fileno(), 2)
            yield
    finally:
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for fd in saved:
            os.close(fd)


# --- results ----------------------------------------------------------------------------------------------


def results(pact: PactFile, api: str, spec_findings: Mapping[int, list[Finding]], verification: Verification | None,
            states: ProviderStates | None) -> list[ScenarioResult]:
    """One result per interaction: its spec findings, its provider-state problems, its verifier mismatches."""
    out = []
    for item in pact.interactions:
        findings = list(spec_findings.get(item.index, []))
        label = f"interaction {item.description!r}"
        requirements: tuple[str, ...] = ()
        for name, parameters in item.states:
            scenario = states.scenario_for(name, parameters) if states else None
            requirements += scenario.requirements if scenario else ()
            if states and name in states.problems:
                findings.append(Finding(CHECK_STATE, f"{label}: {states.problems[name]}", actual=name))
        if verification is not None:
            for line in verification.mismatches.get(item.description, []):
                findings.append(Finding(CHECK_VERIFY, f"{label}: the simulator's answer differs from the pact: "
                                        f"{line}", actual=line))
            if item.description not in verification.passed and item.description not in verification.mismatches:
                findings.append(Finding(CHECK_VERIFY, f"{label}: the verifier did not report on it"))
        findings = [redact_finding(f) for f in findings]
        verdicts = [Verdict(f.message, f) for f in findings] or [Verdict(f"{label} holds against the spec"
                                                                         + (" and the simulator" if verification
                                                                            else ""))]
        outcome = Outcome.FAIL if findings else Outcome.PASS
        exchange = redact_exchange(Exchange(item.request, HttpResponse(item.status, item.response_headers,
                                                                       item.response_body)))
        step = StepResult(str(item.index), item.description, outcome, tuple(verdicts), exchange)
        out.append(ScenarioResult(f"{api}.pact.{_slug(item.description)}", item.description, api, outcome,
                                  tuple(dict.fromkeys(requirements)), (step,)))
    return out


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "interaction"


def certify_pact(pact: PactFile, spec: ApiSpec, route: Route, check_request: RequestCheck, *,
                 base_url: str | None, control: ControlSetup | None, scenarios: Sequence[Scenario]
                 ) -> list[ScenarioResult]:
    """Judge a pact against the spec, then (given a simulator) verify it there: the `--pact` plan."""
    spec_findings = judge_against_spec(pact, spec, route, check_request)
    if base_url is None or control is None:
        return results(pact, spec.api, spec_findings, None, None)
    states = ProviderStates(spec.api, control, {s.id: s for s in scenarios if s.api == spec.api})
    return results(pact, spec.api, spec_findings, verify(pact, base_url, states), states)

