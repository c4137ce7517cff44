"""What a provider certification adds to the common report: warnings apart, a per-requirement table,
request/response evidence of failures. `html.py` renders them when a report holds them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from conformance.core.redact import mask_cards_in_text
from conformance.model.result import Finding, ScenarioResult
from conformance.model.spec import ApiSpec
from conformance.report.build import build_report, finding_dict
from conformance.report.html import render_html
from conformance.report.write import write_report

EVIDENCE_LIMIT = 1500


def _clip(body: bytes | None) -> str:
    text = mask_cards_in_text((body or b"").decode("utf-8", "replace"))
    return text if len(text) <= EVIDENCE_LIMIT else text[:EVIDENCE_LIMIT] + f"... ({len(text)} characters)"


def evidence(result: ScenarioResult) -> list[dict[str, Any]]:
    """The exchanges of a result's failed steps (already redacted by the runner), clipped."""
    items = []
    for step in result.steps:
        if step.exchange is None or step.outcome.value != "fail":
            continue
        request, response = step.exchange.request, step.exchange.response
        items.append({"step": step.step_id,
                      "request": f"{request.method} {mask_cards_in_text(request.path)}\n{_clip(request.body)}",
                      "response": f"HTTP {response.status}\n{_clip(response.body)}"})
        if len(items) >= 3:
            break
    return items


def certification_extras(report: dict[str, Any], results: Sequence[ScenarioResult],
                         warnings: Iterable[tuple[str, Finding]], *, strict: bool, seed: int,
                         requirement_ids: Iterable[str]) -> dict[str, Any]:
    """The report with `warnings`, `requirements` (per-requirement table), `evidence` on failed results."""
    by_id = {r.id: r for r in results}
    for entry in report["results"]:
        result = by_id.get(entry["id"])
        if result is not None and entry["outcome"] == "fail":
            entry["evidence"] = evidence(result)
    table: dict[str, dict[str, Any]] = {rid: {"checks": [], "outcome": "not covered"} for rid in requirement_ids}
    rank = {"not covered": 0, "omit": 1, "skip": 2, "pass": 3, "error": 4, "fail": 5}
    for entry in report["results"]:
        for rid in entry["requirements"]:
            row = table.setdefault(rid, {"checks": [], "outcome": "not covered"})
            row["checks"].append(entry["id"])
            if rank[entry["outcome"]] > rank[row["outcome"]]:
                row["outcome"] = entry["outcome"]
    report["requirements"] = [{"id": rid, **row} for rid, row in sorted(table.items())]
    report["warnings"] = [{"result": rid, **finding_dict(f), "confidence": f.confidence} for rid, f in warnings]
    report["strict"] = strict
    report["seed"] = seed
    return report


def provider_report(*, api: str, target: str, results: Sequence[ScenarioResult],
                    warnings: Iterable[tuple[str, Finding]], spec: ApiSpec, plans: Sequence[str], strict: bool,
                    seed: int, started: str | None = None, inputs: Iterable[Path | str] = ()) -> dict[str, Any]:
    """The whole report.json of a provider certification: the common report plus the certification's parts."""
    exercised = {s.exchange.operation_id for r in results for s in r.steps if s.exchange and s.exchange.operation_id}
    report = build_report(kind="provider", api=api, target=target, results=results, spec=spec,
                          plan=",".join(plans), exercised=exercised, started=started, inputs=inputs)
    return certification_extras(report, results, warnings, strict=strict, seed=seed,
                                requirement_ids=[r.id for r in spec.requirements])


def write_certification(folder: Path, report: dict[str, Any]) -> Path:
    """The three files, as every command writes them (one writer); returns the path of report.html."""
    return write_report(folder, report)


render_certification = render_html
"""The certification page is the common page: it shows the requirements, warnings and evidence a report holds."""
