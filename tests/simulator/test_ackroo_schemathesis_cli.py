"""`schemathesis run` (the CLI users already have) against `conformance simulate`, every check enabled."""

from __future__ import annotations

import pytest

from tests.simulator.ackroo_fixtures import AUTH, FIXTURE
from tests.simulator.schemathesis_cli import assert_all_passed, run_schemathesis, simulator_process


@pytest.mark.slow
def test_schemathesis_cli_finds_no_failure() -> None:
    with simulator_process("ackroo", FIXTURE) as origin:
        result = run_schemathesis("ackroo", f"{origin}/ackroo", "-H", f"Authorization: {AUTH['authorization']}",
                                  "--max-examples", "10", "--phases", "examples,fuzzing")
    assert_all_passed(result, at_least=100)
