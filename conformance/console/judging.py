"""The one place the console calls the POS-certification judge, so both front ends judge alike.

`conformance.runner.pos.judge.judge_step` judges what a POS sent for one step (and the companion steps
the same action makes) in the shape `GET /_control/exchanges` serves; this turns its judgement into the
step result the report folds, redacted as every report is.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from conformance.model.result import Outcome, StepResult, Verdict
from conformance.model.scenario import Scenario, Step
from conformance.model.spec import ApiSpec
from conformance.runner.pos.judge import judge_step
from conformance.runner.redaction import redact_finding


def judge_exchanges(scenario: Scenario, spec: ApiSpec, step: Step, companions: Sequence[Step],
                    exchanges: Sequence[Mapping[str, Any]], action: Mapping[str, Any],
                    resolve: Callable[[str], Any],
                    reported: Mapping[str, Any] | None = None) -> tuple[StepResult, dict[str, Any]]:
    """The step's result (every check a verdict) and the values it captured, from what the till sent and
    (`reported`, a driver's result) what the person read off the till: the receipt's printed codes."""
    judgement = judge_step(scenario.api, spec, step, exchanges, action=action, reported=reported,
                           companions=companions, resolve=resolve, requirements=scenario.requirements)
    verdicts = tuple(Verdict(v.label, redact_finding(v.finding) if v.finding else None) for v in judgement.verdicts)
    outcome = Outcome.FAIL if any(not v.passed for v in verdicts) else Outcome.PASS
    title = step.pos.cashier.strip() if step.pos else step.title
    return StepResult(step.id, title, outcome, verdicts), dict(judgement.captures)
