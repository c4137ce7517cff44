"""The simulator's ASGI app: one shared request pipeline in front of every provider, plus /_control.

    /<api>/<path as documented>   -> route -> parse -> authenticate -> validate -> faults -> handler
    /_control/...                 -> the test-control interface (its own bearer token)

Every provider request is answered in that provider's own error shape, never with a 500, and is
recorded (redacted) in the exchange log for POS certification.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping
from datetime import UTC
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from conformance.core import jsonio
from conformance.simulator import access_log
from conformance.simulator.control import ControlApp
from conformance.simulator.faults import TRACE, distort
from conformance.simulator.provider import Call, Provider, ProviderError, Reply
from conformance.simulator.routing import MethodNotAllowed, Router
from conformance.simulator.state import SimulatorState
from conformance.simulator.validation import (
    MAX_BODY_BYTES,
    BadRequest,
    BodyTooLarge,
    compile_operations,
    parse_body,
    read_body,
    validate_request,
)

log = logging.getLogger("conformance.simulator")


class DroppedConnection(Exception):
    """Raised after a committed change to close the connection without a complete response."""


class ProviderEndpoint:
    """The pipeline for one provider (compiled once: routes and validators)."""

    def __init__(self, provider: Provider) -> None:
        self.provider = provider
        self.router = Router(provider.spec)
        self.schemas = compile_operations(provider.spec)
        missing = {op.operation_id for op in provider.spec.operations if not op.webhook} - set(provider.handlers)
        if missing:
            raise RuntimeError(f"{provider.api}: no handler for {', '.join(sorted(missing))}")

    async def handle(self, request: Request, path: str) -> tuple[Reply, str | None, Any]:
        with self.provider.state.ledger.grouped():  # this request's changes join the open batch (groupcommit.py)
            return await self._handle(request, path)

    async def _handle(self, request: Request, path: str) -> tuple[Reply, str | None, Any]:
        provider = self.provider
        state = provider.state
        match = self.router.match(request.method, path)
        if match is None:
            return provider.error_reply(404, "NotFound", f"no operation at {request.method} {path}"), None, None
        if isinstance(match, MethodNotAllowed):
            reply = provider.error_reply(405, "MethodNotAllowed", f"{request.method} is not allowed on {path}")
            reply.headers["allow"] = ", ".join(match.allow)
            return reply, None, None
        op = match.operation
        try:
            raw = await read_body(request)
        except BodyTooLarge:
            return provider.error_reply(413, "PayloadTooLarge", f"the request body is over {MAX_BODY_BYTES} bytes"), \
                op.operation_id, None
        headers = {k.lower(): v for k, v in request.headers.items()}
        query = dict(parse_qsl(request.url.query, keep_blank_values=True))
        body: Any = None
        try:
            media, body = parse_body(headers.get("content-type", ""), raw)
            call = Call(api=provider.api, operation=op, method=request.method, path=path,
                        wire_path=_wire_path(request), query_string=request.url.query, query=query, headers=headers,
                        path_params=match.path_params, params={}, media=media, body=body, raw_body=raw)
            try:
                call.principal = provider.authenticate(call)
            except ProviderError as exc:
                if exc.status not in (401, 403) or "no-auth-check" not in state.faults.profiles(provider.api):
                    raise
            provider.prepare(call)
            call.params = validate_request(self.schemas[op.operation_id], call.media, call.body, query,
                                           match.path_params, headers, ignore_params=provider.prefix_params)
        except BadRequest as exc:
            request.scope[access_log.PROBLEMS] = exc.problems
            if "malformed-500" in state.faults.profiles(provider.api) and raw and not isinstance(body, dict | list):
                return Reply(500, {"error": "InternalServerError", "trace": TRACE}), op.operation_id, body
            return provider.bad_request_for(op, exc.problems), op.operation_id, body
        except ProviderError as exc:
            return provider.error_reply(exc.status, exc.code, exc.message, exc.parameters), op.operation_id, body
        plan = state.faults.plan(provider.api, op.operation_id)
        if plan.latency_ms:
            await asyncio.sleep(plan.latency_ms / 1000)
        if plan.status is not None:
            return provider.error_reply(plan.status, "InjectedFault", "fault injected by the test-control interface"), \
                op.operation_id, body
        try:
            reply = provider.handlers[op.operation_id](call)
        except ProviderError as exc:
            reply = provider.error_reply(exc.status, exc.code, exc.message, exc.parameters)
        if plan.drop_after_commit and reply.status < 400:
            raise DroppedConnection(op.operation_id)
        return reply, op.operation_id, body


def _wire_path(request: Request) -> str:
    """The path exactly as the client sent it (percent-encoding kept): what Escher signatures cover."""
    raw = request.scope.get("raw_path")
    return raw.decode("latin-1") if isinstance(raw, bytes) and raw else request.url.path


class SimulatorApp:
    """ASGI entry point: dispatch by the first path segment (an api prefix or `_control`)."""

    def __init__(self, state: SimulatorState, providers: Mapping[str, Provider]) -> None:
        self.state = state
        self.providers = dict(providers)
        self.endpoints = {api: ProviderEndpoint(p) for api, p in providers.items()}
        self.control = ControlApp(state, self.providers)
        self.access_log = access_log.AccessLog.open(state.config.access_log)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        path = request.url.path
        head, _, rest = path.lstrip("/").partition("/")
        if head == "_control":
            try:
                response = await self.control.handle(request, "/" + rest)
            except ClientDisconnect:
                log.info("client disconnected during %s %s", request.method, path)
                return
            await response(scope, receive, send)
            return
        endpoint = self.endpoints.get(head)
        if endpoint is None:
            body = {"error": "NotFound", "message": f"no api at /{head}; apis: {', '.join(self.endpoints)}"}
            await Response(jsonio.dumps(body), 404, media_type="application/json")(scope, receive, send)
            return
        started = time.perf_counter()
        at = self.state.clock.now().astimezone(UTC).isoformat()
        try:
            reply, operation_id, request_body = await endpoint.handle(request, "/" + rest)
        except DroppedConnection as exc:
            await self.state.group.durable()  # the change is committed before the connection drops
            self._record(endpoint.provider.api, str(exc), at, started, request, None, 0, {}, None)
            # Headers promise a body that never comes: the client sees the connection close mid-response.
            await send({"type": "http.response.start", "status": 200,
                        "headers": [(b"content-type", b"application/json"), (b"content-length", b"1024")]})
            raise
        except ClientDisconnect:  # the client went away mid-body: a normal event, nothing to answer
            log.info("client disconnected during %s %s", request.method, request.url.path)
            return
        except Exception as exc:  # a bug in a handler still answers in the provider's shape, never a bare 500
            log.exception("internal error on %s %s", request.method, request.url.path)
            reply = endpoint.provider.error_reply(500, "InternalError", f"simulator error: {exc.__class__.__name__}")
            operation_id, request_body = None, None
        try:
            await self.state.group.durable()  # answered only once its change (and its batch's) is on disk
        except Exception as exc:
            reply = endpoint.provider.error_reply(500, "InternalError", f"simulator error: {exc.__class__.__name__}")
        reply.body = distort(self.state.faults.profiles(endpoint.provider.api), reply.status, reply.body)
        content = b"" if reply.body is None else jsonio.dumps(reply.body).encode()
        headers = dict(reply.headers)
        response = Response(content, reply.status, headers=headers,
                            media_type="application/json" if reply.body is not None else None)
        # Logged before the answer goes out: a client holding the answer must find its exchange in the log
        # (the guided console and `certify pos --driver` read the log as soon as the till has its answer).
        self._record(endpoint.provider.api, operation_id, at, started, request, request_body, reply.status,
                     headers, reply.body)
        await response(scope, receive, send)

    def _record(self, api: str, operation_id: str | None, at: str, started: float, request: Request,
                request_body: Any, status: int, headers: dict[str, str], body: Any) -> None:
        self.state.exchanges.record(
            api=api, operation_id=operation_id, at=at, duration_ms=(time.perf_counter() - started) * 1000,
            method=request.method, path=request.url.path, query=request.url.query,
            request_headers=dict(request.headers), request_body=request_body, status=status,
            response_headers=headers, response_body=body)
        if self.access_log:
            self.access_log.write(at=at, api=api, operation_id=operation_id, method=request.method,
                                  path=request.url.path, query=request.url.query, status=status,
                                  duration_ms=(time.perf_counter() - started) * 1000, scope=request.scope)

    def close(self) -> None:
        """Release the ledger. Not done at lifespan shutdown: in-process clients run a lifespan per call."""
        self.state.close()
        if self.access_log:
            self.access_log.close()

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                for provider in self.providers.values():
                    await provider.startup()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                for provider in self.providers.values():
                    await provider.shutdown()
                await send({"type": "lifespan.shutdown.complete"})
                return
