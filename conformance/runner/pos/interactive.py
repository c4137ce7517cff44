"""A person at a real till: the suite sets the simulator up, says what to ring up, and judges what arrives.

The `--driver` session with a person in the driver's place: for each scenario the simulator is reset and
seeded (session.py), each POS step is asked of the cashier (its words and the test card to present), and
the loop watches the simulator's exchange log until the requests the step's action makes have arrived, the
step times out, or the person presses the skip (or quit) key. What arrived is judged by the judge at once
(nothing that did not arrive is a `pos.sent` finding). The provider's side of a use case is made by the
suite, as in the driver session. The loop only yields past-tense events; the terminal is the CLI's.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from conformance.core.errors import TargetError
from conformance.model.result import Finding, Outcome, ScenarioResult, StepResult, worst
from conformance.model.scenario import Scenario, Step, thaw
from conformance.model.spec import ApiSpec
from conformance.model.template import render
from conformance.runner.events import Event, RunFinished, RunStarted, ScenarioFinished, ScenarioStarted, StepFinished
from conformance.runner.pos import wire
from conformance.runner.pos.drivers import DriverReply
from conformance.runner.pos.judge import SAME_AS, judge_step
from conformance.runner.pos.session import PosTarget, Session, companions, step_result
from conformance.runner.scenarios import Unresolved
from conformance.runner.setup import SetupFailed

Keys = Callable[[float], str | None]
"""Wait up to that many seconds for a key press; the key, or None (the terminal is the CLI's)."""
SKIP_KEY = "s"
QUIT_KEY = "q"


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
    """The cashier is asked to do a step; the loop now waits for its requests."""

    scenario_id: str
    step_id: str
    number: int
    total: int
    cashier: str
    medium: Mapping[str, Any] | None
    """The test card (type and data) to present, when the action names one."""
    operations: tuple[str, ...]
    timeout_s: float


@dataclass(frozen=True)
class RequestSeen:
    """A request reached the simulator while the loop waited (one the step needs, or another)."""

    scenario_id: str
    step_id: str
    method: str
    path: str
    status: int
    operation_id: str | None
    expected: bool


InteractiveEvent = Event | TillSetUp | StepAsked | RequestSeen


class _Person:
    """The driver seat, taken by a person: nothing to send, the till does it."""

    label = "a person at the till (interactive)"

    def perform(self, action: Mapping[str, Any]) -> DriverReply:
        return DriverReply(True)


def run_interactive(scenarios: Iterable[Scenario], spec: ApiSpec, target: PosTarget, keys: Keys, *,
                    timeout_s: float = 120.0, poll_s: float = 0.25) -> Iterator[InteractiveEvent]:
    chosen = [s for s in scenarios if s.api == target.api]
    yield RunStarted(target.base_url, tuple(s.id for s in chosen))
    results: list[ScenarioResult] = []
    quit_reason = ""
    for scenario in chosen:
        yield ScenarioStarted(scenario.id, scenario.title, scenario.api, scenario.requirements)
        if quit_reason:
            result = ScenarioResult(scenario.id, scenario.title, scenario.api, Outcome.SKIP, scenario.requirements,
                                    reason=quit_reason)
        else:
            visit = _Visit(scenario, spec, target, keys, timeout_s, poll_s)
            result = yield from visit.run()
            quit_reason = visit.quit_reason
        results.append(result)
        yield ScenarioFinished(result)
    yield RunFinished(tuple(results))


class _Visit:
    """One scenario at the till."""

    def __init__(self, scenario: Scenario, spec: ApiSpec, target: PosTarget, keys: Keys, timeout_s: float,
                 poll_s: float) -> None:
        self.scenario, self.spec, self.keys = scenario, spec, keys
        self.session = Session(scenario, spec, target, _Person())
        self.timeout_s, self.poll_s = timeout_s, poll_s
        self.quit_reason = ""

    def run(self) -> Generator[InteractiveEvent, None, ScenarioResult]:
        scenario, session = self.scenario, self.session
        try:
            session.setup()
        except (SetupFailed, TargetError) as exc:
            reason = f"setup could not be applied: {exc}"
            return ScenarioResult(scenario.id, scenario.title, scenario.api, Outcome.ERROR, scenario.requirements,
                                  setup_findings=(Finding("setup", reason),), reason=reason)
        given = thaw(scenario.given)
        yield TillSetUp(scenario.id, scenario.title, session.target.base_url, tuple(given.get("credentials") or ()),
                        tuple(given.get("cards") or given.get("customers") or ()))
        asked = [s for s in scenario.steps if s.pos is not None and s.pos.action]
        steps: list[StepResult] = []
        made_by_action: set[str] = set()
        for index, step in enumerate(scenario.steps):
            if step.id in made_by_action:
                continue
            if step.pos is None or not step.pos.action:
                session.play(step)  # the provider's side of the use case
                continue
            made = companions(scenario, index)
            made_by_action.update(s.id for s in made)
            if self.quit_reason:
                result = StepResult(step.id, step.title, Outcome.SKIP, reason=self.quit_reason)
            else:
                result = yield from self._asked(step, made, asked.index(step) + 1, len(asked))
            steps.append(result)
            yield StepFinished(scenario.id, result)
        return ScenarioResult(scenario.id, scenario.title, scenario.api, worst((s.outcome for s in steps),
                                                                               default=Outcome.SKIP),
                              scenario.requirements, tuple(steps))

    def _asked(self, step: Step, made: list[Step], number: int, total: int
               ) -> Generator[InteractiveEvent, None, StepResult]:
        assert step.pos is not None
        context = self.session.walk.context
        try:
            action = render(thaw(step.pos.action), context.resolve)
        except Unresolved as exc:
            return StepResult(step.id, step.title, Outcome.SKIP, reason=f"not run: {exc}")
        wanted = tuple(dict.fromkeys(s.operation for s in (step, *made) if not s.control))
        needed = {SAME_AS.get(op, op) for op in wanted}  # either documented alternative will do
        yield StepAsked(self.scenario.id, step.id, number, total, step.pos.cashier.strip(), _medium(action), wanted,
                        self.timeout_s)
        started = time.perf_counter()
        sent: list[Mapping[str, Any]] = []
        deadline = time.monotonic() + self.timeout_s
        while True:
            for entry in self.session.exchanges():
                sent.append(entry)
                request = entry.get("request") or {}
                yield RequestSeen(self.scenario.id, step.id, str(request.get("method", "")),
                                  str(request.get("path", "")), wire.status(entry), entry.get("operation_id"),
                                  SAME_AS.get(str(entry.get("operation_id")), entry.get("operation_id")) in needed)
            left = deadline - time.monotonic()
            if needed <= {SAME_AS.get(str(e.get("operation_id")), str(e.get("operation_id"))) for e in sent} \
                    or left <= 0:
                break  # all arrived, or judge what did (what did not is a `pos.sent` finding)
            key = self.keys(min(self.poll_s, left))
            if key in (SKIP_KEY, QUIT_KEY):
                if key == QUIT_KEY:
                    self.quit_reason = "the session was ended at the till"
                return StepResult(step.id, step.title, Outcome.SKIP, reason=self.quit_reason or "skipped at the till")
        judgement = judge_step(self.scenario.api, self.spec, step, sent, action=action, reported=None, companions=made,
                               resolve=context.resolve, requirements=self.scenario.requirements)
        context.captures.update(judgement.captures)
        if step.control or step.operation == "webApiLogin" or any(wire.masked(v) for v in judgement.captures.values()):
            self.session.play(step)  # the customer's side, or the suite's own token for the steps it makes
        return step_result(step, judgement, (time.perf_counter() - started) * 1000)


def _medium(action: Mapping[str, Any]) -> Mapping[str, Any] | None:
    customer = action.get("customer")
    medium = customer.get("medium") if isinstance(customer, Mapping) else action.get("medium")
    return medium if isinstance(medium, Mapping) else None
