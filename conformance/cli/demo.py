"""`conformance demo`: the main job on the embedded default, with no server to start.

It checks the specs, starts the simulator in-process on a temporary SQLite file, runs every documented
use case of every simulated api against it (the provider side, as a POS would drive it), writes
reports/demo/ (report.json, junit.xml and report.html per api, plus an index report.html) and prints a
short summary. Parts of certification that are not built yet are named, never faked.
"""

from __future__ import annotations

import secrets
import tempfile
from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import typer

from conformance.cli.output import err, out
from conformance.core.errors import EXIT_NONCONFORMANT, EXIT_OK, EXIT_TARGET, EXIT_USAGE
from conformance.loader.inputs import run_inputs
from conformance.loader.scenarios import load_scenarios
from conformance.loader.speccheck import check_all
from conformance.loader.specs import spec_for
from conformance.model.result import ScenarioResult
from conformance.report.build import build_report, combine_reports, now
from conformance.report.certification import provider_report, write_certification
from conformance.report.write import write_report
from conformance.runner.events import RunFinished
from conformance.runner.plans import PLAN_ORDER
from conformance.runner.plans.certify import run_plans
from conformance.runner.plans.verdicts import apply_confidence
from conformance.runner.scenarios import Target, run
from conformance.runner.setup import ControlSetup
from conformance.simulator.server import available_apis, build_app
from conformance.simulator.state import SimulatorConfig
from conformance.transport.inprocess import AsgiTransport

NOT_BUILT = ("a load till mix for the CRM.COM Web API", "scenario run --record DIR",
             "the resilience plan for POS recordings and pacts")


def _certify(api: str, target: Target, folder: Path) -> dict[str, Any]:
    """`certify provider` of the simulator, after its scenarios: the plans other than the scenarios."""
    plans = [name for name in PLAN_ORDER if name != "scenarios"]
    started = now()
    results, warnings = apply_confidence(run_plans(api, target, plans, seed=0, max_examples=10, report_dir=folder),
                                         strict=False)
    report = provider_report(api=api, target=f"conformance simulator /{api} (in-process)", results=results,
                             warnings=warnings, spec=spec_for(api), plans=plans, strict=False, seed=0,
                             started=started, inputs=run_inputs([api]))
    write_certification(folder, report)
    return report


def _certify_reference_pos(simulator: Any, token: str, apis: Sequence[str], report_dir: Path,
                           stack: ExitStack) -> list[dict[str, Any]]:
    """`certify pos` of the reference POS against the same simulator, every use case and the resilience plan."""
    from conformance.cli.certify_pos import POS_PLANS, inprocess_target, pos_report, reference_driver, run_plans

    reports = []
    for api in apis:
        target, send_for = inprocess_target(simulator, api, token, stack, "http://demo")
        driver = reference_driver(send_for)
        scenarios, started = list(load_scenarios(api).values()), now()
        results = run_plans(api, scenarios, POS_PLANS, target, driver)
        report = pos_report(api, driver.label, results, POS_PLANS, started=started, scenarios=scenarios)
        write_report(report_dir / f"pos-{api}", report)
        reports.append(report)
        summary = report["summary"]
        out.print(f"{api:<14} {report['verdict']:<14} certify pos (reference POS; plans {report['plan']}): "
                  f"{summary['pass']} pass, {summary['fail']} fail, {summary['skip']} skip", markup=False)
    return reports


def demo(
    report_dir: Path = typer.Option(Path("reports/demo"), "--report-dir", help="Where to write the reports."),
) -> None:
    """Certify the built-in simulator against every documented use case; write reports/demo/."""
    problems = check_all()
    if problems:
        for problem in problems:
            err.print(str(problem), markup=False)
        raise typer.Exit(EXIT_USAGE)
    out.print("specs check: every spec and requirement is valid", markup=False)
    apis = available_apis()
    token = secrets.token_urlsafe(18)
    reports = []
    unscripted: list[str] = []
    with tempfile.TemporaryDirectory(prefix="conformance-demo-") as scratch, ExitStack() as stack:
        db = Path(scratch) / "ledger.sqlite"
        simulator = build_app(SimulatorConfig(db=str(db), control_token=token), apis)
        stack.callback(simulator.close)
        control_transport = AsgiTransport(simulator, "http://demo/_control")
        stack.callback(control_transport.close)
        control = ControlSetup(control_transport, token)
        for api in apis:
            started = now()
            scenarios = list(load_scenarios(api).values())
            if not scenarios:
                unscripted.append(api)
                continue
            transport = AsgiTransport(simulator, f"http://demo/{api}")
            stack.callback(transport.close)
            results: tuple[ScenarioResult, ...] = ()
            for event in run(scenarios, {api: spec_for(api)}, {api: Target(transport, control, control)},
                             f"simulator (in-process, {db.name})"):
                if isinstance(event, RunFinished):
                    results = event.results
            exercised = {s.operation for sc in scenarios for s in sc.steps}
            report = build_report(kind="provider", api=api, target=f"conformance simulator /{api} (in-process)",
                                  results=results, spec=spec_for(api), plan="documented use cases",
                                  exercised=exercised, started=started,
                                  inputs=run_inputs([api], [sc.path for sc in scenarios if sc.path]))
            write_report(report_dir / f"provider-{api}", report)
            reports.append(report)
            summary = report["summary"]
            cov = report["coverage"]
            out.print(f"{api:<14} {report['verdict']:<14} {summary['pass']} pass, {summary['fail']} fail, "
                      f"{summary['error']} error, {summary['skip']} skip; requirements "
                      f"{cov['requirements']['covered']}/{cov['requirements']['total']}, operations "
                      f"{cov['operations']['exercised']}/{cov['operations']['total']}", markup=False)
            certified = _certify(api, Target(transport, control, control), report_dir / f"certify-{api}")
            reports.append(certified)
            out.print(f"{api:<14} {certified['verdict']:<14} certify provider (plans {certified['plan']}): "
                      f"{certified['summary']['pass']} pass, {certified['summary']['fail']} fail", markup=False)
        reports += _certify_reference_pos(simulator, token, apis, report_dir, stack)
    missing = [api for api in ("ackroo", "crmcom-webapi", "crmcom", "antavo") if api not in apis]
    notes = [f"not simulated in this build yet: {', '.join(missing)}"] if missing else []
    if unscripted:
        notes.append(f"simulated but without scenarios yet: {', '.join(unscripted)}")
    notes.append("not built yet: " + "; ".join(NOT_BUILT))
    index = write_report(report_dir, combine_reports(reports, target="conformance simulator (in-process)"),
                         title="conformance demo: the simulator against every documented use case", notes=notes)
    for note in notes:
        out.print(note, markup=False)
    out.print(f"report: {index.resolve()}", markup=False)
    verdicts = {r["verdict"] for r in reports}
    raise typer.Exit(EXIT_TARGET if "error" in verdicts else EXIT_NONCONFORMANT if "not-certified" in verdicts
                     else EXIT_OK)
