"""Plan `robustness`: malformed input never yields a 5xx or a hang and changes no balance; concurrent
partial debits never overdraw; one submission sent concurrently is accepted once; one reversal sent
concurrently takes effect once (DESIGN sections 7 and 10 pin all four, so their findings bind).

Every probe is a variant of a documented scenario step, sent in the middle of that scenario's walk.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from conformance.core.errors import TargetError
from conformance.core.exchange import Exchange, HttpRequest, HttpResponse
from conformance.loader.scenarios import load_scenarios
from conformance.model.result import ScenarioResult
from conformance.model.scenario import Step, freeze, thaw
from conformance.model.spec import ApiSpec
from conformance.model.template import dig
from conformance.runner.plans.common import CheckLog, Walk, body_json, first_scenarios, refused, requirements_of
from conformance.runner.scenarios import Target

BALANCE_READS = {"ackroo": "cardBalanceQuery", "crmcom-webapi": "webApiRewardsParticipantShow",
                 "crmcom": "crmContactWalletGet", "antavo": "antavoGetCustomer"}
"""The read whose answer must not move when a malformed request is refused."""

CONCURRENCY = 6



@dataclass(frozen=True)
class Debit:
    """A scenario step that takes money or points, sent concurrently: where the balance, the amount taken
    and the amount asked are, and whether a copy may be refused (a full debit, or nothing left to spend)."""

    scenario: str
    step: str
    balance: str
    taken: str
    asked: str = "amount"
    refusable: bool = False
    awarded: str | None = None
    """Where an answer says what it awarded as well (a purchase with a spend): the drop is spent - awarded."""
    unique: tuple[str, ...] = ()
    """Body fields each copy makes its own (a purchase's id and reference number), so none is a resubmission."""


CONCURRENT_DEBITS = {
    "ackroo": [Debit("ackroo.uc11-gift-partial-debit", "redeem", "gc_balance", "amount_redeemed"),
               Debit("ackroo.uc09-loyalty-partial-debit", "redeem", "el_balance", "amount_redeemed")],
    "crmcom": [Debit("crmcom.back-end-purchase-spend", "purchase", "balance", "total_spend_amount",
                     "spend_request.amount", awarded="total_award_amount", unique=("id", "reference_number"))],
    "crmcom-webapi": [Debit("crmcom-webapi.five-step-flow", "spend", "data.wallet.balance",
                            "data.spend_reward_transaction.total_amount", "spend_amount", refusable=True)],
    "antavo": [Debit("antavo.neg-burn-above-balance", "spend-101-of-100", "spendable", "events.0.points",
                     "data.points", refusable=True)],
}
"""Concurrent debits per api (DESIGN 7 and 10): never overdraw; what the answers took (less what they awarded)
is the balance's drop."""
GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
CONCURRENT_ONCE = {
    "ackroo": [("ackroo.uc12-gift-reversal", "reverse-load")],
    "crmcom-webapi": [("crmcom-webapi.neg-duplicate-reference", "create")],
    "crmcom": [("crmcom.neg-duplicate-reference", "purchase"), ("crmcom.void-purchase", "cancel")],
    "antavo": [("antavo.neg-duplicate-transaction", "checkout")],
}


def _deep(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def _variants(body: Any) -> dict[str, bytes]:
    """Malformed copies of a JSON body: each one breaks what the documents promise to refuse."""
    out = {"bad JSON": b'{"truncated": ', "deep nesting": _deep(5000), "not an object": b"[1, 2, 3]"}
    if isinstance(body, dict) and body:
        out["wrong types"] = json.dumps({k: ([v] if isinstance(v, str) else "x") for k, v in body.items()}).encode()
        out["huge numbers"] = json.dumps(body).encode()
        texts = {k: v for k, v in body.items() if isinstance(v, str)}
        for key in texts:
            out["huge numbers"] = json.dumps({**body, key: "9" * 400}).encode().replace(
                b'"' + b"9" * 400 + b'"', b"9" * 400)
            out["NUL"] = json.dumps({**body, key: "a\u0000b"}).encode()
            out["1 MB string"] = json.dumps({**body, key: "x" * (1 << 20)}).encode()
            break
    return out


def robustness_checks(api: str, target: Target, spec: ApiSpec, *, seed: int = 0, max_examples: int = 0,
                      report_dir: Path | None = None) -> list[ScenarioResult]:
    scenarios = load_scenarios(api)
    malformed = CheckLog(api, "robust.malformed", "malformed input: never a 5xx or a hang, no balance moves")
    overdraw = CheckLog(api, "robust.overdraw", "concurrent partial debits never overdraw")
    once = CheckLog(api, "robust.once", "one submission or reversal sent concurrently takes effect once")
    writes = first_scenarios(scenarios.values(), lambda s: isinstance(s.request.body, Mapping)
                             and s.expect.status < 300 and s.request.auth is None)
    for scenario, chosen in writes:
        walk = Walk(scenario, spec, target)
        walk.start()
        for step in walk.steps():
            if step is chosen:
                _malformed(walk, step, malformed, spec)
                break
            walk.play(step)
    for debit in CONCURRENT_DEBITS.get(api, ()):
        if debit.scenario in scenarios:
            _concurrent_debit(Walk(scenarios[debit.scenario], spec, target), debit, overdraw, spec)
    for scenario_id, step_id in CONCURRENT_ONCE.get(api, ()):
        if scenario_id in scenarios:
            _concurrent_once(Walk(scenarios[scenario_id], spec, target), step_id, once, spec)
    if not CONCURRENT_DEBITS.get(api):
        overdraw.skipped = f"{api}: no concurrent debit is probed"
    return [malformed.result(), overdraw.result(), once.result()]


def balance_of(walk: Walk) -> Any:
    """The body of the scenario's balance read right now (None when the scenario has none)."""
    read = next((s for s in walk.scenario.steps if s.operation == BALANCE_READS[walk.scenario.api]), None)
    request = walk.request(read) if read is not None else None
    return body_json(walk.send(request)) if request is not None else None


def _malformed(walk: Walk, step: Step, log: CheckLog, spec: ApiSpec) -> None:
    log.requirements |= requirements_of(spec, step.operation)
    request = walk.request(step)
    if request is None or request.body is None:
        return
    body = json.loads(request.body)
    for name, raw in _variants(body).items():
        before = balance_of(walk)
        variant = replace(request, body=raw)
        label = f"{step.operation}: {name}"
        try:
            response = walk.send(variant)
        except TargetError as exc:
            log.failed(label, f"{step.operation} with {name}: no answer ({exc})", step_id=step.operation,
                       expected="a 4xx answer", actual="no answer")
            continue
        exchange = Exchange(_clipped(variant), response, step.operation)
        if response.status >= 500:
            log.failed(label, f"{step.operation} with {name}: HTTP {response.status}", exchange=exchange,
                       step_id=step.operation, expected="the documented refusal, never a 5xx",
                       actual=response.status)
            continue
        after = balance_of(walk)
        if refused(walk.scenario.api, response) and before != after:
            log.failed(label, f"{step.operation} with {name} was refused but the balance moved",
                       exchange=exchange, step_id=step.operation, expected=before, actual=after)
            continue
        log.passed(label, step.operation)


def _clipped(request: HttpRequest) -> HttpRequest:
    body = request.body or b""
    return replace(request, body=body if len(body) <= 600 else body[:600] + b"...")


def _until(walk: Walk, step_id: str) -> Step | None:
    """Start the walk and play its steps up to (not including) `step_id`."""
    walk.start()
    for step in walk.steps():
        if step.id == step_id:
            return step
        walk.play(step)
    return None


def _half(balance: Decimal | None) -> Decimal | None:
    """Each concurrent debit asks half the balance, so that together they ask three times what it holds
    (points stay whole)."""
    if balance is None or balance <= 0:
        return None
    return (balance / 2).quantize(Decimal(1) if balance == balance.to_integral_value() else Decimal("0.01"))


def _concurrently(walk: Walk, step: Step, amount: Decimal | None = None, asked: str = "amount",
                  unique: tuple[str, ...] = ()) -> list[tuple[HttpRequest, HttpResponse]]:
    if amount is not None:  # before signing: Antavo's signature covers the body
        step = _asking(step, asked, amount)
    copies = [_own(step, unique, index) for index in range(CONCURRENCY)]
    requests = [r for r in (walk.request(copy) for copy in copies) if r is not None]

    def send(request: HttpRequest) -> tuple[HttpRequest, HttpResponse]:
        return request, walk.send(request)

    with ThreadPoolExecutor(CONCURRENCY) as pool:
        return list(pool.map(send, requests))


def _own(step: Step, fields: tuple[str, ...], index: int) -> Step:
    """Copy `index` of the step, with its own value of each of `fields` (a GUID keeps its shape)."""
    body = thaw(step.request.body)
    if not fields or not isinstance(body, dict):
        return step
    for name in fields:
        value = body.get(name)
        if isinstance(value, str):
            body[name] = value[:-2] + f"{index:02x}" if GUID.match(value) else f"{value}-c{index}"
    return replace(step, request=replace(step.request, body=freeze(body)))


def _asking(step: Step, path: str, amount: Decimal) -> Step:
    """The step asking `amount` at the dotted `path` of its body, written as the original value is (text or
    number; points as an integer)."""
    body = thaw(step.request.body)
    *parents, key = path.split(".")
    holder = body
    for name in parents:
        holder = holder.get(name) if isinstance(holder, dict) else None
    if not isinstance(holder, dict) or key not in holder:
        return step
    original = holder[key]
    whole = amount == amount.to_integral_value()
    holder[key] = str(amount) if isinstance(original, str) else int(amount) if isinstance(original, int) and whole \
        else amount
    return replace(step, request=replace(step.request, body=freeze(body)))


def _money(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def _concurrent_debit(walk: Walk, debit: Debit, log: CheckLog, spec: ApiSpec) -> None:
    step = _until(walk, debit.step)
    if step is None:
        return
    balance = debit.balance
    log.requirements |= requirements_of(spec, step.operation)
    before = _money(dig(balance_of(walk) or {}, balance))
    answers = _concurrently(walk, step, _half(before), debit.asked, debit.unique)
    if not answers:
        return
    after = _money(dig(balance_of(walk) or {}, balance))
    accepted = [body_json(r) or {} for _, r in answers if not refused(walk.scenario.api, r)]
    taken = sum((abs(_money(dig(body, debit.taken)) or Decimal(0)) for body in accepted), Decimal(0))
    if debit.awarded is not None:
        taken -= sum((_money(dig(body, debit.awarded)) or Decimal(0) for body in accepted), Decimal(0))
    label = f"{CONCURRENCY} concurrent {step.operation} ({walk.scenario.id})"
    request, response = answers[-1]
    exchange = Exchange(request, response, step.operation)
    if before is None or after is None:
        log.skipped = f"the balance {balance} could not be read: the target is not in the scenario's state"
    elif all(refused(walk.scenario.api, r) for _, r in answers):
        log.skipped = f"{step.operation} was refused every time: the target is not in the scenario's state"
    elif not debit.refusable and any(refused(walk.scenario.api, r) for _, r in answers):
        request, response = next((q, r) for q, r in answers if refused(walk.scenario.api, r))
        log.failed(label, f"a partial debit sent with {CONCURRENCY - 1} others was refused (HTTP {response.status}): "
                   "a partial debit takes min(amount, balance) and is never refused for funds",
                   exchange=Exchange(request, response, step.operation), step_id=step.operation,
                   expected="every partial debit accepted", actual=response.status)
    elif after < 0 or before - after != taken:
        log.failed(label, f"{CONCURRENCY} concurrent partial debits: {balance} went {before} -> {after} while the "
                   f"answers took {taken} in all", exchange=exchange, step_id=step.operation,
                   expected=f"{balance} >= 0 and its drop = the sum taken ({taken})", actual=str(after))
    else:
        log.passed(label, step.operation)


def _concurrent_once(walk: Walk, step_id: str, log: CheckLog, spec: ApiSpec) -> None:
    step = _until(walk, step_id)
    if step is None:
        return
    log.requirements |= requirements_of(spec, step.operation)
    answers = _concurrently(walk, step)
    if not answers:
        return
    accepted: Callable[[HttpResponse], bool] = lambda r: not refused(walk.scenario.api, r)  # noqa: E731
    count = sum(1 for _, response in answers if accepted(response))
    if count == 0:  # a precondition, not the contract: the documented request itself was refused
        log.skipped = f"{step.operation} was refused every time: the target is not in the scenario's state"
        return
    label = f"{CONCURRENCY} concurrent {step.operation} ({walk.scenario.id}, step {step.id})"
    request, response = next(((q, r) for q, r in answers if accepted(r)), answers[-1])
    if count == 1:
        log.passed(label, step.operation)
    else:
        log.failed(label, f"the same {step.operation} sent {CONCURRENCY} times at once was accepted {count} times",
                   exchange=Exchange(request, response, step.operation), step_id=step.operation,
                   expected="accepted exactly once", actual=f"accepted {count} times")
