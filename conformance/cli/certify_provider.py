"""`conformance certify provider`: the suite plays the POS against a provider's base URL (issue 15).

Wiring only: the target (live over HTTP, or the simulator in-process when no --base-url is given), the
plans of `conformance.runner.plans`, confidence-aware verdicts, the three report files.
"""

from __future__ import annotations

import difflib
import secrets
from collections.abc import Sequence
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path

import typer
import yaml
from rich.progress import Progress

from conformance.cli.output import err, interactive, out
from conformance.cli.scenario import check_apis
from conformance.core.errors import EXIT_NONCONFORMANT, EXIT_OK, EXIT_TARGET, DataError, UsageError
from conformance.loader.inputs import run_inputs
from conformance.loader.scenarios import iter_scenario_files as scenario_files
from conformance.loader.specs import spec_for
from conformance.model.result import Outcome, ScenarioResult
from conformance.report.build import now
from conformance.report.certification import provider_report, write_certification
from conformance.runner.plans import PLAN_ORDER
from conformance.runner.plans.certify import closing, live_target, run_plans
from conformance.runner.plans.verdicts import apply_confidence, omit
from conformance.runner.scenarios import Target
from conformance.runner.setup import ControlSetup
from conformance.transport.inprocess import AsgiTransport

PLAN_HELP = ("Comma-separated plans: spec, scenarios, stateful (not built yet), robustness, security "
             "(default: all).")


def parse_plans(text: str | None, known: Sequence[str] = PLAN_ORDER, default: str | None = None) -> list[str]:
    """`--plan a,b`: the names, each one of `known` (default: `default`, or all of them)."""
    names = [n.strip() for n in (text or default or ",".join(known)).split(",") if n.strip()]
    for name in names:
        if name not in known:
            close = difflib.get_close_matches(name, known, 1)
            hint = f" (did you mean {close[0]!r}?)" if close else f"; known: {', '.join(known)}"
            raise UsageError(f"--plan: unknown plan {name!r}{hint}")
    return names


def read_capabilities(path: Path | None) -> list[str]:
    """The capability file: YAML `omit: [check or scenario ids]` the target declares it does not offer."""
    if path is None:
        return []
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except OSError as exc:
        raise UsageError(f"--capabilities: {path}: {exc.strerror or exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise DataError(path, mark.line + 1 if mark else None, f"not YAML: {getattr(exc, 'problem', exc)}") from None
    omitted = data.get("omit") if isinstance(data, dict) else None
    if not isinstance(omitted, list) or not all(isinstance(i, str) for i in omitted):
        raise DataError(path, 1, "expected a mapping with `omit: [ids]` (check ids such as robust.overdraw, or "
                                 "scenario ids)")
    return omitted


def provider(
    api: str = typer.Option(..., "--api", help="The api the target implements."),
    base_url: str | None = typer.Option(None, "--base-url", help="The api's base URL (default: the simulator, "
                                        "in-process)."),
    control_url: str | None = typer.Option(None, "--control-url", help="The target's control interface (default: "
                                           "/_control at the origin of --base-url)."),
    control_token: str | None = typer.Option(None, "--control-token", envvar="CONFORMANCE_CONTROL_TOKEN",
                                             help="Bearer token of the control interface."),
    setup: str | None = typer.Option(None, "--setup", help="Command run with each scenario's `given` as JSON on "
                                     "stdin, instead of the control interface."),
    plan: str | None = typer.Option(None, "--plan", help=PLAN_HELP),
    capabilities: Path | None = typer.Option(None, "--capabilities", help="YAML file `omit: [ids]`: optional "
                                             "checks the target declares it does not offer."),
    strict: bool = typer.Option(False, "--strict", help="Warnings (departures from what is only inferred) fail."),
    seed: int = typer.Option(0, "--seed", help="Seed of the generated requests."),
    max_examples: int = typer.Option(10, "--max-examples", help="Generated requests per operation (spec plan)."),
    timeout: float = typer.Option(10.0, "--timeout", help="Seconds a request may take before it is a finding."),
    report_dir: Path | None = typer.Option(None, "--report-dir", help="Where to write report.json, junit.xml and "
                                           "report.html (default: reports/provider-API-TIMESTAMP/)."),
    quiet: bool = typer.Option(False, "-q", "--quiet", help="Only the verdict line (for CI)."),
) -> None:
    """Certify a provider implementation. Exit 0 certified, 1 not conformant, 2 usage, 3 unreachable."""
    check_apis([api])
    plans = parse_plans(plan)
    omitted = read_capabilities(capabilities)
    if base_url is None and (control_url or setup):
        raise UsageError("--control-url and --setup drive a live target: give its --base-url too")
    folder = report_dir or Path("reports") / f"provider-{api}-{datetime.now(UTC):%Y%m%dT%H%M%S}"
    started = now()
    with ExitStack() as stack:
        target, label = (_in_process(api, stack) if base_url is None
                         else live_target(base_url, control_url, control_token, setup, timeout, stack))
        results = _run(api, target, plans, seed, max_examples, folder, quiet)
    results = omit(results, omitted, str(capabilities)) if omitted else results
    results, warnings = apply_confidence(results, strict=strict)
    report = provider_report(api=api, target=label, results=results, warnings=warnings, spec=spec_for(api),
                             plans=plans, strict=strict, seed=seed, started=started,
                             inputs=run_inputs([api], scenario_files(api) if "scenarios" in plans else ()))
    html = write_certification(folder, report)
    summary = report["summary"]
    out.print(f"{api}: {report['verdict']} ({summary['pass']} pass, {summary['fail']} fail, {summary['error']} "
              f"error, {summary['skip']} skip, {summary['omit']} omit; {len(warnings)} warning(s))", markup=False)
    if not quiet:
        for entry in report["results"]:
            if entry["outcome"] in ("fail", "error"):
                first = entry["findings"][0]["message"] if entry["findings"] else entry.get("reason", "")
                out.print(f"  {entry['outcome'].upper()} {entry['id']}: {first}", markup=False)
    out.print(f"report: {html.resolve()}", markup=False)
    raise typer.Exit({"certified": EXIT_OK, "not-certified": EXIT_NONCONFORMANT}.get(report["verdict"], EXIT_TARGET))


def _run(api: str, target: Target, plans: Sequence[str], seed: int, max_examples: int, folder: Path,
         quiet: bool) -> list[ScenarioResult]:
    def line(name: str, got: list[ScenarioResult], seconds: float) -> None:
        failed = sum(1 for r in got if r.outcome in (Outcome.FAIL, Outcome.ERROR))
        if not quiet:
            out.print(f"{api} {name:<11} {len(got)} check(s), {failed} not passing ({seconds:.1f} s)", markup=False)

    if quiet or not interactive():
        return run_plans(api, target, plans, seed=seed, max_examples=max_examples, report_dir=folder, on_plan=line)
    with Progress(console=out, transient=True) as progress:
        task = progress.add_task(f"certifying {api}", total=len(plans))

        def advance(name: str, got: list[ScenarioResult], seconds: float) -> None:
            progress.advance(task)
            line(name, got, seconds)

        return run_plans(api, target, plans, seed=seed, max_examples=max_examples, report_dir=folder, on_plan=advance)


def _in_process(api: str, stack: ExitStack) -> tuple[Target, str]:
    from conformance.simulator.server import build_app
    from conformance.simulator.state import SimulatorConfig

    token = secrets.token_urlsafe(18)
    simulator = build_app(SimulatorConfig(control_token=token), [api])
    stack.callback(simulator.close)
    control = ControlSetup(closing(stack, AsgiTransport(simulator, "http://testserver/_control")), token)
    return Target(closing(stack, AsgiTransport(simulator, f"http://testserver/{api}")), control, control), \
        f"conformance simulator /{api} (in-process)"


__all__ = ["err", "provider"]
