"""Program files: the reference loads into the model; a broken copy fails with its file and line."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from conformance.core.errors import DataError
from conformance.loader.programs import load_program, load_programs
from conformance.loader.schemacheck import bundled_schema
from conformance.model.program import EarnRule
from tests.engine.engine_support import PROGRAM_FILE


def test_reference_program_loads_with_decimals(tmp_path: Path) -> None:
    program = load_program(PROGRAM_FILE)
    assert (program.id, program.api, program.currency, program.scale) == ("ackroo-reference", "ackroo", "CAD", 2)
    assert program.earn.default == EarnRule(rate=Decimal("0.10"))
    assert program.earn.skus["0105"] == EarnRule(per_unit=Decimal("0.40"))
    assert [(t.name, t.rate) for t in program.tenders.slots] == [
        ("cash", Decimal("1.0")),
        ("debit", Decimal("0.5")),
        ("credit", Decimal("0.5")),
        ("gift", Decimal("0")),
        ("other", Decimal("0.5")),
    ]
    assert program.redemption_order == ("earned",)
    assert (program.rounding.mode, program.rounding.places, program.rounding.per) == ("half-up", 2, "transaction")
    assert bundled_schema("program")["$schema"].endswith("2020-12/schema")
    assert load_programs(PROGRAM_FILE.parent)["ackroo-reference"] == program


def broken(tmp_path: Path, old: str, new: str) -> tuple[Path, int]:
    """A copy of the reference program with `old` replaced by `new`, and the first line that differs."""
    text = PROGRAM_FILE.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path = tmp_path / "broken.yaml"
    changed = text.replace(old, new)
    path.write_text(changed, encoding="utf-8")
    pairs = zip(text.splitlines(), changed.splitlines(), strict=False)
    line = next(number for number, (a, b) in enumerate(pairs, start=1) if a != b)
    return path, line


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('"0101": {rate: "0.20"}', '"0101": {rate: -0.20}', "non-negative decimal"),
        ('"0101": {rate: "0.20"}', '"0101": {rate: .inf}', "not a finite number"),
        ('"0102": {rate: "0.20"}', '"0102": {rate: "20 %"}', "non-negative decimal"),
        ('"0105": {per_unit: "0.40"}', '"0105": {per_unit: "0.40", rate: "0.1"}', "exactly one of rate"),
        ('"0105": {per_unit: "0.40"}', '"0105": {per_unit: "0.405"}', "more than 2 decimal places"),
        ('    - {name: credit, rate: "0.5"}', '    - {name: debit, rate: "0.5"}', "duplicate tender name"),
        ("  unpaid: basket", "  unpaid: sometimes", "unpaid"),
        ("  per: transaction", "  per: transaction\n  bankers: true", "unknown key 'bankers'"),
        ("  places: 2", "  places: 3", "finer than the scale"),
        ("  minimum: null\n  maximum: null", '  minimum: "9.00"\n  maximum: "1.00"', "above the maximum"),
        ("api: ackroo", "api: square", "api"),
        ("scale: 2", "scale: two", "scale"),
        ("redemption_order: [earned]", "redemption_order: [earned, earned]", "non-unique"),
        ("  mode: half-up", "  mode: [half-up", "invalid YAML"),
    ],
)
def test_broken_copy_names_file_and_line(tmp_path: Path, old: str, new: str, message: str) -> None:
    path, line = broken(tmp_path, old, new)
    with pytest.raises(DataError) as error:
        load_program(path)
    assert message in error.value.message
    assert error.value.path == path
    if message != "invalid YAML":  # the parser reports where it noticed, a line or two later
        assert error.value.line == line, str(error.value)
    assert str(error.value).startswith(f"{path}:{error.value.line}: ")


def test_missing_key_points_at_its_parent(tmp_path: Path) -> None:
    path, line = broken(tmp_path, '  default: {rate: "0.10"}\n', "")
    with pytest.raises(DataError) as error:
        load_program(path)
    assert "'default' is a required property" in error.value.message
    assert error.value.line == line - 1  # the `earn:` line above the removed one


def test_duplicate_program_ids_in_a_folder(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(PROGRAM_FILE.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "b.yml").write_text(PROGRAM_FILE.read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(DataError) as error:
        load_programs(tmp_path)
    assert error.value.path.name == "b.yml" and "duplicate program id" in error.value.message


def test_money_written_as_a_yaml_number_is_the_exact_decimal(tmp_path: Path) -> None:
    """As in scenario files: `rate: 0.20` is the decimal 0.20, never the binary float 0.2000000000000000111."""
    path, _ = broken(tmp_path, '"0101": {rate: "0.20"}', '"0101": {rate: 0.20}')
    text = path.read_text(encoding="utf-8").replace('"0105": {per_unit: "0.40"}', '"0105": {per_unit: 0.4}')
    path.write_text(text, encoding="utf-8")
    numbers, strings = load_program(path), load_program(PROGRAM_FILE)
    assert numbers.earn.skus["0101"].rate == Decimal("0.20") and numbers.earn.skus["0105"] == strings.earn.skus["0105"]
    assert numbers == strings
