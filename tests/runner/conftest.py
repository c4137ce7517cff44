"""Fixtures for the scenario layer: scenario files written on the fly, the CLI run in-process, the
simulator in-process (ASGI) with its control client, and a transport that remembers what it sent."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from conformance.core.exchange import HttpRequest, HttpResponse
from conformance.runner.scenarios import Target
from conformance.runner.setup import ControlSetup
from conformance.simulator.server import build_app
from conformance.simulator.state import SimulatorConfig
from conformance.transport.inprocess import AsgiTransport
from tests.runner.scenario_support import CARD, GIFT_LOAD, HEADER, step  # noqa: F401 - re-exported


@pytest.fixture
def write_scenario(tmp_path: Path) -> Callable[..., Path]:
    """Write a scenario file (the sample header plus `steps`, or a whole text) and return its path."""

    def write(steps: str = "", *, text: str | None = None, name: str = "sample.yaml", folder: str = "ackroo") -> Path:
        path = tmp_path / folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text if text is not None else HEADER + "steps:\n" + steps, encoding="utf-8")
        return path

    return write


@dataclass
class CliResult:
    code: int
    stdout: str
    stderr: str


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Callable[..., CliResult]:
    """Run `conformance ...` in this process (fast: specs stay cached), as `main()` would, with its exit code."""
    from conformance.cli.main import main

    def invoke(*args: str) -> CliResult:
        capsys.readouterr()
        monkeypatch.setattr(sys, "argv", ["conformance", *args])
        try:
            main()
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return invoke


class RecordingTransport:
    """Wraps a transport and keeps every request and response, unredacted (to see what was really sent)."""

    def __init__(self, inner: AsgiTransport) -> None:
        self.inner = inner
        self.base_url = inner.base_url
        self.sent: list[tuple[HttpRequest, HttpResponse]] = []

    def send(self, request: HttpRequest) -> HttpResponse:
        response = self.inner.send(request)
        self.sent.append((request, response))
        return response

    def close(self) -> None:
        self.inner.close()


@pytest.fixture
def ackroo_target() -> Iterator[Target]:
    """The Ackroo simulator in-process: its api behind a recording transport, and its control interface."""
    token = "runner-test-token"
    app = build_app(SimulatorConfig(control_token=token), ["ackroo"])
    control = ControlSetup(AsgiTransport(app, "http://testserver/_control"), token)
    transport = RecordingTransport(AsgiTransport(app, "http://testserver/ackroo"))
    yield Target(transport, control, control)
    transport.close()
    control.transport.close()
