"""`schemathesis run` (the CLI users already have) against `conformance simulate --api antavo`, every check
enabled, signing as a POS through tests/simulator/antavo_schemathesis_hooks.py."""

from __future__ import annotations

import httpx
import pytest

from tests.simulator.antavo_fixtures import FIXTURE
from tests.simulator.schemathesis_cli import CONTROL, assert_all_passed, run_schemathesis, simulator_process


@pytest.mark.slow
def test_schemathesis_cli_finds_no_failure() -> None:
    customer = {**FIXTURE["customers"][0], "spendable": "500"}
    with simulator_process("antavo", {**FIXTURE, "customers": [customer]}) as origin:
        # `--checks all` overrides schemathesis.toml's per-operation switch for the events' oneOf (see there);
        # negative data is still judged per operation by the in-process test_antavo_schemathesis.py
        result = run_schemathesis("antavo", f"{origin}/antavo", "--max-examples", "10",
                                  "--exclude-checks", "negative_data_rejection",
                                  hooks="tests.simulator.antavo_schemathesis_hooks")
        exchanges = httpx.get(f"{origin}/_control/exchanges", params={"api": "antavo"}, headers=CONTROL,
                              timeout=30).json()["exchanges"]
    assert_all_passed(result, at_least=500)
    reached = {e["operation_id"] for e in exchanges if e["response"]["status"] == 200}
    assert reached == {"antavoPostEvent", "antavoPostEventsBulk", "antavoGetCustomer", "antavoPointsPreview"}
