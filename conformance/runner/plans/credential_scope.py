"""Security check `security.other-merchant`: a valid credential of another merchant reaches none of this
merchant's cards, where the spec declares a credential scope (`x-credential-scope` on a security scheme;
Ackroo). The finding carries that scope's `x-confidence` (inferred: a warning unless --strict)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

from conformance.core.exchange import Exchange, HttpRequest
from conformance.model.result import ScenarioResult
from conformance.model.scenario import Scenario, Step, freeze, thaw
from conformance.model.spec import ApiSpec
from conformance.runner.plans.common import CheckLog, Walk, first_scenarios, refused, requirements_of
from conformance.runner.plans.robustness import balance_of
from conformance.runner.scenarios import Target

OTHER = "conformance-other-merchant"
SECRET_KEYS = ("token", "api_key", "secret", "password")
DEVICE_KEYS = ("device_id",)


def credential_scope(spec: ApiSpec) -> Mapping[str, Any] | None:
    schemes = spec.document.get("components", {}).get("securitySchemes", {})
    return next((s["x-credential-scope"] for s in schemes.values()
                 if isinstance(s, Mapping) and isinstance(s.get("x-credential-scope"), Mapping)), None)


def other_merchant_check(api: str, spec: ApiSpec, target: Target,
                         scenarios: Iterable[Scenario]) -> list[ScenarioResult]:
    """The check's result, or none when the spec declares no credential scope."""
    scope = credential_scope(spec)
    if scope is None:
        return []
    log = CheckLog(api, "security.other-merchant", "a valid credential of another merchant reaches none of this "
                   "merchant's cards")
    confidence = str(scope.get("x-confidence", "documented"))
    wanted = [(s, step) for s, step in first_scenarios(scenarios, _on_a_card)
              if s.given.get("credentials") and step.request.auth is None]
    for scenario, chosen in wanted:
        own = dict(scenario.given["credentials"][0])
        other = {k: (f"{OTHER}-{v}" if k in SECRET_KEYS else _another(str(v)) if k in DEVICE_KEYS else v)
                 for k, v in own.items()}
        other["merchant"] = OTHER
        given = {**thaw(scenario.given), "credentials": [*thaw(scenario.given["credentials"]), other]}
        walk = Walk(replace(scenario, given=freeze(given)), spec, target)
        walk.start()
        for step in walk.steps():
            if step is chosen:
                _probe(walk, step, own, other, log, spec, confidence)
                break
            walk.play(step)
    return [log.result()]


def _another(device: str) -> str:
    """Another device id of the same shape (a terminal id may have a documented pattern)."""
    flipped = device[::-1]
    return flipped if flipped != device else device[:-1] + ("0" if device[-1:] != "0" else "1")


def _on_a_card(step: Step) -> bool:
    body = step.request.body
    return step.expect.status < 300 and ("cardnumber" in step.request.query
                                         or (isinstance(body, Mapping) and "cardnumber" in body))


def _probe(walk: Walk, step: Step, own: Mapping[str, Any], other: Mapping[str, Any], log: CheckLog,
           spec: ApiSpec, confidence: str) -> None:
    log.requirements |= requirements_of(spec, step.operation)
    request = walk.request(step, other)
    if request is None:
        return
    request = _as_device_of(request, own, other)
    before = balance_of(walk)
    response = walk.send(request)
    exchange = Exchange(request, response, step.operation)
    label = f"{step.operation} ({walk.scenario.id}, step {step.id})"
    if not refused(walk.scenario.api, response):
        log.failed(label, f"{step.operation} served a credential of another merchant (HTTP {response.status})",
                   exchange=exchange, step_id=step.operation, expected="refused (404: another merchant's card is "
                   "unknown to it)", actual=response.status, confidence=confidence)
    elif balance_of(walk) != before:
        log.failed(label, f"{step.operation} refused another merchant's credential but the balance moved",
                   exchange=exchange, step_id=step.operation, confidence=confidence)
    else:
        log.passed(label, step.operation)


def _as_device_of(request: HttpRequest, own: Mapping[str, Any], other: Mapping[str, Any]) -> HttpRequest:
    """The request as the other merchant's own terminal sends it (its device id, not ours)."""
    for key in DEVICE_KEYS:
        if key in own:
            old, new = str(own[key]), str(other[key])
            request = replace(request, path=request.path.replace(old, new),
                              body=request.body.replace(old.encode(), new.encode()) if request.body else request.body)
    return request
