"""`conformance cassettes record|replay|lint|diff`: every scenario recorded, replayed offline, checked, compared.

`record` runs the scenarios against the in-process simulator with a frozen clock and sequential numbers
and writes `cassettes/<api>/<scenario-id>.yaml` (vcrpy's format, redacted by the runner's redaction), so
recording twice gives identical files. `replay` runs them again through the cassette transport (no
server, no socket) and reports like a live run. `lint` checks every recording against its api's spec;
`diff` runs the scenarios against a live target and shows, per field, where its answers drift.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import ExitStack
from pathlib import Path

import typer

from conformance.cli.cassette_checks import drift, lint
from conformance.cli.evidence import CONTROL_BASE, Recorder, write_reports
from conformance.cli.output import err, interactive, out
from conformance.cli.scenario import Printer, check_apis, exit_code, select
from conformance.core.errors import EXIT_NONCONFORMANT, EXIT_OK, EXIT_TARGET, UsageError
from conformance.loader.cassettes import BASE_URL, cassette_files, cassette_path, load_cassette, write_cassette
from conformance.loader.paths import cassettes_dir
from conformance.loader.specs import spec_for
from conformance.model.result import ScenarioResult
from conformance.model.scenario import Scenario
from conformance.runner.events import RunFinished, ScenarioFinished
from conformance.runner.redaction import redact_request
from conformance.runner.scenarios import Target, run
from conformance.runner.setup import ControlSetup, control_url_for
from conformance.transport.cassette import CassettePlayer, as_recorded, base_url_for
from conformance.transport.live import HttpTransport

app = typer.Typer(help="Recorded exchanges of every scenario (cassettes/<api>/<id>.yaml): record, replay "
                  "offline, lint against the specs, diff against a live target.", no_args_is_help=True)

RECORD_TOKEN = "recording-control-token"  # in-process only, and masked in every cassette

API_OPTION = typer.Option(None, "--api", help="Only the scenarios of this api (repeatable).")
CASSETTES_OPTION = typer.Option(None, "--cassettes", help="The cassettes folder (default: the shipped one).")


# --- record -----------------------------------------------------------------------------------------------


def simulator_targets(apis: Iterable[str], stack: ExitStack, origin: str = BASE_URL) -> dict[str, Target]:
    """In-process simulator targets whose base URLs are the recorded ones (`http://simulator/<api>`)."""
    from conformance.simulator.server import build_app
    from conformance.simulator.state import SimulatorConfig
    from conformance.transport.inprocess import AsgiTransport

    apis = sorted(set(apis))
    simulator = build_app(SimulatorConfig(control_token=RECORD_TOKEN), apis)
    stack.callback(simulator.close)
    control_transport = AsgiTransport(simulator, f"{origin}/_control")
    stack.callback(control_transport.close)
    control = ControlSetup(control_transport, RECORD_TOKEN)
    targets = {}
    for api in apis:
        transport = AsgiTransport(simulator, f"{origin}/{api}")
        stack.callback(transport.close)
        targets[api] = Target(transport, control, control)
    return targets


def record_cassettes(scenarios: list[Scenario], root: Path) -> tuple[list[Path], list[ScenarioResult]]:
    """Record every scenario into `root`; returns the files written and the results of the run."""
    written: list[Path] = []
    results: list[ScenarioResult] = []
    recorder = Recorder()
    specs = {api: spec_for(api) for api in {s.api for s in scenarios}}
    with ExitStack() as stack:
        targets = simulator_targets(specs, stack)
        for event in run([as_recorded(s) for s in scenarios], specs, targets, "simulator (recording)"):
            text = recorder.handle(event)
            if text is not None and isinstance(event, ScenarioFinished):
                path = cassette_path(root, event.result.api, event.result.id)
                write_cassette(path, text)
                written.append(path)
                results.append(event.result)
    return written, results


def _remove_stale(root: Path, apis: Iterable[str], written: Iterable[Path]) -> list[Path]:
    keep = set(written)
    stale = [path for path in cassette_files(root, apis) if path not in keep]
    for path in stale:
        path.unlink()
    return stale


@app.command("record")
def record(
    api: list[str] = API_OPTION,
    out_dir: Path | None = typer.Option(None, "--out", help="Where to write (default: the shipped cassettes/)."),
) -> None:
    """Record every scenario (or those of --api) against the in-process simulator. Exit 1 if one failed."""
    chosen = select([], api or [])
    root = out_dir or cassettes_dir()
    written, results = record_cassettes(chosen, root)
    stale = _remove_stale(root, {s.api for s in chosen}, written)
    failed = [r for r in results if r.outcome.value in ("fail", "error")]
    for result in failed:
        err.print(f"{result.id}: {result.outcome.value} while recording: {result.reason or 'see scenario run'}",
                  markup=False)
    gone = f"; {len(stale)} stale cassette(s) removed" if stale else ""
    out.print(f"{len(written)} cassette(s) written under {root}{gone}", markup=False)
    raise typer.Exit(EXIT_NONCONFORMANT if failed else EXIT_OK)


# --- replay -----------------------------------------------------------------------------------------------


def replay_targets(apis: Iterable[str], root: Path) -> tuple[CassettePlayer, dict[str, Target]]:
    """Targets answered from the cassettes under `root` (the player loads each scenario's own)."""
    player = CassettePlayer(root, redact_request)
    control = ControlSetup(player.transport(CONTROL_BASE), None)
    return player, {api: Target(player.transport(base_url_for(api)), player, control) for api in apis}


@app.command("replay")
def replay(
    ids: list[str] = typer.Argument(None, metavar="[ID]...", help="Scenario ids (default: all, or all of --api)."),
    api: list[str] = API_OPTION,
    cassettes: Path | None = CASSETTES_OPTION,
    report_dir: Path = typer.Option(Path("reports/replay"), "--report-dir", help="Where to write the reports."),
) -> None:
    """Run scenarios from their cassettes (no server, no network) and report as a live run does."""
    chosen = select(ids or [], api or [])
    if not chosen:
        raise UsageError("no scenarios to replay")
    root = cassettes or cassettes_dir()
    player, targets = replay_targets({s.api for s in chosen}, root)
    printer = Printer(interactive(), {s.id: s for s in chosen})
    results: tuple[ScenarioResult, ...] = ()
    for event in run([as_recorded(s) for s in chosen], {a: spec_for(a) for a in targets}, targets,
                     f"cassettes {root}"):
        printer.handle(event)
        if isinstance(event, ScenarioFinished) and player.unplayed:
            out.print(f"  note: {player.unplayed} recorded interaction(s) of {event.result.id} were not requested",
                      markup=False)
        if isinstance(event, RunFinished):
            results = event.results
    for page in write_reports(report_dir, results, chosen, f"cassettes {root}", "documented use cases (replayed)"):
        out.print(f"report: {page}", markup=False)
    raise typer.Exit(exit_code(results))


# --- lint and diff ----------------------------------------------------------------------------------------


@app.command("lint")
def lint_cassettes(api: list[str] = API_OPTION, cassettes: Path | None = CASSETTES_OPTION) -> None:
    """Check every recording against its api's spec; print `file:line: problem`. Exit 1 on any problem."""
    check_apis(api or [])
    files = cassette_files(cassettes or cassettes_dir(), api or [])
    if not files:
        raise UsageError(f"no cassettes under {cassettes or cassettes_dir()}")
    problems = [problem for path in files for problem in lint(load_cassette(path))]
    for problem in problems:
        out.print(str(problem), markup=False)
    out.print(f"{len(files)} cassette(s), {len(problems)} problem(s)", markup=False)
    raise typer.Exit(EXIT_NONCONFORMANT if problems else EXIT_OK)


@app.command("diff")
def diff_cassettes(
    ids: list[str] = typer.Argument(None, metavar="[ID]...", help="Scenario ids (default: all of --api)."),
    api: list[str] = API_OPTION,
    base_url: str = typer.Option(..., "--base-url", help="The live target's base URL for the api."),
    control_url: str | None = typer.Option(None, "--control-url", help="Its control interface (default: /_control "
                                           "at the origin of --base-url)."),
    control_token: str | None = typer.Option(None, "--control-token", envvar="CONFORMANCE_CONTROL_TOKEN",
                                             help="Bearer token of the control interface."),
    cassettes: Path | None = CASSETTES_OPTION,
) -> None:
    """Run the scenarios against a live target (as recorded: frozen clock) and show, per scenario and field,
    where its answers differ from the recordings. Exit 1 on any drift, 3 when the target cannot be driven."""
    chosen = select(ids or [], api or [])
    apis = sorted({s.api for s in chosen})
    if len(apis) != 1:
        raise UsageError(f"--base-url is one api's base URL, but these scenarios cover {', '.join(apis)}: "
                         "choose one with --api")
    root = cassettes or cassettes_dir()
    recorder = Recorder()
    drifted = unreachable = 0
    with ExitStack() as stack:
        target = _live_target(base_url, control_url, control_token, stack)
        for event in run([as_recorded(s) for s in chosen], {apis[0]: spec_for(apis[0])}, {apis[0]: target}, base_url):
            text = recorder.handle(event)
            if text is None or not isinstance(event, ScenarioFinished):
                continue
            result = event.result
            unreachable += result.outcome.value == "error"
            lines = _compare(cassette_path(root, result.api, result.id), text)
            drifted += bool(lines)
            out.print(f"{result.id}: " + (f"{len(lines)} difference(s)" if lines else "as recorded"), markup=False)
            for line in lines:
                out.print(f"  {line}", markup=False)
    out.print(f"{len(chosen)} scenario(s), {drifted} drifted from their recording", markup=False)
    raise typer.Exit(EXIT_TARGET if unreachable and not drifted else EXIT_NONCONFORMANT if drifted else EXIT_OK)


def _live_target(base_url: str, control_url: str | None, token: str | None, stack: ExitStack) -> Target:
    try:
        control_url = control_url or control_url_for(base_url)
    except ValueError as exc:
        raise UsageError(f"--base-url: {exc}") from None
    transport, control_transport = HttpTransport(base_url), HttpTransport(control_url)
    stack.callback(transport.close)
    stack.callback(control_transport.close)
    control = ControlSetup(control_transport, token)
    return Target(transport, control, control)


def _compare(path: Path, live_text: str) -> list[str]:
    if not path.is_file():
        return [f"no recording {path}"]
    recorded = load_cassette(path)
    live = load_cassette(path, live_text)
    lines = []
    for index in range(max(len(recorded.interactions), len(live.interactions))):
        if index >= len(live.interactions):
            lines.append(f"{path}:{recorded.interactions[index].line}: step {recorded.interactions[index].step_id}: "
                         "recorded, not sent live")
            continue
        if index >= len(recorded.interactions):
            lines.append(f"step {live.interactions[index].step_id}: sent live, not recorded")
            continue
        old = recorded.interactions[index]
        if "/_control/" in old.uri:  # the harness's own answers (webhook delivery timing), not the provider's
            continue
        lines += [f"{path}:{old.line}: step {old.step_id}: {line}" for line in drift(old, live.interactions[index])]
    return lines
