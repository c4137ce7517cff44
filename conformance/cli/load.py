"""`conformance load`: a till mix against a provider under load; the SLO sets the exit code."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import typer

from conformance.cli.output import err, out
from conformance.core.errors import EXIT_NONCONFORMANT, EXIT_OK, EXIT_TARGET, DataError, TargetError, UsageError
from conformance.core.redact import redact_url
from conformance.load import engine, slo
from conformance.load.mix import FIXTURES, MIXES
from conformance.loader.inputs import run_inputs
from conformance.loader.specs import spec_for
from conformance.loader.yamlio import load_yaml
from conformance.report.build import now
from conformance.report.loadtest import load_report, write_load_report


def _fixture(api: str, path: Path | None) -> dict[str, Any]:
    if path is None:
        return FIXTURES[api]
    located = load_yaml(path)
    data = located.data
    if not isinstance(data, dict) or not isinstance(data.get("credentials"), list) or not data["credentials"]:
        raise DataError(path, None, "a load fixture is a mapping with a `credentials` list (as /_control/fixtures)")
    return {**FIXTURES[api], **data}


def _setup(base_url: str, control_token: str, fixture: dict[str, Any]) -> None:
    origin = httpx.URL(base_url).copy_with(path="/", query=None)
    try:
        response = httpx.post(str(origin.join("/_control/fixtures")), json=fixture, timeout=10,
                              headers={"authorization": f"Bearer {control_token}"})
    except httpx.TransportError as exc:
        raise TargetError(f"{redact_url(base_url)}: unreachable ({exc.__class__.__name__})") from None
    if response.status_code >= 300:
        raise TargetError(f"{origin}_control/fixtures answered {response.status_code}: the fixture was not applied")


def _reachable(base_url: str) -> None:
    try:
        httpx.get(base_url, timeout=10)
    except httpx.TransportError as exc:
        raise TargetError(f"{redact_url(base_url)}: unreachable ({exc.__class__.__name__})") from None


def load(
    api: str = typer.Option(..., "--api", help=f"The api the target implements ({', '.join(MIXES)})."),
    base_url: str = typer.Option(..., "--base-url", help="The api's base URL (e.g. http://127.0.0.1:8900/ackroo)."),
    users: int = typer.Option(10, "--users", min=1, help="Concurrent virtual tills."),
    spawn_rate: float = typer.Option(10.0, "--spawn-rate", "--rate", min=0.1,
                                    help="Tills started per second."),
    duration: float = typer.Option(30.0, "--duration", min=1, help="Seconds of load (after which tills stop)."),
    slo_text: str = typer.Option("", "--slo", help="Objectives, e.g. p95=200ms,errors=0.1% (also p50, p90, p99, "
                                 "rps=N): a missed one exits 1."),
    control_token: str | None = typer.Option(None, "--control-token", envvar="CONFORMANCE_CONTROL_TOKEN",
                                             help="Set the fixture up through /_control first (a simulator)."),
    fixture_file: Path | None = typer.Option(None, "--fixture", help="YAML/JSON naming the credential, card and "
                                             "customer to use (the shape of /_control/fixtures)."),
    report_dir: Path | None = typer.Option(None, "--report-dir", help="Where report.json, junit.xml and report.html "
                                           "go (default reports/load-<api>-<time>/)."),
    master: bool = typer.Option(False, "--master", help="Drive workers (Locust's distributed mode) instead of "
                                "running tills here."),
    worker: bool = typer.Option(False, "--worker", help="Run tills for a --master."),
    master_host: str = typer.Option("127.0.0.1", "--master-host", help="The master's address (bind address "
                                    "with --master)."),
    master_port: int = typer.Option(5557, "--master-port", help="The master's port."),
    expect_workers: int = typer.Option(1, "--expect-workers", min=1, help="With --master: workers to wait for."),
    quiet: bool = typer.Option(False, "-q", "--quiet", help="Only the verdict line."),
) -> None:
    """Load a provider with a till mix. Exit 0 SLO met, 1 missed, 2 usage, 3 unreachable."""
    if api not in MIXES:
        raise UsageError(f"--api {api}: no till mix for it (mixes: {', '.join(MIXES)})")
    if master and worker:
        raise UsageError("--master and --worker exclude each other")
    objectives = slo.parse(slo_text)
    fixture = _fixture(api, fixture_file)
    role = "master" if master else "worker" if worker else "local"
    if role != "worker":
        if control_token:
            _setup(base_url, control_token, fixture)
        _reachable(base_url)
    config = engine.LoadConfig(api=api, base_url=base_url, users=users, spawn_rate=spawn_rate, duration=duration,
                               fixture=fixture, credential=dict(fixture["credentials"][0]), role=role,
                               master_host=master_host, master_port=master_port, expect_workers=expect_workers)

    def say(line: str) -> None:
        if not quiet:
            err.print(line, markup=False, highlight=False)

    started = now()
    figures = engine.run(config, say)
    if figures is None:  # a worker: the master reports
        raise typer.Exit(EXIT_OK)
    results = slo.judge(api, objectives, figures)
    report = load_report(api=api, target=base_url, spec=spec_for(api), results=results, figures=figures,
                         slo=[o.text for o in objectives],
                         settings={"users": users, "spawn_rate": spawn_rate, "duration": duration, "mode": role},
                         started=started, inputs=run_inputs([api]))
    folder = report_dir or Path("reports") / f"load-{api}-{datetime.now(UTC):%Y%m%dT%H%M%S}"
    html = write_load_report(folder, report)
    if not quiet:
        out.print(json.dumps({k: figures[k] for k in ("requests", "throughput_rps", "p50_ms", "p95_ms", "p99_ms",
                                                      "error_percent")}), markup=False, highlight=False)
        for result in results:
            for finding in result.findings:
                out.print(f"  {result.id}: {finding.message}", markup=False)
    out.print(f"{report['verdict']}: {figures['requests']} requests, {figures['throughput_rps']}/s, "
              f"p95 {figures['p95_ms']} ms, errors {figures['error_percent']}% -> {html}", markup=False)
    raise typer.Exit({"certified": EXIT_OK, "not-certified": EXIT_NONCONFORMANT}.get(report["verdict"], EXIT_TARGET))
