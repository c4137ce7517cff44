"""Fault profiles as a user meets them (issue 14 item 4): listed in `simulate --help`, an unknown name refused
with a suggestion, a profile given at start kept by `/_control/reset` and cleared by `/_control/faults`."""

from __future__ import annotations

from conformance.simulator.faults import PROFILES
from conformance.simulator.server import build_app
from conformance.simulator.state import SimulatorConfig
from conformance.transport.inprocess import TestClient
from tests.conftest import run_cli

CONTROL = {"authorization": "Bearer t"}


def test_help_lists_every_profile_and_an_unknown_one_is_refused() -> None:
    shown = run_cli("simulate", "--help", env={"COLUMNS": "200"})
    assert shown.returncode == 0
    for name, text in PROFILES.items():
        assert f"{name}: {text}" in shown.stdout
    refused = run_cli("simulate", "--fault", "duble-earn", env={"COLUMNS": "200"})
    assert refused.returncode == 2 and "did you mean 'double-earn'" in refused.stderr


def _traced(client: TestClient) -> bool:
    answer = client.post("/crmcom/purchases", json={}, headers={"api_key": "wrong"})
    assert answer.status_code in (400, 401)
    return "trace" in answer.json()


def test_a_start_profile_survives_reset_and_faults_clears_it() -> None:
    client = TestClient(build_app(SimulatorConfig(control_token="t", fault_profiles=("stack-trace",)), ["crmcom"]))
    assert _traced(client)
    assert client.post("/_control/reset", json={"api": "crmcom"}, headers=CONTROL).status_code == 200
    assert _traced(client)
    cleared = client.post("/_control/faults", json={"api": "crmcom", "faults": []}, headers=CONTROL)
    assert cleared.status_code == 200 and cleared.json() == {"faults": []}
    assert not _traced(client)
