"""The simulator as the POS modes need it: its router and request validation handed to the runner as plain
functions, and the simulator served on a loopback port for a till or pact's verifier to reach.

Recorded traffic and pacts are judged without a running simulator, yet by the simulator's own reading of
the spec (its routes, its request schemas); the runner may not import the simulator, so the CLI wires them.
"""

from __future__ import annotations

import importlib
import secrets
import socket
import threading
import time
from contextlib import ExitStack
from dataclasses import dataclass
from urllib.parse import parse_qsl

import uvicorn

from conformance.core.errors import TargetError
from conformance.core.exchange import HttpRequest
from conformance.model.spec import ApiSpec
from conformance.runner.pos.pact import RequestCheck
from conformance.runner.pos.recordings import Route
from conformance.runner.setup import CONTROL_PATH, ControlSetup
from conformance.simulator.app import SimulatorApp
from conformance.simulator.routing import Match, Router
from conformance.simulator.server import PROVIDERS, build_app
from conformance.simulator.state import SimulatorConfig
from conformance.simulator.validation import BadRequest, compile_operations, parse_body, validate_request
from conformance.transport.live import HttpTransport


def _match(router: Router, method: str, path: str) -> Match | None:
    """The path tried whole, then without its leading segments (an api's base URL may carry a prefix)."""
    segments = path.split("/")[1:]
    for start in range(len(segments)):
        found = router.match(method, "/" + "/".join(segments[start:]))
        if isinstance(found, Match):
            return found
    return None


def route_for(spec: ApiSpec) -> Route:
    router = Router(spec)

    def route(method: str, path: str) -> str | None:
        found = router.match(method, path)
        return found.operation.operation_id if isinstance(found, Match) else None

    return route


def request_check_for(spec: ApiSpec) -> RequestCheck:
    """Validate a request as the simulator does before any handler runs (auth parameters aside)."""
    router, schemas = Router(spec), compile_operations(spec)
    module, _, name = PROVIDERS[spec.api].partition(":")
    ignored: frozenset[str] = getattr(importlib.import_module(module), name).prefix_params

    def check(operation_id: str, request: HttpRequest) -> list[str]:
        path, _, query = request.path.partition("?")
        found = _match(router, request.method, path)
        if found is None or found.operation.operation_id != operation_id:
            return [f"path: {request.method} {path} is not {operation_id}"]
        headers = {k.lower(): v for k, v in request.headers.items()}
        try:
            media, body = parse_body(headers.get("content-type", ""), request.body)
            validate_request(schemas[operation_id], media, body, dict(parse_qsl(query, keep_blank_values=True)),
                             found.path_params, headers, ignore_params=ignored)
        except BadRequest as exc:
            return list(exc.problems)
        return []

    return check


@dataclass(frozen=True)
class Served:
    """The simulator serving on a loopback port: where a till (or pact's verifier) reaches it."""

    origin: str
    token: str
    app: SimulatorApp

    def base_url(self, api: str) -> str:
        return f"{self.origin}/{api}"

    def control(self) -> ControlSetup:
        return ControlSetup(HttpTransport(f"{self.origin}{CONTROL_PATH}"), self.token)


def serve_simulator(apis: list[str], stack: ExitStack, *, host: str = "127.0.0.1", port: int = 0) -> Served:
    """Start the simulator for `apis` with uvicorn in a thread (stopped and closed when `stack` closes)."""
    token = secrets.token_urlsafe(18)
    app = build_app(SimulatorConfig(control_token=token), apis)
    stack.callback(app.close)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise TargetError(f"cannot serve the simulator on {host}:{port}: {exc.strerror or exc}") from None
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()

    def stop() -> None:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()

    stack.callback(stop)
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise TargetError("the simulator did not start")
        time.sleep(0.02)
    return Served(f"http://{host}:{sock.getsockname()[1]}", token, app)
