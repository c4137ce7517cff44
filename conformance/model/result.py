"""What a run found, as data: a closed set of outcomes and structured findings (style practices 4 and 6).

``fail`` means the target broke the contract, ``error`` that the harness or the network broke, ``skip``
that a precondition was not met, ``omit`` that the target declared the feature unsupported. A
non-conformance is a :class:`Finding`, never an exception.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from conformance.core.exchange import Exchange


class Outcome(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    SKIP = "skip"
    OMIT = "omit"
    ERROR = "error"


_SEVERITY = {Outcome.PASS: 0, Outcome.OMIT: 1, Outcome.SKIP: 2, Outcome.FAIL: 3, Outcome.ERROR: 4}


def worst(outcomes: Iterable[Outcome], default: Outcome = Outcome.PASS) -> Outcome:
    """The outcome that sums up several: error over fail over skip over omit over pass."""
    return max(outcomes, key=_SEVERITY.__getitem__, default=default)


@dataclass(frozen=True)
class Finding:
    """One thing the target got wrong (or the harness could not do), with what was expected and what came."""

    check: str
    """The check's id: ``status``, ``body``, ``error_code``, ``capture``, ``response_schema``, ``setup``, ..."""
    message: str
    expected: Any = None
    actual: Any = None
    step_id: str | None = None
    requirements: tuple[str, ...] = ()
    field: str | None = None
    """The response field concerned (dotted path), when there is one."""
    confidence: str | None = None
    """The `x-confidence` of what was checked; `inferred` makes the finding a warning (None: binding)."""


@dataclass(frozen=True)
class Verdict:
    """One expectation or check of a step, in words, and its finding when it did not hold."""

    label: str
    finding: Finding | None = None

    @property
    def passed(self) -> bool:
        return self.finding is None


@dataclass(frozen=True)
class StepResult:
    step_id: str
    title: str
    outcome: Outcome
    verdicts: tuple[Verdict, ...] = ()
    """Everything judged at this step, passed or not, in order."""
    exchange: Exchange | None = None
    """The exchange as sent and received, already redacted (None when nothing was sent)."""
    reason: str = ""
    """Why a step was skipped or errored, in plain words."""
    duration_ms: float = 0.0

    @property
    def findings(self) -> tuple[Finding, ...]:
        return tuple(verdict.finding for verdict in self.verdicts if verdict.finding is not None)


@dataclass(frozen=True)
class ScenarioResult:
    id: str
    title: str
    api: str
    outcome: Outcome
    requirements: tuple[str, ...] = ()
    steps: tuple[StepResult, ...] = ()
    setup_findings: tuple[Finding, ...] = ()
    """Findings raised before any step ran (a setup that could not be applied)."""
    reason: str = ""
    """Why the scenario was skipped or errored before its steps, in plain words."""
    duration_ms: float = 0.0
    unreachable: str = ""
    """Set when the target could not be connected to at all (the run stops there): the error, in one line."""

    @property
    def findings(self) -> tuple[Finding, ...]:
        return self.setup_findings + tuple(f for step in self.steps for f in step.findings)


def summarize(results: Iterable[ScenarioResult]) -> dict[str, int]:
    """Counts per outcome, every outcome present (the `summary` block of report.json)."""
    counts = {outcome.value: 0 for outcome in Outcome}
    for result in results:
        counts[result.outcome.value] += 1
    return counts
