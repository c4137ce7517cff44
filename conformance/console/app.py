"""The console's pages, mounted at /_ui in front of the simulator (`conformance simulate --ui`).

`with_console(simulator, token)` returns one ASGI app: /_ui/... goes to the console (a Starlette app
behind the session middleware), everything else to the simulator unchanged. Pages are server-rendered
Jinja2; the only script is static/console.js (live lists over server-sent events: a guided session's
judgements, the inspect page's exchange log).
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from importlib import resources
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from conformance.console import inspect, security, streams
from conformance.console.catalogue import card_number, catalogue, media_for, search
from conformance.console.guided import GuidedSession
from conformance.console.runs import control_for, run_one, seed
from conformance.core.errors import TargetError
from conformance.core.exchange import HttpRequest
from conformance.core.media import card_media
from conformance.core.redact import redact
from conformance.loader.specs import spec_for
from conformance.model.scenario import Scenario, thaw
from conformance.report.cards import render
from conformance.runner.expectations import describe, show
from conformance.runner.pos.session import pos_scenarios
from conformance.runner.setup import SetupFailed
from conformance.simulator.faults import PROFILES

PREFIX = "/_ui"
STATIC = ("console.css", "console.js")
DOWNLOADS = {"report.html": "report/report.html", "report.json": "report/report.json",
             "junit.xml": "report/junit.xml", "evidence.zip": "evidence.zip"}
SESSION_HOURS = 8
MAX_SESSIONS = 20
"""Guided sessions kept in memory (with their reports) before the oldest is forgotten."""

Page = Callable[[Request], Awaitable[Response]]


def _env() -> Environment:
    env = Environment(loader=PackageLoader("conformance.console", "templates"),
                      autoescape=select_autoescape(default=True, default_for_string=True))
    env.filters["show"] = show
    env.filters["describe"] = describe
    env.filters["redact"] = lambda value: redact(thaw(value))
    env.filters["plain"] = thaw
    return env


class Console:
    """The console over one simulator app (its state, its control token)."""

    def __init__(self, simulator: Any, token: str) -> None:
        self.simulator = simulator
        self.token = token
        self.env = _env()
        self.sessions: dict[str, GuidedSession] = {}
        routes = [
            Route("/login", self.login_form, methods=["GET"]),
            Route("/login", self.login, methods=["POST"]),
            Route("/logout", self.guard(self.logout), methods=["POST"]),
            Route("/", self.guard(self.index), methods=["GET"]),
            Route("/static/{name}", self.static, methods=["GET"]),
            Route("/scenario/{id}", self.guard(self.scenario_page), methods=["GET"]),
            Route("/scenario/{id}/media/{file}", self.guard(self.medium), methods=["GET"]),
            Route("/scenario/{id}/run", self.guard(self.run), methods=["POST"]),
            Route("/scenario/{id}/seed", self.guard(self.seed), methods=["POST"]),
            Route("/inspect", self.guard(self.inspect_page), methods=["GET"]),
            Route("/inspect/events", self.guard(self.inspect_events), methods=["GET"]),
            Route("/faults", self.guard(self.set_faults), methods=["POST"]),
            Route("/guided", self.guard(self.guided_new), methods=["GET"]),
            Route("/guided", self.guard(self.guided_start), methods=["POST"]),
            Route("/guided/{sid}", self.guard(self.guided_page), methods=["GET"]),
            Route("/guided/{sid}/events", self.guard(self.guided_events), methods=["GET"]),
            Route("/guided/{sid}/{act}", self.guard(self.guided_act), methods=["POST"]),
            Route("/guided/{sid}/download/{name}", self.guard(self.download), methods=["GET"]),
        ]
        self.app = Starlette(routes=[Mount(PREFIX, routes=routes)], middleware=[Middleware(
            SessionMiddleware, secret_key=secrets.token_urlsafe(32), session_cookie=security.COOKIE,
            max_age=SESSION_HOURS * 3600, path=PREFIX, same_site="strict", https_only=False)])

    @property
    def apis(self) -> tuple[str, ...]:
        return tuple(self.simulator.providers)

    # --- plumbing ---

    def page(self, request: Request, template: str, status: int = 200, **values: Any) -> HTMLResponse:
        html = self.env.get_template(template).render(
            request=request, prefix=PREFIX, csrf=security.csrf_token(request), apis=self.apis, **values)
        return HTMLResponse(html, status, headers={"cache-control": "no-store", "x-frame-options": "DENY",
                                                   "content-security-policy": "default-src 'self'; "
                                                   "img-src 'self' data:; frame-ancestors 'none'"})

    def guard(self, handler: Page) -> Page:
        """Refuse without a session (the login page, 401); a POST must also pass the CSRF check (403)."""
        async def guarded(request: Request) -> Response:
            if not security.logged_in(request, self.token):
                if request.method == "GET" and "text/event-stream" not in request.headers.get("accept", ""):
                    return self.page(request, "login.html", 401, next=request.url.path)
                return Response("log in first: POST the control token to /_ui/login", 401, media_type="text/plain")
            if request.method == "POST":
                request.state.form = await security.form(request)
                if not security.csrf_ok(request, request.state.form):
                    return Response("refused: missing or wrong CSRF token, or another origin", 403,
                                    media_type="text/plain")
            return await handler(request)
        return guarded

    def scenarios(self) -> dict[str, Scenario]:
        return catalogue(self.apis)

    def scenario_of(self, request: Request) -> Scenario | None:
        return self.scenarios().get(request.path_params["id"])

    def origin(self, request: Request) -> str:
        return f"{request.url.scheme}://{request.url.netloc}"

    # --- login ---

    async def login_form(self, request: Request) -> Response:
        if security.logged_in(request, self.token):
            return RedirectResponse(PREFIX + "/", 303)
        return self.page(request, "login.html", next=request.query_params.get("next", ""))

    async def login(self, request: Request) -> Response:
        fields = await security.form(request)
        given = fields.get("token")
        if not security.same_origin(request) or not isinstance(given, str) or \
                not security.log_in(request, self.token, given):
            return self.page(request, "login.html", 401, error="That is not the control token.")
        target = fields.get("next")
        safe = isinstance(target, str) and target.startswith(PREFIX + "/") and "//" not in target
        return RedirectResponse(target if safe and isinstance(target, str) else PREFIX + "/", 303)

    async def logout(self, request: Request) -> Response:
        request.session.clear()
        return RedirectResponse(PREFIX + "/login", 303)

    async def static(self, request: Request) -> Response:
        name = request.path_params["name"]
        if name not in STATIC:
            return Response("not found", 404, media_type="text/plain")
        path = resources.files("conformance.console") / "static" / name
        return FileResponse(str(path))

    # --- catalogue and scenario pages ---

    async def index(self, request: Request) -> Response:
        q = request.query_params.get("q", "")
        api = request.query_params.get("api", "")
        found = search(self.scenarios().values(), q, api if api in self.apis else "")
        return self.page(request, "catalogue.html", scenarios=found, q=q, api=api)

    async def scenario_page(self, request: Request, **values: Any) -> Response:
        scenario = self.scenario_of(request)
        if scenario is None:
            return self.page(request, "missing.html", 404, what=request.path_params["id"])
        spec = spec_for(scenario.api)
        operations = {op.operation_id: op for op in spec.operations}
        return self.page(request, "scenario.html", scenario=scenario, operations=operations,
                         media=media_for(scenario), origin=self.origin(request), **values)

    async def medium(self, request: Request) -> Response:
        scenario = self.scenario_of(request)
        chosen = [m for m in media_for(scenario) if m.file == request.path_params["file"]] if scenario else []
        if not chosen or scenario is None:
            return Response("not found", 404, media_type="text/plain")
        png = await run_in_threadpool(render, chosen[0], card_media(card_number(scenario)))
        return Response(png, media_type="image/png", headers={"cache-control": "private, max-age=3600"})

    async def run(self, request: Request) -> Response:
        scenario = self.scenario_of(request)
        if scenario is None:
            return self.page(request, "missing.html", 404, what=request.path_params["id"])
        result = await run_in_threadpool(run_one, self.simulator, self.token, scenario)
        return self.page(request, "run.html", scenario=scenario, result=result)

    async def seed(self, request: Request) -> Response:
        scenario = self.scenario_of(request)
        if scenario is None:
            return self.page(request, "missing.html", 404, what=request.path_params["id"])
        try:
            await run_in_threadpool(seed, self.simulator, self.token, scenario)
        except (SetupFailed, TargetError) as exc:
            return await self.scenario_page(request, problem=f"The starting state could not be applied: {exc}")
        return await self.scenario_page(request, seeded=True)

    # --- inspect ---

    async def inspect_page(self, request: Request) -> Response:
        api = request.query_params.get("api", "")
        api = api if api in self.apis else self.apis[0]
        on, others = inspect.faults(self.simulator, api)
        operations = sorted(op.operation_id for op in spec_for(api).operations if not op.webhook)
        return self.page(request, "inspect.html", api=api, exchanges=inspect.exchanges(self.simulator, api),
                         operations=operations,
                         balances=inspect.balances(self.simulator, api),
                         deliveries=inspect.deliveries(self.simulator, api), profiles=PROFILES, on=on,
                         others=others)

    async def inspect_events(self, request: Request) -> Response:
        api = request.query_params.get("api", "")
        if api not in self.apis:
            return Response("unknown api", 400, media_type="text/plain")
        return streams.event_stream(streams.exchange_events(request, self.simulator, api,
                                                            streams.resume_point(request)))

    async def set_faults(self, request: Request) -> Response:
        """Named profiles as ticked, plus (optionally) a status the next calls get; `clear` empties all."""
        fields = request.state.form
        api = fields.get("api")
        if api not in self.apis:
            return Response("unknown api", 400, media_type="text/plain")
        names = [n for n in fields.getlist("profile") if n in PROFILES]
        _, others = inspect.faults(self.simulator, api)
        refusal = inspect.refusal(fields.get("status"), fields.get("count"), fields.get("operation"),
                                  {op.operation_id for op in spec_for(api).operations})
        if isinstance(refusal, str):
            return Response(refusal, 400, media_type="text/plain")
        if fields.get("clear"):
            names, others, refusal = [], [], None
        body = {"api": api, "faults": others + ([refusal] if refusal else [])
                + [{"kind": "named", "name": n} for n in names]}
        await run_in_threadpool(self._control, "/faults", body)
        return RedirectResponse(f"{PREFIX}/inspect?api={api}", 303)

    def _control(self, path: str, body: Any) -> None:
        control = control_for(self.simulator, self.token)
        try:
            control.send(HttpRequest.json("POST", path, body))
        finally:
            control.transport.close()

    # --- guided certification ---

    async def guided_new(self, request: Request) -> Response:
        api = request.query_params.get("api", "")
        api = api if api in self.apis else self.apis[0]
        return self.page(request, "guided_new.html", api=api, choices=self.performed(api))

    async def guided_start(self, request: Request) -> Response:
        fields = request.state.form
        api = fields.get("api")
        api = api if api in self.apis else self.apis[0]
        known = {s.id: s for s in self.performed(str(api))}
        chosen = [known[i] for i in fields.getlist("scenario") if i in known]
        if not chosen:
            return self.page(request, "guided_new.html", 400, api=api, choices=list(known.values()),
                             error="Pick at least one scenario of the api.")
        session = GuidedSession(secrets.token_urlsafe(8), self.simulator, self.token, str(api), chosen,
                                self.origin(request))
        try:
            await run_in_threadpool(session.start)
        except (SetupFailed, TargetError) as exc:
            return self.page(request, "guided_new.html", 500, api=api, choices=list(known.values()),
                             error=f"The starting state could not be applied: {exc}")
        self.sessions[session.id] = session
        while len(self.sessions) > MAX_SESSIONS:  # the oldest goes first (dicts keep insertion order)
            self.sessions.pop(next(iter(self.sessions))).discard()
        return RedirectResponse(f"{PREFIX}/guided/{session.id}", 303)

    def performed(self, api: str) -> list[Scenario]:
        """The use cases a till performs (those with driver actions), as `certify pos` has them."""
        return pos_scenarios(s for s in self.scenarios().values() if s.api == api)

    def session_of(self, request: Request) -> GuidedSession | None:
        return self.sessions.get(request.path_params["sid"])

    async def guided_page(self, request: Request) -> Response:
        session = self.session_of(request)
        if session is None:
            return self.page(request, "missing.html", 404, what="guided session")
        await run_in_threadpool(session.poll)
        return self.page(request, "guided.html", session=session, origin=self.origin(request),
                         report=session.report() if session.finished else None)

    async def guided_events(self, request: Request) -> Response:
        session = self.session_of(request)
        if session is None:
            return Response("no such session", 404, media_type="text/plain")
        return streams.event_stream(streams.guided_events(request, session, streams.resume_point(request)))

    async def guided_act(self, request: Request) -> Response:
        """done (judge now), skip (this step) or finish (the session), then back to its page."""
        session = self.session_of(request)
        act = {"done": "judge_now", "skip": "skip", "finish": "finish"}.get(request.path_params["act"])
        if session is None or act is None:
            return self.page(request, "missing.html", 404, what="guided session")
        if act == "judge_now":
            fields = request.state.form
            codes = {kind: fields.get(f"receipt_{kind}") for kind in session.receipt_kinds()}
            shown = {kind: str(value).strip() for kind, value in codes.items() if value}
            await run_in_threadpool(session.judge_now, {"receipt": shown} if shown else None)
        else:
            await run_in_threadpool(getattr(session, act))
        return RedirectResponse(f"{PREFIX}/guided/{session.id}", 303)

    async def download(self, request: Request) -> Response:
        session = self.session_of(request)
        name = request.path_params["name"]
        if session is None or session.folder is None or name not in DOWNLOADS:
            return Response("not found", 404, media_type="text/plain")
        return FileResponse(str(session.folder / DOWNLOADS[name]), filename=f"{session.api}-guided-{name}")


class WithConsole:
    """One ASGI app: /_ui to the console, everything else (and the lifespan) to the simulator."""

    def __init__(self, simulator: Any, console: Console) -> None:
        self.simulator = simulator
        self.console = console

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] == "http" and (path == PREFIX or path.startswith(PREFIX + "/")):
            if path == PREFIX:
                await RedirectResponse(PREFIX + "/", 307)(scope, receive, send)
                return
            await self.console.app(scope, receive, send)
            return
        await self.simulator(scope, receive, send)


def with_console(simulator: Any, token: str) -> ASGIApp:
    """The simulator app with the console mounted at /_ui, protected by the control token."""
    return WithConsole(simulator, Console(simulator, token))
