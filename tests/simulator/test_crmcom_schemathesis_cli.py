"""`schemathesis run` (the CLI users already have) against `conformance simulate --api crmcom`, every check enabled,
with the repository's schemathesis.toml (found from the repository root)."""

from __future__ import annotations

import pytest

from tests.simulator.crmcom_fixtures import AUTH, FUZZ_FIXTURE
from tests.simulator.schemathesis_cli import assert_all_passed, run_schemathesis, simulator_process


@pytest.mark.slow
def test_schemathesis_cli_finds_no_failure() -> None:
    with simulator_process("crmcom", FUZZ_FIXTURE) as origin:
        result = run_schemathesis("crmcom", f"{origin}/crmcom", "-H", f"api_key: {AUTH['api_key']}",
                                  "--max-examples", "10", "--phases", "examples,coverage,fuzzing",
                                  hooks="tests.simulator.crmcom_schemathesis_hooks")
    assert_all_passed(result, at_least=100)
