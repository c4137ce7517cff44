"""The resilience plan of `certify pos` (issue 17): outages injected by the provider; built in a later part."""

from __future__ import annotations

from collections.abc import Sequence

from conformance.model.result import Outcome, ScenarioResult
from conformance.model.scenario import Scenario
from conformance.runner.pos.drivers import Driver
from conformance.runner.pos.session import PosTarget


def resilience(api: str, scenarios: Sequence[Scenario], target: PosTarget, driver: Driver) -> list[ScenarioResult]:
    return [ScenarioResult(f"{api}.pos.resilience", "Resilience: outages, lost answers, refusals", api, Outcome.SKIP,
                           reason="the resilience plan is not built yet")]
