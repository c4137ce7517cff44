"""`schemathesis run` (the CLI users already have) against `conformance simulate --api crmcom`, every check enabled,
with the repository's schemathesis.toml (found from the repository root)."""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.conftest import ROOT, free_port, start_simulate
from tests.simulator.crmcom_fixtures import AUTH, FUZZ_FIXTURE

TOKEN = "cli-control"


@pytest.mark.slow
def test_schemathesis_cli_finds_no_failure() -> None:
    cli = shutil.which("schemathesis", path=str(Path(sys.executable).parent))
    assert cli, "schemathesis is a dependency"
    port = free_port()
    proc = start_simulate("--api", "crmcom", port=port, token=TOKEN)
    try:
        httpx.post(f"http://127.0.0.1:{port}/_control/fixtures", json=FUZZ_FIXTURE,
                   headers={"authorization": f"Bearer {TOKEN}"}).raise_for_status()
        result = subprocess.run(
            [cli, "run", "specs/crmcom/openapi.yaml", "--url", f"http://127.0.0.1:{port}/crmcom",
             "-H", f"api_key: {AUTH['api_key']}", "--checks", "all", "--max-examples", "10",
             "--phases", "examples,coverage,fuzzing", "--seed", "1", "--no-color"],
            cwd=ROOT, capture_output=True, text=True, timeout=300)
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=10)
    assert result.returncode == 0, result.stdout[-3000:]
    counts = re.search(r"(\d+) generated, (\d+) passed", result.stdout)
    assert counts and counts.group(1) == counts.group(2) and int(counts.group(1)) > 100, result.stdout[-2000:]
