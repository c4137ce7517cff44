"""What a provider certification adds to the common report: warnings apart, a per-requirement table,
request/response evidence of failures, and an HTML page with a filter by outcome (pure CSS, no script)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from html import escape
from pathlib import Path
from typing import Any

from conformance.core.redact import mask_cards_in_text, redact
from conformance.model.result import Finding, ScenarioResult
from conformance.model.spec import ApiSpec
from conformance.report.build import build_report, finding_dict
from conformance.report.html import STYLE, render_section
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


FILTER_CSS = """
.filter label{margin-right:.8rem;cursor:pointer}.filter input{margin-right:.25rem}
#only-fail:checked~table.results tr.o-pass,#only-fail:checked~table.results tr.o-skip,
#only-fail:checked~table.results tr.o-omit,#only-fail:checked~table.results tr.o-error{display:none}
#only-pass:checked~table.results tr:not(.o-pass):not(.head){display:none}
.warn{background:#fff8e6}
"""


def _pre(text: str) -> str:
    return f"<pre>{escape(text)}</pre>"


def render_certification(report: Mapping[str, Any]) -> str:
    """The self-contained page: verdict, failures first with evidence, warnings apart, requirements table."""
    results = sorted(report["results"], key=lambda r: {"fail": 0, "error": 1}.get(r["outcome"], 2))
    rows = []
    for r in results:
        findings = "".join(
            f"<div><code>{escape(f['check'])}</code>: {escape(str(redact(f['message'])))}"
            + (_pre(f"expected: {json.dumps(f['expected'])}\nactual:   {json.dumps(f['actual'])}")
               if f.get("expected") is not None or f.get("actual") is not None else "") + "</div>"
            for f in r["findings"])
        shown = "".join(f"<details><summary>evidence: {escape(e['step'])}</summary>{_pre(e['request'])}"
                        f"{_pre(e['response'])}</details>" for e in r.get("evidence", []))
        rows.append(f'<tr class="o-{escape(r["outcome"])}"><td><code>{escape(r["id"])}</code><br>'
                    f'{escape(r["title"])}<div class=req>{escape(", ".join(r["requirements"]))}</div></td>'
                    f'<td class="outcome">{escape(r["outcome"])}</td>'
                    f"<td>{findings}{shown}{escape(r.get('reason', ''))}</td></tr>")
    warnings = "".join(f"<tr class=warn><td><code>{escape(w['result'])}</code></td><td>{escape(w['check'])}</td>"
                       f"<td>{escape(str(w['message']))} (confidence {escape(str(w.get('confidence')))})</td></tr>"
                       for w in report.get("warnings", []))
    requirements = "".join(f"<tr class=\"o-{escape(row['outcome'].replace(' ', '-'))}\"><td>{escape(row['id'])}"
                           f"</td><td>{escape(row['outcome'])}</td><td>{escape(', '.join(row['checks']))}</td></tr>"
                           for row in report.get("requirements", []))
    head = render_section({**report, "results": []}).split("<table>")[0]
    verdict = escape(report["verdict"])
    body = (
        f'<p id="verdict" class="verdict {verdict}">{verdict}</p>{head}'
        f'<h2>Checks</h2><div class="filter">'
        f'<input type="radio" name="show" id="only-all" checked><label for="only-all">all</label>'
        f'<input type="radio" name="show" id="only-fail"><label for="only-fail">failures only</label>'
        f'<input type="radio" name="show" id="only-pass"><label for="only-pass">passes only</label>'
        f'<table class="results"><tr class="head"><th>check</th><th>outcome</th><th>findings</th></tr>'
        f'{"".join(rows)}</table></div>'
        f'<h2 id="warnings">Warnings ({len(report.get("warnings", []))}): departures from what is only inferred'
        f"{'' if report.get('strict') else ', never failing the run'}</h2>"
        f"<table><tr><th>check</th><th>finding</th><th>message</th></tr>{warnings}</table>"
        f"<h2>Requirements</h2><table class=requirements><tr><th>requirement</th><th>outcome</th><th>checks</th></tr>"
        f"{requirements}</table>")
    title = f"conformance: provider certification of {report['api']}"
    return (f"<!doctype html><html lang=en><meta charset=utf-8><title>{escape(title)}</title>"
            f"<style>{STYLE}{FILTER_CSS}</style><h1>{escape(title)}</h1>{body}</html>\n")


def provider_report(*, api: str, target: str, results: Sequence[ScenarioResult],
                    warnings: Iterable[tuple[str, Finding]], spec: ApiSpec, plans: Sequence[str], strict: bool,
                    seed: int) -> dict[str, Any]:
    """The whole report.json of a provider certification: the common report plus the certification's parts."""
    exercised = {s.exchange.operation_id for r in results for s in r.steps if s.exchange and s.exchange.operation_id}
    report = build_report(kind="provider", api=api, target=target, results=results, spec=spec,
                          plan=",".join(plans), exercised=exercised)
    return certification_extras(report, results, warnings, strict=strict, seed=seed,
                                requirement_ids=[r.id for r in spec.requirements])


def write_certification(folder: Path, report: dict[str, Any]) -> Path:
    """The three files, report.html being the certification page; returns its path."""
    html = write_report(folder, report)
    html.write_text(render_certification(report), encoding="utf-8")
    return html
