"""Service-level objectives of a load run (`--slo p95=200ms,errors=0.1%`) and their verdicts."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from conformance.core.errors import UsageError
from conformance.model.result import Finding, Outcome, ScenarioResult

PERCENTILES = {"p50": 0.5, "p90": 0.9, "p95": 0.95, "p99": 0.99}
_TERM = re.compile(r"^(p50|p90|p95|p99|errors|rps)=([0-9]+(?:\.[0-9]+)?)(ms|s|%)?$")


@dataclass(frozen=True)
class Objective:
    key: str
    """p50 / p90 / p95 / p99 (latency ceiling, ms), errors (ceiling, percent), rps (throughput floor)."""
    limit: Decimal

    @property
    def text(self) -> str:
        unit = " ms" if self.key in PERCENTILES else "%" if self.key == "errors" else " requests/s"
        relation = ">=" if self.key == "rps" else "<="
        return f"{self.key} {relation} {self.limit}{unit}"


def parse(text: str) -> tuple[Objective, ...]:
    """`p95=200ms,errors=0.1%` -> objectives; a term it cannot read is a usage error naming it."""
    objectives = []
    for term in (t.strip() for t in text.split(",") if t.strip()):
        match = _TERM.match(term.replace(" ", ""))
        if match is None:
            raise UsageError(f"--slo: cannot read {term!r} (write e.g. p95=200ms,errors=0.1%,rps=50)")
        key, number, unit = match.groups()
        try:
            value = Decimal(number)
        except InvalidOperation:
            raise UsageError(f"--slo: {term!r} is not a number") from None
        if key in PERCENTILES:
            if unit not in ("ms", "s", None):
                raise UsageError(f"--slo: {term!r}: a latency is in ms or s")
            value = value * 1000 if unit == "s" else value
        elif key == "errors" and unit not in ("%", None):
            raise UsageError(f"--slo: {term!r}: errors are a percentage")
        elif key == "rps" and unit is not None:
            raise UsageError(f"--slo: {term!r}: rps takes no unit")
        objectives.append(Objective(key, value))
    return tuple(objectives)


def measured(objective: Objective, figures: dict[str, Any]) -> Decimal:
    if objective.key in PERCENTILES:
        return Decimal(str(figures[f"{objective.key}_ms"]))
    if objective.key == "errors":
        return Decimal(str(figures["error_percent"]))
    return Decimal(str(figures["throughput_rps"]))


def judge(api: str, objectives: tuple[Objective, ...], figures: dict[str, Any]) -> list[ScenarioResult]:
    """One result per objective (fail when missed), plus `load.ran`: an error when nothing was answered."""
    results = []
    if not figures["requests"]:
        results.append(ScenarioResult(f"{api}.load.ran", "The target answered the till mix", api, Outcome.ERROR,
                                      reason="no request completed during the run"))
        return results
    results.append(ScenarioResult(f"{api}.load.ran", "The target answered the till mix", api, Outcome.PASS))
    for objective in objectives:
        value = measured(objective, figures)
        held = value >= objective.limit if objective.key == "rps" else value <= objective.limit
        finding = None if held else Finding(
            check=f"slo.{objective.key}", message=f"{objective.text} not met: measured {value}",
            expected=str(objective.limit), actual=str(value))
        results.append(ScenarioResult(f"{api}.load.slo.{objective.key}", f"SLO {objective.text}", api,
                                      Outcome.PASS if held else Outcome.FAIL,
                                      setup_findings=(finding,) if finding else ()))
    return results
