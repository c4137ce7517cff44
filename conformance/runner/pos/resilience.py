"""The resilience plan of `certify pos`: the provider fails the way networks do, and the POS must still
deliver each sale exactly once (issue 17; seed 004's real-time versus queued note).

Each check replays one use case up to its sale, with an outage injected through the control interface's
faults (`status` 503 / 504 for some calls, `drop_after_commit`: committed, then the connection closed):

- `outage-retry`: 503 twice, then the provider is back. The sale is delivered once, every attempt with
  the same reference.
- `gateway-timeout`: 504 (a gateway gave up waiting; nothing committed) once: the same.
- `answer-lost`: the sale is committed and its answer lost. A resend must carry the same reference, so
  the provider refuses it as a duplicate and awards once. Only where the POS sends a reference the
  provider keys on (CRM.COM REST `reference_number`, Antavo `transaction_id`); elsewhere the documents give a
  POS no safe way to resend a lost sale (UNKEYED), so the check is skipped there, with that reason.
- `queued`: the provider answers 503 to the sale for the whole action; once it is back, the next action
  (a balance check) must find the sale delivered, once: queued and resent.
- `client-error`: a 400 to the sale is shown to the cashier, not resent unchanged.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from conformance.core.errors import TargetError
from conformance.core.exchange import HttpRequest
from conformance.model.result import Finding, Outcome, ScenarioResult, StepResult, Verdict, worst
from conformance.model.scenario import Scenario, Step
from conformance.model.spec import ApiSpec
from conformance.model.template import MISSING, dig
from conformance.runner.pos import wire
from conformance.runner.pos.drivers import Driver
from conformance.runner.pos.judge import REFERENCE_FIELDS
from conformance.runner.pos.session import PosTarget, Session, evidence_of
from conformance.runner.redaction import redact_finding

DELIVERIES: dict[str, tuple[str, str, str]] = {
    # api: (scenario, its sale step, the operation that delivers the sale)
    "ackroo": ("ackroo.uc01-cash-credit", "credit", "loyaltyCreditMulti"),
    "crmcom-webapi": ("crmcom-webapi.five-step-flow", "preview", "webApiPurchaseCreate"),
    "crmcom": ("crmcom.back-end-purchase", "purchase", "crmPurchaseCreate"),
    "antavo": ("antavo.partial-refund", "checkout", "antavoPostEvent"),
}
"""The use case each api's resilience checks replay: a plain sale, delivered by one request."""

UNKEYED = {
    "ackroo": "Ackroo's documents give a POS no reference the provider keys on, so no way to resend a lost sale "
              "safely: nothing to hold a POS to",
    "crmcom-webapi": "the Web API refuses a repeated reference_number but documents no way to read a purchase "
                     "back by it, so a POS cannot finish (spend, close out) a sale whose answer was lost: nothing "
                     "to hold a POS to",
}
"""Apis whose documents give a POS no safe way to resend a sale whose answer was lost (why `answer-lost` skips)."""


@dataclass(frozen=True)
class Outage:
    check: str
    title: str
    faults: tuple[Mapping[str, Any], ...]
    until_next_action: bool = False
    """The outage lasts the whole sale action and ends before a follow-up balance check."""


def _outages(operation: str) -> list[Outage]:
    return [
        Outage("outage-retry", "503 twice during a sale: delivered once, same reference on every attempt",
               ({"kind": "status", "status": 503, "operation": operation, "count": 2},)),
        Outage("gateway-timeout", "504 (gateway timeout) once during a sale: delivered once, same reference",
               ({"kind": "status", "status": 504, "operation": operation, "count": 1},)),
        Outage("answer-lost", "the sale committed and its answer lost: a resend keeps the reference, awarded once",
               ({"kind": "drop_after_commit", "operation": operation, "count": 1},)),
        Outage("queued", "the provider down for the whole sale: queued and delivered once it is back",
               ({"kind": "status", "status": 503, "operation": operation},), until_next_action=True),
        Outage("client-error", "a 400 to the sale is shown to the cashier and not resent unchanged",
               ({"kind": "status", "status": 400, "operation": operation, "count": 1},)),
    ]


def resilience(api: str, scenarios: Sequence[Scenario], spec: ApiSpec, target: PosTarget,
               driver: Driver) -> list[ScenarioResult]:
    """One result per outage check, id `<api>.pos.resilience.<check>`."""
    scenario_id, step_id, operation = DELIVERIES[api]
    by_id = {scenario.id: scenario for scenario in scenarios}
    results = []
    for outage in _outages(operation):
        result_id = f"{api}.pos.resilience.{outage.check}"
        scenario = by_id.get(scenario_id)
        if scenario is None:
            results.append(ScenarioResult(result_id, outage.title, api, Outcome.SKIP,
                                          reason=f"its use case {scenario_id} is not in this run"))
        elif outage.check == "answer-lost" and api in UNKEYED:
            results.append(ScenarioResult(result_id, outage.title, api, Outcome.SKIP, reason=UNKEYED[api]))
        else:
            results.append(_check(result_id, outage, scenario, spec, target, driver, step_id, operation))
    return results


def _set_faults(target: PosTarget, api: str, faults: Sequence[Mapping[str, Any]]) -> None:
    response = target.control.send(HttpRequest.json("POST", "/faults", {"api": api, "faults": list(faults)}))
    if response.status >= 300:
        raise TargetError(f"POST /_control/faults answered {response.status}: {response.text[:200]}")


def _check(result_id: str, outage: Outage, scenario: Scenario, spec: ApiSpec, target: PosTarget, driver: Driver,
           step_id: str, operation: str) -> ScenarioResult:
    started = time.perf_counter()
    session = Session(scenario, spec, target, driver)

    def inject(step: Step) -> None:
        if step.id == step_id:
            _set_faults(target, scenario.api, outage.faults)

    try:
        played = session.run(until=step_id, before=inject)
    finally:
        _set_faults(target, scenario.api, [])
    if played.outcome is Outcome.ERROR or session.last is None or session.last.step.id != step_id:
        return ScenarioResult(result_id, outage.title, scenario.api, Outcome.ERROR, scenario.requirements,
                              played.steps, reason=played.reason or "the use case did not reach its sale")
    performed = session.last
    sent = list(performed.sent)
    verdicts: list[Verdict] = []
    if outage.until_next_action:
        customer = performed.action.get("customer") or {}
        follow_up = {"action": "identify" if scenario.api in ("crmcom", "antavo") else "balance",
                     **({"medium": customer.get("medium")} if scenario.api in ("crmcom", "antavo")
                        else {"customer": customer})}
        session.perform(follow_up)
        sent += session.exchanges()
    judge = _Verdicts(result_id, scenario, performed.step, verdicts)
    ours = [e for e in sent if e.get("operation_id") == operation]
    taken = [e for e in ours if wire.committed(scenario.api, e)]
    if outage.check == "client-error":
        judge.expect(len(ours) <= 1 or _changed(ours), "pos.retry-4xx", "the refused sale was not resent unchanged",
                     f"the POS resent the refused {operation} unchanged {len(ours) - 1} time(s)", 1, len(ours))
        reported = performed.reply.result
        if reported is not None:
            judge.expect(reported.get("ok") is False, "pos.error-shown", "the till showed the refusal",
                         "the provider refused the sale with 400 but the till did not show an error",
                         {"ok": False}, dict(reported))
    else:
        check = "pos.queued" if outage.until_next_action else "pos.sent"
        judge.expect(len(taken) >= 1, check, "the sale was delivered", f"the sale ({operation}) never reached the "
                     "provider" + (" after the outage ended" if outage.until_next_action else ""), 1, 0)
        judge.expect(len(taken) <= 1, "pos.once", "the sale was delivered once",
                     f"the provider took {operation} {len(taken)} times: the customer was awarded twice", 1,
                     len(taken))
        references = _references(scenario.api, ours)
        judge.expect(len(references) <= 1, "pos.reference", "every attempt carried the same reference",
                     f"attempts carried different references: {sorted(references)}", 1, sorted(references))
    outcome = worst(Outcome.PASS if v.passed else Outcome.FAIL for v in verdicts)
    evidence = session.last.sent[-1] if session.last and session.last.sent else None
    step = StepResult(step_id, outage.title, outcome, tuple(verdicts), evidence_of(evidence) if evidence else None,
                      duration_ms=(time.perf_counter() - started) * 1000)
    return ScenarioResult(result_id, outage.title, scenario.api, outcome, scenario.requirements, (step,),
                          duration_ms=(time.perf_counter() - started) * 1000)


def _changed(entries: list[Mapping[str, Any]]) -> bool:
    bodies = [repr(wire.request_body(e)) for e in entries]
    return len(set(bodies)) == len(bodies)


def _references(api: str, entries: list[Mapping[str, Any]]) -> set[str]:
    name = REFERENCE_FIELDS.get(api)
    if name is None:
        return set()
    found = set()
    for entry in entries:
        body = wire.request_body(entry)
        value = dig(body, name) if isinstance(body, Mapping) else MISSING
        if value is not MISSING:
            found.add(str(value))
    return found


@dataclass
class _Verdicts:
    result_id: str
    scenario: Scenario
    step: Step
    verdicts: list[Verdict]

    def expect(self, holds: bool, check: str, label: str, message: str, expected: Any, actual: Any) -> None:
        cashier = self.step.pos.cashier.strip() if self.step.pos else self.step.title
        finding = None if holds else Finding(check, f"{self.result_id}, step {self.step.id}: {message} (cashier: "
                                                    f"{cashier!r})", expected=expected, actual=actual,
                                             step_id=self.step.id, requirements=self.scenario.requirements)
        self.verdicts.append(Verdict(label, redact_finding(finding) if finding else None))

