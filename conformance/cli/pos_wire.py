"""The simulator's router and request validation, handed to the runner's POS modes as plain functions.

Recorded traffic and pacts are judged without a running simulator, yet by the simulator's own reading of
the spec (its routes, its request schemas); the runner may not import the simulator, so the CLI wires them.
"""

from __future__ import annotations

import importlib
from urllib.parse import parse_qsl

from conformance.core.exchange import HttpRequest
from conformance.model.spec import ApiSpec
from conformance.runner.pos.pact import RequestCheck
from conformance.runner.pos.recordings import Route
from conformance.simulator.routing import Match, Router
from conformance.simulator.server import PROVIDERS
from conformance.simulator.validation import BadRequest, compile_operations, parse_body, validate_request


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

