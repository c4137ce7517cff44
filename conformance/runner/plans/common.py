"""What the provider plans share: a check's result, a walk through a scenario's steps that lets a plan
send its own variant of a step (the scenario's `given` and captures filled in), and what "refused" means
per api (CRM.COM's Web API refuses with HTTP 200 and a `status.code` other than OK)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from conformance.core.errors import TargetError
from conformance.core.exchange import Exchange, HttpRequest, HttpResponse
from conformance.model.result import Finding, Outcome, ScenarioResult, StepResult, Verdict, worst
from conformance.model.scenario import Scenario, Step
from conformance.model.spec import ApiSpec
from conformance.model.template import dig
from conformance.runner.auth import authenticate
from conformance.runner.build import build_request, credential_of
from conformance.runner.redaction import redact_exchange, redact_finding
from conformance.runner.scenarios import Target, Unresolved, _Context
from conformance.runner.setup import SetupFailed

BINDING = ("documented", "observed", "decided")
"""Confidences whose departures fail a target; `inferred` ones are warnings (an unknown value binds)."""

LEAK_MARKERS = ("Traceback (most recent call last)", 'File "/', "Exception in ASGI application")


def binding(confidence: str | None) -> bool:
    return confidence != "inferred"


def refused(api: str, response: HttpResponse) -> bool:
    """The target said no: a 4xx/5xx, or (Web API) HTTP 200 with a status.code other than OK."""
    if response.status >= 400:
        return True
    if api == "crmcom-webapi":
        body = response.json()
        code = dig(body, "status.code") if isinstance(body, Mapping) else None
        return code not in (None, "OK") and code != "MISSING"
    return False


def leaks(response: HttpResponse) -> str | None:
    """The stack-trace marker a response body shows, if any."""
    text = response.text
    return next((marker for marker in LEAK_MARKERS if marker in text), None)


@dataclass
class Probe:
    """One finding-or-pass of a check, with the exchange that shows it."""

    label: str
    finding: Finding | None = None
    exchange: Exchange | None = None
    step_id: str = ""


@dataclass
class CheckLog:
    """Collects the probes of one check id; `result()` folds them into a ScenarioResult."""

    api: str
    check: str
    title: str
    requirements: set[str] = field(default_factory=set)
    probes: list[Probe] = field(default_factory=list)
    skipped: str = ""
    started: float = field(default_factory=time.perf_counter)

    def passed(self, label: str, step_id: str = "") -> None:
        self.probes.append(Probe(label, step_id=step_id))

    def failed(self, label: str, message: str, *, exchange: Exchange | None = None, step_id: str = "",
               expected: Any = None, actual: Any = None, confidence: str | None = "decided",
               field: str | None = None) -> None:
        finding = Finding(self.check, message, expected=expected, actual=actual, step_id=step_id or None,
                          requirements=tuple(sorted(self.requirements)), field=field, confidence=confidence)
        self.probes.append(Probe(label, redact_finding(finding),
                                 redact_exchange(exchange) if exchange else None, step_id))

    def result(self) -> ScenarioResult:
        duration = (time.perf_counter() - self.started) * 1000
        steps = tuple(StepResult(p.step_id or p.label, p.label, Outcome.PASS if p.finding is None else Outcome.FAIL,
                                 (Verdict(p.label, p.finding),), p.exchange) for p in self.probes)
        requirements = tuple(sorted(self.requirements))
        if not steps:
            return ScenarioResult(f"{self.api}.{self.check}", self.title, self.api, Outcome.SKIP, requirements,
                                  reason=self.skipped or "nothing to check on this api", duration_ms=duration)
        return ScenarioResult(f"{self.api}.{self.check}", self.title, self.api, worst(s.outcome for s in steps),
                              requirements, steps, duration_ms=duration)


def requirements_of(spec: ApiSpec, operation_id: str) -> set[str]:
    return {r.id for r in spec.requirements if operation_id in r.operations}


class Walk:
    """Replays a scenario's steps one by one (setup first) so that a plan can send variants of a step with
    the same `given` and captures. The scenario's own requests are sent too, to keep the captures going."""

    def __init__(self, scenario: Scenario, spec: ApiSpec, target: Target) -> None:
        self.scenario = scenario
        self.spec = spec
        self.target = target
        self.context = _Context(scenario)

    def start(self) -> None:
        try:
            self.target.setup.apply(self.scenario)
        except SetupFailed as exc:
            raise TargetError(f"{self.scenario.id}: setup could not be applied: {exc}") from None

    def steps(self) -> Iterator[Step]:
        """The api steps whose request can be built now (a control step is skipped, as is what cannot be)."""
        for step in self.scenario.steps:
            if step.control:
                continue
            yield step

    def request(self, step: Step, credential: Mapping[str, Any] | bool | None = True) -> HttpRequest | None:
        """The step's request, authenticated with its own credential (True), another one, or none (None)."""
        try:
            request = build_request(step, self.spec.operation(step.operation), self.context.resolve)
            own = credential_of(step, self.context.given, self.context.resolve)
        except (Unresolved, KeyError):
            return None
        chosen = own if credential is True else credential if credential is not False else None
        if not isinstance(chosen, Mapping):
            chosen = None
        return authenticate(self.scenario.api, request, chosen, self.target.transport.base_url,
                            self.context.clock.next())

    def credential(self, step: Step) -> Mapping[str, Any] | None:
        try:
            return credential_of(step, self.context.given, self.context.resolve)
        except Unresolved:
            return None

    def send(self, request: HttpRequest) -> HttpResponse:
        return self.target.transport.send(request)

    def play(self, step: Step) -> HttpResponse | None:
        """Send the step as the scenario means it and keep its captures."""
        request = self.request(step)
        if request is None:
            return None
        response = self.send(request)
        body = response.json()
        for name, path in step.capture.items():
            value = dig(body, path)
            if value is not None:
                self.context.captures[name] = value
        return response


def first_scenarios(scenarios: Iterable[Scenario], wanted: Callable[[Step], bool]) -> list[tuple[Scenario, Step]]:
    """For each operation, the first scenario step (in scenario order) that exercises it and is wanted."""
    seen: set[str] = set()
    chosen: list[tuple[Scenario, Step]] = []
    for scenario in scenarios:
        for step in scenario.steps:
            if step.control or step.operation in seen or not wanted(step):
                continue
            seen.add(step.operation)
            chosen.append((scenario, step))
    return chosen


def body_json(response: HttpResponse) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def with_body(request: HttpRequest, body: bytes) -> HttpRequest:
    return replace(request, body=body)
