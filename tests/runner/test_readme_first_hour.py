"""README's first-hour steps, run as written (only the port is a free one, the sandbox URL is a simulator seeded
with other credentials, and the commands run in a scratch folder): "Play a provider" (the simulator in its own
process, the health check, fixtures, a balance check and a credit with their answers, the access log) and "Your
own server, scenarios and credentials" (a copied scenario, a vars file, `--setup true`, the three reports)."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import httpx

from tests.certify.test_readme_watch_it_fail import _wait_for
from tests.conftest import ROOT, free_port
from tests.runner.test_first_hour import SANDBOX

SANDBOX_URL = "https://sandbox.example.com/ackroo"


def _blocks(title: str) -> list[str]:
    section = (ROOT / "README.md").read_text().split(f"### {title}\n", 1)[1].split("\n### ", 1)[0]
    return re.findall(r"```bash\n(.*?)```", section, re.S)


def test_play_a_provider_then_run_my_own_scenario_as_written(tmp_path: Path) -> None:
    start, calls = _blocks("Play a provider")
    (mine,) = _blocks("Your own server, scenarios and credentials")
    port = free_port()
    env = {**os.environ, "PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ["PATH"]}
    command = [*shlex.split(start.split("#", 1)[0]), "--port", str(port)]
    log = (tmp_path / "simulator.log").open("w")
    proc = subprocess.Popen(command, env=env, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=log, text=True)
    try:
        _wait_for(port)
        done = subprocess.run(["bash", "-ec", calls.replace("8900", str(port))], env=env, cwd=tmp_path,
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        health, fixtures, balance, credit = done.stdout.replace("}{", "}\n{").splitlines()
        assert json.loads(health)["status"] == "ok" and json.loads(fixtures)["ok"] is True
        assert json.loads(balance)["earned"] == "0.00"
        assert json.loads(credit)["amount_funded"] == "1.30" and '"amount_funded":"1.30"' in credit
        control = f"http://127.0.0.1:{port}/_control"
        auth = {"Authorization": "Bearer secret"}
        httpx.post(f"{control}/reset", json={"api": "ackroo"}, headers=auth).raise_for_status()
        httpx.post(f"{control}/fixtures", json=SANDBOX, headers=auth).raise_for_status()
        (tmp_path / "scenarios").symlink_to(ROOT / "scenarios")
        script = mine.replace(SANDBOX_URL, f"http://127.0.0.1:{port}/ackroo")
        assert script != mine
        done = subprocess.run(["bash", "-ec", script], env=env, cwd=tmp_path, capture_output=True, text=True,
                              timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["junit.xml", "report.html", "report.json"]
    assert json.loads((tmp_path / "out" / "report.json").read_text())["verdict"] == "certified"
    lines = (tmp_path / "simulator.log").read_text().splitlines()
    requests = [line for line in lines if " -> " in line]
    assert any("GET /ackroo/device/card?cardnumber=**************8930" in line and "valid request" in line
               for line in requests)
    assert "612573981949778930" not in "\n".join(lines) and "sandbox-token-9" not in "\n".join(lines)
