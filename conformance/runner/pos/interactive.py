"""A person at a real till: the suite sets the simulator up, says what to ring up, and judges what arrives.

For each scenario the simulator is reset and seeded, then each POS step is asked of the cashier (its
words and the test card to present) and the loop watches the simulator's exchange log for the request
the step stands for. It arrives (and is judged), or the step times out (a fail: the till never sent it),
or the person presses the skip key. Steps the control interface makes (a customer placing an order
elsewhere) are sent by the loop itself. The loop only yields past-tense events; the terminal is the CLI's.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlencode

from conformance.core import jsonio
from conformance.core.errors import TargetError
from conformance.core.exchange import Exchange, HttpRequest, HttpResponse
from conformance.loader.specs import load_control_spec
from conformance.model.result import Finding, Outcome, ScenarioResult, StepResult, Verdict, worst
from conformance.model.scenario import Scenario, Step, thaw
from conformance.model.template import MISSING, dig
from conformance.runner.build import build_request
from conformance.runner.events import Event, RunFinished, RunStarted, ScenarioFinished, ScenarioStarted, StepFinished
from conformance.runner.redaction import redact_finding
from conformance.runner.setup import CONTROL_PATH, ControlSetup, SetupFailed

Keys = Callable[[float], str | None]
"""Wait up to that many seconds for a key press; the key, or None (the terminal is the CLI's)."""
Judge = Callable[[Scenario, Step, Mapping[str, Any]], list[Finding]]
"""(scenario, POS step, the exchange-log entry of the request the till sent) -> findings."""
SKIP_KEY = "s"
QUIT_KEY = "q"
CHECK_MISSING = "pos_request_missing"


@dataclass(frozen=True)
class TillSetUp:
    """A scenario's state is in place: where the till points and what it logs in with."""

    scenario_id: str
    title: str
    base_url: str
    credentials: tuple[Mapping[str, Any], ...]
    cards: tuple[Mapping[str, Any], ...]


@dataclass(frozen=True)
class StepAsked:
    """The cashier is asked to do a step; the loop now waits for its request."""

    scenario_id: str
    step_id: str
    number: int
    total: int
    cashier: str
    medium: Mapping[str, Any] | None
    """The test card (type and data) to present, when the step names one."""
    operation: str
    timeout_s: float


@dataclass(frozen=True)
class RequestSeen:
    """A request reached the simulator while the loop waited (the step's, or another)."""

    scenario_id: str
    step_id: str
    method: str
    path: str
    status: int
    operation_id: str | None
    expected: bool


InteractiveEvent = Event | TillSetUp | StepAsked | RequestSeen


@dataclass(frozen=True)
class Till:
    """The simulator as the till sees it (the api's base URL) and as the suite drives it (/_control)."""

    api: str
    base_url: str
    control: ControlSetup


def run_interactive(scenarios: Iterable[Scenario], till: Till, judge: Judge, keys: Keys, *,
                    timeout_s: float = 120.0, poll_s: float = 0.25) -> Iterator[InteractiveEvent]:
    chosen = [s for s in scenarios if s.api == till.api]
    yield RunStarted(till.base_url, tuple(s.id for s in chosen))
    results: list[ScenarioResult] = []
    quit_reason = ""
    for scenario in chosen:
        yield ScenarioStarted(scenario.id, scenario.title, scenario.api, scenario.requirements)
        if quit_reason:
            result = ScenarioResult(scenario.id, scenario.title, scenario.api, Outcome.SKIP, scenario.requirements,
                                    reason=quit_reason)
        else:
            session = _Session(scenario, till, judge, keys, timeout_s, poll_s)
            result = yield from session.run()
            quit_reason = session.quit_reason
        results.append(result)
        yield ScenarioFinished(result)
    yield RunFinished(tuple(results))


class _Session:
    """One scenario at the till."""

    def __init__(self, scenario: Scenario, till: Till, judge: Judge, keys: Keys, timeout_s: float,
                 poll_s: float) -> None:
        self.scenario, self.till, self.judge, self.keys = scenario, till, judge, keys
        self.timeout_s, self.poll_s = timeout_s, poll_s
        self.seen = 0
        self.captures: dict[str, Any] = {}
        self.quit_reason = ""

    def run(self) -> Generator[InteractiveEvent, None, ScenarioResult]:
        scenario = self.scenario
        try:
            self.till.control.apply(scenario)
            self.seen = self._last_seq()
        except (SetupFailed, TargetError) as exc:
            reason = f"setup could not be applied: {exc}"
            return ScenarioResult(scenario.id, scenario.title, scenario.api, Outcome.ERROR, scenario.requirements,
                                  setup_findings=(Finding("setup", reason),), reason=reason)
        given = thaw(scenario.given)
        yield TillSetUp(scenario.id, scenario.title, self.till.base_url, tuple(given.get("credentials") or ()),
                        tuple(given.get("cards") or given.get("customers") or ()))
        pos_total = sum(1 for step in scenario.steps if step.pos is not None and not step.control)
        steps: list[StepResult] = []
        number = 0
        for step in scenario.steps:
            if self.quit_reason:
                result = StepResult(step.id, step.title, Outcome.SKIP, reason=self.quit_reason)
            elif step.control:
                result = self._control_step(step)
            elif step.pos is None:
                result = StepResult(step.id, step.title, Outcome.OMIT, reason="a provider test, not a till's step")
            else:
                number += 1
                result = yield from self._pos_step(step, number, pos_total)
            steps.append(result)
            yield StepFinished(scenario.id, result)
        outcome = worst((s.outcome for s in steps if s.outcome is not Outcome.OMIT), default=Outcome.SKIP)
        return ScenarioResult(scenario.id, scenario.title, scenario.api, outcome, scenario.requirements, tuple(steps))

    def _pos_step(self, step: Step, number: int, total: int) -> Generator[InteractiveEvent, None, StepResult]:
        assert step.pos is not None
        medium = (step.pos.action.get("customer") or {}).get("medium") if isinstance(
            step.pos.action.get("customer"), Mapping) else step.pos.action.get("medium")
        yield StepAsked(self.scenario.id, step.id, number, total, step.pos.cashier.strip(),
                        thaw(medium) if isinstance(medium, Mapping) else None, step.operation, self.timeout_s)
        deadline = time.monotonic() + self.timeout_s
        while True:
            for entry in self._new_entries():
                expected = entry.get("operation_id") == step.operation
                request = entry.get("request") or {}
                yield RequestSeen(self.scenario.id, step.id, str(request.get("method", "")),
                                  str(request.get("path", "")), int((entry.get("response") or {}).get("status", 0)),
                                  entry.get("operation_id"), expected)
                if expected:
                    return self._judged(step, entry)
            left = deadline - time.monotonic()
            if left <= 0:
                finding = Finding(CHECK_MISSING, f"step {step.id}: no {step.operation} request reached the "
                                  f"simulator within {self.timeout_s:g} s ({step.pos.cashier.strip()[:120]})",
                                  expected=step.operation, step_id=step.id)
                return StepResult(step.id, step.title, Outcome.FAIL, (Verdict(finding.message, finding),))
            key = self.keys(min(self.poll_s, left))
            if key == SKIP_KEY:
                return StepResult(step.id, step.title, Outcome.SKIP, reason="skipped at the till")
            if key == QUIT_KEY:
                self.quit_reason = "the session was ended at the till"
                return StepResult(step.id, step.title, Outcome.SKIP, reason=self.quit_reason)

    def _judged(self, step: Step, entry: Mapping[str, Any]) -> StepResult:
        findings = [redact_finding(f) for f in self.judge(self.scenario, step, entry)]
        body = (entry.get("response") or {}).get("body")
        for name, path in step.capture.items():
            value = dig(body, path)
            if value is not MISSING:
                self.captures[name] = value
        verdicts = tuple(Verdict(f.message, f) for f in findings) or (Verdict(f"{step.operation} as expected"),)
        return StepResult(step.id, step.title, Outcome.FAIL if findings else Outcome.PASS, verdicts,
                          as_exchange(entry))

    def _control_step(self, step: Step) -> StepResult:
        """Send a step of the control interface (its templates from `given` and what the till's answers held)."""
        given = thaw(self.scenario.given)

        def resolve(name: str) -> Any:
            root, _, rest = name.partition(".")
            source = given if root == "given" else self.captures.get(root, MISSING)
            value = source if not rest or source is MISSING else dig(source, rest)
            if value is MISSING:
                raise LookupError(name)
            return value

        try:
            request = build_request(step, load_control_spec().operation(step.operation), resolve)
            response = self.till.control.send(replace(request, path=request.path.removeprefix(CONTROL_PATH)))
        except LookupError as exc:
            return StepResult(step.id, step.title, Outcome.SKIP, reason=f"not run: {{{{{exc.args[0]}}}}} unknown")
        except TargetError as exc:
            return StepResult(step.id, step.title, Outcome.ERROR, reason=str(exc))
        if response.status >= 300:
            return StepResult(step.id, step.title, Outcome.ERROR,
                              reason=f"{step.operation} answered {response.status}")
        return StepResult(step.id, step.title, Outcome.PASS, (Verdict(f"{step.operation} sent"),))

    def _new_entries(self) -> list[Mapping[str, Any]]:
        entries = self._exchanges(self.seen)
        if entries:
            self.seen = max(int(e.get("seq", 0)) for e in entries)
        return entries

    def _last_seq(self) -> int:
        entries = self._exchanges(0)
        return max((int(e.get("seq", 0)) for e in entries), default=0)

    def _exchanges(self, since: int) -> list[Mapping[str, Any]]:
        query = urlencode({"api": self.till.api, "since": since})
        answer = self.till.control.send(HttpRequest("GET", f"/exchanges?{query}"))
        if answer.status != 200:
            raise TargetError(f"GET {CONTROL_PATH}/exchanges answered {answer.status}")
        body = answer.json()
        return list(body.get("exchanges") or []) if isinstance(body, Mapping) else []


def as_exchange(entry: Mapping[str, Any]) -> Exchange:
    """An exchange-log entry (already redacted) as the report's evidence."""
    request, response = entry.get("request") or {}, entry.get("response") or {}
    query = str(request.get("query") or "")
    return Exchange(
        HttpRequest(str(request.get("method", "")), str(request.get("path", "")) + (f"?{query}" if query else ""),
                    dict(request.get("headers") or {}), _bytes(request.get("body"))),
        HttpResponse(int(response.get("status", 0)), dict(response.get("headers") or {}), _bytes(response.get("body"))),
        entry.get("operation_id"))


def _bytes(body: Any) -> bytes:
    return b"" if body is None else jsonio.dumps(body).encode("utf-8")

