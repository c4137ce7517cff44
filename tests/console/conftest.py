"""A simulator with the console mounted, served over real HTTP on 127.0.0.1; signing keys kept in tmp."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from conformance.console.app import with_console
from conformance.simulator.server import build_app
from conformance.simulator.state import SimulatorConfig
from tests.conftest import CONTROL_TOKEN, LiveServer


@pytest.fixture
def console_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[LiveServer]:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))  # the bundle's signing key
    simulator = build_app(SimulatorConfig(control_token=CONTROL_TOKEN), ["ackroo", "crmcom"])
    server = LiveServer(with_console(simulator, CONTROL_TOKEN))
    yield server
    server.stop()
    simulator.close()
