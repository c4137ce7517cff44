"""`schemathesis run` (the CLI users already have) against `conformance simulate --api antavo`, every check
enabled, signing as a POS through tests/simulator/antavo_schemathesis_hooks.py."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.conftest import ROOT, free_port, start_simulate
from tests.simulator.antavo_fixtures import FIXTURE

TOKEN = "cli-control"


@pytest.mark.slow
def test_schemathesis_cli_finds_no_failure() -> None:
    cli = shutil.which("schemathesis", path=str(Path(sys.executable).parent))
    assert cli, "schemathesis is a dependency"
    port = free_port()
    proc = start_simulate("--api", "antavo", port=port, token=TOKEN)
    try:
        customer = {**FIXTURE["customers"][0], "spendable": "500"}
        httpx.post(f"http://127.0.0.1:{port}/_control/fixtures", json={**FIXTURE, "customers": [customer]},
                   headers={"authorization": f"Bearer {TOKEN}"}).raise_for_status()
        env = {**os.environ, "SCHEMATHESIS_HOOKS": "tests.simulator.antavo_schemathesis_hooks",
               "PYTHONPATH": str(ROOT)}
        result = subprocess.run(
            [cli, "run", "specs/antavo/openapi.yaml", "--url", f"http://127.0.0.1:{port}/antavo", "--checks", "all",
             "--max-examples", "10", "--seed", "1", "--no-color"],
            cwd=ROOT, capture_output=True, text=True, timeout=300, env=env)
        exchanges = httpx.get(f"http://127.0.0.1:{port}/_control/exchanges", params={"api": "antavo"},
                              headers={"authorization": f"Bearer {TOKEN}"}, timeout=30).json()["exchanges"]
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=10)
    assert result.returncode == 0, result.stdout[-3000:]
    counts = re.search(r"(\d+) generated, (\d+) passed", result.stdout)
    assert counts and counts.group(1) == counts.group(2) and int(counts.group(1)) > 500, result.stdout[-2000:]
    reached = {e["operation_id"] for e in exchanges if e["response"]["status"] == 200}
    assert reached == {"antavoPostEvent", "antavoPostEventsBulk", "antavoGetCustomer", "antavoPointsPreview"}
