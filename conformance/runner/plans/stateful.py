"""Plan `stateful`: the oracle. A hypothesis state machine sends random sequences of the api's money
operations to the target and, in lockstep, to `conformance.engine` with the same program (the api's model,
`oracle_<api>.py`); every amount and balance the target returns must equal the engine's.

Each step is built as scenario data (expected values from the engine) and judged exactly as `scenario run`
judges it, so a failure hypothesis has shrunk is written, as is, as a scenario YAML that re-runs from a
reset target. Deterministic for a seed: no example database, generation and shrinking only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, Phase, Verbosity, settings
from hypothesis import seed as seeded
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, rule, run_state_machine_as_test

from conformance.core.errors import TargetError
from conformance.loader.specs import load_control_spec
from conformance.model.result import Outcome, ScenarioResult, StepResult
from conformance.model.scenario import Expectation, Scenario, Step, StepRequest, freeze
from conformance.model.spec import ApiSpec
from conformance.runner.plans.common import CheckLog, requirements_of
from conformance.runner.plans.oracle import BALANCE, CHECK_TITLES, Draw, Model, Move, program
from conformance.runner.plans.oracle_ackroo import AckrooModel
from conformance.runner.plans.oracle_antavo import AntavoModel
from conformance.runner.plans.oracle_crmcom import CrmComModel
from conformance.runner.plans.oracle_webapi import WebApiModel
from conformance.runner.scenarios import Target, _Context, _run_step
from conformance.runner.setup import SetupFailed

MODELS: dict[str, type[Model]] = {"ackroo": AckrooModel, "crmcom": CrmComModel, "crmcom-webapi": WebApiModel,
                                   "antavo": AntavoModel}
"""The api models the oracle knows; an api without one is skipped, with the reason."""

STEPS = 10
"""At most this many operations per generated sequence."""

SHRINK_RUNS = 40
"""Sequences hypothesis may replay while shrinking a failure; then the plan removes steps itself."""

DRAWS = st.builds(Draw, cents=st.integers(1, 3000), pick=st.integers(0, 7),
                  basket=st.lists(st.tuples(st.integers(0, 5), st.integers(1, 3)), min_size=1, max_size=3).map(tuple),
                  tender=st.integers(0, 5))


class Divergence(AssertionError):
    """The target answered a step otherwise than the engine (hypothesis shrinks the sequence)."""


Plan = list[tuple[str, Draw]]


@dataclass
class Failure:
    """A sequence whose last step diverged: what was drawn, the steps sent, and the last step's verdicts."""

    plan: Plan
    moves: list[Move]
    result: StepResult

    @property
    def size(self) -> tuple[int, int]:
        return len(self.plan), sum(draw.cents for _, draw in self.plan)


@dataclass
class Oracle:
    """The plan's memory across hypothesis's runs: the smallest failure seen, a broken target, counts."""

    new_model: Callable[[], Model]
    new_session: Callable[[], Session]
    best: Failure | None = None
    broken: str = ""
    runs: int = 0
    steps: int = 0
    since_failure: int = 0

    def start(self) -> Sequence:
        self.runs += 1
        if self.best is not None:
            self.since_failure += 1
        try:
            sequence = Sequence(self, self.new_model(), self.new_session())
            sequence.failure = sequence.run([], sequence.model.prelude())
        except TargetError as exc:
            self.broken = str(exc)
            raise
        return sequence

    def record(self, failure: Failure) -> None:
        if self.best is None or failure.size < self.best.size:
            self.best = failure

    def replay(self, plan: Plan) -> Failure | None:
        sequence = self.start()
        try:
            for name, draw in plan:
                failure = sequence.step(name, draw)
                if failure is not None:
                    return failure
            return None
        finally:
            sequence.close()

    def minimise(self) -> None:
        """Drop every step whose removal still leaves a diverging sequence (hypothesis rarely deletes steps
        that precede the failing one; each candidate is replayed for real from a reset target)."""
        changed = True
        while changed and self.best is not None:
            changed = False
            best = self.best
            for index in range(len(best.plan) - 1):
                failure = self.replay(best.plan[:index] + best.plan[index + 1:])
                if failure is not None and failure.size < best.size:
                    self.best, changed = failure, True
                    break


class Sequence:
    """One run: a fresh engine model and a freshly set-up target, stepped in lockstep."""

    def __init__(self, oracle: Oracle, model: Model, session: Session) -> None:
        self.oracle, self.model, self.session = oracle, model, session
        self.plan: Plan = []
        self.moves: list[Move] = []
        self.failure: Failure | None = None
        """Set when the prelude (a login) already diverged."""

    def step(self, name: str, draw: Draw) -> Failure | None:
        if self.failure is not None:
            return self.failure
        move = self.model.moves[name](draw)
        self.plan.append((name, draw))
        self.moves.append(move)
        return self.run(self.moves, move.steps)

    def run(self, moves: list[Move], steps: list[dict[str, Any]]) -> Failure | None:
        for data in steps:
            self.oracle.steps += 1
            try:
                result = self.session.run(data)
            except TargetError as exc:
                self.oracle.broken = str(exc)
                raise
            if result.outcome in (Outcome.FAIL, Outcome.ERROR):
                failure = Failure(list(self.plan), list(moves), result)
                self.oracle.record(failure)
                return failure
        return None

    def close(self) -> None:
        self.model.close()


class Session:
    """The target side of one sequence: `given` applied, then the steps judged as `scenario run` judges them."""

    def __init__(self, scenario: Scenario, spec: ApiSpec, target: Target) -> None:
        self.scenario, self.spec, self.target = scenario, spec, target
        try:
            target.setup.apply(scenario)
        except SetupFailed as exc:
            raise TargetError(f"{scenario.id}: setup could not be applied: {exc}") from None
        self.context = _Context(scenario)

    def run(self, data: dict[str, Any]) -> StepResult:
        runner = _run_step(self.scenario, self.spec, self.target, step_of(data), self.context)
        while True:
            try:
                next(runner)
            except StopIteration as done:
                result: StepResult = done.value
                return result


def step_of(data: dict[str, Any]) -> Step:
    """A Step from the YAML data a move builds (the loader's checks are not needed: the oracle wrote it)."""
    request = data.get("request", {})
    expect = data["expect"]
    return Step(data["id"], data["title"], data["operation"],
                StepRequest(path=freeze(request.get("path", {})), query=freeze(request.get("query", {})),
                            body=freeze(request.get("body")),
                            headers=freeze(request.get("headers", {})), auth=request.get("auth")),
                Expectation(expect["status"], freeze(expect.get("body", {})), expect.get("error")),
                freeze(data.get("capture", {})), control=_is_control(data["operation"]))


def _is_control(operation: str) -> bool:
    """True for an operation of the test-control interface (the loader decides the same way)."""
    return any(op.operation_id == operation for op in load_control_spec().operations)


def scenario_data(model: Model, failure: Failure, spec: ApiSpec, scenario_id: str) -> dict[str, Any]:
    """The failing sequence as a scenario file (scenarios/README.md): given, then the steps up to the one that
    diverged."""
    steps = model.prelude() + [data for move in failure.moves for data in move.steps]
    steps = steps[:next(i for i, data in enumerate(steps) if data["id"] == failure.result.step_id) + 1]
    operations = dict.fromkeys(data["operation"] for data in steps)
    requirements = sorted(set().union(*(requirements_of(spec, op) for op in operations)))
    return {"id": scenario_id, "title": f"Stateful oracle: a sequence of {len(failure.plan)} money operation(s) "
                                        "the target answers otherwise than the engine",
            "api": model.api, "program": model.program_id, "source": "DESIGN.md § 7",
            "requirements": requirements,
            "description": "Written by `certify provider --plan stateful`: the minimal sequence after shrinking; "
                           "every expected value is the engine's after the same steps, from this `given`.",
            "given": model.given, "steps": steps}


def stateful_checks(api: str, target: Target, spec: ApiSpec, *, seed: int = 0, max_examples: int = 10,
                    report_dir: Path | None = None) -> list[ScenarioResult]:
    """One result per stateful check id; a divergence is shrunk and written to report_dir/stateful/."""
    model_type = MODELS.get(api)
    if model_type is None:
        log = CheckLog(api, "stateful", "stateful oracle")
        log.skipped = f"the stateful oracle has no model of {api} yet"
        return [log.result()]
    reference = program(model_type.program_id)
    empty = model_type(reference)
    scenario = Scenario(f"{api}.stateful-oracle", "stateful oracle", api, (), (), freeze(empty.given),
                        model_type.program_id)
    names = sorted(empty.moves)
    empty.close()
    oracle = Oracle(lambda: model_type(reference), lambda: Session(scenario, spec, target))
    machine = seeded(seed)(_machine(oracle, names))
    try:
        run_state_machine_as_test(machine, settings=settings(
            max_examples=max(1, max_examples), stateful_step_count=STEPS, database=None, deadline=None,
            phases=(Phase.generate, Phase.shrink), verbosity=Verbosity.quiet, print_blob=False,
            suppress_health_check=list(HealthCheck)))
    except Exception:  # Divergence, or hypothesis's own wrapper of it (a flaky target)
        if oracle.best is None and not oracle.broken:
            raise
    if not oracle.broken:
        oracle.minimise()
    if oracle.broken:
        raise TargetError(oracle.broken)
    return _results(api, spec, model_type, oracle, report_dir)


def _machine(oracle: Oracle, names: list[str]) -> type[RuleBasedStateMachine]:
    class Machine(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            if oracle.broken or oracle.since_failure >= SHRINK_RUNS:
                raise Divergence(oracle.broken or "shrinking budget spent")
            try:
                self.sequence = oracle.start()
            except TargetError as exc:
                raise Divergence(str(exc)) from None

        @rule(name=st.sampled_from(names), draw=DRAWS)
        def act(self, name: str, draw: Draw) -> None:
            try:
                failure = self.sequence.step(name, draw)
            except TargetError as exc:
                raise Divergence(str(exc)) from None
            if failure is not None:
                raise Divergence(failure.result.reason or failure.result.step_id)

        def teardown(self) -> None:
            self.sequence.close()

    return Machine


def _results(api: str, spec: ApiSpec, model_type: type[Model], oracle: Oracle,
             report_dir: Path | None) -> list[ScenarioResult]:
    logs = {check: CheckLog(api, check, title) for check, title in CHECK_TITLES.items()}
    probe = model_type(program(model_type.program_id))
    for move in (probe.moves[name](Draw(100, 0, ((0, 1),), 0)) for name in probe.moves):
        for data in move.steps:
            for check in {move.check, *move.fields.values()}:
                logs[check].requirements |= requirements_of(spec, data["operation"])
    failing: set[str] = set()
    if oracle.best is not None:
        failure = oracle.best
        written = _write(probe, failure, spec, report_dir)
        last, result = failure.moves[-1] if failure.moves else Move([], BALANCE), failure.result
        where = (f"; the shrunk sequence is {written} (re-run it: `conformance scenario run {written} --base-url "
                 "URL`)") if written else ""
        label = f"{len(failure.plan)} operation(s), step {result.step_id}"
        for verdict in result.verdicts:
            if verdict.finding is not None:
                check = last.check_of(verdict.finding.field)
                failing.add(check)
                logs[check].failed(label, f"after {len(failure.plan) - 1} earlier operation(s): "
                                   f"{verdict.finding.message}{where}", exchange=result.exchange,
                                   step_id=result.step_id, expected=verdict.finding.expected,
                                   actual=verdict.finding.actual, confidence="decided",
                                   field=verdict.finding.field)
        if not failing:
            failing.add(last.check)
            logs[last.check].failed(label, f"{result.reason or 'the step could not be completed'}{where}",
                                    step_id=result.step_id, confidence="decided")
    probe.close()
    label = f"{oracle.runs} sequence(s), {oracle.steps} step(s) in all, agreed with the engine"
    for check, log in logs.items():
        if check not in failing and log.requirements:
            log.passed(label)
    return [log.result() for log in logs.values() if log.requirements or log.probes]


def _write(model: Model, failure: Failure, spec: ApiSpec, report_dir: Path | None) -> str:
    if report_dir is None:
        return ""
    folder = report_dir / "stateful"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{model.api}-stateful-divergence.yaml"
    data = scenario_data(model, failure, spec, f"{model.api}.stateful-divergence")
    path.write_text(yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=110), encoding="utf-8")
    return str(path)


class _Dumper(yaml.SafeDumper):
    """YAML with Decimal amounts written as plain numbers (the loader reads them back as exact decimals)."""


_Dumper.add_representer(Decimal, lambda dumper, value: dumper.represent_scalar("tag:yaml.org,2002:float",
                                                                                format(value, "f")))
