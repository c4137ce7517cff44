"""`conformance coverage`: requirements covered and operations exercised, per api; exit 1 on an uncovered MUST."""

from __future__ import annotations

import typer

from conformance.checks.registry import requirements_declared
from conformance.cli.output import interactive, out
from conformance.cli.scenario import check_apis
from conformance.core.errors import EXIT_NONCONFORMANT
from conformance.loader.scenarios import load_scenarios
from conformance.loader.specs import spec_for
from conformance.model.spec import API_IDS
from conformance.runner.coverage import ApiCoverage, api_coverage

TEXT_LIMIT = 100


def coverage(api: list[str] = typer.Option(None, "--api", help="Only this api (repeatable).")) -> None:
    """Requirement coverage (by scenarios and checks) and operation coverage (by scenarios), per api.

    Fails (exit 1) when a MUST requirement has neither a covering scenario or check nor a
    `not_tested_reason`, and lists those requirements.
    """
    check_apis(api or ())
    declared = requirements_declared()
    failing = 0
    for name in api or API_IDS:
        report = api_coverage(spec_for(name), load_scenarios(name).values(), declared)
        failing += len(report.uncovered_must)
        _print(report)
    if failing:
        out.print(f"coverage: {failing} MUST requirement(s) neither covered nor excused", markup=False)
        raise typer.Exit(EXIT_NONCONFORMANT)
    out.print("coverage: every MUST requirement is covered or has a not_tested_reason", markup=False)


def _print(report: ApiCoverage) -> None:
    total = len(report.requirements)
    ops = len(report.operations)
    head = (f"{report.api}: requirements {len(report.covered_by)}/{total} covered, {len(report.not_tested)} not "
            f"tested with a reason, {len(report.uncovered)} uncovered ({len(report.uncovered_must)} MUST); "
            f"operations {len(report.exercised_by)}/{ops} exercised")
    out.print(f"[bold]{head}[/bold]" if interactive() else head, markup=interactive())
    for requirement in report.uncovered_must:
        text = " ".join(requirement.text.split())
        text = text if len(text) <= TEXT_LIMIT else text[:TEXT_LIMIT - 3] + "..."
        out.print(f"  uncovered MUST {requirement.id}: {text}", markup=False)
    others = [r.id for r in report.uncovered if r not in report.uncovered_must]
    if others:
        out.print(f"  uncovered (not MUST): {', '.join(others)}", markup=False)
    if report.not_tested:
        out.print("  not tested, each with its not_tested_reason in requirements.yaml: "
                  f"{', '.join(r.id for r in report.not_tested)}", markup=False)
    if report.unexercised:
        out.print(f"  operations not exercised: {', '.join(report.unexercised)}", markup=False)
