"""Confidence-aware verdicts (issue 15 item 2): a departure from something only `inferred` is a warning.

A failed check whose findings are all non-binding passes, and its findings are handed back as warnings;
`strict` keeps them failures. Capabilities: a check the target declared unsupported becomes `omit`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace

from conformance.model.result import Finding, Outcome, ScenarioResult, StepResult, Verdict
from conformance.runner.plans.common import binding

Warned = tuple[list[ScenarioResult], list[tuple[str, Finding]]]


def apply_confidence(results: Iterable[ScenarioResult], *, strict: bool) -> Warned:
    kept: list[ScenarioResult] = []
    warnings: list[tuple[str, Finding]] = []
    for result in results:
        soft = [f for f in result.findings if not binding(f.confidence)]
        if strict or not soft:
            kept.append(result)
            continue
        warnings += [(result.id, f) for f in soft]
        steps = tuple(_soften(step) for step in result.steps)
        outcome = result.outcome
        if outcome is Outcome.FAIL and not any(s.outcome is Outcome.FAIL for s in steps) \
                and not any(binding(f.confidence) for f in result.setup_findings):
            outcome = Outcome.PASS
        kept.append(replace(result, steps=steps, outcome=outcome,
                            setup_findings=tuple(f for f in result.setup_findings if binding(f.confidence))))
    return kept, warnings


def _soften(step: StepResult) -> StepResult:
    verdicts = tuple(Verdict(v.label, v.finding if v.finding is None or binding(v.finding.confidence) else None)
                     for v in step.verdicts)
    outcome = step.outcome
    if outcome is Outcome.FAIL and all(v.passed for v in verdicts):
        outcome = Outcome.PASS
    return replace(step, verdicts=verdicts, outcome=outcome)


def omit(results: Iterable[ScenarioResult], declared: Sequence[str], source: str) -> list[ScenarioResult]:
    """Results whose id (or its part after the api) the target declared unsupported, as `omit`."""
    wanted = set(declared)
    out = []
    for result in results:
        short = result.id.split(".", 1)[1] if "." in result.id else result.id
        if result.id in wanted or short in wanted:
            result = replace(result, outcome=Outcome.OMIT, reason=f"declared unsupported in {source}")
        out.append(result)
    return out
