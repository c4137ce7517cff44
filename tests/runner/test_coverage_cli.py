"""`conformance coverage` fails on a MUST requirement that nothing covers and nothing excuses."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

import yaml

from conformance.loader.scenarios import load_scenarios
from conformance.loader.specs import spec_for
from conformance.model.spec import Requirement
from conformance.runner.coverage import api_coverage

NEW_MUST = {"id": "ACK-NEW-1", "text": "A requirement nobody tests.", "level": "MUST", "actor": "provider",
            "source": "002_f24dd93b81ea83d9.txt § Use Case 1"}


def keep_only_covered(data: Path) -> Path:
    """Cut the copy's Ackroo requirements down to those its scenarios cite or that give a reason."""
    path = data / "specs" / "ackroo" / "requirements.yaml"
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    cited = {rid for file in (data / "scenarios" / "ackroo").glob("*.yaml")  # not the loader: it caches the specs
             for rid in yaml.safe_load(file.read_text(encoding="utf-8"))["requirements"]}
    document["requirements"] = [r for r in document["requirements"]
                                if r["id"] in cited or r.get("not_tested_reason") or r["level"] != "MUST"]
    path.write_text(yaml.safe_dump(document, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def test_coverage_passes_when_every_must_is_covered_or_excused(data_copy: Path, cli: Callable[..., object]) -> None:
    keep_only_covered(data_copy)
    result = cli("coverage", "--api", "ackroo")
    assert result.code == 0, result.stdout  # type: ignore[attr-defined]
    assert "(0 MUST)" in result.stdout and "every MUST requirement is covered" in result.stdout  # type: ignore


def test_an_uncovered_must_makes_coverage_exit_1(data_copy: Path, cli: Callable[..., object]) -> None:
    path = keep_only_covered(data_copy)
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    excused = {**NEW_MUST, "id": "ACK-NEW-2", "not_tested_reason": "Seen only by a person at the till."}
    should = {**NEW_MUST, "id": "ACK-NEW-3", "level": "SHOULD"}
    document["requirements"] += [NEW_MUST, excused, should]
    path.write_text(yaml.safe_dump(document, sort_keys=False, allow_unicode=True), encoding="utf-8")
    result = cli("coverage", "--api", "ackroo")
    assert result.code == 1  # type: ignore[attr-defined]
    out = result.stdout  # type: ignore[attr-defined]
    assert "uncovered MUST ACK-NEW-1: A requirement nobody tests." in out
    (others,) = [line for line in out.splitlines() if line.startswith("  uncovered (not MUST): ")]
    assert others.endswith(", ACK-NEW-3")  # every uncovered id is named
    (excuses,) = [line for line in out.splitlines() if "ACK-NEW-2" in line]
    assert excuses.startswith("  not tested, each with its not_tested_reason")
    assert "coverage: 1 MUST requirement(s) neither covered nor excused" in out


def test_a_check_declaring_a_requirement_covers_it() -> None:
    extra = Requirement("ACK-TEST-1", "a requirement no scenario names", "MUST", "provider",
                        "002_f24dd93b81ea83d9.txt § Use Case 1")
    spec = dataclasses.replace(spec_for("ackroo"), requirements=(*spec_for("ackroo").requirements, extra))
    scenarios = load_scenarios("ackroo").values()
    uncovered = api_coverage(spec, scenarios, {}).uncovered_must
    assert extra in uncovered
    target = extra.id
    report = api_coverage(spec, scenarios, {target: ("some_check",)})
    assert report.covered_by[target] == ("some_check",)
    assert target not in {r.id for r in report.uncovered_must}


def test_operations_exercised_come_from_the_steps() -> None:
    report = api_coverage(spec_for("ackroo"), load_scenarios("ackroo").values(), {})
    assert "ackroo.uc12-gift-reversal" in report.exercised_by["transactionReversal"]
    assert set(report.exercised_by) | set(report.unexercised) == set(report.operations)
    assert "ackroo.uc01-cash-credit" in report.covered_by["ACK-UC01"]


def test_coverage_of_the_shipped_data_matches_the_computation(cli: Callable[..., object]) -> None:
    from conformance.checks.registry import requirements_declared
    from conformance.model.spec import API_IDS

    declared = requirements_declared()
    missing = sum(len(api_coverage(spec_for(api), load_scenarios(api).values(), declared).uncovered_must)
                  for api in API_IDS)
    result = cli("coverage")
    assert result.code == (1 if missing else 0)  # type: ignore[attr-defined]
    for api in API_IDS:
        assert f"{api}: requirements " in result.stdout  # type: ignore[attr-defined]
    assert cli("coverage", "--api", "nope").code == 2  # type: ignore[attr-defined]
