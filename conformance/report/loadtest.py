"""The report of a load run (`conformance load`): the pinned report, plus a `load` block and its page.

The SLO verdicts are ordinary results (`<api>.load.slo.p95`, ...), so report.json, junit.xml and the
verdict read as for any certification; `load` adds throughput, percentiles, per-step rows and errors by
kind, and report.html shows them under the results.
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape
from pathlib import Path
from typing import Any

from conformance.model.result import ScenarioResult
from conformance.model.spec import ApiSpec
from conformance.report.build import build_report
from conformance.report.write import write_report


def load_report(*, api: str, target: str, spec: ApiSpec, results: list[ScenarioResult], figures: dict[str, Any],
                slo: list[str], settings: dict[str, Any], started: str,
                inputs: Iterable[Path] = ()) -> dict[str, Any]:
    report = build_report(kind="provider", api=api, target=target, results=results, spec=spec, plan="load",
                          started=started, inputs=inputs)
    report["load"] = {"slo": slo, "settings": settings, **figures}
    return report


def _table(head: list[str], rows: list[list[Any]]) -> str:
    cells = "".join("<tr>" + "".join(f"<td>{escape(str(c))}</td>" for c in row) + "</tr>" for row in rows)
    return "<table><tr>" + "".join(f"<th>{escape(h)}</th>" for h in head) + f"</tr>{cells}</table>"


def load_section(report: dict[str, Any]) -> str:
    """The load figures as an HTML section of the report page."""
    load = report["load"]
    settings = load["settings"]
    cards = "".join(f'<div class="card">{escape(label)}<b>{escape(str(value))}</b></div>' for label, value in (
        ("requests/s", load["throughput_rps"]), ("p50 ms", load["p50_ms"]), ("p95 ms", load["p95_ms"]),
        ("p99 ms", load["p99_ms"]), ("errors %", load["error_percent"])))
    steps = _table(["step", "requests", "failures", "p50 ms", "p95 ms", "p99 ms"],
                   [[r["step"], r["requests"], r["failures"], r["p50_ms"], r["p95_ms"], r["p99_ms"]]
                    for r in load["by_step"]])
    errors = (_table(["kind", "step", "count"], [[e["kind"], e["step"], e["count"]] for e in load["errors"]])
              if load["errors"] else "<p>No errors.</p>")
    return (f"<h2>Load</h2><p class=meta>{settings['users']} users, spawn rate {settings['spawn_rate']}/s, "
            f"{load['duration_s']} s, {load['requests']} requests · SLO {escape(', '.join(load['slo']) or 'none')}"
            f"</p><div class=\"cards\">{cards}</div><h3>By step</h3>{steps}<h3>Errors by kind</h3>{errors}")


def write_load_report(folder: Path, report: dict[str, Any]) -> Path:
    """report.json, junit.xml and report.html (the load page); returns the page's path."""
    return write_report(folder, report, title=f"conformance: load of {report['api']}", sections=[load_section(report)])
