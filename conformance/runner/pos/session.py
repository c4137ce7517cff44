"""`certify pos --driver`: for each scenario, reset and seed the provider, `configure` the POS, send each
step's action, read what the POS sent (`GET /_control/exchanges`) and judge it (judge.py).

Steps without a `pos` block are the provider side of a use case (a customer claiming a receipt, a second
cancel tried elsewhere): the suite makes them itself, as the scenario runner would, so that the provider's
state is what the next action expects. Steps that the same action makes (a Web API sale's create and spend,
ACTION_OPERATIONS) are judged with that action. The provider's clock runs on the wall clock, so a POS signs
its requests with its own time (Antavo's Escher window).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from conformance.core import jsonio
from conformance.core.errors import TargetError
from conformance.core.exchange import Exchange, HttpRequest, HttpResponse
from conformance.loader.specs import load_control_spec
from conformance.model.result import Finding, Outcome, ScenarioResult, StepResult, Verdict, worst
from conformance.model.scenario import Scenario, Step, thaw
from conformance.model.spec import ApiSpec
from conformance.model.template import MISSING, dig, render
from conformance.runner.auth import SigningClock
from conformance.runner.build import build_request
from conformance.runner.plans.common import Walk
from conformance.runner.pos import wire
from conformance.runner.pos.drivers import Driver, DriverReply
from conformance.runner.pos.judge import ACTION_OPERATIONS, Judgement, judge_step
from conformance.runner.redaction import redact_finding
from conformance.runner.scenarios import Target, Unresolved
from conformance.runner.setup import CONTROL_PATH, ControlSetup, SetupFailed


class DriverUnreachable(TargetError):
    """The driver could not be started or reached: the harness cannot drive the target (exit 3)."""


@dataclass(frozen=True)
class PosTarget:
    """The provider a POS is certified against: the URL the POS is told, the suite's own transport to it
    (for the steps the suite makes) and its test-control interface."""

    api: str
    base_url: str
    target: Target
    control: ControlSetup


def pos_steps(scenario: Scenario) -> list[Step]:
    return [step for step in scenario.steps if step.pos is not None and step.pos.action]


def pos_scenarios(scenarios: Iterable[Scenario]) -> list[Scenario]:
    """The use cases a POS performs: those with at least one driver action."""
    return [scenario for scenario in scenarios if pos_steps(scenario)]


def companions(scenario: Scenario, index: int) -> list[Step]:
    """The steps after step `index` that its action makes itself (same api operations, expected to succeed)."""
    step = scenario.steps[index]
    assert step.pos is not None
    made = ACTION_OPERATIONS.get(scenario.api, {}).get(str(step.pos.action.get("action")), frozenset())
    found = []
    for later in scenario.steps[index + 1:]:
        if later.pos is not None and later.pos.action:
            break
        if later.operation in made and later.operation != step.operation and later.expect.status < 400 \
                and later.expect.error is None:
            found.append(later)
    return found


def configure_action(scenario: Scenario, base_url: str) -> dict[str, Any]:
    """What the suite tells the POS first: the provider, its URL, the first fixture credential, till settings."""
    given = thaw(scenario.given)
    credentials = (given.get("credentials") or [{}])[0]
    action: dict[str, Any] = {"action": "configure", "api": scenario.api, "base_url": base_url,
                              "credentials": credentials}
    merchants = given.get("merchants") or []
    if merchants:
        merchant = merchants[0]
        outlet = (merchant.get("outlets") or [""])[0]
        action["settings"] = {"merchant": merchant.get("code", ""),
                              "outlet": outlet.get("code", "") if isinstance(outlet, Mapping) else outlet}
    return action


@dataclass(frozen=True)
class Performed:
    """One action as the POS performed it: the step, the action sent, the driver's reply, what it sent."""

    step: Step
    action: Mapping[str, Any]
    reply: DriverReply
    sent: list[Mapping[str, Any]]


class Session:
    def __init__(self, scenario: Scenario, spec: ApiSpec, target: PosTarget, driver: Driver) -> None:
        self.scenario, self.spec, self.target, self.driver = scenario, spec, target, driver
        self.walk = Walk(scenario, spec, target.target)
        # The provider runs on the wall clock (see the docstring); the suite signs its own requests five
        # minutes back, well inside Antavo's window, so they never repeat a signature the POS makes.
        self.walk.context.clock = SigningClock(datetime.now(UTC) - timedelta(seconds=300))
        self.seen = 0
        self.last: Performed | None = None

    def setup(self) -> None:
        control = self.target.control
        for path, body in (("/reset", {"api": self.scenario.api}),
                           ("/clock", {"real": True, "deterministic": bool((self.scenario.clock or {})
                                                                              .get("deterministic", False))}),
                           ("/fixtures", self.scenario.fixtures)):
            response = control.send(HttpRequest.json("POST", path, body))
            if response.status >= 300:
                raise SetupFailed(f"POST {CONTROL_PATH}{path} answered {response.status}: {response.text[:300]}")
        self.exchanges()  # after the reset: only what the POS sends from now on counts

    def exchanges(self) -> list[Mapping[str, Any]]:
        """What was sent to this api since the last call (the POS's traffic, or the suite's own)."""
        response = self.target.control.send(
            HttpRequest("GET", f"/exchanges?api={self.scenario.api}&since={self.seen}"))
        if response.status != 200:
            raise TargetError(f"GET {CONTROL_PATH}/exchanges answered {response.status}")
        entries = [e for e in (response.json() or {}).get("exchanges", []) if isinstance(e, Mapping)]
        if entries:
            self.seen = max(int(e.get("seq", 0)) for e in entries)
        return entries

    def perform(self, action: Mapping[str, Any]) -> DriverReply:
        reply = self.driver.perform(action)
        if reply.unreachable:
            raise DriverUnreachable(f"{self.driver.label}: {reply.problem}")
        return reply

    def play(self, step: Step) -> None:
        """A step the suite makes itself (the provider side of the use case)."""
        try:
            if step.control:
                request = build_request(step, load_control_spec().operation(step.operation), self.walk.context.resolve)
                response = self.target.control.send(replace(request, path=request.path.removeprefix(CONTROL_PATH)))
                body = response.json()
                for name, dotted in step.capture.items():
                    value = _dig(body, dotted)
                    if value is not None:
                        self.walk.context.captures[name] = value
            else:
                self.walk.play(step)
        except (Unresolved, TargetError):
            pass  # a provider-side step that cannot be made leaves later steps to say what they miss
        self.exchanges()

    def run(self, until: str | None = None, before: Callable[[Step], None] | None = None) -> ScenarioResult:
        """Play the scenario (up to the step `until`, when given), calling `before` ahead of each action."""
        started = time.perf_counter()
        scenario = self.scenario
        try:
            self.setup()
        except (SetupFailed, TargetError) as exc:
            return _errored(scenario, f"setup could not be applied: {exc}", started)
        results: list[StepResult] = []
        steps = pos_steps(scenario)
        reply = DriverReply(True)
        if steps[0].pos is None or steps[0].pos.action.get("action") != "configure":
            reply = self.perform(configure_action(scenario, self.target.base_url))
        self.exchanges()
        if not reply.done:
            finding = Finding("pos.driver", f"configure: {reply.problem}", step_id="configure",
                              requirements=scenario.requirements)
            results.append(StepResult("configure", "Set the till up for the provider", Outcome.FAIL,
                                      (Verdict("the driver performed configure", finding),)))
        skipped: set[str] = set()
        for index, step in enumerate(scenario.steps):
            if step.id in skipped:
                continue
            if step.pos is None or not step.pos.action:
                self.play(step)
                continue
            made = companions(scenario, index)
            skipped.update(s.id for s in made)
            if before is not None:
                before(step)
            results.append(self._pos_step(step, made))
            if step.id == until:
                break
        outcome = worst(r.outcome for r in results) if results else Outcome.SKIP
        return ScenarioResult(scenario.id, scenario.title, scenario.api, outcome, scenario.requirements,
                              tuple(results), duration_ms=(time.perf_counter() - started) * 1000)

    def _pos_step(self, step: Step, made: Sequence[Step]) -> StepResult:
        assert step.pos is not None
        started = time.perf_counter()
        try:
            action = render(thaw(step.pos.action), self.walk.context.resolve)
        except Unresolved as exc:
            return StepResult(step.id, step.title, Outcome.SKIP, reason=f"not run: {exc}")
        if action.get("action") == "configure":
            action = {**configure_action(self.scenario, self.target.base_url), **action}
        reply = self.perform(action)
        sent = self.exchanges()
        self.last = Performed(step, action, reply, sent)
        judgement = judge_step(self.scenario.api, self.spec, step, sent, action=action, reported=reply.result,
                               companions=made, resolve=self.walk.context.resolve,
                               requirements=self.scenario.requirements)
        if not reply.done or reply.problem:
            judgement.verdicts.insert(0, Verdict("the driver performed the action", Finding(
                "pos.driver", f"step {step.id}: {reply.problem} (cashier: {step.pos.cashier.strip()!r})",
                step_id=step.id, requirements=self.scenario.requirements)))
        self.walk.context.captures.update(judgement.captures)
        if step.control:
            self.play(step)  # the customer's side of the step (a receipt claimed in the app)
        if step.operation == "webApiLogin" or _masked_captures(judgement):
            self.play(step)  # the log masks tokens: the suite gets its own for the steps it makes
        return step_result(step, judgement, (time.perf_counter() - started) * 1000)


def _masked_captures(judgement: Judgement) -> bool:
    return any(wire.masked(value) for value in judgement.captures.values())


def _dig(body: Any, dotted: str) -> Any:
    value = dig(body, dotted)
    return None if value is MISSING else value


def step_result(step: Step, judgement: Judgement, duration_ms: float) -> StepResult:
    """A judged step as a report row (redacted findings); shared by every mode of `certify pos`."""
    verdicts = tuple(Verdict(v.label, redact_finding(v.finding) if v.finding else None) for v in judgement.verdicts)
    failed = any(not verdict.passed for verdict in verdicts)
    evidence = evidence_of(judgement.exchanges[-1]) if judgement.exchanges else None
    title = step.pos.cashier.strip() if step.pos else step.title
    return StepResult(step.id, title, Outcome.FAIL if failed else Outcome.PASS, verdicts, evidence,
                      duration_ms=duration_ms)


def evidence_of(entry: Mapping[str, Any]) -> Exchange:
    """A logged exchange (already redacted) as the report's evidence."""
    request, response = entry.get("request") or {}, entry.get("response") or {}
    query = request.get("query") or ""
    body = request.get("body")
    answer = response.get("body")
    return Exchange(HttpRequest(str(request.get("method", "")), str(request.get("path", "")) + (f"?{query}" if query
                                                                                                 else ""),
                                dict(request.get("headers") or {}), jsonio.dumps(body).encode() if body is not None
                                else b""),
                    HttpResponse(int(response.get("status", 0)), dict(response.get("headers") or {}),
                                 jsonio.dumps(answer).encode() if answer is not None else b""),
                    entry.get("operation_id"))


def _errored(scenario: Scenario, reason: str, started: float) -> ScenarioResult:
    finding = Finding("setup", reason, requirements=scenario.requirements)
    return ScenarioResult(scenario.id, scenario.title, scenario.api, Outcome.ERROR, scenario.requirements,
                          setup_findings=(finding,), reason=reason, duration_ms=(time.perf_counter() - started) * 1000)


def certify_scenario(scenario: Scenario, spec: ApiSpec, target: PosTarget, driver: Driver) -> ScenarioResult:
    """One use case performed by the POS through its driver and judged; raises DriverUnreachable (exit 3)."""
    return Session(scenario, spec, target, driver).run()


def certify_pos(scenarios: Iterable[Scenario], spec: ApiSpec, target: PosTarget,
                driver: Driver) -> list[ScenarioResult]:
    """Every use case a POS performs (pos_scenarios), in order."""
    return [certify_scenario(scenario, spec, target, driver) for scenario in pos_scenarios(scenarios)]
