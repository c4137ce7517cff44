"""Guided certification: a person plays use cases at a real till while the console judges each request.

The walk is `certify pos --driver`'s (conformance.runner.pos.session), with a person instead of a driver:
starting a scenario resets and seeds its api with the wall clock running (a real till signs with its own
time); steps without a driver action are the provider side of the use case (a customer claiming a receipt,
a clock move) and the console makes them itself; at a step with an action the page shows the cashier's
words and waits for the till. A step is judged, by `judging.judge_exchanges` (the POS-certification judge),
once the till has sent every operation the step and its companions need, or anything that action would
never send. At the end the steps fold into the pinned POS report and a signed evidence bundle.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from conformance.console.judging import judge_exchanges
from conformance.console.runs import seed, target_for
from conformance.core import jsonio
from conformance.core.errors import TargetError
from conformance.loader.specs import load_control_spec, requirements_file, spec_file, spec_for
from conformance.model.result import Finding, Outcome, ScenarioResult, StepResult, worst
from conformance.model.scenario import Scenario, Step, thaw
from conformance.model.template import MISSING, dig, render
from conformance.report.build import build_report
from conformance.report.bundle import evidence_fields, folder_files, signing_key, write_bundle
from conformance.report.write import write_report
from conformance.runner.auth import SigningClock
from conformance.runner.build import build_request
from conformance.runner.plans.common import Walk
from conformance.runner.pos.judge import ACTION_OPERATIONS, SAME_AS
from conformance.runner.pos.session import companions
from conformance.runner.pos.wire import masked
from conformance.runner.scenarios import Unresolved
from conformance.runner.setup import CONTROL_PATH

NOT_PLAYED = "not played: the session ended before the till sent this step"


@dataclass(frozen=True)
class Judged:
    """One step of the till's, judged (or skipped by the person at the till)."""

    number: int
    scenario_id: str
    step_id: str
    title: str
    method: str
    path: str
    status: int
    outcome: Outcome
    findings: tuple[Finding, ...]

    def as_json(self) -> dict[str, Any]:
        return {"number": self.number, "scenario": self.scenario_id, "step": self.step_id, "title": self.title,
                "method": self.method, "path": self.path, "status": self.status, "outcome": str(self.outcome),
                "findings": [{"check": f.check, "message": f.message, "expected": f.expected, "actual": f.actual}
                             for f in self.findings]}


def _op(name: Any) -> Any:
    return SAME_AS.get(str(name), name)


class GuidedSession:
    """One guided certification of one api; `poll()` judges what the till sent since the last call."""

    def __init__(self, session_id: str, app: Any, token: str, api: str, scenarios: list[Scenario],
                 origin: str) -> None:
        self.id = session_id
        self.app = app
        self.token = token
        self.api = api
        self.scenarios = scenarios
        self.origin = origin
        self.spec = spec_for(api)
        self.judged: list[Judged] = []
        self.results: list[ScenarioResult] = []
        self.folder: Path | None = None
        self._lock = threading.Lock()
        self._scenario = 0
        self._index = 0
        self._steps: list[StepResult] = []
        self._pending: list[dict[str, Any]] = []
        self._exchanges: list[dict[str, Any]] = []
        self._seen = 0
        self._walk: Walk | None = None
        self._made: set[str] = set()
        """Ids of the current scenario's steps already judged or skipped (a step and its companions)."""

    # --- where the session stands ---

    @property
    def scenario(self) -> Scenario | None:
        return self.scenarios[self._scenario] if self._scenario < len(self.scenarios) else None

    @property
    def step(self) -> Step | None:
        """The step the till is to perform now."""
        scenario = self.scenario
        return scenario.steps[self._index] if scenario is not None and self._index < len(scenario.steps) else None

    @property
    def finished(self) -> bool:
        return self.folder is not None

    @property
    def verdict(self) -> str:
        return str(self.report()["verdict"]) if self.finished else "running"

    @property
    def captures(self) -> dict[str, Any]:
        """What the scenario has captured so far (an OTP the customer received, an order id): values the
        person at the till may be asked for. Masked values stay masked."""
        return dict(self._walk.context.captures) if self._walk else {}

    def credentials(self) -> list[Mapping[str, Any]]:
        """The test credentials a till is configured with (the current scenario's `given`)."""
        scenario = self.scenario or self.scenarios[-1]
        return list(thaw(scenario.given.get("credentials") or []))

    def till_steps(self) -> list[Step]:
        """The steps the till's next action makes: the current step and its companions."""
        scenario, step = self.scenario, self.step
        if scenario is None or step is None:
            return []
        return [step, *companions(scenario, self._index)]

    # --- moving on ---

    def start(self) -> None:
        with self._lock:
            self._begin_scenario()

    def poll(self) -> list[Judged]:
        """Judge what the till sent since the last poll; returns the new judgements."""
        with self._lock:
            before = len(self.judged)
            if not self.finished:
                for entry in self.app.state.exchanges.entries(self._seen, self.api):
                    self._seen = max(self._seen, int(entry["seq"]))
                    self._pending.append(entry)
                    if self._complete():
                        self._judge()
                self._settle()
            return self.judged[before:]

    def receipt_kinds(self) -> list[str]:
        """The codes the till prints at this step (qr, barcode): the person reads them into the page."""
        step = self.step
        receipt = step.pos.action.get("receipt") if step is not None and step.pos else None
        return [str(kind) for kind in receipt] if isinstance(receipt, Mapping) else []

    def judge_now(self, reported: Mapping[str, Any] | None = None) -> None:
        """The person at the till says the step is done: judge what it sent (perhaps nothing) and what the
        till showed (`reported`, as a driver's result: the receipt's codes as scanned)."""
        with self._lock:
            if self.step is not None and not self.finished:
                self._judge(reported)
                self._settle()

    def skip(self) -> None:
        """The person at the till cannot play the current step: it is skipped, the session moves on."""
        with self._lock:
            scenario, step = self.scenario, self.step
            if scenario is not None and step is not None and not self.finished:
                made = self.till_steps()
                self._record(made, StepResult(step.id, step.title, Outcome.SKIP, reason="skipped at the till"),
                             None)
                self._settle()

    def finish(self) -> None:
        """End now: steps not played are skipped, and the report and bundle are written."""
        with self._lock:
            if not self.finished:
                self._finish()

    def discard(self) -> None:
        """Remove what the session wrote (its report and bundle)."""
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)

    def _settle(self) -> None:
        """Write the report once every scenario is played."""
        if self.step is None and not self.finished:
            self._finish()

    def _begin_scenario(self) -> None:
        while (scenario := self.scenario) is not None:
            seed(self.app, self.token, scenario, real_clock=True)
            with target_for(self.app, scenario.api, self.token) as target:
                self._walk = Walk(scenario, self.spec, target)
            # The console signs its own requests five minutes back, inside Antavo's window, never as the till.
            self._walk.context.clock = SigningClock(datetime.now(UTC) - timedelta(seconds=300))
            self._steps, self._index, self._pending, self._made = [], 0, [], set()
            self._seen = max([self._seen, *(int(e["seq"]) for e in self.app.state.exchanges.entries(0, self.api))])
            self._provider_side()
            if self.step is not None:
                return
            self._close_scenario(scenario)
            self._scenario += 1

    def _provider_side(self) -> None:
        """Make the steps that are not the till's (no driver action), up to the till's next one."""
        while (step := self.step) is not None and (step.id in self._made or not (step.pos and step.pos.action)):
            if step.id not in self._made:
                self._make(step)
            self._index += 1
        self._skip_own_traffic()

    def _skip_own_traffic(self) -> None:
        entries = self.app.state.exchanges.entries(self._seen, self.api)
        if entries:
            self._seen = max(int(e["seq"]) for e in entries)

    def _make(self, step: Step) -> None:
        """One step of the provider's side, as the scenario means it, keeping its captures."""
        scenario, walk = self.scenario, self._walk
        assert scenario is not None and walk is not None
        with target_for(self.app, scenario.api, self.token) as target:
            walk.target = target
            try:
                if step.control:
                    request = build_request(step, load_control_spec().operation(step.operation),
                                            walk.context.resolve)
                    response = target.control.send(replace(request, path=request.path.removeprefix(CONTROL_PATH))) \
                        if target.control else None
                    body = response.json() if response is not None else None
                    for name, dotted in step.capture.items():
                        value = dig(body, dotted)
                        if value is not MISSING and value is not None:
                            walk.context.captures[name] = value
                else:
                    walk.play(step)
            except (Unresolved, TargetError):
                pass  # a provider-side step that cannot be made leaves later steps to say what they miss

    def _complete(self) -> bool:
        """The till has sent all the step needs, or something its action would never send."""
        made = self.till_steps()
        if not made:
            return False
        step = made[0]
        assert step.pos is not None
        needed = {_op(s.operation) for s in made if not s.control}
        allowed = needed | {_op(o) for o in ACTION_OPERATIONS.get(self.api, {}).get(
            str(step.pos.action.get("action")), frozenset())}
        sent = {_op(e.get("operation_id")) for e in self._pending}
        if self.receipt_kinds() and not sent - allowed:
            return False  # the person reads the printed codes in first (judge_now)
        return needed <= sent or bool(sent - allowed)

    def _judge(self, reported: Mapping[str, Any] | None = None) -> None:
        scenario, walk = self.scenario, self._walk
        assert scenario is not None and walk is not None
        made = self.till_steps()
        step = made[0]
        assert step.pos is not None
        try:
            action = render(thaw(step.pos.action), walk.context.resolve)
        except Unresolved:
            action = thaw(step.pos.action)
        result, captures = judge_exchanges(scenario, self.spec, step, made[1:], self._pending, action,
                                           walk.context.resolve, reported)
        walk.context.captures.update(captures)
        if step.control or step.operation == "webApiLogin" or any(masked(v) for v in captures.values()):
            self._make(step)  # the log masks tokens: the console gets its own for the steps it makes
        last = self._pending[-1] if self._pending else None
        self._exchanges += self._pending
        self._pending = []
        self._record(made, result, last)

    def _record(self, made: list[Step], result: StepResult, last: Mapping[str, Any] | None) -> None:
        """Keep a step's result (the step and its companions are done) and move to the till's next step."""
        scenario, step = self.scenario, made[0]
        assert scenario is not None
        request = (last or {}).get("request") or {}
        self.judged.append(Judged(len(self.judged) + 1, scenario.id, step.id, step.title,
                                  str(request.get("method", "")), str(request.get("path", "")),
                                  int(((last or {}).get("response") or {}).get("status") or 0), result.outcome,
                                  result.findings))
        self._steps.append(result)
        self._made.update(s.id for s in made)
        self._index += 1
        self._provider_side()
        if self.step is None:
            self._close_scenario(scenario)
            self._scenario += 1
            self._begin_scenario()

    def _close_scenario(self, scenario: Scenario) -> None:
        played = {s.step_id for s in self._steps}
        steps = self._steps + [StepResult(s.id, s.title, Outcome.SKIP, reason=NOT_PLAYED)
                               for s in scenario.steps if s.pos and s.pos.action and s.id not in played
                               and s.id not in self._companion_ids(scenario)]
        self.results.append(ScenarioResult(scenario.id, scenario.title, scenario.api,
                                           worst((s.outcome for s in steps), Outcome.SKIP),
                                           scenario.requirements, tuple(steps)))

    @staticmethod
    def _companion_ids(scenario: Scenario) -> set[str]:
        return {c.id for i, s in enumerate(scenario.steps) if s.pos and s.pos.action
                for c in companions(scenario, i)}

    def _finish(self) -> None:
        if self.scenario is not None:
            self._close_scenario(self.scenario)
            for scenario in self.scenarios[self._scenario + 1:]:
                self.results.append(ScenarioResult(scenario.id, scenario.title, scenario.api, Outcome.SKIP,
                                                   scenario.requirements, reason=NOT_PLAYED))
            self._scenario = len(self.scenarios)
        self._write()

    # --- what it leaves behind ---

    def report(self) -> dict[str, Any]:
        exercised = {str(e.get("operation_id")) for e in self._exchanges}
        return build_report(kind="pos", api=self.api, target=f"{self.origin}/{self.api}", results=self.results,
                            spec=self.spec, plan="guided", exercised=exercised)

    def _write(self) -> None:
        folder = Path(tempfile.mkdtemp(prefix=f"conformance-guided-{self.id}-"))
        key = signing_key()
        write_report(folder / "report", {**self.report(), **evidence_fields(key)})
        files = folder_files(folder / "report", "reports")
        files[f"exchanges/{self.api}.json"] = jsonio.dumps(self._exchanges).encode()
        inputs = [spec_file(self.api), requirements_file(self.api), *(Path(s.path) for s in self.scenarios)]
        write_bundle(folder / "evidence.zip", files, target=f"{self.origin}/{self.api}", inputs=inputs, key=key)
        self.folder = folder
