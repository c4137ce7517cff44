"""The one place the console judges what a till sent, so that the POS-certification judge swaps in here alone.

Until `conformance.runner.pos.judge` lands, a request is judged the way the runner judges a step: the
right operation, the scenario's request fields (templates filled in from `given` and earlier captures,
money as Decimal), then the answer against the step's `expect` block. Both sides are compared redacted,
as the exchange log holds them (card numbers cut to their last four digits).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from conformance.core.redact import redact
from conformance.model.result import Finding
from conformance.model.scenario import Scenario, Step
from conformance.model.template import MISSING, render
from conformance.runner.expectations import judge, same, show

Resolve = Callable[[str], Any]


def judge_exchange(scenario: Scenario, step: Step, exchange: Mapping[str, Any],
                   resolve: Resolve) -> tuple[Finding, ...]:
    """Findings against one exchange-log entry (the shape `GET /_control/exchanges` serves); empty = pass."""
    requirements = scenario.requirements
    operation = exchange.get("operation_id")
    if operation != step.operation:
        sent = f"{exchange['request']['method']} {exchange['request']['path']}"
        return (Finding("operation", f"step {step.id}: expected {step.operation}, the till sent {sent} "
                        f"({operation or 'no operation'})",
                        expected=step.operation, actual=operation, step_id=step.id, requirements=requirements),)
    findings = list(_request_findings(scenario, step, exchange["request"].get("body"), resolve))
    response = exchange["response"]
    try:
        expected_body = redact(render(step.expect.body, resolve))
    except LookupError:
        expected_body = {}
    for verdict in judge(api=scenario.api, step_id=step.id, status=response["status"], body=response.get("body"),
                         expected_status=step.expect.status, expected_body=expected_body,
                         expected_error=step.expect.error, requirements=requirements):
        if verdict.finding is not None:
            findings.append(verdict.finding)
    return tuple(findings)


def _request_findings(scenario: Scenario, step: Step, sent: Any, resolve: Resolve) -> list[Finding]:
    """Each top-level field the scenario's request names that the till sent otherwise (or not at all)."""
    template = step.request.body
    if not isinstance(template, Mapping) or not isinstance(sent, Mapping):
        return []
    rendered = {}
    for key, value in template.items():
        try:
            rendered[key] = render(value, resolve)
        except LookupError:  # names a capture no step has got: not judged
            continue
    expected_fields = redact(rendered)  # whole, as the log redacted the whole body (an OAuth `code` is masked)
    findings = []
    for key, expected in expected_fields.items():
        actual = sent.get(key, MISSING)
        if not same(expected, actual):
            findings.append(Finding("request", f"step {step.id}: request {key}: expected {show(expected)}, "
                                    f"sent {show(actual)}", expected=expected,
                                    actual=None if actual is MISSING else actual, step_id=step.id,
                                    requirements=scenario.requirements, field=key))
    return findings
