"""Requirement and operation coverage (style practice 8): which requirements a scenario or a check covers,
which operations the scenarios exercise, and which MUST requirements nobody covers nor excuses."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from conformance.model.scenario import Scenario
from conformance.model.spec import ApiSpec, Requirement


@dataclass(frozen=True)
class ApiCoverage:
    api: str
    requirements: tuple[Requirement, ...]
    covered_by: Mapping[str, tuple[str, ...]]
    """Requirement id -> the scenarios and checks covering it (only covered ids appear)."""
    operations: tuple[str, ...]
    """Operations a step can exercise (webhooks are sent by the provider, so they are not counted)."""
    exercised_by: Mapping[str, tuple[str, ...]]
    """operationId -> the scenarios exercising it (only exercised ones appear)."""

    @property
    def not_tested(self) -> tuple[Requirement, ...]:
        """Uncovered requirements that say why they are not tested."""
        return tuple(r for r in self.requirements if r.id not in self.covered_by and r.not_tested_reason)

    @property
    def uncovered(self) -> tuple[Requirement, ...]:
        """Uncovered requirements without a `not_tested_reason`, any level."""
        return tuple(r for r in self.requirements if r.id not in self.covered_by and not r.not_tested_reason)

    @property
    def uncovered_must(self) -> tuple[Requirement, ...]:
        """What makes `conformance coverage` fail: a MUST with neither a scenario, a check nor a reason."""
        return tuple(r for r in self.uncovered if r.level == "MUST")

    @property
    def unexercised(self) -> tuple[str, ...]:
        return tuple(op for op in self.operations if op not in self.exercised_by)


def api_coverage(spec: ApiSpec, scenarios: Iterable[Scenario],
                 declared: Mapping[str, tuple[str, ...]]) -> ApiCoverage:
    """Coverage of one api by its scenarios and by the checks declaring requirement ids (`declared`)."""
    known = {requirement.id for requirement in spec.requirements}
    covered: dict[str, list[str]] = {rid: list(names) for rid, names in declared.items() if rid in known}
    exercised: dict[str, list[str]] = {}
    operations = tuple(op.operation_id for op in spec.operations if not op.webhook)
    for scenario in scenarios:
        if scenario.api != spec.api:
            continue
        for rid in scenario.requirements:
            covered.setdefault(rid, []).append(scenario.id)
        for operation in scenario.operations:
            exercised.setdefault(operation, []).append(scenario.id)
    return ApiCoverage(
        api=spec.api,
        requirements=spec.requirements,
        covered_by={rid: tuple(names) for rid, names in covered.items()},
        operations=operations,
        exercised_by={op: tuple(ids) for op, ids in exercised.items() if op in operations},
    )
