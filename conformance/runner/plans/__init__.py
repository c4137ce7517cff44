"""Provider certification plans: each turns (api, target, spec) into check results with stable ids.

A plan is a plain callable ``plan(api, target, spec, *, seed, max_examples, report_dir) -> list[ScenarioResult]``;
`PLANS` maps the names `--plan` accepts to them.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from conformance.model.result import ScenarioResult
from conformance.model.spec import ApiSpec
from conformance.runner.plans.robustness import robustness_checks
from conformance.runner.plans.scenarios import scenario_checks
from conformance.runner.plans.security import security_checks
from conformance.runner.plans.spec import spec_checks
from conformance.runner.plans.stateful import stateful_checks
from conformance.runner.scenarios import Target

PlanFn = Callable[..., list[ScenarioResult]]
"""``(api: str, target: Target, spec: ApiSpec, *, seed: int, max_examples: int, report_dir: Path | None)``."""

PLAN_ORDER = ("spec", "scenarios", "stateful", "robustness", "security")
"""Every plan name `--plan` knows, in the order a certification runs them."""

PLANS: dict[str, PlanFn] = {
    "spec": spec_checks,
    "scenarios": scenario_checks,
    "stateful": stateful_checks,
    "robustness": robustness_checks,
    "security": security_checks,
}

__all__ = ["PLANS", "PLAN_ORDER", "ApiSpec", "Path", "PlanFn", "Target"]
