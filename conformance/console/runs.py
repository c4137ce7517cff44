"""Run a scenario, or only put its `given` in place, against the simulator the console is served with.

The runner meets the simulator through the in-process ASGI transport (no socket), exactly as
`conformance scenario run` does without `--base-url`; the calls block, so pages run them in a thread.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from conformance.core.exchange import HttpRequest
from conformance.loader.specs import spec_for
from conformance.model.result import ScenarioResult
from conformance.model.scenario import Scenario
from conformance.runner.events import ScenarioFinished
from conformance.runner.scenarios import Target, run_scenario
from conformance.runner.setup import CONTROL_PATH, ControlSetup, SetupFailed
from conformance.transport.inprocess import AsgiTransport

ORIGIN = "http://testserver"


class KeepingFaults:
    """Setup through /_control that keeps the faults switched on from the console: a reset restores only
    the profiles given at start, but a person who switched a fault on means the next run to meet it.

    With `real_clock` the provider's clock runs on the wall clock (a real till dates and signs its requests
    with its own time, as `certify pos` has it) instead of the scenario's frozen one."""

    def __init__(self, app: Any, control: ControlSetup, real_clock: bool = False) -> None:
        self.app = app
        self.control = control
        self.real_clock = real_clock

    def apply(self, scenario: Scenario) -> None:
        board = self.app.state.faults
        kept = [fault.as_dict() for fault in board.faults.get(scenario.api, ())]
        if self.real_clock:
            deterministic = bool((scenario.clock or {}).get("deterministic", False))
            for path, body in (("/reset", {"api": scenario.api}),
                               ("/clock", {"real": True, "deterministic": deterministic}),
                               ("/fixtures", scenario.fixtures)):
                self._post(path, body)
        else:
            self.control.apply(scenario)
        self._post("/faults", {"api": scenario.api, "faults": kept})

    def _post(self, path: str, body: Any) -> None:
        response = self.control.send(HttpRequest.json("POST", path, body))
        if response.status >= 300:
            raise SetupFailed(f"POST {CONTROL_PATH}{path} answered {response.status}: {response.text[:300]}")


@contextmanager
def target_for(app: Any, api: str, token: str) -> Iterator[Target]:
    """The runner's view of the served simulator for one api: its transport and its control interface."""
    transport = AsgiTransport(app, f"{ORIGIN}/{api}")
    control = control_for(app, token)
    try:
        yield Target(transport, KeepingFaults(app, control), control)
    finally:
        transport.close()
        control.transport.close()


def control_for(app: Any, token: str) -> ControlSetup:
    """A client of the served simulator's /_control (close its transport when done)."""
    return ControlSetup(AsgiTransport(app, ORIGIN + CONTROL_PATH), token)


def run_one(app: Any, token: str, scenario: Scenario) -> ScenarioResult:
    """Reset, seed and run every step; the result holds each step's verdicts and redacted exchange."""
    with target_for(app, scenario.api, token) as target:
        for event in run_scenario(scenario, spec_for(scenario.api), target):
            if isinstance(event, ScenarioFinished):
                return event.result
    raise RuntimeError(f"{scenario.id}: the runner finished without a result")


def seed(app: Any, token: str, scenario: Scenario, real_clock: bool = True) -> None:
    """Reset the scenario's api and apply its `given` (fixtures; the wall clock unless told otherwise), so
    a person can play it at a real till."""
    control = control_for(app, token)
    try:
        KeepingFaults(app, control, real_clock).apply(scenario)
    finally:
        control.transport.close()
