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
from conformance.runner.setup import CONTROL_PATH, ControlSetup
from conformance.transport.inprocess import AsgiTransport

ORIGIN = "http://testserver"


class KeepingFaults:
    """Setup through /_control that keeps the faults switched on from the console: a reset restores only
    the profiles given at start, but a person who switched a fault on means the next run to meet it."""

    def __init__(self, app: Any, control: ControlSetup) -> None:
        self.app = app
        self.control = control

    def apply(self, scenario: Scenario) -> None:
        board = self.app.state.faults
        kept = [fault.as_dict() for fault in board.faults.get(scenario.api, ())]
        self.control.apply(scenario)
        self.control.send(HttpRequest.json("POST", "/faults", {"api": scenario.api, "faults": kept}))


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


def seed(app: Any, token: str, scenario: Scenario) -> None:
    """Reset the scenario's api and apply its `given` (clock, fixtures), so a person can play it at a till."""
    with target_for(app, scenario.api, token) as target:
        target.setup.apply(scenario)
