"""`scenario list` and `scenario show` read the shipped files and speak plainly."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from conformance.cli.scenario import Printer
from conformance.loader.scenarios import load_scenario, load_scenarios
from conformance.loader.specs import spec_for
from conformance.runner.scenarios import Target, run
from tests.runner.scenario_support import CARD, GIFT_LOAD


def test_list_prints_one_line_per_scenario(cli: Callable[..., object]) -> None:
    result = cli("scenario", "list", "--api", "ackroo")
    assert result.code == 0  # type: ignore[attr-defined]
    lines = [line for line in result.stdout.splitlines() if not line.startswith("#")]  # type: ignore
    shipped = load_scenarios("ackroo")
    assert [line.split("\t")[0] for line in lines] == list(shipped)
    first = lines[0].split("\t")
    scenario = shipped[first[0]]
    assert first[1:] == ["ackroo", str(len(scenario.steps)), ",".join(scenario.requirements), scenario.title]


def test_show_gives_the_cashier_words_and_the_requests(cli: Callable[..., object]) -> None:
    scenario = load_scenarios("ackroo")["ackroo.uc12-gift-reversal"]
    result = cli("scenario", "show", scenario.id)
    assert result.code == 0  # type: ignore[attr-defined]
    out = result.stdout  # type: ignore[attr-defined]
    for number, step in enumerate(scenario.steps, 1):
        assert f"{number}. {step.id}: {step.title}" in out
        assert step.pos is not None and f"cashier: {step.pos.cashier}" in out
    assert "request: POST /transaction/reversal" in out and '"transaction_number":"{{txn}}"' in out
    assert "captures: txn <- transaction_number" in out
    assert CARD not in out and "**************8930" in out


def test_list_rejects_an_unknown_api(cli: Callable[..., object]) -> None:
    result = cli("scenario", "list", "--api", "nope")
    assert result.code == 2 and "unknown api" in result.stderr  # type: ignore[attr-defined]


def test_the_terminal_rendering_escapes_json_brackets(write_scenario: Callable[..., Path], ackroo_target: Target,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    path = write_scenario(GIFT_LOAD.replace('{$money: "15"}', '["not", "this"]'))
    scenario = load_scenario(path)
    printer = Printer(True, {scenario.id: scenario})
    for event in run([scenario], {"ackroo": spec_for("ackroo")}, {"ackroo": ackroo_target}):
        printer.handle(event)
    out = capsys.readouterr().out
    assert 'FAIL  gc_balance = ["not","this"]' in out
    assert '"price_list"' not in out and '"amount":"10"' in out
    assert "0 pass, 1 fail" in out
