"""The schemathesis CLI, as a user runs it, against the simulator over HTTP: the repository's schemathesis.toml,
the custom status.code checks loaded as hooks, the key login's Basic header and a live body token."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import CONTROL_TOKEN, ROOT
from tests.simulator.crmcom_webapi_fixtures import API, FIXTURE, WEB_API_KEY, WebApiClient, basic


@pytest.mark.slow
def test_schemathesis_cli_finds_no_issue(live_simulator: Any) -> None:
    with httpx.Client(base_url=live_simulator.origin, timeout=10) as client:
        control = {"authorization": f"Bearer {CONTROL_TOKEN}"}
        client.post("/_control/reset", json={"api": API}, headers=control)
        client.post("/_control/fixtures", json=FIXTURE, headers=control)
        token = WebApiClient(client).token
    cli = Path(sys.executable).with_name("schemathesis")
    env = {**os.environ, "SCHEMATHESIS_HOOKS": "tests.simulator.crmcom_webapi_checks", "CRMCOM_WEBAPI_TOKEN": token,
           "PYTHONPATH": str(ROOT)}
    run = subprocess.run([str(cli), "run", str(ROOT / "specs" / API / "openapi.yaml"), "--url",
                          f"{live_simulator.origin}/{API}", "-H", f"Authorization: {basic(WEB_API_KEY)}",
                          "--max-examples", "10", "--seed", "1", "--no-color"],
                         capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert "No issues found" in run.stdout
    assert live_simulator.app.state.ledger.check(API) == []
