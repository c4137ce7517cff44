"""Fold a run's results into the pinned report.json structure (DESIGN section 4).

The report is plain data: `junit.py` and `html.py` render the same dict, so the three files never disagree.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from conformance.core.redact import redact, redact_url
from conformance.model.result import Finding, Outcome, ScenarioResult, summarize
from conformance.model.spec import ApiSpec

SCHEMA_VERSION = 1


def _plain(value: Any) -> Any:
    """Findings carry Decimals and tuples; the report holds JSON-ready values, redacted once more."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return redact(value)


def finding_dict(finding: Finding) -> dict[str, Any]:
    entry: dict[str, Any] = {"check": finding.check, "message": redact(finding.message),
                             "expected": _plain(finding.expected), "actual": _plain(finding.actual)}
    if finding.step_id:
        entry["step"] = finding.step_id
    if finding.field:
        entry["field"] = finding.field
    return entry


def result_dict(result: ScenarioResult) -> dict[str, Any]:
    return {
        "id": result.id,
        "title": redact(result.title),
        "outcome": result.outcome.value,
        "requirements": list(result.requirements),
        "findings": [finding_dict(f) for f in result.findings],
        "duration_ms": round(result.duration_ms, 1),
        "steps": [{"id": s.step_id, "title": s.title, "outcome": s.outcome.value,
                   **({"reason": s.reason} if s.reason else {})} for s in result.steps],
        **({"reason": result.reason} if result.reason else {}),
    }


def verdict_of(results: Iterable[ScenarioResult]) -> str:
    """`certified` when everything passed (skips and omits allowed), `error` when the harness broke or
    nothing ran at all (an empty run proves nothing)."""
    outcomes = {r.outcome for r in results}
    if Outcome.ERROR in outcomes or not outcomes & {Outcome.PASS, Outcome.FAIL}:
        return "error"
    if Outcome.FAIL in outcomes:
        return "not-certified"
    return "certified"


def build_report(*, kind: str, api: str, target: str, results: Iterable[ScenarioResult], spec: ApiSpec,
                 plan: str, exercised: Iterable[str] = ()) -> dict[str, Any]:
    """The report of one certification: kind `provider` or `pos`, one api, one target."""
    results = list(results)
    covered = {r for result in results for r in result.requirements}
    known = {r.id for r in spec.requirements}
    operations = {op.operation_id for op in spec.operations if not op.webhook}  # webhooks are the provider's calls
    return {
        "schema_version": SCHEMA_VERSION,
        "kind": kind,
        "api": api,
        "target": redact_url(target),
        "plan": plan,
        "verdict": verdict_of(results),
        "summary": summarize(results),
        "results": [result_dict(r) for r in results],
        "coverage": {
            "requirements": {"total": len(known), "covered": len(covered & known)},
            "operations": {"total": len(operations), "exercised": len(set(exercised) & operations)},
        },
    }
