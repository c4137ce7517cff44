"""What a run reports, as past-tense events (style practice 2): the runner yields them, and the CLI and
the report layer fold them, never the other way round. Every exchange in an event is already redacted."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from conformance.core.exchange import HttpRequest
from conformance.model.result import ScenarioResult, StepResult, summarize


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class RunStarted:
    target: str
    scenario_ids: tuple[str, ...]
    at: str = field(default_factory=_now)


@dataclass(frozen=True)
class ScenarioStarted:
    scenario_id: str
    title: str
    api: str
    requirements: tuple[str, ...]


@dataclass(frozen=True)
class StepSent:
    scenario_id: str
    step_id: str
    title: str
    cashier: str
    """What the cashier does at this step (plain words; the step title when the step has no pos block)."""
    request: HttpRequest
    """As sent, redacted; `path` is relative to `base_url`."""
    base_url: str


@dataclass(frozen=True)
class StepFinished:
    scenario_id: str
    result: StepResult
    """Outcome, findings and the redacted exchange."""


@dataclass(frozen=True)
class ScenarioFinished:
    result: ScenarioResult


@dataclass(frozen=True)
class RunFinished:
    results: tuple[ScenarioResult, ...]
    at: str = field(default_factory=_now)
    halted: str = ""
    """Why the run stopped before its last scenario (unreachable target, --fail-fast); empty when it did not."""

    @property
    def summary(self) -> dict[str, int]:
        return summarize(self.results)


Event = RunStarted | ScenarioStarted | StepSent | StepFinished | ScenarioFinished | RunFinished
