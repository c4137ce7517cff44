"""Fold a run's results into the pinned report.json structure (DESIGN section 4).

The report is plain data: `junit.py` and `html.py` render the same dict, so the three files never disagree.
Every command builds its report here (scenario run, demo, certify provider, certify pos): one api's report
with `build_report`, a run over several apis (or several plans) folded into one with `combine_reports`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from conformance import __version__
from conformance.core.redact import redact, redact_url
from conformance.model.result import Finding, Outcome, ScenarioResult, summarize
from conformance.model.spec import ApiSpec

SCHEMA_VERSION = 1
VERDICT_RANK = {"certified": 0, "not-certified": 1, "error": 2}


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
    if finding.requirements:
        entry["requirements"] = list(finding.requirements)
    return entry


def _once(findings: Iterable[Finding]) -> list[dict[str, Any]]:
    """Each finding said once: the same check, step, field and message reported twice is one finding."""
    seen: set[tuple[Any, ...]] = set()
    entries = []
    for finding in findings:
        key = (finding.check, finding.step_id, finding.field, finding.message)
        if key not in seen:
            seen.add(key)
            entries.append(finding_dict(finding))
    return entries


def result_dict(result: ScenarioResult) -> dict[str, Any]:
    return {
        "id": result.id,
        "title": redact(result.title),
        "api": result.api,
        "outcome": result.outcome.value,
        "requirements": list(result.requirements),
        "findings": _once(result.findings),
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


def now() -> str:
    """A report's time stamp: UTC, to the second."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def input_hashes(paths: Iterable[Path | str]) -> list[dict[str, str]]:
    """The sha256 of every data file a run read (specs, scenarios, programs), so a report names its inputs."""
    entries: dict[str, str] = {}
    for path in paths:
        path = Path(path)
        try:
            entries[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
        except OSError:
            continue
    return [{"path": name, "sha256": digest} for name, digest in sorted(entries.items())]


def _duration(results: Sequence[Mapping[str, Any]]) -> float:
    return round(sum(float(r.get("duration_ms", 0)) for r in results), 1)


def build_report(*, kind: str, api: str, target: str, results: Iterable[ScenarioResult], spec: ApiSpec,
                 plan: str, exercised: Iterable[str] = (), started: str | None = None,
                 finished: str | None = None, inputs: Iterable[Path | str] = ()) -> dict[str, Any]:
    """The report of one certification: kind `provider` or `pos`, one api, one target."""
    results = list(results)
    covered = {r for result in results for r in result.requirements}
    known = {r.id for r in spec.requirements}
    operations = {op.operation_id for op in spec.operations if not op.webhook}  # webhooks are the provider's calls
    entries = [result_dict(r) for r in results]
    report: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "suite_version": __version__,
        "kind": kind,
        "api": api,
        "target": redact_url(target),
        "plan": plan,
        "started": started or now(),
        "finished": finished or now(),
        "verdict": verdict_of(results),
        "summary": summarize(results),
        "duration_ms": _duration(entries),
        "results": entries,
        "coverage": {
            "requirements": {"total": len(known), "covered": len(covered & known),
                             "uncovered": sorted(known - covered)},
            "operations": {"total": len(operations), "exercised": len(set(exercised) & operations)},
        },
        "inputs": input_hashes(inputs),
    }
    report["apis"] = [section(report)]
    return report


def section(report: Mapping[str, Any]) -> dict[str, Any]:
    """One line of the summary table: an api's (or a plan's) verdict, counts, coverage and time."""
    return {key: report[key] for key in ("kind", "api", "plan", "target", "verdict", "summary", "duration_ms",
                                         "coverage") if key in report}


def combine_reports(reports: Sequence[Mapping[str, Any]], *, kind: str | None = None,
                    target: str | None = None) -> dict[str, Any]:
    """Several reports (one per api or per plan) as the one report of a run: its `apis` table holds each
    one's summary; results, warnings, requirements and inputs are put together; the verdict is the worst."""
    if len(reports) == 1:
        return dict(reports[0])
    if not reports:
        raise ValueError("nothing to combine")
    first = reports[0]
    summary = {key: sum(r["summary"][key] for r in reports) for key in first["summary"]}
    coverage: dict[str, dict[str, Any]] = {
        "requirements": {"total": 0, "covered": 0, "uncovered": []},
        "operations": {"total": 0, "exercised": 0},
    }
    counted: set[tuple[str, str]] = set()
    for r in reports:  # an api certified twice (use cases, then plans) counts its coverage once: the best
        key = (r["kind"], r["api"])
        if key in counted:
            continue
        counted.add(key)
        same = [o for o in reports if (o["kind"], o["api"]) == key]
        best = max(same, key=lambda o: o["coverage"]["requirements"]["covered"])
        for part in ("requirements", "operations"):
            for name, value in best["coverage"][part].items():
                coverage[part][name] += value
    combined: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "suite_version": __version__,
        "kind": kind or first["kind"],
        "api": ",".join(dict.fromkeys(r["api"] for r in reports)),
        "target": target if target is not None else first["target"],
        "plan": ",".join(dict.fromkeys(r.get("plan", "") for r in reports)),
        "started": min(r["started"] for r in reports),
        "finished": max(r["finished"] for r in reports),
        "verdict": max((r["verdict"] for r in reports), key=VERDICT_RANK.__getitem__),
        "summary": summary,
        "duration_ms": round(sum(r.get("duration_ms", 0) for r in reports), 1),
        "results": [entry for r in reports for entry in r["results"]],
        "coverage": coverage,
        "inputs": [{"path": p, "sha256": h}
                   for p, h in sorted({(i["path"], i["sha256"]) for r in reports for i in r.get("inputs", [])})],
        "apis": [line for r in reports for line in r.get("apis", [section(r)])],
    }
    for extra in ("warnings", "requirements"):
        if any(extra in r for r in reports):
            combined[extra] = [item for r in reports for item in r.get(extra, [])]
    for extra in ("strict", "seed"):
        if extra in first:
            combined[extra] = first[extra]
    return combined
