"""What a run leaves behind: its exchanges as cassettes, its report files, and the signed bundle of both.

Shared by `scenario run --bundle`, `cassettes record|replay` and (to come) `certify provider|pos`: a
`Recorder` turns the runner's events into cassettes; `write_run_bundle` writes the reports (with the
signing key's public half), the cassettes and the manifest inputs into one signed zip.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

from conformance.cli.output import out
from conformance.core import jsonio
from conformance.core.exchange import Exchange
from conformance.loader.cassettes import BASE_URL, dump_cassette
from conformance.loader.inputs import run_inputs as loader_inputs
from conformance.loader.specs import spec_for
from conformance.model.result import ScenarioResult
from conformance.model.scenario import Scenario
from conformance.report.build import build_report
from conformance.report.bundle import evidence_fields, folder_files, signing_key, write_bundle
from conformance.report.write import write_report
from conformance.runner.events import Event, ScenarioFinished, StepFinished, StepSent

CONTROL_BASE = f"{BASE_URL}/_control"
WALL_CLOCK = "1970-01-01T00:00:00+00:00"  # a date-time, as the schema wants, that no run ever reads


def _steady(uri: str, exchange: Exchange) -> Exchange:
    """A control-interface answer without what only the wall clock decides (how long a request took, the
    time of a webhook attempt, `now` once a step gave the clock back), so recordings repeat byte for byte."""
    if "/_control/" not in uri:
        return exchange
    body = exchange.response.json()
    if body is None:
        return exchange

    def steady(value: Any, key: str = "") -> Any:
        if isinstance(value, dict):
            wall = value.get("frozen") is False
            return {k: WALL_CLOCK if (k == "now" and wall) or (k == "at" and key == "attempts") else
                    0 if k == "duration_ms" else steady(v, k) for k, v in value.items()}
        if isinstance(value, list):
            return [steady(item, key) for item in value]
        return value

    response = replace(exchange.response, body=jsonio.dumps(steady(body)).encode())
    return replace(exchange, response=response)


class Recorder:
    """Folds run events into one cassette per finished scenario (the exchanges are redacted by the runner)."""

    def __init__(self) -> None:
        self.cassettes: dict[tuple[str, str], str] = {}
        self._steps: list[tuple[str, str, Exchange]] = []
        self._base = ""

    def handle(self, event: Event) -> str | None:
        """Returns the cassette text when `event` finishes a scenario."""
        if isinstance(event, StepSent):
            self._base = event.base_url
        elif isinstance(event, StepFinished) and event.result.exchange is not None:
            uri = self._base + event.result.exchange.request.path
            self._steps.append((event.result.step_id, uri, _steady(uri, event.result.exchange)))
        elif isinstance(event, ScenarioFinished):
            result = event.result
            text = dump_cassette(result.id, result.api, self._steps)
            self.cassettes[(result.api, result.id)] = text
            self._steps = []
            return text
        return None


def api_reports(results: Iterable[ScenarioResult], scenarios: Iterable[Scenario], target: str, plan: str,
                started: str | None = None, extra: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """One report per api of a scenario run, each naming the data files (with their sha256) it read."""
    results, scenarios = list(results), list(scenarios)
    reports = []
    for api in sorted({s.api for s in scenarios}):
        mine = [s for s in scenarios if s.api == api]
        exercised = {step.operation for s in mine for step in s.steps}
        report = build_report(kind="provider", api=api, target=target, results=[r for r in results if r.api == api],
                              spec=spec_for(api), plan=plan, exercised=exercised, started=started,
                              inputs=loader_inputs([api], [s.path for s in mine if s.path]))
        reports.append({**report, **(extra or {})})
    return reports


def write_reports(report_dir: Path, results: Iterable[ScenarioResult], scenarios: Iterable[Scenario],
                  target: str, plan: str, extra: dict[str, Any] | None = None) -> list[Path]:
    """report.json, junit.xml and report.html per api, under `report_dir/provider-<api>/`."""
    return [write_report(report_dir / f"provider-{report['api']}", report)
            for report in api_reports(results, scenarios, target, plan, extra=extra)]


def run_inputs(scenarios: Iterable[Scenario]) -> list[Path]:
    """The data files a run of these scenarios read: their specs, the control spec, scenarios, programs."""
    scenarios = list(scenarios)
    return loader_inputs({s.api for s in scenarios}, [s.path for s in scenarios if s.path])


def write_run_bundle(bundle: Path, key_path: Path | None, scenarios: Iterable[Scenario],
                     results: Iterable[ScenarioResult], recorder: Recorder, target: str, plan: str,
                     seed: int | None = None) -> str:
    """Reports + cassettes + manifest of one run, signed; prints and returns the public key (hex)."""
    key = signing_key(key_path)
    scenarios = list(scenarios)
    with tempfile.TemporaryDirectory(prefix="conformance-bundle-") as scratch:
        write_reports(Path(scratch), results, scenarios, target, plan, evidence_fields(key))
        files = folder_files(Path(scratch), "reports")
    files.update({f"cassettes/{api}/{sid}.yaml": text.encode() for (api, sid), text in recorder.cassettes.items()})
    public = write_bundle(bundle, files, target=target, inputs=run_inputs(scenarios), seed=seed, key=key)
    out.print(f"bundle: {bundle} (signed, Ed25519 public key {public})", markup=False)
    return public
