"""The test-control interface under /_control (DESIGN section 6), validated by specs/control/openapi.yaml."""

from __future__ import annotations

import hmac
import logging
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import Response

from conformance.core import jsonio
from conformance.loader.specs import load_control_spec
from conformance.simulator import validation
from conformance.simulator.provider import Provider, ProviderError
from conformance.simulator.routing import MethodNotAllowed, Router
from conformance.simulator.state import SimulatorState
from conformance.simulator.validation import BadRequest, compile_operations, parse_body, validate_request

log = logging.getLogger("conformance.simulator")


def _json(body: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    return Response(jsonio.dumps(body), status, headers=dict(headers or {}), media_type="application/json")


def _error(status: int, code: str, message: str, headers: Mapping[str, str] | None = None) -> Response:
    return _json({"error": code, "message": message}, status, headers)


class ControlApp:
    def __init__(self, state: SimulatorState, providers: Mapping[str, Provider]) -> None:
        self.state = state
        self.providers = providers
        spec = load_control_spec()
        self.router = Router(spec)
        self.schemas = compile_operations(spec)
        self.handlers = {
            "controlReset": self.reset, "controlFixtures": self.fixtures, "controlClock": self.clock,
            "controlFaults": self.faults, "controlExchanges": self.exchanges, "controlWebhooks": self.webhooks,
            "controlTrigger": self.trigger,
        }

    async def handle(self, request: Request, path: str) -> Response:
        if path == "/health" and request.method == "GET":  # open (`security: []`): scripts wait on it
            return _json({"status": "ok", "apis": list(self.providers)})
        expected = f"Bearer {self.state.config.control_token}"
        given = request.headers.get("authorization", "")
        if not hmac.compare_digest(given.encode(), expected.encode()):
            return _error(401, "Unauthorized", "missing or wrong control token", {"www-authenticate": "Bearer"})
        match = self.router.match(request.method, "/_control" + path)
        if match is None:
            return _error(404, "NotFound", f"no control operation at {request.method} /_control{path}")
        if isinstance(match, MethodNotAllowed):
            return _error(405, "MethodNotAllowed", "method not allowed", {"allow": ", ".join(match.allow)})
        query = dict(parse_qsl(request.url.query, keep_blank_values=True))
        try:
            media, body = parse_body(request.headers.get("content-type", ""), await validation.read_body(request))
            params = validate_request(self.schemas[match.operation.operation_id], media, body, query, {},
                                      {k.lower(): v for k, v in request.headers.items()})
            result = self.handlers[match.operation.operation_id](body or {}, params)
        except validation.BodyTooLarge:
            return _error(413, "PayloadTooLarge", f"the request body is over {validation.MAX_BODY_BYTES} bytes")
        except BadRequest as exc:
            return _error(400, "InvalidRequest", "; ".join(exc.problems))
        except ProviderError as exc:
            return _error(exc.status, exc.code, exc.message)
        except (ArithmeticError, ValueError) as exc:  # a value the spec bounds let through but the state cannot hold
            return _error(400, "InvalidRequest", f"a value is out of range ({exc.__class__.__name__})")
        except Exception as exc:  # never a plain-text 500: the control interface keeps its own shape
            log.exception("internal error on %s /_control%s", request.method, path)
            return _error(500, "InternalError", f"simulator error: {exc.__class__.__name__}")
        return _json(result)

    def _providers(self, api: str | None) -> list[Provider]:
        if api is None:
            return list(self.providers.values())
        if api not in self.providers:
            raise ProviderError(400, "ApiNotServed", f"this simulator does not serve {api!r}")
        return [self.providers[api]]

    def reset(self, body: Mapping[str, Any], params: Mapping[str, Any]) -> dict[str, Any]:
        api = body.get("api")
        for provider in self._providers(api):
            provider.reset()
            self.state.exchanges.clear(provider.api)
            self.state.faults.named(provider.api, self.state.config.fault_profiles)  # the state, not the bugs
            self.state.deliveries.clear(provider.api)
        return {"ok": True, **({"api": api} if api else {})}

    def fixtures(self, body: Mapping[str, Any], params: Mapping[str, Any]) -> dict[str, Any]:
        (provider,) = self._providers(body["api"])
        loaded = provider.apply_fixtures(body)
        return {"ok": True, "api": body["api"], **loaded}

    def clock(self, body: Mapping[str, Any], params: Mapping[str, Any]) -> dict[str, Any]:
        clock = self.state.clock
        if "set" in body:
            try:
                clock.freeze(datetime.fromisoformat(str(body["set"]).replace("Z", "+00:00")))
            except ValueError:
                raise ProviderError(400, "InvalidRequest", f"set: {body['set']!r} is not an ISO date-time") from None
        if "advance_seconds" in body:
            if not clock.frozen:
                clock.freeze(clock.now())
            clock.advance(timedelta(seconds=float(body["advance_seconds"])))
        if body.get("real"):
            clock.release()
        if "deterministic" in body:
            self.state.set_deterministic(bool(body["deterministic"]))
        return {"now": clock.now().isoformat(), "frozen": clock.frozen, "deterministic": self.state.deterministic}

    def faults(self, body: Mapping[str, Any], params: Mapping[str, Any]) -> dict[str, Any]:
        (provider,) = self._providers(body["api"])
        return {"faults": self.state.faults.replace(provider.api, body["faults"])}

    def exchanges(self, body: Mapping[str, Any], params: Mapping[str, Any]) -> dict[str, Any]:
        return {"exchanges": self.state.exchanges.since(int(params.get("since", 0)), params.get("api"))}

    def webhooks(self, body: Mapping[str, Any], params: Mapping[str, Any]) -> dict[str, Any]:
        return {"deliveries": self.state.deliveries.list(params.get("api"))}

    def trigger(self, body: Mapping[str, Any], params: Mapping[str, Any]) -> dict[str, Any]:
        (provider,) = self._providers(body["api"])
        return provider.trigger(body["event"], body.get("data") or {})
