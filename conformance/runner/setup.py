"""Put the target in a scenario's `given` state before its first step (DESIGN section 6).

Two ways, as pact's provider states: a target that serves the test-control interface gets
``POST /_control/reset``, ``/_control/clock`` (when `given` has a clock) and ``/_control/fixtures``
with the control token; any other target names a command (``--setup CMD``) that is run once per
scenario with the fixture body as JSON on stdin and must exit 0.
"""

from __future__ import annotations

import subprocess
from typing import Any, Protocol
from urllib.parse import urlsplit

from conformance.core import jsonio
from conformance.core.errors import TargetError
from conformance.core.exchange import HttpRequest, HttpResponse
from conformance.core.redact import mask_cards_in_text
from conformance.model.scenario import Scenario, thaw
from conformance.transport.base import Transport

CONTROL_PATH = "/_control"


class SetupFailed(Exception):
    """The given state could not be applied: the scenario's outcome is `error`, not `fail`."""


class Setup(Protocol):
    def apply(self, scenario: Scenario) -> None:
        """Apply `scenario.given`; raise SetupFailed (or TargetError when unreachable)."""


def control_url_for(base_url: str) -> str:
    """``/_control`` at the origin of an api's base URL (DESIGN section 3)."""
    parts = urlsplit(base_url)
    if not parts.scheme or not parts.netloc:
        raise ValueError(f"{base_url!r} is not an absolute http(s) URL")
    return f"{parts.scheme}://{parts.netloc}{CONTROL_PATH}"


def setup_body(scenario: Scenario) -> dict[str, Any]:
    """What a `--setup` command reads: the fixture body, its clock, and the scenario's id."""
    body = {"scenario": scenario.id, **scenario.fixtures}
    if scenario.clock is not None:
        body["clock"] = thaw(scenario.clock)
    return body


class ControlSetup:
    """Setup through the test-control interface; also sends the steps a scenario makes on /_control."""

    def __init__(self, transport: Transport, token: str | None) -> None:
        self.transport = transport
        self.token = token

    def send(self, request: HttpRequest) -> HttpResponse:
        """Send a control request (path relative to /_control) with the control token."""
        headers = {**request.headers, **({"Authorization": f"Bearer {self.token}"} if self.token else {})}
        return self.transport.send(HttpRequest(request.method, request.path, headers, request.body))

    def apply(self, scenario: Scenario) -> None:
        self._post("/reset", {"api": scenario.api})
        if scenario.clock is not None:
            self._post("/clock", thaw(scenario.clock))
        self._post("/fixtures", scenario.fixtures)

    def _post(self, path: str, body: Any) -> None:
        response = self.send(HttpRequest.json("POST", path, body))
        if response.status >= 300:
            hint = " (is --control-token right?)" if response.status in (401, 403) else ""
            raise SetupFailed(f"POST {CONTROL_PATH}{path} answered {response.status}{hint}: "
                              f"{mask_cards_in_text(response.text[:300])}")


class CommandSetup:
    """Setup by a command of the user's (run by the shell), the fixture body as JSON on its stdin."""

    def __init__(self, command: str, timeout: float = 120.0) -> None:
        self.command = command
        self.timeout = timeout

    def apply(self, scenario: Scenario) -> None:
        try:
            done = subprocess.run(self.command, shell=True, input=jsonio.dumps(setup_body(scenario)),
                                  capture_output=True, text=True, timeout=self.timeout, check=False)
        except subprocess.TimeoutExpired:
            raise SetupFailed(f"--setup {self.command!r} did not finish within {self.timeout:g} s") from None
        except OSError as exc:
            raise TargetError(f"--setup {self.command!r} could not be started: {exc}") from exc
        if done.returncode != 0:
            tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
            raise SetupFailed(f"--setup {self.command!r} exited {done.returncode}"
                              + (": " + mask_cards_in_text(" | ".join(tail)) if tail else ""))
