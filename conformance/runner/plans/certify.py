"""Run plans against one target, and build a live target: shared by `certify provider`, the demo and the
pytest plugin (which may not import the CLI)."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from conformance.core.errors import TargetError, UsageError
from conformance.core.exchange import HttpRequest
from conformance.loader.specs import spec_for
from conformance.model.result import Finding, Outcome, ScenarioResult
from conformance.runner.plans import PLANS
from conformance.runner.scenarios import Target
from conformance.runner.setup import CommandSetup, ControlSetup, control_url_for
from conformance.transport.live import HttpTransport


def run_plans(api: str, target: Target, plans: Sequence[str], *, seed: int, max_examples: int,
            report_dir: Path | None, on_plan: Callable[[str, list[ScenarioResult], float], None] | None = None,
            ) -> list[ScenarioResult]:
    """Run the plans in order; a plan the target cannot be driven through is one `error` (or, a request
    that timed out, a `fail` finding), never a crash. Shared by the CLI, the demo and the pytest plugin."""
    spec = spec_for(api)
    results: list[ScenarioResult] = []
    for name in plans:
        started = time.perf_counter()
        try:
            got = PLANS[name](api, target, spec, seed=seed, max_examples=max_examples, report_dir=report_dir)
        except TargetError as exc:
            got = [_broken(api, name, str(exc))]
        results += got
        if on_plan:
            on_plan(name, got, time.perf_counter() - started)
    return results


def _broken(api: str, plan: str, message: str) -> ScenarioResult:
    if "timeout" in message.lower() or "timed out" in message.lower():
        finding = Finding("transport.timeout", f"a request took longer than the timeout: {message}",
                          confidence="decided")
        return ScenarioResult(f"{api}.{plan}.timeout", f"plan {plan}: every request is answered in time", api,
                              Outcome.FAIL, setup_findings=(finding,), reason=message)
    return ScenarioResult(f"{api}.{plan}", f"plan {plan}", api, Outcome.ERROR, reason=message)


def live_target(base_url: str, control_url: str | None, token: str | None, command: str | None,
          timeout: float, stack: ExitStack) -> tuple[Target, str]:
    """A live target over HTTP, set up through its control interface or a command; TargetError (exit 3, one
    line) when its base URL does not answer at all."""
    try:
        default_control = control_url_for(base_url)
    except ValueError as exc:
        raise UsageError(f"--base-url: {exc}") from None
    transport = closing(stack, HttpTransport(base_url, timeout=timeout))
    try:
        transport.send(HttpRequest("GET", "/"))
    except TargetError as exc:
        raise TargetError(f"{base_url} is unreachable: {str(exc).split(': ', 1)[-1]}") from None
    if command is not None:
        control = ControlSetup(closing(stack, HttpTransport(control_url, timeout=timeout)), token) \
            if control_url else None
        return Target(transport, CommandSetup(command), control), base_url
    control = ControlSetup(closing(stack, HttpTransport(control_url or default_control, timeout=timeout)), token)
    return Target(transport, control, control), base_url


def closing(stack: ExitStack, transport: Any) -> Any:
    stack.callback(transport.close)
    return transport
