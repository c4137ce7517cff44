"""The console's judge against every scenario: a correct till passes each one in a guided session, and a
till that gets the operation, a request field or the answer wrong fails its step (in-process, no socket)."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

with warnings.catch_warnings():  # Starlette 1.x suggests httpx2; the suite uses httpx
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from conformance.console.catalogue import catalogue
from conformance.console.guided import GuidedSession
from conformance.console.judging import judge_exchange
from conformance.simulator.app import SimulatorApp
from conformance.simulator.server import build_app
from conformance.simulator.state import SimulatorConfig
from tests.console.till import Till

TOKEN = "judging-token"
SPLIT = "ackroo.uc07-split-tender"


@pytest.fixture(scope="module")
def simulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimulatorApp]:
    app = build_app(SimulatorConfig(control_token=TOKEN))
    yield app
    app.close()


def guided(simulator: SimulatorApp, scenario_id: str, tmp: Path, monkeypatch: pytest.MonkeyPatch,
           **changes: Any) -> GuidedSession:
    """A guided session of one scenario, played to the end by a correct till (or one with `changes`)."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp / "config"))
    scenario = catalogue(tuple(simulator.providers))[scenario_id]
    session = GuidedSession("t", simulator, TOKEN, scenario.api, [scenario], "http://testserver")
    session.start()
    with TestClient(simulator, base_url="http://testserver") as client:
        till = Till(scenario, f"/{scenario.api}", client, learned=session.captures)
        for step in scenario.steps:
            session.poll()  # the console makes the /_control steps itself
            if not step.control:
                till.play(step, **changes)
    session.poll()
    session.finish()
    return session


def test_a_correct_till_passes_every_scenario_of_every_api(simulator: SimulatorApp, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    problems = []
    for scenario_id, scenario in catalogue(tuple(simulator.providers)).items():
        session = guided(simulator, scenario_id, tmp_path, monkeypatch)
        wrong = [f.message for j in session.judged for f in j.findings]
        if wrong or len(session.judged) != len(scenario.steps) or session.verdict != "certified":
            problems.append(f"{scenario_id}: {len(session.judged)}/{len(scenario.steps)} judged; {wrong[:2]}")
    assert problems == []


def test_a_wrong_request_field_fails_with_the_field_and_both_values(simulator: SimulatorApp, tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    session = guided(simulator, SPLIT, tmp_path, monkeypatch, tender_type_list=["0", "27", "0", "0", "0"])
    (judged,) = session.judged
    fields = {f.field for f in judged.findings}
    assert "tender_type_list" in fields and "amount_funded" in fields  # the request, then the answer it got
    assert session.verdict == "not-certified"


def test_another_operation_fails_the_step() -> None:
    scenario = catalogue(("ackroo",))[SPLIT]
    entry = {"operation_id": "cardBalanceQuery", "request": {"method": "GET", "path": "/ackroo/device/card"},
             "response": {"status": 200, "body": {}}}
    (finding,) = judge_exchange(scenario, scenario.steps[0], entry, lambda name: None)
    assert finding.check == "operation" and "loyaltyCreditMulti" in finding.message
