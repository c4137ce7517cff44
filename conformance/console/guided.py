"""Guided certification: a person plays a scenario at a real till while the console judges each request.

A session walks its scenarios step by step. Starting a scenario resets and seeds its api; each request
the till sends (read from the simulator's exchange log, redacted as /_control serves it) is judged
against the current step by `judging.judge_exchange` and moves the session on; a step the control
interface makes (a clock move, a webhook trigger) the console makes itself. At the end the steps fold into
the pinned POS report and a signed evidence bundle.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from conformance.console.judging import judge_exchange
from conformance.console.runs import seed, target_for
from conformance.core import jsonio
from conformance.core.exchange import HttpRequest
from conformance.loader.specs import load_control_spec, requirements_file, spec_file, spec_for
from conformance.model.result import Finding, Outcome, ScenarioResult, StepResult, Verdict, worst
from conformance.model.scenario import Scenario, Step, thaw
from conformance.model.template import MISSING, dig, render
from conformance.report.build import build_report
from conformance.report.bundle import evidence_fields, folder_files, signing_key, write_bundle
from conformance.report.write import write_report
from conformance.runner.build import build_request
from conformance.runner.expectations import judge
from conformance.runner.setup import CONTROL_PATH

NOT_PLAYED = "not played: the session ended before the till sent this step"


@dataclass(frozen=True)
class Judged:
    """One request the till sent (or a control step the console made), judged against its step."""

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
                "findings": [{"message": f.message, "expected": f.expected, "actual": f.actual}
                             for f in self.findings]}


class _Memory:
    """`given` and the captures so far, for the `{{name}}` templates of later steps."""

    def __init__(self, scenario: Scenario) -> None:
        self.given: dict[str, Any] = thaw(scenario.given)
        self.captures: dict[str, Any] = {}

    def resolve(self, name: str) -> Any:
        root, _, rest = name.partition(".")
        scope = {"given": self.given, **self.captures}
        if root not in scope:
            raise LookupError(f"{{{{{name}}}}} needs {root!r}, which no step has captured yet")
        value = dig(scope[root], rest) if rest else scope[root]
        if value is MISSING:
            raise LookupError(f"{{{{{name}}}}} names nothing")
        return value

    def capture(self, step: Step, body: Any) -> None:
        for name, path in step.capture.items():
            value = dig(body, path)
            if value is not MISSING:
                self.captures[name] = value


class GuidedSession:
    """One guided certification of one api; `poll()` judges what arrived since the last call."""

    def __init__(self, session_id: str, app: Any, token: str, api: str, scenarios: list[Scenario],
                 origin: str) -> None:
        self.id = session_id
        self.app = app
        self.token = token
        self.api = api
        self.scenarios = scenarios
        self.origin = origin
        self.judged: list[Judged] = []
        self.results: list[ScenarioResult] = []
        self.folder: Path | None = None
        self._lock = threading.Lock()
        self._scenario = 0
        self._step = 0
        self._steps: list[StepResult] = []
        self._seen = 0
        self._memory = _Memory(scenarios[0])
        self._exchanges: list[Any] = []

    # --- where the session stands ---

    @property
    def scenario(self) -> Scenario | None:
        return self.scenarios[self._scenario] if self._scenario < len(self.scenarios) else None

    @property
    def step(self) -> Step | None:
        scenario = self.scenario
        return scenario.steps[self._step] if scenario is not None else None

    @property
    def finished(self) -> bool:
        return self.folder is not None

    @property
    def verdict(self) -> str:
        return str(self.report()["verdict"]) if self.finished else "running"

    @property
    def captures(self) -> dict[str, Any]:
        """What the current scenario has captured so far, the values of the console's own /_control steps
        included (an OTP the customer receives, an order id): what the person at the till is told."""
        return self._memory.captures

    def credentials(self) -> list[Mapping[str, Any]]:
        """The test credentials a till is configured with (the current scenario's `given`)."""
        scenario = self.scenario or self.scenarios[-1]
        return list(thaw(scenario.given.get("credentials") or []))

    # --- moving on ---

    def start(self) -> None:
        with self._lock:
            self._begin_scenario()

    def poll(self) -> list[Judged]:
        """Judge every exchange of this api logged since the last poll; returns the new judgements."""
        with self._lock:
            before = len(self.judged)
            self._make_control_steps()
            state = self.app.state
            for entry in state.exchanges.entries(self._seen, self.api):
                self._seen = max(self._seen, int(entry["seq"]))
                if self.step is None or self.finished:
                    break
                self._judge_till(entry)
                self._make_control_steps()
            if self.step is None and not self.finished:
                self._finish()
            return self.judged[before:]

    def skip(self) -> None:
        """The person at the till cannot play the current step: it is skipped, the session moves on."""
        with self._lock:
            scenario, step = self.scenario, self.step
            if scenario is not None and step is not None and not self.finished:
                self._record(scenario, step, "", "", 0, (), Outcome.SKIP)
                self._make_control_steps()
                if self.step is None:
                    self._finish()

    def discard(self) -> None:
        """Remove what the session wrote (its report and bundle)."""
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)

    def finish(self) -> None:
        """End now: steps not played are skipped, and the report and bundle are written."""
        with self._lock:
            if not self.finished:
                self._finish()

    def _begin_scenario(self) -> None:
        scenario = self.scenario
        if scenario is None:
            return
        self._memory = _Memory(scenario)
        self._steps = []
        self._step = 0
        seed(self.app, self.token, scenario)

    def _judge_till(self, entry: Mapping[str, Any]) -> None:
        scenario, step = self.scenario, self.step
        assert scenario is not None and step is not None
        findings = judge_exchange(scenario, step, entry, self._memory.resolve)
        response_body = entry["response"].get("body")
        if not findings:
            self._memory.capture(step, response_body)
        self._exchanges.append(entry)
        self._record(scenario, step, entry["request"]["method"], entry["request"]["path"],
                     int(entry["response"]["status"]), findings)

    def _make_control_steps(self) -> None:
        """Steps on /_control (clock, triggers) are the console's to make, not the till's."""
        while (step := self.step) is not None and step.control and not self.finished:
            scenario = self.scenario
            assert scenario is not None
            try:
                request = build_request(step, load_control_spec().operation(step.operation), self._memory.resolve)
            except LookupError as exc:
                self._record(scenario, step, "POST", CONTROL_PATH, 0,
                             (Finding("capture", f"step {step.id}: not made: {exc}", step_id=step.id),))
                continue
            request = replace(request, path=request.path.removeprefix(CONTROL_PATH))
            with target_for(self.app, scenario.api, self.token) as target:
                assert target.control is not None
                response = target.control.send(HttpRequest(request.method, request.path, request.headers,
                                                           request.body))
            body = response.json()
            try:
                expected = render(step.expect.body, self._memory.resolve)
            except LookupError:
                expected = {}
            verdicts = judge(api="control", step_id=step.id, status=response.status, body=body,
                             expected_status=step.expect.status, expected_body=expected,
                             expected_error=step.expect.error, requirements=scenario.requirements)
            findings = tuple(v.finding for v in verdicts if v.finding is not None)
            if not findings:
                self._memory.capture(step, body)
            self._record(scenario, step, request.method, CONTROL_PATH + request.path, response.status, findings)

    def _record(self, scenario: Scenario, step: Step, method: str, path: str, status: int,
                findings: tuple[Finding, ...], outcome: Outcome | None = None) -> None:
        outcome = outcome or (Outcome.FAIL if findings else Outcome.PASS)
        self.judged.append(Judged(len(self.judged) + 1, scenario.id, step.id, step.title, method, path, status,
                                  outcome, findings))
        verdicts = tuple(Verdict(f.check, f) for f in findings) or (Verdict(f"step {step.id} as expected"),)
        skipped = outcome is Outcome.SKIP
        self._steps.append(StepResult(step.id, step.title, outcome, () if skipped else verdicts,
                                      reason="skipped at the till" if skipped else ""))
        self._step += 1
        if self._step >= len(scenario.steps):
            self._close_scenario(scenario)
            self._scenario += 1
            self._begin_scenario()

    def _close_scenario(self, scenario: Scenario) -> None:
        played = {s.step_id for s in self._steps}
        steps = self._steps + [StepResult(s.id, s.title, Outcome.SKIP, reason=NOT_PLAYED)
                               for s in scenario.steps if s.id not in played]
        self.results.append(ScenarioResult(scenario.id, scenario.title, scenario.api,
                                           worst(s.outcome for s in steps), scenario.requirements, tuple(steps)))

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
        exercised = {s.operation for sc in self.scenarios for s in sc.steps}
        return build_report(kind="pos", api=self.api, target=f"{self.origin}/{self.api}", results=self.results,
                            spec=spec_for(self.api), plan="guided", exercised=exercised)

    def _write(self) -> None:
        folder = Path(tempfile.mkdtemp(prefix=f"conformance-guided-{self.id}-"))
        key = signing_key()
        write_report(folder / "report", {**self.report(), **evidence_fields(key)})
        files = folder_files(folder / "report", "reports")
        files[f"exchanges/{self.api}.json"] = jsonio.dumps(self._exchanges).encode()
        inputs = [spec_file(self.api), requirements_file(self.api), *(Path(s.path) for s in self.scenarios)]
        write_bundle(folder / "evidence.zip", files, target=f"{self.origin}/{self.api}", inputs=inputs, key=key)
        self.folder = folder
