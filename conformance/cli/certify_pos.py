"""`conformance certify pos`: the suite plays the provider (the simulator) and judges a POS (issue 17).

Wiring only: the simulator served on loopback for the POS to call, the driver (a command, an HTTP URL, or
the reference POS in-process), the plans (`use-cases`, `resilience`), and the pinned report with kind
`pos`. The other modes (`--interactive`, `--cassettes`, `--har`, `--pact`) live in pos_modes.py.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import typer

from conformance.cli import pos_modes
from conformance.cli.certify_provider import parse_plans
from conformance.cli.output import out
from conformance.cli.scenario import check_apis, select
from conformance.core.errors import EXIT_NONCONFORMANT, EXIT_OK, EXIT_TARGET, TargetError, UsageError
from conformance.loader.inputs import run_inputs
from conformance.loader.scenarios import load_scenarios
from conformance.loader.specs import spec_for
from conformance.model.result import ScenarioResult
from conformance.model.scenario import Scenario
from conformance.pos.till import STATE_ENV, Till
from conformance.report.build import build_report, now
from conformance.report.write import write_report
from conformance.runner.plans.certify import closing
from conformance.runner.pos.drivers import Driver, FunctionDriver, driver_for
from conformance.runner.pos.resilience import resilience
from conformance.runner.pos.session import PosTarget, certify_pos, pos_scenarios
from conformance.runner.scenarios import Target
from conformance.runner.setup import ControlSetup
from conformance.transport.inprocess import AsgiTransport
from conformance.transport.live import HttpTransport

POS_PLANS = ("use-cases", "resilience")
MODES = ("--driver", "--interactive", "--cassettes", "--har", "--pact")


def parse_pos_plans(text: str | None) -> list[str]:
    return parse_plans(text, POS_PLANS, default="use-cases")


def chosen_scenarios(api: str, ids: Sequence[str]) -> list[Scenario]:
    """The use cases a POS performs (or those named); a named one without driver actions is a usage error."""
    scenarios = select(list(ids), [api])
    wrong = [s.id for s in scenarios if s.api != api]
    if wrong:
        raise UsageError(f"--scenario {wrong[0]} is not an {api} scenario")
    performed = pos_scenarios(scenarios)
    if ids and len(performed) < len(scenarios):
        missing = sorted({s.id for s in scenarios} - {s.id for s in performed})
        raise UsageError(f"--scenario {missing[0]} has no POS steps (no driver actions) to certify")
    return performed


def run_plans(api: str, scenarios: Sequence[Scenario], plans: Sequence[str], target: PosTarget,
              driver: Driver) -> list[ScenarioResult]:
    """The results of every plan, in order (the resilience plan lands in its own module)."""
    results: list[ScenarioResult] = []
    if "use-cases" in plans:
        results += certify_pos(scenarios, spec_for(api), target, driver)
    if "resilience" in plans:
        results += resilience(api, list(load_scenarios(api).values()), spec_for(api), target, driver)
    return results


def pos_report(api: str, driver: str, results: Sequence[ScenarioResult], plans: Sequence[str], *,
               started: str | None = None, scenarios: Sequence[Scenario] = ()) -> dict[str, Any]:
    """The pinned report (kind `pos`): the target is the driver; operations exercised are those the POS sent."""
    exercised = {verdict.label.split(" ", 1)[0] for result in results for step in result.steps
                 for verdict in step.verdicts if verdict.label.endswith(" sent") and verdict.passed}
    report = build_report(kind="pos", api=api, target=driver, results=results, spec=spec_for(api),
                          plan=",".join(plans), exercised=exercised, started=started,
                          inputs=run_inputs([api], [s.path for s in scenarios if s.path]))
    return {**report, "driver": driver}


def print_summary(report: dict[str, Any], quiet: bool = False) -> None:
    summary = report["summary"]
    out.print(f"{report['api']}: {report['verdict']} ({summary['pass']} pass, {summary['fail']} fail, "
              f"{summary['error']} error, {summary['skip']} skip) - POS {report['target']}", markup=False)
    if quiet:
        return
    for entry in report["results"]:
        if entry["outcome"] in ("fail", "error"):
            first = entry["findings"][0]["message"] if entry["findings"] else entry.get("reason", "")
            out.print(f"  {entry['outcome'].upper()} {entry['id']}: {first}", markup=False)


def exit_code(report: dict[str, Any]) -> int:
    return {"certified": EXIT_OK, "not-certified": EXIT_NONCONFORMANT}.get(report["verdict"], EXIT_TARGET)


# --- targets ---------------------------------------------------------------------------------------


def serve(app: Any, stack: ExitStack) -> str:
    """Serve an ASGI app with uvicorn on a free 127.0.0.1 port, in a thread, until the stack closes."""
    import uvicorn

    logging.getLogger("uvicorn.error").addFilter(_not_a_drop)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise TargetError("the simulator could not be started on 127.0.0.1")
        time.sleep(0.02)

    def stop() -> None:
        server.should_exit = True
        thread.join(timeout=10)

    stack.callback(stop)
    return f"http://127.0.0.1:{port}"


def _not_a_drop(record: logging.LogRecord) -> bool:
    """The resilience plan closes connections on purpose (drop-after-commit): not an error to print."""
    return not (record.exc_info and record.exc_info[0] is not None
                and record.exc_info[0].__name__ == "DroppedConnection")


def simulator_app(api: str, stack: ExitStack, token: str) -> Any:
    from conformance.simulator.server import build_app
    from conformance.simulator.state import SimulatorConfig

    app = build_app(SimulatorConfig(db=str(Path(stack.enter_context(tempfile.TemporaryDirectory(
        prefix="conformance-pos-"))) / "ledger.sqlite"), control_token=token), [api])
    stack.callback(app.close)
    return app


def served_target(api: str, stack: ExitStack) -> PosTarget:
    """The simulator over real HTTP on loopback: what a POS program (a command or a URL) calls."""
    token = secrets.token_urlsafe(18)
    origin = serve(simulator_app(api, stack, token), stack)
    control = ControlSetup(closing(stack, HttpTransport(f"{origin}/_control")), token)
    transport = closing(stack, HttpTransport(f"{origin}/{api}"))
    return PosTarget(api, f"{origin}/{api}", Target(transport, control, control), control)


def inprocess_target(app: Any, api: str, token: str, stack: ExitStack,
                     origin: str = "http://pos-simulator") -> tuple[PosTarget, Callable[[str], Any]]:
    """The simulator in-process, and the `send_for` an in-process reference POS uses to reach it."""
    control = ControlSetup(closing(stack, AsgiTransport(app, f"{origin}/_control")), token)
    transport = closing(stack, AsgiTransport(app, f"{origin}/{api}"))
    transports: dict[str, AsgiTransport] = {}

    def send_for(base_url: str) -> Any:
        if base_url not in transports:
            transports[base_url] = closing(stack, AsgiTransport(app, base_url or origin))
        return transports[base_url].send

    return PosTarget(api, f"{origin}/{api}", Target(transport, control, control), control), send_for


def reference_driver(send_for: Callable[[str], Any]) -> FunctionDriver:
    """The reference POS, in-process (the tests and the demo)."""
    return FunctionDriver(Till(send_for).perform, "reference POS (conformance.pos, in-process)")


# --- the command -------------------------------------------------------------------------------------


def pos(
    api: str = typer.Option(..., "--api", help="The api the POS integrates."),
    driver: str | None = typer.Option(None, "--driver", help="The POS's driver: a command (one action JSON on "
                                      "stdin) or an http(s) URL (the action POSTed). See docs/pos-driver.md."),
    interactive: bool = typer.Option(False, "--interactive", help="A person at a real till, guided step by step."),
    cassettes: Path | None = typer.Option(None, "--cassettes", help="A folder of the POS's recorded vcrpy "
                                          "cassettes, judged offline."),
    har: Path | None = typer.Option(None, "--har", help="A HAR file of the POS's traffic, judged offline."),
    pact: Path | None = typer.Option(None, "--pact", help="A pact file written by the POS's consumer tests."),
    scenario: list[str] = typer.Option(None, "--scenario", help="Only this scenario (repeatable)."),
    plan: str | None = typer.Option(None, "--plan", help="Comma-separated plans: use-cases, resilience "
                                    "(default: use-cases; resilience needs --driver)."),
    report_dir: Path | None = typer.Option(None, "--report-dir", help="Where to write report.json, junit.xml and "
                                           "report.html (default: reports/pos-API-TIMESTAMP/)."),
    bundle: Path | None = typer.Option(None, "--bundle", help="Also write a signed evidence bundle (zip)."),
    timeout: float | None = typer.Option(None, "--timeout", help="Seconds the driver may take for one action "
                                         "(default 60), or a person at the till for one step (default 120)."),
    quiet: bool = typer.Option(False, "-q", "--quiet", help="Only the verdict line (for CI)."),
) -> None:
    """Certify a POS integration: the suite plays the provider. Exit 0 certified, 1 not, 2 usage, 3 unreachable."""
    check_apis([api])
    given = [name for name, value in zip(MODES, (driver, interactive or None, cassettes, har, pact), strict=True)
             if value is not None]
    if len(given) != 1:
        raise UsageError(f"give exactly one of {', '.join(MODES)} (got {', '.join(given) or 'none'})")
    plans = parse_pos_plans(plan)
    scenarios = chosen_scenarios(api, scenario or [])
    folder = report_dir or Path("reports") / f"pos-{api}-{datetime.now(UTC):%Y%m%dT%H%M%S}"
    started = now()
    options: dict[str, Any] = {"api": api, "scenarios": scenarios, "plans": plans, "report_dir": folder,
                               "bundle": bundle, "started": started}
    if driver is None:
        if interactive:
            raise typer.Exit(pos_modes.interactive(**options, timeout_s=120.0 if timeout is None else timeout))
        mode, path = next((m, p) for m, p in (("cassettes", cassettes), ("har", har), ("pact", pact)) if p)
        raise typer.Exit(getattr(pos_modes, mode)(path, **options))
    with ExitStack() as stack:
        target = served_target(api, stack)
        scratch = stack.enter_context(tempfile.TemporaryDirectory(prefix="conformance-driver-"))
        env = {STATE_ENV: str(Path(scratch) / "pos-state.json"), **os.environ}  # a scratch file a driver may use
        chosen = driver_for(driver, 60.0 if timeout is None else timeout, env)
        if not quiet:
            out.print(f"certify pos {api}: simulator at {target.base_url}, driver {chosen.label}, "
                      f"{len(scenarios)} use case(s), plans {','.join(plans)}", markup=False)
        results = run_plans(api, scenarios, plans, target, chosen)
    report = pos_report(api, chosen.label, results, plans, started=started, scenarios=scenarios)
    html = write_report(folder, report)
    if bundle is not None:
        write_pos_bundle(bundle, folder, scenarios, chosen.label)
    print_summary(report, quiet)
    out.print(f"report: {html.resolve()}", markup=False)
    raise typer.Exit(exit_code(report))


def write_pos_bundle(bundle: Path, folder: Path, scenarios: Sequence[Scenario], target: str) -> None:
    """The reports and the data files they were judged by, signed (`conformance verify` checks it)."""
    from conformance.cli.evidence import run_inputs, write_folder_bundle
    from conformance.report.bundle import signing_key

    write_folder_bundle(bundle, signing_key(None), folder, run_inputs(scenarios), target)
