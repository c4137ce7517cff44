"""Shared fixtures: the repository root, a scratch copy of the data files, and the CLI runner."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytest_plugins = ["tests.browser"]  # the `page` fixture: headless Debian chromium


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture
def data_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private copy of specs/ and scenarios/ that a test may break; CONFORMANCE_DATA points at it."""
    for name in ("specs", "scenarios"):
        shutil.copytree(ROOT / name, tmp_path / name)
    monkeypatch.setenv("CONFORMANCE_DATA", str(tmp_path))
    return tmp_path


def run_cli(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None,
            stdin: str | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run `python -m conformance ...` as a user would, in a subprocess."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run([sys.executable, "-m", "conformance", *args], capture_output=True, text=True,
                          env=full_env, cwd=cwd or ROOT, input=stdin, timeout=timeout)


CONTROL_TOKEN = "test-control-token"


class LiveServer:
    """A simulator served by uvicorn on a free loopback port, in a background thread."""

    def __init__(self, app: object) -> None:
        import socket
        import threading

        import uvicorn

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.origin = f"http://127.0.0.1:{self.port}"
        self.app = app
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="on")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        import time

        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture(scope="session")
def live_simulator() -> object:
    """The whole simulator (every api this build has) over real HTTP on 127.0.0.1."""
    from conformance.simulator.server import build_app
    from conformance.simulator.state import SimulatorConfig

    server = LiveServer(build_app(SimulatorConfig(control_token=CONTROL_TOKEN)))
    yield server
    server.stop()


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_simulate(*args: str, port: int, token: str) -> subprocess.Popen[bytes]:
    """`conformance simulate` as a user runs it, in its own process; returns once it answers."""
    import time

    import httpx

    proc = subprocess.Popen([sys.executable, "-m", "conformance", "simulate", "--port", str(port),
                             "--control-token", token, *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/_control/exchanges", headers={"authorization": f"Bearer {token}"},
                      timeout=1)
            return proc
        except httpx.TransportError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("conformance simulate did not start")
