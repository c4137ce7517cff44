"""Guided sessions judged by the POS-certification judge: a correct till passes every use case a POS
performs, and a till that sends a wrong field, the wrong operation or meets a refusal fails its step
(in-process, no socket)."""

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
from conformance.runner.pos.session import pos_scenarios
from conformance.simulator.app import SimulatorApp
from conformance.simulator.server import build_app
from conformance.simulator.state import SimulatorConfig
from tests.console.till import Till, play_guided

TOKEN = "judging-token"
SPLIT = "ackroo.uc07-split-tender"


@pytest.fixture(scope="module")
def simulator() -> Iterator[SimulatorApp]:
    app = build_app(SimulatorConfig(control_token=TOKEN))
    yield app
    app.close()


@pytest.fixture(autouse=True)
def keys(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))  # the bundle's signing key


def guided(simulator: SimulatorApp, scenario_ids: list[str], **changes: Any) -> GuidedSession:
    """A guided session played to the end by a correct till (or one that sends `changes`)."""
    known = catalogue(tuple(simulator.providers))
    scenarios = [known[i] for i in scenario_ids]
    session = GuidedSession("t", simulator, TOKEN, scenarios[0].api, scenarios, "http://testserver")
    session.start()
    with TestClient(simulator, base_url="http://testserver") as client:
        play_guided(session, f"/{scenarios[0].api}", client, **changes)
    return session


def test_a_correct_till_passes_every_use_case_a_pos_performs(simulator: SimulatorApp) -> None:
    problems = []
    for scenario in pos_scenarios(catalogue(tuple(simulator.providers)).values()):
        session = guided(simulator, [scenario.id])
        wrong = [f.message for j in session.judged for f in j.findings]
        if wrong or session.verdict != "certified":
            problems.append(f"{scenario.id}: {session.verdict}; {wrong[:2]}")
    assert problems == []


def test_a_wrong_request_field_fails_with_the_field_and_both_values(simulator: SimulatorApp) -> None:
    session = guided(simulator, [SPLIT], tender_type_list=["0", "27", "0", "0", "0"])
    (judged,) = session.judged
    (finding,) = judged.findings
    assert finding.check == "pos.request-field" and finding.field == "tender_type_list"
    assert finding.actual == ["0", "27", "0", "0", "0"] and session.verdict == "not-certified"


def test_another_operation_fails_the_step_at_once(simulator: SimulatorApp) -> None:
    scenario = catalogue(("ackroo",))[SPLIT]
    session = GuidedSession("t", simulator, TOKEN, "ackroo", [scenario], "http://testserver")
    session.start()
    balance = catalogue(("ackroo",))["ackroo.uc13-balance-check"]
    with TestClient(simulator, base_url="http://testserver") as client:
        Till(balance, "/ackroo", client).play(balance.steps[0])
    session.poll()  # a balance query is nothing a sale sends: judged now, not waited on
    (judged,) = session.judged
    assert {f.check for f in judged.findings} == {"pos.sent"} and session.finished


def test_a_refusal_the_step_does_not_expect_fails_it(simulator: SimulatorApp) -> None:
    simulator.state.faults.replace("ackroo", [{"kind": "status", "status": 503, "count": 1}])
    try:
        session = GuidedSession("t", simulator, TOKEN, "ackroo", [catalogue(("ackroo",))[SPLIT]], "http://testserver")
        session.start()  # a fault switched on before the session is kept across its reset
        with TestClient(simulator, base_url="http://testserver") as client:
            play_guided(session, "/ackroo", client)
    finally:
        simulator.state.faults.replace("ackroo", [])
    (judged,) = session.judged
    assert judged.status == 503 and "pos.refused" in {f.check for f in judged.findings}
