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

from conformance.cli.evidence import CONTROL_BASE, Recorder, write_reports
from conformance.cli.output import err, interactive, out
from conformance.cli.scenario import Printer, exit_code, select
from conformance.core.errors import EXIT_NONCONFORMANT, EXIT_OK, UsageError
from conformance.loader.cassettes import BASE_URL, cassette_files, cassette_path, write_cassette
from conformance.loader.paths import cassettes_dir
from conformance.loader.specs import spec_for
from conformance.model.result import ScenarioResult
from conformance.model.scenario import Scenario
from conformance.runner.events import RunFinished, ScenarioFinished
from conformance.runner.redaction import redact_request
from conformance.runner.scenarios import Target, run
from conformance.runner.setup import ControlSetup
from conformance.transport.cassette import CassettePlayer, as_recorded, base_url_for

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
    _, targets = replay_targets({s.api for s in chosen}, root)
    printer = Printer(interactive(), {s.id: s for s in chosen})
    results: tuple[ScenarioResult, ...] = ()
    for event in run([as_recorded(s) for s in chosen], {a: spec_for(a) for a in targets}, targets,
                     f"cassettes {root}"):
        printer.handle(event)
        if isinstance(event, RunFinished):
            results = event.results
    for page in write_reports(report_dir, results, chosen, f"cassettes {root}", "documented use cases (replayed)"):
        out.print(f"report: {page}", markup=False)
    raise typer.Exit(exit_code(results))
