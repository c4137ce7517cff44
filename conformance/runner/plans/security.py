"""Plan `security`: every operation a scenario authenticates refuses a missing and a wrong credential (and,
where the spec scopes credentials, one of another merchant), no error leaks a stack trace, and Antavo
refuses unsigned, tampered, stale, wrong-secret and replayed requests.

Probes are sent in the middle of a scenario's walk (its `given` applied, its captures so far filled in),
so the request is otherwise one the target accepts; a refused probe must change nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

from conformance.core import escher, jsonio
from conformance.core.exchange import Exchange, HttpRequest
from conformance.loader.scenarios import load_scenarios
from conformance.model.result import ScenarioResult
from conformance.model.spec import ApiSpec
from conformance.runner.auth import authenticate
from conformance.runner.build import build_request
from conformance.runner.plans.common import CheckLog, Walk, first_scenarios, leaks, refused, requirements_of
from conformance.runner.plans.credential_scope import other_merchant_check
from conformance.runner.scenarios import Target

WRONG = "conformance-wrong-"


def wrong_credential(credential: Mapping[str, Any]) -> dict[str, Any]:
    """The same credential with every secret-bearing value altered (token, api key, secret, password)."""
    return {key: (WRONG + str(value) if key in ("token", "api_key", "secret", "password") else value)
            for key, value in credential.items()}


def security_checks(api: str, target: Target, spec: ApiSpec, *, seed: int = 0, max_examples: int = 0,
                    report_dir: Path | None = None) -> list[ScenarioResult]:
    missing = CheckLog(api, "security.missing-credentials", "every operation refuses a request without credentials")
    wrong = CheckLog(api, "security.wrong-credentials", "every operation refuses a wrong credential")
    trace = CheckLog(api, "security.no-stack-trace", "no error response shows a stack trace")
    escher_logs = _escher_logs(api)
    authenticated = {op.operation_id for op in spec.operations
                     if spec.document["paths"].get(op.path, {}).get(op.method, {}).get("security", [{}]) != []}
    if api == "crmcom-webapi":  # its methods carry the token in the body (x-auth: body-token)
        authenticated = {op.operation_id for op in spec.operations
                         if (spec.document["paths"].get(op.path, {}).get(op.method, {}).get("x-auth") == "body-token")}
    scenarios = load_scenarios(api)
    pairs = first_scenarios(scenarios.values(),
                            lambda s: s.operation in authenticated and s.request.auth is None and s.expect.status < 300)
    for scenario, chosen in pairs:
        walk = Walk(scenario, spec, target)
        walk.start()
        for step in walk.steps():
            if step is chosen:
                _probe(walk, step, missing, wrong, trace, spec)
                if escher_logs and step.request.body is not None:
                    _escher(walk, step, escher_logs, trace)
                break
            walk.play(step)
    scope = other_merchant_check(api, spec, target, scenarios.values())
    return [log.result() for log in (missing, wrong, trace, *escher_logs.values())] + scope


def _probe(walk: Walk, step: Any, missing: CheckLog, wrong: CheckLog, trace: CheckLog, spec: ApiSpec) -> None:
    api = walk.scenario.api
    own = walk.credential(step)
    for log, credential in ((missing, None), (wrong, wrong_credential(own) if own else None)):
        if log is wrong and credential is None:
            continue
        log.requirements |= requirements_of(spec, step.operation)
        request = walk.request(step, credential if credential is not None else False)
        if request is None:
            continue
        if api == "crmcom-webapi":  # the token lives in the body: take it out, or spoil it
            request = _body_token(request, None if credential is None else WRONG)
        response = walk.send(request)
        exchange = Exchange(request, response, step.operation)
        label = f"{step.operation} ({walk.scenario.id}, step {step.id})"
        if refused(api, response):
            log.passed(label, step.operation)
        else:
            how = "without a" if credential is None else "with a wrong"
            log.failed(label, f"{step.operation} accepted a request {how}"
                       f" credential (HTTP {response.status})", exchange=exchange, step_id=step.operation,
                       expected="refused (401/403, or the api's documented refusal)", actual=response.status,
                       confidence="documented")
        _leak(trace, label, exchange, step.operation)


def _leak(trace: CheckLog, label: str, exchange: Exchange, operation: str) -> None:
    marker = leaks(exchange.response)
    if marker:
        trace.failed(label, f"{operation}: the response shows a stack trace ({marker!r})", exchange=exchange,
                     step_id=operation, actual=marker, confidence="decided")
    else:
        trace.passed(label, operation)


def _body_token(request: HttpRequest, prefix: str | None) -> HttpRequest:
    """The Web API request with its body token removed (None) or spoilt (a prefix added)."""
    payload = jsonio.loads(request.body) if request.body else None
    if isinstance(payload, dict) and "token" in payload:
        payload = {k: v for k, v in payload.items() if k != "token"}
        if prefix is not None:
            payload["token"] = prefix + str(jsonio.loads(request.body or b"{}")["token"])
        return HttpRequest.json(request.method, request.path, payload,
                                {k: v for k, v in request.headers.items() if k.lower() != "content-type"})
    return request


ESCHER_CHECKS = {
    "security.escher-unsigned": "a key-only request (no signature) is refused under enforcement",
    "security.escher-tampered": "a request whose body changed after signing is refused",
    "security.escher-stale": "a signature dated outside the window is refused",
    "security.escher-wrong-secret": "a signature made with another secret is refused",
    "security.escher-replay": "the same signed request sent twice is refused the second time",
}


def _escher_logs(api: str) -> dict[str, CheckLog]:
    if api != "antavo":
        return {}
    return {check: CheckLog(api, check, title) for check, title in ESCHER_CHECKS.items()}


def _escher(walk: Walk, step: Any, logs: dict[str, CheckLog], trace: CheckLog) -> None:
    credential = walk.credential(step)
    if not credential or not credential.get("secret"):
        return
    base = build_request(step, walk.spec.operation(step.operation), walk.context.resolve)
    url = walk.target.transport.base_url
    now = walk.context.clock.next()
    signed = authenticate("antavo", base, credential, url, now)
    variants: dict[str, list[HttpRequest]] = {
        "security.escher-unsigned": [authenticate("antavo", base, {**credential, "secret": ""}, url, now)],
        "security.escher-tampered": [HttpRequest(signed.method, signed.path, dict(signed.headers),
                                                 (signed.body or b"") + b" ")],
        "security.escher-stale": [authenticate("antavo", base, credential, url,
                                               now - timedelta(seconds=4 * escher.WINDOW_SECONDS))],
        "security.escher-wrong-secret": [authenticate("antavo", base, {**credential, "secret":
                                                                    WRONG + str(credential["secret"])}, url, now)],
    }
    label = f"{step.operation} ({walk.scenario.id}, step {step.id})"
    for check, requests in variants.items():
        for request in requests:
            response = walk.send(request)
            exchange = Exchange(request, response, step.operation)
            if refused("antavo", response):
                logs[check].passed(label, step.operation)
            else:
                logs[check].failed(label, f"{ESCHER_CHECKS[check]}, but HTTP {response.status} came back",
                                   exchange=exchange, step_id=step.operation, expected="401 or 403",
                                   actual=response.status, confidence="documented")
            _leak(trace, label, exchange, step.operation)
    _replay(walk, step, logs["security.escher-replay"], label)


def _replay(walk: Walk, step: Any, log: CheckLog, label: str) -> None:
    """Replay a read (a customer lookup when the scenario has one, so nothing is earned twice)."""
    read = next((s for s in walk.scenario.steps if not s.control and s.request.body is None
                 and s.request.auth is None), None)
    request = walk.request(read) if read is not None else None
    if read is None or request is None:
        log.skipped = "the scenario has no read to replay"
        return
    first = walk.send(request)
    second = walk.send(request)
    if refused("antavo", first):
        log.skipped = f"the read itself was refused (HTTP {first.status})"
        return
    exchange = Exchange(request, second, read.operation)
    if refused("antavo", second):
        log.passed(label, read.operation)
    else:
        log.failed(label, f"a replayed signature was accepted (HTTP {second.status})", exchange=exchange,
                   step_id=read.operation, expected="401", actual=second.status, confidence="decided")
