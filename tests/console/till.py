"""A scripted till for the console's tests: sends a scenario's requests over real HTTP as a correct POS would."""

from __future__ import annotations

from typing import Any

import httpx

from conformance.loader.specs import spec_for
from conformance.model.scenario import Scenario, Step, thaw
from conformance.model.template import MISSING, dig
from conformance.runner.auth import SigningClock, authenticate
from conformance.runner.build import build_request, credential_of


class Till:
    """Plays the provider steps of one scenario in order, keeping the captures a real POS would keep."""

    def __init__(self, scenario: Scenario, base_url: str) -> None:
        self.scenario = scenario
        self.base_url = base_url
        self.given: dict[str, Any] = thaw(scenario.given)
        self.captures: dict[str, Any] = {}
        self.clock = SigningClock()

    def resolve(self, name: str) -> Any:
        root, _, rest = name.partition(".")
        value = self.given if root == "given" else self.captures[root]
        return dig(value, rest) if rest else value

    def play(self, step: Step, **body_changes: Any) -> httpx.Response:
        request = build_request(step, spec_for(self.scenario.api).operation(step.operation), self.resolve)
        if body_changes:
            body = {**httpx.Response(200, content=request.body).json(), **body_changes}
            request = type(request).json(request.method, request.path, body, request.headers)
        request = authenticate(self.scenario.api, request, credential_of(step, self.given, self.resolve),
                               self.base_url, self.clock.next())
        response = httpx.request(request.method, self.base_url + request.path, headers=dict(request.headers),
                                 content=request.body or None, timeout=10)
        for name, path in step.capture.items():
            value = dig(response.json(), path)
            if value is not MISSING:
                self.captures[name] = value
        return response

    def steps(self) -> list[Step]:
        return [step for step in self.scenario.steps if not step.control]
