"""Every broken scenario file is refused with `file:line: what is wrong`, never a traceback."""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest

from conformance.core.errors import DataError
from conformance.loader.paths import data_root
from conformance.loader.scenarios import load_scenario, load_scenarios
from conformance.loader.schemacheck import bundled_schema
from tests.runner.scenario_support import GIFT_LOAD, HEADER, step

Writer = Callable[..., Path]


def refused(path: Path) -> DataError:
    with pytest.raises(DataError) as caught:
        load_scenario(path)
    assert str(caught.value).startswith(f"{path}:{caught.value.line}: "), str(caught.value)
    return caught.value


def line_of(path: Path, needle: str) -> int:
    """1-based line of the first line containing `needle`."""
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if needle in line)


def test_a_good_file_loads_into_the_model(write_scenario: Writer) -> None:
    scenario = load_scenario(write_scenario(GIFT_LOAD))
    assert scenario.id == "ackroo.sample"
    assert scenario.requirements == ("ACK-UC10",)
    (step,) = scenario.steps
    assert (step.id, step.operation, step.expect.status) == ("load", "giftCredit", 200)
    assert dict(step.capture) == {"txn": "transaction_number"}
    assert scenario.fixtures["api"] == "ackroo" and scenario.fixtures["program"] == "ackroo-reference"
    assert scenario.fixtures["cards"][0]["gift"] == "5.00"


def test_broken_yaml_names_file_and_line(write_scenario: Writer) -> None:
    path = write_scenario(GIFT_LOAD + "    expect: [unclosed\n")
    error = refused(path)
    assert "invalid YAML" in error.message
    assert error.line is not None and error.line >= line_of(path, "[unclosed")


def test_unknown_operation_names_its_line(write_scenario: Writer) -> None:
    path = write_scenario(GIFT_LOAD.replace("operation: giftCredit", "operation: giftCredits"))
    error = refused(path)
    assert error.line == line_of(path, "giftCredits")
    assert "unknown operationId 'giftCredits'" in error.message and "did you mean 'giftCredit'" in error.message


def test_unknown_requirement_names_its_line(write_scenario: Writer) -> None:
    header = HEADER.replace("requirements: [ACK-UC10]", "requirements:\n  - ACK-UC10\n  - ACK-UC99")
    text = header + "steps:\n" + GIFT_LOAD
    path = write_scenario(text=text)
    error = refused(path)
    assert error.line == line_of(path, "ACK-UC99")
    assert "unknown requirement id 'ACK-UC99'" in error.message


def test_schema_violation_points_at_the_key(write_scenario: Writer) -> None:
    path = write_scenario(GIFT_LOAD.replace("    capture:", "    captures:"))
    error = refused(path)
    assert error.line == line_of(path, "captures:")
    assert "unknown key 'captures'" in error.message and "did you mean 'capture'" in error.message


def test_missing_status_and_bad_matcher_are_schema_errors(write_scenario: Writer) -> None:
    error = refused(write_scenario(GIFT_LOAD.replace("      status: 200\n", "")))
    assert "'status' is a required property" in error.message
    path = write_scenario(GIFT_LOAD.replace('{$money: "15"}', '{$mony: "15"}'))
    error = refused(path)
    assert error.line == line_of(path, "$mony") and "$mony" in error.message


def test_unknown_capture_reference(write_scenario: Writer) -> None:
    reversal = step("""\
      - id: reverse
        title: Reverse
        operation: transactionReversal
        request:
          body: {"device_id": "0d373af2942291bf", "transaction_number": "{{tx}}", "clerk_id": ""}
        expect: {status: 200}
    """)
    path = write_scenario(GIFT_LOAD + reversal)
    error = refused(path)
    assert error.line == line_of(path, "{{tx}}")
    assert "unknown capture reference {{tx}}" in error.message and "txn" in error.message


def test_capture_used_before_the_step_that_sets_it(write_scenario: Writer) -> None:
    early = step("""\
      - id: early
        title: Too early
        operation: transactionReversal
        request:
          body: {"device_id": "0d373af2942291bf", "transaction_number": "{{txn}}", "clerk_id": ""}
        expect: {status: 200}
    """)
    error = refused(write_scenario(early + GIFT_LOAD))
    assert "before step 'load' sets it" in error.message


def test_template_that_names_nothing(write_scenario: Writer) -> None:
    path = write_scenario(GIFT_LOAD.replace('"cardnumber": "612573981949778930"',
                                            '"cardnumber": "{{given.cards.3.cardnumber}}"'))
    error = refused(path)
    assert error.line == line_of(path, "given.cards.3")
    assert "names nothing" in error.message


def test_malformed_template(write_scenario: Writer) -> None:
    error = refused(write_scenario(GIFT_LOAD.replace('"amount": "10"', '"amount": "{{txn}"')))
    assert "malformed template" in error.message


def test_duplicate_step_and_scenario_ids(tmp_path: Path, write_scenario: Writer) -> None:
    error = refused(write_scenario(GIFT_LOAD + GIFT_LOAD.replace("txn:", "txn2:")))
    assert "duplicate step id 'load'" in error.message
    first = write_scenario(GIFT_LOAD, name="a.yaml")
    second = write_scenario(GIFT_LOAD, name="b.yaml")
    with pytest.raises(DataError) as caught:
        load_scenarios(tmp_path)
    assert caught.value.path == second and "duplicate scenario id 'ackroo.sample'" in caught.value.message
    assert str(first) in caught.value.message


def test_id_api_folder_and_program_must_agree(write_scenario: Writer) -> None:
    error = refused(write_scenario(text=HEADER.replace("id: ackroo.sample", "id: antavo.sample") + "steps:\n"
                                   + GIFT_LOAD))
    assert "must start with its api" in error.message
    error = refused(write_scenario(GIFT_LOAD, folder="antavo"))
    assert "does not match the folder" in error.message
    error = refused(write_scenario(text=HEADER.replace("program: ackroo-reference", "program: ackroo-referense")
                                   + "steps:\n" + GIFT_LOAD))
    assert "unknown program 'ackroo-referense'" in error.message


def test_path_parameters_and_auth_index_are_checked(write_scenario: Writer) -> None:
    error = refused(write_scenario(GIFT_LOAD.replace("    request:\n", "    request:\n      path: {id: 1}\n")))
    assert "has no path parameter 'id'" in error.message
    error = refused(write_scenario(GIFT_LOAD.replace("    request:\n", "    request:\n      auth: 1\n")))
    assert "auth 1 names no entry of given.credentials" in error.message


def test_yaml_floats_become_exact_decimals_and_timestamps_are_refused(write_scenario: Writer) -> None:
    scenario = load_scenario(write_scenario(GIFT_LOAD.replace('{$money: "15"}', "15.10")))
    assert scenario.steps[0].expect.body["gc_balance"] == Decimal("15.1")
    assert isinstance(scenario.steps[0].expect.body["gc_balance"], Decimal)
    path = write_scenario(text=HEADER + "  clock: {set: 2026-01-01T12:00:00Z}\nsteps:\n" + GIFT_LOAD)
    error = refused(path)
    assert error.line == line_of(path, "clock:") and "quote it" in error.message


def test_the_shipped_exemplars_load() -> None:
    shipped = load_scenarios("ackroo")
    assert {"ackroo.uc01-cash-credit", "ackroo.uc08-refund", "ackroo.uc12-gift-reversal"} <= set(shipped)
    assert all(scenario.path.parent.name == "ackroo" for scenario in shipped.values())


def test_the_readme_example_is_a_valid_scenario(tmp_path: Path) -> None:
    readme = (data_root() / "scenarios" / "README.md").read_text(encoding="utf-8")
    example = re.search(r"```yaml\n(.*?)```", readme, re.S)
    assert example is not None
    path = tmp_path / "ackroo" / "example.yaml"
    path.parent.mkdir()
    path.write_text(example.group(1), encoding="utf-8")
    scenario = load_scenario(path)
    assert [step.id for step in scenario.steps] == ["balance-before", "gift-load", "reverse-load"]


def test_the_schema_is_shipped_as_package_data() -> None:
    schema = bundled_schema("scenario")
    assert schema["$id"] == "urn:conformance:schema:scenario:1"
    assert set(schema["required"]) >= {"id", "title", "api", "requirements", "steps"}
