"""Injected faults: latency, a chosen status for N calls, drop-after-commit (POS resilience tests), and
named profiles, each a realistic provider bug that provider certification must catch (`simulate --fault`).

A profile acts in one of three places: the reward program a provider reads (`ProgramShelf`), the reply
the pipeline sends (`distort`), or a guarded branch in a provider module (grep the profile's name).
"""

from __future__ import annotations

import difflib
import re
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from conformance.model.program import Earn, Program, Rounding, Spend, Tender, Tenders

PROFILES: dict[str, str] = {
    "double-earn": "Ackroo: a credit posts its earn twice (a retried write)",
    "flat-rate": "earn on the wrong base: every line earns the default rate, SKU and product rules ignored",
    "tender-rates-ignored": "Ackroo: the earn ignores the tender multipliers (debit and credit earn like cash)",
    "rounding-down": "earned amounts are truncated instead of rounded half up",
    "rounding-per-line": "each line's earn is rounded before the total (cents drift)",
    "binary-floats": "money goes through binary floats: amounts like 1.2999999999999998 in replies",
    "money-as-numbers": "money is returned as JSON numbers instead of strings with two decimals",
    "missing-field": "a documented response field is missing from every successful reply",
    "spend-past-cap": "CRM.COM Web API: a spend ignores the program's per-transaction maximum",
    "no-device-check": "Ackroo: a request from a device not registered to the merchant is served",
    "reversal-restores-nothing": "Ackroo: a reversal or void is acknowledged but restores nothing",
    "duplicate-awarded": "CRM.COM: a purchase resubmitted with the same reference_number is awarded again",
    "refund-no-clawback": "Ackroo: a refund is acknowledged but takes back none of the earn",
    "overdraw": "Ackroo: a partial debit takes the whole amount asked, even below zero",
    "racy-debit": "Ackroo: a partial debit reads the balance, waits, then writes (concurrent debits overdraw)",
    "preview-differs": "Antavo: the points preview promises one point more than the checkout then earns",
    "slow-response": "every api reply takes 2 s more (a POS times out; certification reports it)",
    "malformed-500": "a body that is not JSON gets a 500 with a stack trace",
    "stack-trace": "error replies carry the server's stack trace",
    "no-auth-check": "credentials are not checked: a missing or wrong token is accepted",
    "escher-replay": "Antavo: a replayed signature is accepted",
    "escher-window": "Antavo: a signature dated outside the window is accepted",
    "earn-on-total": "CRM.COM: a purchase earns on the lines' total amount (tax included) instead of their net",
    "refund-below-zero": "Ackroo: a refund claws back the whole earn even past the earned balance (refused, "
                         "422, instead of taking what is left)",
    "cancel-twice": "CRM.COM: a cancelled purchase can be cancelled again, returning its spend twice",
    "no-merchant-check": "Ackroo: a credential of another merchant reaches this merchant's cards",
}
"""Every named profile and what it breaks, one line each (listed by `simulate --help`)."""

TRACE = ('Traceback (most recent call last):\n  File "/srv/provider/app.py", line 88, in handle\n'
         "    body = json.loads(raw)\njson.decoder.JSONDecodeError")
SLOW_MS = 2000
MONEY = re.compile(r"^-?\d+\.\d{2}$")


def unknown_profiles(names: Iterable[str]) -> list[str]:
    """One message per unknown profile name, with a did-you-mean when one is close."""
    problems = []
    for name in names:
        if name not in PROFILES:
            close = difflib.get_close_matches(name, PROFILES, 1)
            problems.append(f"unknown fault profile {name!r}" + (f" (did you mean {close[0]!r}?)" if close else "")
                            + "; see `conformance simulate --help`")
    return problems


def faulty_program(program: Program, profiles: frozenset[str]) -> Program:
    """The program as a provider with these bugs would (mis)apply it."""
    if "flat-rate" in profiles:
        program = replace(program, earn=Earn(program.earn.default))
    if "tender-rates-ignored" in profiles and program.tenders.slots:
        program = replace(program, tenders=Tenders(tuple(Tender(t.name, Decimal(1)) for t in program.tenders.slots),
                                                   program.tenders.unpaid))
    if "spend-past-cap" in profiles:
        program = replace(program, spend=Spend(program.spend.minimum, None))
    if "rounding-down" in profiles:
        program = replace(program, rounding=replace(program.rounding, mode="down"))
    if "rounding-per-line" in profiles:
        program = replace(program, rounding=Rounding(program.rounding.mode, program.rounding.places, "line"))
    return program


class ProgramShelf(dict[str, Program]):
    """The loaded programs; a provider reading one gets it as its api's fault profiles distort it."""

    def __init__(self, programs: Mapping[str, Program], faults: FaultBoard) -> None:
        super().__init__(programs)
        self.faults = faults

    def __getitem__(self, key: str) -> Program:
        program = super().__getitem__(key)
        return faulty_program(program, self.faults.profiles(program.api))

    def get(self, key: str, default: Any = None) -> Any:
        return self[key] if key in self else default  # noqa: SIM401 - __getitem__ distorts, dict.get would not


def distort(profiles: frozenset[str], status: int, body: Any) -> Any:
    """A reply body as the profiles would spoil it (money fields, a missing field, a leaked trace)."""
    if status < 400:
        if "money-as-numbers" in profiles:
            body = _money(body, Decimal)
        if "binary-floats" in profiles:
            body = _money(body, lambda text: repr(sum([float(text) / 10] * 10)))
        if "preview-differs" in profiles and isinstance(body, dict) and isinstance(body.get("data"), dict) \
                and isinstance(body["data"].get("purchase"), dict) and "base" in body["data"]["purchase"]:
            purchase = {key: value + 1 if key in ("base", "points") and isinstance(value, int) else value
                        for key, value in body["data"]["purchase"].items()}
            body = {**body, "data": {**body["data"], "purchase": purchase}}
        if "missing-field" in profiles and isinstance(body, dict) and body:
            body = dict(list(body.items())[:-1])
    elif "stack-trace" in profiles and isinstance(body, dict):
        body = {**body, "trace": TRACE}
    return body


def _money(value: Any, convert: Any) -> Any:
    if isinstance(value, dict):
        return {k: _money(v, convert) for k, v in value.items()}
    if isinstance(value, list):
        return [_money(v, convert) for v in value]
    if isinstance(value, str) and MONEY.match(value):
        return convert(value)
    return value


@dataclass
class Fault:
    kind: str
    operation: str | None = None
    ms: int = 0
    status: int | None = None
    count: int | None = None
    name: str | None = None

    def applies(self, operation_id: str | None) -> bool:
        return (self.operation is None or self.operation == operation_id) and (self.count is None or self.count > 0)

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None and not (k == "ms" and v == 0)}


@dataclass
class Plan:
    """What the pipeline must do to one call."""

    latency_ms: int = 0
    status: int | None = None
    drop_after_commit: bool = False
    profiles: frozenset[str] = frozenset()


@dataclass
class FaultBoard:
    """The faults in force per api; `plan` consumes one use of each counted fault that applies."""

    faults: dict[str, list[Fault]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def replace(self, api: str, faults: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
        with self._lock:
            self.faults[api] = [Fault(**dict(f)) for f in faults]
            return [f.as_dict() for f in self.faults[api]]

    def named(self, api: str, names: Iterable[str]) -> None:
        """Switch on these profiles for an api (the ones given at start; a reset restores them)."""
        self.replace(api, [{"kind": "named", "name": n} for n in names])

    def profiles(self, api: str) -> frozenset[str]:
        return frozenset(f.name for f in self.faults.get(api, ()) if f.kind == "named" and f.name)

    def plan(self, api: str, operation_id: str | None) -> Plan:
        plan = Plan(profiles=self.profiles(api))
        if "slow-response" in plan.profiles:
            plan.latency_ms += SLOW_MS
        with self._lock:
            for fault in self.faults.get(api, ()):
                if fault.kind == "named" or not fault.applies(operation_id):
                    continue
                if fault.kind == "latency":
                    plan.latency_ms += fault.ms
                elif fault.kind == "status" and plan.status is None:
                    plan.status = fault.status or 503
                elif fault.kind == "drop_after_commit":
                    plan.drop_after_commit = True
                else:
                    continue
                if fault.count is not None:
                    fault.count -= 1
        return plan
