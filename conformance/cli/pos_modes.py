"""The modes of `certify pos` other than `--driver`: a person at the till, recorded traffic, a pact.

Each takes the same arguments and returns the exit code; they judge with `conformance.runner.pos.judge`
(pacts: the spec and pact-python's verifier) and report with `certify_pos.pos_report`, so every mode has
one report format. certify_pos imports this module, so its helpers are imported when a mode runs.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from conformance.cli.output import out
from conformance.cli.pos_interactive import interactive_session
from conformance.cli.pos_wire import request_check_for, route_for
from conformance.core.errors import UsageError
from conformance.loader.scenarios import load_scenarios
from conformance.loader.specs import spec_for
from conformance.model.result import ScenarioResult
from conformance.model.scenario import Scenario
from conformance.runner.pos import recordings
from conformance.runner.pos.pact import certify_pact, load_pact


def _use_cases_only(mode: str, plans: Sequence[str]) -> None:
    if list(plans) != ["use-cases"]:
        raise UsageError(f"{mode} runs the use-cases plan only (the resilience plan needs --driver)")


def _finish(api: str, target: str, results: Sequence[ScenarioResult], *, plans: Sequence[str], report_dir: Path,
            bundle: Path | None, scenarios: Sequence[Scenario], started: str,
            extra: dict[str, Any] | None = None) -> int:
    """The one report path of every mode (the same as --driver's)."""
    from conformance.cli.certify_pos import exit_code, pos_report, print_summary, write_pos_bundle
    from conformance.report.write import write_report

    report = {**pos_report(api, target, results, plans, started=started, scenarios=scenarios), **(extra or {})}
    html = write_report(report_dir, report)
    if bundle is not None:
        write_pos_bundle(bundle, report_dir, scenarios, target)
    print_summary(report)
    out.print(f"report: {html.resolve()}", markup=False)
    return exit_code(report)


def interactive(*, api: str, scenarios: list[Scenario], plans: list[str], report_dir: Path,
                bundle: Path | None, started: str, timeout_s: float) -> int:
    """`--interactive`: a person at a real till, guided step by step (`timeout_s` per step)."""
    _use_cases_only("--interactive", plans)
    results = interactive_session(api, scenarios, timeout_s=timeout_s)
    return _finish(api, "a person at the till (interactive)", results, plans=plans, report_dir=report_dir,
                   bundle=bundle, scenarios=scenarios, started=started)


def _recorded(kind: str, path: Path, read: Any, *, api: str, scenarios: list[Scenario], plans: list[str],
              report_dir: Path, bundle: Path | None, started: str) -> int:
    _use_cases_only(f"--{kind}", plans)
    spec = spec_for(api)
    recorded = recordings.with_operations(read(path), api, route_for(spec))
    matching = recordings.match(recorded, scenarios)
    unknown = [item.source for item in matching.unmatched]
    if unknown:
        out.print(f"{len(unknown)} recorded request(s) matched no scenario's POS actions, e.g. {unknown[0]}",
                  markup=False)
    results = recordings.judge_recordings(matching, spec)
    extra = {"recording": {"path": str(path), "exchanges": len(recorded), "matched": len(matching.matched),
                           "unmatched": unknown[:50]}}
    return _finish(api, f"recorded traffic ({kind}: {path.name})", results, plans=plans, report_dir=report_dir,
                   bundle=bundle, scenarios=scenarios, started=started, extra=extra)


def cassettes(path: Path, *, api: str, scenarios: list[Scenario], plans: list[str], report_dir: Path,
              bundle: Path | None, started: str) -> int:
    """`--cassettes PATH`: a POS's recorded vcrpy cassettes, matched to scenarios and judged offline."""
    return _recorded("cassettes", path, recordings.read_cassettes, api=api, scenarios=scenarios, plans=plans,
                     report_dir=report_dir, bundle=bundle, started=started)


def har(path: Path, *, api: str, scenarios: list[Scenario], plans: list[str], report_dir: Path,
        bundle: Path | None, started: str) -> int:
    """`--har FILE`: a POS's traffic exported by a browser or a proxy, judged offline."""
    return _recorded("har", path, recordings.read_har, api=api, scenarios=scenarios, plans=plans,
                     report_dir=report_dir, bundle=bundle, started=started)


def pact(path: Path, *, api: str, scenarios: list[Scenario], plans: list[str], report_dir: Path,
         bundle: Path | None, started: str) -> int:
    """`--pact FILE`: a pact written by the POS's consumer tests, validated and verified against the simulator."""
    from conformance.cli.certify_pos import served_target

    _use_cases_only("--pact", plans)
    spec = spec_for(api)
    contract = load_pact(path)
    states = [s for s in load_scenarios().values() if s.api == api]  # any scenario id may name a state
    with ExitStack() as stack:
        target = served_target(api, stack)
        sys.stdout.flush()
        results = certify_pact(contract, spec, route_for(spec), request_check_for(spec), base_url=target.base_url,
                               control=target.control, scenarios=states)
    label = f"pact {contract.consumer or '?'} -> {contract.provider or '?'} ({path.name}, v{contract.version})"
    return _finish(api, label, results, plans=plans, report_dir=report_dir, bundle=bundle, scenarios=scenarios,
                   started=started,
                   extra={"pact": {"path": str(path), "consumer": contract.consumer, "provider": contract.provider,
                                   "specification": contract.version,
                                   "interactions": len(contract.interactions)}})
