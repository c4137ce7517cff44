"""Plan `scenarios`: every documented use case of the api, judged exactly as `scenario run` judges it."""

from __future__ import annotations

from pathlib import Path

from conformance.loader.scenarios import load_scenarios
from conformance.model.result import ScenarioResult
from conformance.model.spec import ApiSpec
from conformance.runner.events import RunFinished
from conformance.runner.scenarios import Target, run


def scenario_checks(api: str, target: Target, spec: ApiSpec, *, seed: int = 0, max_examples: int = 0,
                    report_dir: Path | None = None) -> list[ScenarioResult]:
    """One result per scenario (its id is the check id); seed and examples do not apply."""
    results: tuple[ScenarioResult, ...] = ()
    for event in run(load_scenarios(api).values(), {api: spec}, {api: target}, f"certify {api}"):
        if isinstance(event, RunFinished):
            results = event.results
    return list(results)
