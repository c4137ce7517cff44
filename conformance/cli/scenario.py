"""`conformance scenario list|show|run`: the documented use cases, for people and for CI.

`run` without `--base-url` builds the simulator in-process for the apis it needs (random control token,
no socket); with `--base-url` it drives a live target over HTTP, set up through its control interface
or a `--setup` command. This module only wires: the runner yields events, the printer renders them.
"""

from __future__ import annotations

import difflib
import re
import secrets
from collections.abc import Iterable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import typer
from rich.markup import escape
from rich.progress import Progress

from conformance.cli.evidence import Recorder, api_reports, write_run_bundle
from conformance.cli.output import err, interactive, out
from conformance.core.errors import EXIT_NONCONFORMANT, EXIT_OK, EXIT_TARGET, EXIT_USAGE, DataError, UsageError
from conformance.core.exchange import HttpRequest, HttpResponse
from conformance.core.redact import redact, redact_url
from conformance.loader.paths import set_overlay
from conformance.loader.scenarios import load_scenarios
from conformance.loader.specs import spec_for
from conformance.loader.variables import load_vars_file
from conformance.model.result import Outcome, ScenarioResult, StepResult, summarize
from conformance.model.scenario import Scenario, Step, thaw
from conformance.model.spec import API_IDS
from conformance.model.template import as_text
from conformance.report.build import combine_reports, now
from conformance.report.write import write_report
from conformance.runner.events import Event, RunFinished, ScenarioFinished, ScenarioStarted, StepFinished, StepSent
from conformance.runner.expectations import describe, show
from conformance.runner.scenarios import Target, run
from conformance.runner.setup import CommandSetup, ControlSetup, control_url_for
from conformance.runner.variables import apply_all, parse_var, resolve
from conformance.transport.base import Transport
from conformance.transport.inprocess import AsgiTransport
from conformance.transport.live import HttpTransport

app = typer.Typer(help="List, show and run the documented use cases (scenarios/<api>/*.yaml).", no_args_is_help=True)

BODY_LIMIT = 2000
IN_PROCESS = "http://testserver"


def check_apis(apis: Iterable[str]) -> None:
    """Refuse an unknown `--api` as a usage error (exit 2)."""
    for name in apis:
        if name not in API_IDS:
            raise typer.BadParameter(f"unknown api {name!r}; known: {', '.join(API_IDS)}", param_hint="--api")


def _suggest(name: str, known: Iterable[str]) -> str:
    """`uc7` -> `ackroo.uc07-split-tender`: numbers padded, the api prefix optional, then difflib."""
    padded = re.sub(r"(?<![0-9])([0-9])(?![0-9])", r"0\1", name)
    ids = sorted(known)
    for wanted in dict.fromkeys((name, padded)):
        near = [i for i in ids if i == wanted or i.startswith(wanted + "-") or i.split(".", 1)[-1] == wanted
                or i.split(".", 1)[-1].startswith(wanted + "-")]
        if near:
            return f" (did you mean {near[0]!r}?)"
    close = difflib.get_close_matches(padded, ids, 1, 0.8)
    return f" (did you mean {close[0]!r}?)" if close else ""


def select(ids: Iterable[str], apis: Iterable[str]) -> list[Scenario]:
    """`choose`, with each broken file that was skipped reported in one line on stderr."""
    chosen, broken = choose(ids, apis)
    for problem in broken:
        err.print(f"skipped (broken): {problem}", markup=False)
    return chosen


def choose(ids: Iterable[str], apis: Iterable[str]) -> tuple[list[Scenario], list[DataError]]:
    """The scenarios named (ids, or scenario files and folders from anywhere, layered over the bundled specs
    and programs), or all of the apis given, or all. A broken file that is not chosen is reported on stderr
    and skipped; a chosen one (or one of the files named) stops with its file:line (exit 2)."""
    ids, apis = list(ids), list(apis)
    check_apis(apis)
    paths = [Path(i) for i in ids if i.endswith((".yaml", ".yml")) or Path(i).is_dir()]
    names = [i for i in ids if Path(i) not in paths]
    chosen: list[Scenario] = []
    for path in paths:
        if not path.exists():
            raise UsageError(f"{path}: no such scenario file or folder")
        found = load_scenarios(path)
        if not found:
            raise UsageError(f"{path}: holds no scenario file (*.yaml)")
        chosen += [s for s in found.values() if not apis or s.api in apis]
    if paths and not names:
        return chosen, []
    wanted_apis = apis or sorted({i.split(".", 1)[0] for i in names if i.split(".", 1)[0] in API_IDS}) or API_IDS
    broken: list[DataError] = []
    loaded: dict[str, Scenario] = {}
    for api in wanted_apis:
        loaded.update(load_scenarios(api, broken=broken))
    unknown = [i for i in names if i not in loaded]
    if unknown:
        stray = [e for e in broken if Path(e.path).stem in {u.split(".", 1)[-1] for u in unknown}]
        if stray:  # the scenario asked for is in a broken file: say what is wrong with it
            raise stray[0]
        raise UsageError(f"unknown scenario id {unknown[0]!r}{_suggest(unknown[0], loaded)}"
                         + (f" and {len(unknown) - 1} more" if len(unknown) > 1 else "")
                         + " (see `conformance scenario list`)")
    return chosen + ([loaded[i] for i in names] if names else list(loaded.values())), broken


# --- list and show --------------------------------------------------------------------------------------


DATA_HELP = ("A folder laid out as the data (specs/<api>/, scenarios/<api>/, scenarios/programs/) holding only the "
             "files it adds or replaces.")


def use_data(data: Path | None) -> None:
    """`--data DIR` (the documented form of CONFORMANCE_DATA): overlay the bundled data with a folder."""
    if data is not None and not data.is_dir():
        raise UsageError(f"--data: {data} is not a folder")
    set_overlay(data)


@app.command("list")
def list_scenarios(api: list[str] = typer.Option(None, "--api", help="Only this api (repeatable)."),
                   data: Path | None = typer.Option(None, "--data", help=DATA_HELP)) -> None:
    """Every scenario: id, api, number of steps, requirements and title (a broken file is named and skipped)."""
    use_data(data)
    chosen = select([], api or [])
    for scenario in chosen:
        requirements = ",".join(scenario.requirements)
        if interactive():
            out.print(f"[bold]{escape(scenario.id)}[/bold]  {escape(scenario.title)}\n"
                      f"    {len(scenario.steps)} step(s), {escape(requirements)}")
        else:  # tab-separated for scripts (rich would expand the tabs)
            typer.echo("\t".join((scenario.id, scenario.api, str(len(scenario.steps)), requirements, scenario.title)))
    out.print(f"# {len(chosen)} scenario(s)", markup=False)


@app.command("show")
def show_scenario(
    scenario_id: str = typer.Argument(..., metavar="ID", help="Scenario id, e.g. ackroo.uc01-cash-credit."),
    data: Path | None = typer.Option(None, "--data", help=DATA_HELP),
) -> None:
    """A scenario in plain words: what the cashier does at each step and what is sent and expected."""
    use_data(data)
    (scenario,) = select([scenario_id], [])
    lines = [f"{scenario.id}: {scenario.title}",
             f"api {scenario.api}, program {scenario.program or '(provider default)'}, source {scenario.source}",
             f"requirements: {', '.join(scenario.requirements)}", f"file: {scenario.path}"]
    lines += [f"  {text}" for text in (scenario.description, scenario.notes and f"notes: {scenario.notes}") if text]
    if scenario.given:
        lines.append("given (applied through the control interface or --setup):")
        lines += [f"  {key}: {show(redact(thaw(value), key))}" for key, value in scenario.given.items()]
    for number, step in enumerate(scenario.steps, 1):
        lines += _describe_step(number, scenario, step)
    for line in lines:
        out.print(line, markup=False)


def _describe_step(number: int, scenario: Scenario, step: Step) -> list[str]:
    spec = spec_for(scenario.api)
    operation = next((op for op in spec.operations if op.operation_id == step.operation), None)
    where = f"{operation.method.upper()} {operation.path}" if operation else f"control {step.operation}"
    lines = [f"{number}. {step.id}: {step.title}"]
    if step.pos:
        lines.append(f"   cashier: {step.pos.cashier}")
    request = step.request
    lines.append(f"   request: {where}" + (f" (path {show(redact(thaw(request.path)))})" if request.path else ""))
    if request.query:
        lines.append("   query: " + "&".join(f"{k}={as_text(v)}" for k, v in redact(thaw(request.query)).items()))
    if request.body is not None:
        lines.append(f"   body: {show(redact(thaw(request.body)))}")
    if request.auth is not None:
        lines.append(f"   auth: {show(redact(thaw(request.auth)))}")
    if step.capture:
        lines.append("   captures: " + ", ".join(f"{name} <- {path}" for name, path in step.capture.items()))
    expects = [f"status {step.expect.status}"] + [f"{path} {describe(thaw(value))}"
                                                 for path, value in step.expect.body.items()]
    if step.expect.error is not None:
        expects.append(f"error {step.expect.error}")
    lines.append("   expects: " + "; ".join(expects))
    if step.pos:
        lines.append(f"   driver action: {show(redact(thaw(step.pos.action)))}")
    return lines


# --- run ------------------------------------------------------------------------------------------------


@app.command("run")
def run_scenarios(
    ids: list[str] = typer.Argument(None, metavar="SCENARIO", help="Scenario ids, or scenario files and folders "
                                    "from anywhere (default: all, or all of --api)."),
    api: list[str] = typer.Option(None, "--api", help="Only the scenarios of this api (repeatable)."),
    base_url: str | None = typer.Option(None, "--base-url", help="The api's base URL on a live target (default: the "
                                 "simulator, in-process)."),
    control_url: str | None = typer.Option(None, "--control-url", help="The target's control interface (default: "
                                    "/_control at the origin of --base-url)."),
    control_token: str | None = typer.Option(None, "--control-token", envvar="CONFORMANCE_CONTROL_TOKEN",
                                      help="Bearer token of the control interface."),
    setup: str | None = typer.Option(None, "--setup", help="Command run once per scenario with its `given` as JSON on "
                              "stdin, instead of the control interface (`true` when the target is set up already)."),
    var: list[str] = typer.Option(None, "--var", help="name=value: your own credential, card or customer instead "
                                  "of the one `given` names (token=env:ACKROO_TOKEN reads the environment; a path "
                                  "such as cards.0.cardnumber picks one). Repeatable."),
    vars_files: list[Path] = typer.Option(None, "--vars", help="YAML file of name: value pairs, as --var."),
    data: Path | None = typer.Option(None, "--data", help=DATA_HELP),
    report_dir: Path | None = typer.Option(None, "--report-dir", help="Write report.json, junit.xml and report.html "
                                           "of the run there."),
    quiet: bool = typer.Option(False, "-q", "--quiet", help="One line per scenario; failures in full."),
    fail_fast: bool = typer.Option(False, "--fail-fast", help="Stop at the first scenario that does not pass."),
    bundle: Path | None = typer.Option(None, "--bundle", help="Also write a signed evidence bundle (zip): reports, "
                                       "cassettes of the run, manifest. Check it with `conformance verify`."),
    key: Path | None = typer.Option(None, "--key", help="Ed25519 private key (PEM) that signs the bundle (default: "
                                    "made on first use in the user's config folder)."),
) -> None:
    """Run scenarios and judge every response. Exit 0 all pass, 1 a failure, 2 bad usage or data, 3 the target
    could not be driven (the run stops at the first connection error)."""
    use_data(data)
    variables = _variables(var or [], vars_files or [])
    chosen, broken = choose(ids or [], api or [])
    for problem in broken:
        err.print(f"skipped (broken): {problem}", markup=False)
    if not chosen:
        raise UsageError("no scenarios to run")
    if variables:
        chosen = apply_all(chosen, variables)
    if base_url is None and (control_url or setup):
        raise UsageError("--control-url and --setup drive a live target: give its --base-url too")
    apis = sorted({scenario.api for scenario in chosen})
    specs = {name: spec_for(name) for name in apis}
    started = now()
    finished: RunFinished | None = None
    with ExitStack() as stack:
        if base_url is None:
            targets, label = _in_process(apis, stack), "simulator (in-process)"
        else:
            if len(apis) > 1:
                raise UsageError(f"--base-url is one api's base URL, but these scenarios cover {', '.join(apis)}: "
                                 "choose one with --api")
            targets, label = {apis[0]: _live(base_url, control_url, control_token, setup, stack)}, base_url
        printer = Printer(interactive(), {scenario.id: scenario for scenario in chosen}, quiet=quiet)
        recorder = Recorder()
        with printer.progress(len(chosen)):
            for event in run(chosen, specs, targets, label, fail_fast=fail_fast):
                printer.handle(event)
                recorder.handle(event)
                if isinstance(event, RunFinished):
                    finished = event
    results = finished.results if finished else ()
    if report_dir is not None:
        report = combine_reports(api_reports(results, chosen, label, PLAN, started), target=label)
        page = write_report(report_dir, report, title=f"conformance: scenario run against {redact_url(label)}")
        out.print(f"report: {page}", markup=False)
    if bundle is not None:
        write_run_bundle(bundle, key, chosen, results, recorder, label, PLAN)
    if finished is not None and finished.halted:
        err.print(f"error: {finished.halted}" + ("" if fail_fast else " (run stopped at the first connection error)"),
                  markup=False)
    code = exit_code(results)
    raise typer.Exit(EXIT_USAGE if broken and code == EXIT_OK and not ids else code)


PLAN = "documented use cases"


def _variables(pairs: Iterable[str], files: Iterable[Path]) -> dict[str, str]:
    """--vars files first, then each --var (a later one wins), with env: values read."""
    values: dict[str, str] = {}
    for path in files:
        values.update(load_vars_file(path))
    values.update(parse_var(pair) for pair in pairs)
    return resolve(values)


def exit_code(results: Iterable[ScenarioResult]) -> int:
    """3 when the harness could not drive the target, else 1 when anything failed, else 0."""
    outcomes = {result.outcome for result in results}
    if Outcome.ERROR in outcomes:
        return EXIT_TARGET
    return EXIT_NONCONFORMANT if Outcome.FAIL in outcomes else EXIT_OK


def _in_process(apis: list[str], stack: ExitStack) -> dict[str, Target]:
    from conformance.simulator.server import available_apis, build_app
    from conformance.simulator.state import SimulatorConfig

    token = secrets.token_urlsafe(18)
    served = [name for name in apis if name in available_apis()]
    if not served:
        return {}
    simulator = build_app(SimulatorConfig(control_token=token), served)
    control = ControlSetup(_closing(stack, AsgiTransport(simulator, f"{IN_PROCESS}/_control")), token)
    return {name: Target(_closing(stack, AsgiTransport(simulator, f"{IN_PROCESS}/{name}")), control, control)
            for name in served}


def _live(base_url: str, control_url: str | None, token: str | None, command: str | None,
          stack: ExitStack) -> Target:
    try:
        default_control = control_url_for(base_url)
    except ValueError as exc:
        raise UsageError(f"--base-url: {exc}") from None
    transport = _closing(stack, HttpTransport(base_url))
    if command is not None:  # the control interface then serves only the steps made on it, if named
        control = ControlSetup(_closing(stack, HttpTransport(control_url)), token) if control_url else None
        return Target(transport, CommandSetup(command), control)
    control = ControlSetup(_closing(stack, HttpTransport(control_url or default_control)), token)
    return Target(transport, control, control)


def _closing(stack: ExitStack, transport: Transport) -> Any:
    stack.callback(transport.close)
    return transport


# --- rendering the events -------------------------------------------------------------------------------


class Printer:
    """Renders run events: rich colours on a terminal, plain lines otherwise (same words either way).

    Quiet: one line per scenario, and a scenario that did not pass in full (its steps that did not pass, with
    request, response and findings); on a terminal a progress bar counts the scenarios."""

    MARKS = {Outcome.PASS: "green", Outcome.FAIL: "red", Outcome.ERROR: "magenta", Outcome.SKIP: "yellow",
             Outcome.OMIT: "yellow"}

    def __init__(self, rich: bool, scenarios: Mapping[str, Scenario], quiet: bool = False) -> None:
        self.rich = rich
        self.scenarios = scenarios
        self.quiet = quiet
        self.sent: StepSent | None = None
        self.held: list[Event] = []
        self.bar: Progress | None = None

    @contextmanager
    def progress(self, total: int) -> Iterator[None]:
        """A transient progress bar on a terminal in quiet mode; nothing otherwise."""
        if not (self.quiet and self.rich):
            yield
            return
        with Progress(console=out, transient=True) as bar:
            self.bar = bar
            self.task = bar.add_task("scenarios", total=total)
            yield
        self.bar = None

    def say(self, text: str, style: str | None = None, indent: int = 0) -> None:
        pad = " " * indent
        for line in text.splitlines() or [""]:
            if self.rich and style:
                out.print(f"{pad}[{style}]{escape(line)}[/{style}]")
            else:
                out.print(pad + line, markup=False)

    def word(self, outcome: Outcome) -> str:
        text = outcome.value.upper() if outcome is not Outcome.PASS else "pass"
        return f"[{self.MARKS[outcome]}]{text}[/{self.MARKS[outcome]}]" if self.rich else text

    def handle(self, event: Event) -> None:
        if self.quiet and isinstance(event, ScenarioStarted | StepSent | StepFinished):
            self.held.append(event)
        elif isinstance(event, ScenarioStarted):
            self.say(f"{event.scenario_id}: {event.title}", "bold")
        elif isinstance(event, StepSent):
            self.sent = event
        elif isinstance(event, StepFinished):
            self.step(event.scenario_id, event.result)
        elif isinstance(event, ScenarioFinished):
            self.finished(event.result)
        elif isinstance(event, RunFinished) and not any(r.unreachable for r in event.results):
            counts = summarize(event.results)
            self.say(f"{len(event.results)} scenario(s): " + ", ".join(f"{n} {k}" for k, n in counts.items()), "bold")

    def _replay(self, result: ScenarioResult) -> None:
        """Quiet mode: a scenario that did not pass, in full (the steps that did not pass)."""
        held, self.held = self.held, []
        if result.outcome in (Outcome.PASS, Outcome.SKIP, Outcome.OMIT) or result.unreachable:
            return
        for event in held:
            if isinstance(event, ScenarioStarted):
                self.say(f"{event.scenario_id}: {event.title}", "bold")
            elif isinstance(event, StepSent):
                self.sent = event
            elif isinstance(event, StepFinished) and event.result.outcome is not Outcome.PASS:
                self.step(event.scenario_id, event.result)

    def step(self, scenario_id: str, result: StepResult) -> None:
        scenario = self.scenarios.get(scenario_id)
        step = next((s for s in scenario.steps if s.id == result.step_id), None) if scenario else None
        self.say(f"step {result.step_id}: {result.title}", "cyan", 2)
        if step and step.pos:
            self.say(f"cashier: {step.pos.cashier}", "italic", 4)
        sent, self.sent = self.sent, None
        if result.exchange is not None and sent is not None and sent.step_id == result.step_id:
            self.request(sent.base_url, result.exchange.request)
            self.response(result.exchange.response)
        for verdict in result.verdicts:
            mark = self.word(Outcome.PASS if verdict.passed else Outcome.FAIL)
            out.print(f"    {mark}  " + (escape(verdict.label) if self.rich else verdict.label),
                      markup=self.rich)
            if verdict.finding is not None:
                self.say(verdict.finding.message, "red", 10)
                if verdict.finding.check in ("body", "status", "error_code"):
                    self.say(f"- expected: {show(verdict.finding.expected)}", "green", 10)
                    self.say(f"+ actual:   {show(verdict.finding.actual)}", "red", 10)
        if result.outcome in (Outcome.SKIP, Outcome.ERROR, Outcome.OMIT):
            out.print(f"    {self.word(result.outcome)}  " + (escape(result.reason) if self.rich else result.reason),
                      markup=self.rich)

    def request(self, base_url: str, request: HttpRequest) -> None:
        self.say(f"> {request.method} {base_url}{request.path}", None, 4)
        for name, value in request.headers.items():
            self.say(f"> {name}: {value}", "dim", 4)
        if request.body:
            self.say(f"> {_clip(request.body)}", "dim", 4)

    def response(self, response: HttpResponse) -> None:
        self.say(f"< {response.status} ({response.elapsed_ms:.0f} ms)", None, 4)
        if response.body:
            self.say(f"< {_clip(response.body)}", "dim", 4)

    def finished(self, result: ScenarioResult) -> None:
        if self.bar is not None:
            self.bar.advance(self.task)
        if result.unreachable:  # said once, by the command, when the run stops
            self.held = []
            return
        if self.quiet:
            self._replay(result)
        for finding in result.setup_findings:
            self.say(finding.message, "magenta", 2)
        if result.reason and not result.setup_findings:
            self.say(result.reason, "yellow", 2)
        line = f"{result.id} ({len(result.steps)} step(s), {result.duration_ms:.0f} ms)"
        out.print(f"  {self.word(result.outcome)} " + (escape(line) if self.rich else line), markup=self.rich)
        if not self.quiet:
            out.print("", markup=False)


def _clip(body: bytes) -> str:
    text = body.decode("utf-8", "replace")
    return text if len(text) <= BODY_LIMIT else text[:BODY_LIMIT] + f"... ({len(text)} characters)"

