"""The specs load in the tools users already have: Spectral's OpenAPI ruleset and Prism's mock server."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from conformance.loader.specs import load_all_specs
from conformance.model.spec import API_IDS

ROOT = Path(__file__).resolve().parent.parent
TOOLS = ROOT / ".cache" / "node-tools"
pytestmark = pytest.mark.node


@pytest.fixture(scope="session")
def node_bin() -> Path:
    """Install the pinned npm tools once into .cache/node-tools (skipped without node, unless CI demands it)."""
    if not shutil.which("node") or not shutil.which("npm"):
        if os.environ.get("CONFORMANCE_REQUIRE_NODE"):
            pytest.fail("node and npm are required (CONFORMANCE_REQUIRE_NODE is set)")
        pytest.skip("node/npm not installed")
    bin_dir = TOOLS / "node_modules" / ".bin"
    manifest = (ROOT / "tests" / "node" / "package.json").read_text()
    TOOLS.mkdir(parents=True, exist_ok=True)
    with (TOOLS.parent / "node-tools.lock").open("w") as lock:  # xdist workers install once, one at a time
        fcntl.flock(lock, fcntl.LOCK_EX)
        installed = TOOLS / "package.json"
        complete = all((bin_dir / tool).exists() for tool in ("spectral", "prism"))
        if not complete or not installed.exists() or installed.read_text() != manifest:
            installed.write_text(manifest)
            subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--loglevel=error"], cwd=TOOLS,
                           check=True, capture_output=True, timeout=600)
    return bin_dir


@pytest.mark.parametrize("api", [*API_IDS, "control"])
def test_spectral_reports_no_error(node_bin: Path, api: str) -> None:
    spec = ROOT / "specs" / api / "openapi.yaml"
    result = subprocess.run(
        [str(node_bin / "spectral"), "lint", str(spec), "--ruleset", str(ROOT / "tests" / "node" / ".spectral.yaml"),
         "--format", "json", "--quiet"],
        capture_output=True, text=True, timeout=300,
    )
    findings = json.loads(result.stdout or "[]")
    errors = [f for f in findings if f.get("severity") == 0]
    assert not errors, json.dumps(errors[:5], indent=1)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize("api", API_IDS)
def test_prism_mock_serves_the_spec(node_bin: Path, api: str) -> None:
    spec = ROOT / "specs" / api / "openapi.yaml"
    port = _free_port()
    proc = subprocess.Popen([str(node_bin / "prism"), "mock", str(spec), "-h", "127.0.0.1", "-p", str(port),
                             "-v", "warn"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        op = next(o for o in load_all_specs()[api].operations if not o.webhook)
        path = op.path.replace("{", "").replace("}", "")
        deadline = time.monotonic() + 60
        response = None
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                pytest.fail(f"prism exited: {proc.stdout.read() if proc.stdout else ''}")
            try:
                response = httpx.request(op.method.upper(), f"http://127.0.0.1:{port}{path}", timeout=5)
                break
            except httpx.TransportError:
                time.sleep(0.3)
        assert response is not None, "prism never answered"
        # Prism answers from the spec: a mocked response or its own validation error, never a crash
        assert response.status_code < 500, response.text
    finally:
        proc.terminate()
        proc.wait(timeout=10)
