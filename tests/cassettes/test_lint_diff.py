"""`cassettes lint` judges recordings by the specs (file:line); `cassettes diff` shows live drift per field."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from conformance.cli.cassettes import app
from conformance.loader.paths import cassettes_dir
from tests.conftest import CONTROL_TOKEN

SHIPPED = cassettes_dir()
UC01 = "ackroo.uc01-cash-credit"


def _copy(tmp_path: Path, name: str = UC01) -> tuple[Path, str]:
    path = tmp_path / "ackroo" / f"{name}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(SHIPPED / "ackroo" / f"{name}.yaml", path)
    return path, path.read_text()


def _line(text: str, needle: str) -> int:
    return next(number for number, line in enumerate(text.splitlines(), 1) if needle in line)


def test_the_shipped_cassettes_are_lint_clean() -> None:
    result = CliRunner().invoke(app, ["lint"])
    assert result.exit_code == 0, result.output[-3000:]
    assert result.output.strip().endswith("0 problem(s)")


def test_lint_names_unknown_operations_undocumented_statuses_and_bad_bodies(tmp_path: Path) -> None:
    path, text = _copy(tmp_path)
    text = text.replace("uri: http://simulator/ackroo/transaction/loyalty/credit/multi",
                        "uri: http://simulator/ackroo/transaction/nowhere", 1)
    path.write_text(text)
    other, other_text = _copy(tmp_path, "ackroo.uc08-refund")
    other_text = other_text.replace("      code: 200", "      code: 299", 1)
    other_text = "".join(other_text.rsplit('"device_id":"0d373af2942291bf",', 1))  # accepted, now invalid
    other.write_text(other_text)
    result = CliRunner().invoke(app, ["lint", "--cassettes", str(tmp_path)])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert f"{path}:2: POST /transaction/nowhere: unknown operation (no path of the ackroo spec)" in lines
    assert any(line.startswith(f"{other}:2: ") and "status 299 is undocumented" in line for line in lines)
    second = [line for line in lines if line.startswith(f"{other}:") and "request accepted but" in line]
    assert second and "device_id" in second[0], lines
    assert lines[-1] == "2 cassette(s), 3 problem(s)"


def test_diff_against_the_live_simulator_over_loopback(live_simulator: Any, tmp_path: Path) -> None:
    base = f"{live_simulator.origin}/ackroo"
    args = ["diff", UC01, "--base-url", base, "--control-token", CONTROL_TOKEN]
    same = CliRunner().invoke(app, args)
    assert same.exit_code == 0, same.output
    assert f"{UC01}: as recorded" in same.output
    path, text = _copy(tmp_path)
    changed = text.replace('"el_balance":"', '"el_balance":"9', 1).replace('"transaction_number":"', '"transaction_'
                                                                           'number":"9', 1)
    path.write_text(changed)
    drifted = CliRunner().invoke(app, [*args, "--cassettes", str(tmp_path)])
    assert drifted.exit_code == 1, drifted.output
    differences = [line.strip() for line in drifted.output.splitlines() if line.startswith("  ")]
    assert len(differences) == 1, differences  # the transaction number is an id: ignored
    assert differences[0].startswith(f"{path}:") and "el_balance: recorded \"9" in differences[0]
