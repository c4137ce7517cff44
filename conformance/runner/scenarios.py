"""Run scenarios over a transport and yield what happened, step by step (events, never prints).

For each scenario: apply `given` (setup), then each step: fill in templates, authenticate, send, judge
the response against `expect` and against the spec's response schema, keep the captures. A missed
expectation is `fail`; a transport error or a setup that could not be applied is `error` (and the
remaining steps are skipped); a step that needs a capture an earlier step did not get is `skip`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from conformance.checks.schema import response_schema
from conformance.core.errors import TargetError, Unreachable
from conformance.core.exchange import Exchange, HttpRequest, HttpResponse
from conformance.core.redact import mask_cards_in_text
from conformance.loader.specs import load_control_spec
from conformance.model.result import Finding, Outcome, ScenarioResult, StepResult, Verdict, worst
from conformance.model.scenario import Scenario, Step, thaw
from conformance.model.spec import ApiSpec, Operation
from conformance.model.template import MISSING, dig, render
from conformance.runner.auth import CredentialError, SigningClock, authenticate
from conformance.runner.build import build_request, credential_of
from conformance.runner.events import (
    Event,
    RunFinished,
    RunStarted,
    ScenarioFinished,
    ScenarioStarted,
    StepFinished,
    StepSent,
)
from conformance.runner.expectations import judge
from conformance.runner.redaction import redact_exchange, redact_finding, redact_path, redact_request
from conformance.runner.setup import CONTROL_PATH, ControlSetup, Setup, SetupFailed
from conformance.transport.base import Transport


@dataclass(frozen=True)
class Target:
    """Where one api's scenarios run: its transport, how `given` is applied, and (when the target serves
    the test-control interface) the control client that steps on /_control go through."""

    transport: Transport
    setup: Setup
    control: ControlSetup | None = None


class Unresolved(LookupError):
    """A template names a capture that an earlier step did not get."""


class _Context:
    """One scenario's working memory: `given`, the captures so far, the signing clock."""

    def __init__(self, scenario: Scenario) -> None:
        self.given: dict[str, Any] = thaw(scenario.given)
        self.captures: dict[str, Any] = {}
        self.clock = SigningClock(_frozen_at(scenario))

    def resolve(self, name: str) -> Any:
        root, _, rest = name.partition(".")
        if root == "given":
            value = dig(self.given, rest) if rest else self.given
        elif root in self.captures:
            value = dig(self.captures[root], rest) if rest else self.captures[root]
        else:
            raise Unresolved(f"{{{{{name}}}}} needs capture {root!r}, which no earlier step got")
        if value is MISSING:
            raise Unresolved(f"{{{{{name}}}}} names nothing")
        return value


def _frozen_at(scenario: Scenario) -> datetime | None:
    clock = scenario.clock or {}
    if "set" not in clock:
        return None
    at = datetime.fromisoformat(str(clock["set"]).replace("Z", "+00:00"))
    at = at if at.tzinfo else at.replace(tzinfo=UTC)
    return at + timedelta(seconds=float(clock.get("advance_seconds", 0)))


def run(scenarios: Iterable[Scenario], specs: Mapping[str, ApiSpec], targets: Mapping[str, Target],
        label: str = "", *, fail_fast: bool = False) -> Iterator[Event]:
    """Run scenarios in order; a scenario whose api has no target is skipped, with the reason.

    The run stops at the first scenario that could not connect to its target at all (the others would only
    say the same), and with `fail_fast` at the first that did not pass; RunFinished then says why."""
    chosen = list(scenarios)
    yield RunStarted(label, tuple(s.id for s in chosen))
    results: list[ScenarioResult] = []
    halted = ""
    for scenario in chosen:
        target = targets.get(scenario.api)
        events = run_scenario(scenario, specs[scenario.api], target) if target else _without_target(scenario)
        for event in events:
            yield event
            if isinstance(event, ScenarioFinished):
                results.append(event.result)
                halted = _halt(event.result, fail_fast)
        if halted:
            break
    yield RunFinished(tuple(results), halted=halted)


def _halt(result: ScenarioResult, fail_fast: bool) -> str:
    if result.unreachable:
        return result.unreachable
    if fail_fast and result.outcome in (Outcome.FAIL, Outcome.ERROR):
        return f"--fail-fast: {result.id} did not pass"
    return ""


def _without_target(scenario: Scenario) -> Iterator[Event]:
    yield ScenarioStarted(scenario.id, scenario.title, scenario.api, scenario.requirements)
    yield ScenarioFinished(ScenarioResult(scenario.id, scenario.title, scenario.api, Outcome.SKIP,
                                          scenario.requirements,
                                          reason=f"no target for {scenario.api} (not simulated in this build)"))


def run_scenario(scenario: Scenario, spec: ApiSpec, target: Target) -> Iterator[Event]:
    """Apply `given`, run the steps, yield their events and finally ScenarioFinished with the result."""
    yield ScenarioStarted(scenario.id, scenario.title, scenario.api, scenario.requirements)
    started = time.perf_counter()
    try:
        target.setup.apply(scenario)
    except (SetupFailed, TargetError) as exc:
        reason = f"setup could not be applied: {exc}"
        finding = Finding("setup", reason, requirements=scenario.requirements)
        yield ScenarioFinished(ScenarioResult(
            scenario.id, scenario.title, scenario.api, Outcome.ERROR, scenario.requirements,
            setup_findings=(finding,), reason=reason, duration_ms=_since(started),
            unreachable=str(exc) if isinstance(exc, Unreachable) else ""))
        return
    context = _Context(scenario)
    halted = ""
    steps: list[StepResult] = []
    unreachable = ""
    for step in scenario.steps:
        if halted:
            result = StepResult(step.id, step.title, Outcome.SKIP, reason=halted)
        else:
            try:
                result = yield from _run_step(scenario, spec, target, step, context)
            except Unreachable as exc:
                unreachable = str(exc)
                result = StepResult(step.id, step.title, Outcome.ERROR, reason=unreachable)
            if result.outcome is Outcome.ERROR:
                halted = f"not run: step {step.id} could not be completed"
        steps.append(result)
        yield StepFinished(scenario.id, result)
    outcome = worst(step.outcome for step in steps)
    yield ScenarioFinished(ScenarioResult(scenario.id, scenario.title, scenario.api, outcome, scenario.requirements,
                                          tuple(steps), duration_ms=_since(started), unreachable=unreachable))


def _run_step(scenario: Scenario, spec: ApiSpec, target: Target, step: Step,
              context: _Context) -> Generator[Event, None, StepResult]:
    """Yields StepSent; returns (as the generator's value) the StepResult."""
    started = time.perf_counter()
    channel = _channel(target, step)
    if channel is None:
        return StepResult(step.id, step.title, Outcome.SKIP,
                          reason="needs the test-control interface (this target is set up with --setup)")
    send, base_url = channel
    try:
        request = build_request(step, _operation(spec, step), context.resolve)
        if step.control:  # the control client's base URL already ends in /_control
            request = replace(request, path=request.path.removeprefix(CONTROL_PATH))
        else:
            credential = credential_of(step, context.given, context.resolve)
            request = authenticate(scenario.api, request, credential, base_url, context.clock.next())
    except Unresolved as exc:
        return StepResult(step.id, step.title, Outcome.SKIP, reason=f"not run: {exc}")
    except CredentialError as exc:
        return StepResult(step.id, step.title, Outcome.ERROR, reason=f"cannot authenticate: {exc}")
    yield StepSent(scenario.id, step.id, step.title, step.pos.cashier if step.pos else step.title,
                   redact_request(request), base_url)
    try:
        response = send(request)
    except Unreachable:
        raise
    except TargetError as exc:  # its message quotes the path: mask what the path may carry
        reason = mask_cards_in_text(str(exc).replace(request.path, redact_path(request.path)))
        return StepResult(step.id, step.title, Outcome.ERROR, reason=reason, duration_ms=_since(started))
    verdicts = tuple(Verdict(v.label, redact_finding(v.finding) if v.finding else None)
                     for v in _judge(scenario, spec, step, response, context))
    failed = any(not verdict.passed for verdict in verdicts)
    exchange = redact_exchange(Exchange(request, response, step.operation))
    return StepResult(step.id, step.title, Outcome.FAIL if failed else Outcome.PASS, verdicts, exchange,
                      duration_ms=_since(started))


def _judge(scenario: Scenario, spec: ApiSpec, step: Step, response: HttpResponse,
           context: _Context) -> list[Verdict]:
    body = response.json()
    requirements = scenario.requirements
    verdicts: list[Verdict] = []
    try:
        expected_body = render(step.expect.body, context.resolve)
    except Unresolved as exc:
        expected_body = {}
        verdicts.append(Verdict("expect body", Finding("capture", f"step {step.id}: expectations not checked: {exc}",
                                                       step_id=step.id, requirements=requirements)))
    verdicts += judge(api="control" if step.control else scenario.api, step_id=step.id, status=response.status,
                      body=body, expected_status=step.expect.status, expected_body=expected_body,
                      expected_error=step.expect.error, requirements=requirements)
    label = f"response schema ({step.operation} {response.status})"
    problems = response_schema(load_control_spec() if step.control else spec, step.operation, response)
    verdicts += [Verdict(label, replace(f, step_id=step.id, requirements=requirements,
                                        message=f"step {step.id}: {f.message}")) for f in problems] or [Verdict(label)]
    for name, path in step.capture.items():
        value = dig(body, path)
        label = f"capture {name} <- {path}"
        if value is MISSING:
            verdicts.append(Verdict(label, Finding("capture", f"step {step.id}: capture {name}: the response has "
                                                   f"no {path}", expected=path, step_id=step.id,
                                                   requirements=requirements, field=path)))
        else:
            context.captures[name] = value
            verdicts.append(Verdict(label))
    return verdicts


def _channel(target: Target, step: Step) -> tuple[Callable[[HttpRequest], HttpResponse], str] | None:
    """How a step is sent: through the api's transport, or (a control step) with the control token."""
    if not step.control:
        return target.transport.send, target.transport.base_url
    if target.control is None:
        return None
    return target.control.send, target.control.transport.base_url


def _operation(spec: ApiSpec, step: Step) -> Operation:
    return (load_control_spec() if step.control else spec).operation(step.operation)


def _since(started: float) -> float:
    return (time.perf_counter() - started) * 1000

