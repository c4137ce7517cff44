"""A scripted till for the console's tests: sends a scenario's requests over real HTTP as a correct POS would."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import httpx

from conformance.console.guided import GuidedSession
from conformance.core import jsonio
from conformance.loader.specs import spec_for
from conformance.model.scenario import Scenario, Step, thaw
from conformance.model.template import MISSING, dig
from conformance.runner.auth import SigningClock, authenticate
from conformance.runner.build import build_request, credential_of


def _frozen(scenario: Scenario) -> datetime | None:
    """The instant the scenario freezes the provider's clock at (signatures must be dated by it)."""
    clock = scenario.clock or {}
    if "set" not in clock:
        return None
    at = datetime.fromisoformat(str(clock["set"]).replace("Z", "+00:00"))
    return at + timedelta(seconds=float(clock.get("advance_seconds", 0)))


class Till:
    """Plays the provider steps of one scenario in order, keeping the captures a real POS would keep.

    `client` reaches the simulator's origin (httpx over loopback, or Starlette's TestClient in-process);
    `learned` holds values a person at the till would be told (captures of the console's /_control steps);
    the console's sessions run the provider on the wall clock, so the till signs with it (`real_clock`)."""

    def __init__(self, scenario: Scenario, base_url: str, client: httpx.Client | None = None,
                 learned: dict[str, Any] | None = None, real_clock: bool = True) -> None:
        self.scenario = scenario
        self.base_url = base_url
        self.client = client or httpx.Client(timeout=10)
        self.given: dict[str, Any] = thaw(scenario.given)
        self.captures: dict[str, Any] = {}
        self.learned = learned if learned is not None else {}
        self.clock = SigningClock(None if real_clock else _frozen(scenario))

    def resolve(self, name: str) -> Any:
        root, _, rest = name.partition(".")
        value = self.given if root == "given" else {**self.learned, **self.captures}[root]
        return dig(value, rest) if rest else value

    def play(self, step: Step, **body_changes: Any) -> httpx.Response:
        request = build_request(step, spec_for(self.scenario.api).operation(step.operation), self.resolve)
        if body_changes:
            body = {**httpx.Response(200, content=request.body).json(), **body_changes}
            request = type(request).json(request.method, request.path, body, request.headers)
        request = authenticate(self.scenario.api, request, credential_of(step, self.given, self.resolve),
                               self.base_url, self.clock.next())
        response = self.client.request(request.method, self.base_url + request.path, headers=dict(request.headers),
                                       content=request.body or None)
        for name, path in step.capture.items():
            value = dig(jsonio.loads(response.content) if response.content else None, path)
            if value is not MISSING:
                self.captures[name] = value
        return response

    def steps(self) -> list[Step]:
        return [step for step in self.scenario.steps if not step.control]


def play_guided(session: GuidedSession, base_url: str, client: httpx.Client | None = None,
                wrong: Mapping[str, Mapping[str, Any]] | None = None, **changes: Any) -> None:
    """Play a guided session to its end as a correct till would (or one that sends `changes` in its bodies,
    or `wrong[scenario id]` in the bodies of that scenario)."""
    tills: dict[str, Till] = {}
    while not session.finished and (steps := session.till_steps()):
        scenario = session.scenario
        assert scenario is not None
        till = tills.setdefault(scenario.id, Till(scenario, base_url, client, learned=session.captures))
        till.learned.update(session.captures)
        before = len(session.judged)
        for step in steps:
            if not step.control:
                till.play(step, **{**changes, **(wrong or {}).get(scenario.id, {})})
        session.poll()
        if len(session.judged) == before and session.till_steps() == steps:
            action = steps[0].pos.action if steps[0].pos else {}
            receipt = thaw(action.get("receipt")) if action.get("receipt") else None
            session.judge_now({"receipt": receipt} if receipt else None)  # the person reads the receipt in
    session.finish()
