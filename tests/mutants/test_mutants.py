"""Mutation tests of certification: the clean simulator is certified for every api, and every fault profile
(`simulate --fault`) is caught, by the check ids named here (in-process, small example counts, and only the
plans that catch each profile, to keep the suite fast)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack

import pytest

from conformance.model.result import Outcome, ScenarioResult
from conformance.model.spec import API_IDS
from conformance.runner.plans.certify import closing, run_plans
from conformance.runner.plans.verdicts import Warned, apply_confidence
from conformance.runner.scenarios import Target
from conformance.runner.setup import ControlSetup
from conformance.simulator.faults import PROFILES
from conformance.simulator.server import build_app
from conformance.simulator.state import SimulatorConfig
from conformance.transport.inprocess import AsgiTransport

# profile -> (api, plans, check ids that must fail)
CAUGHT: dict[str, tuple[str, tuple[str, ...], set[str]]] = {
    "double-earn": ("ackroo", ("scenarios", "stateful"), {"ackroo.uc01-cash-credit", "ackroo.uc07-split-tender",
                                                          "ackroo.stateful.balance"}),
    "flat-rate": ("ackroo", ("scenarios", "stateful"), {"ackroo.uc03-sku-bonus-credit",
                                                        "ackroo.uc05-fixed-per-unit-credit", "ackroo.stateful.award"}),
    "tender-rates-ignored": ("ackroo", ("scenarios", "stateful"), {"ackroo.uc06-debit-credit",
                                                                   "ackroo.uc07-split-tender",
                                                                   "ackroo.stateful.award"}),
    "rounding-down": ("crmcom-webapi", ("scenarios",), {"crmcom-webapi.award-rounding"}),
    "rounding-per-line": ("crmcom-webapi", ("scenarios",), {"crmcom-webapi.award-rounding"}),
    "binary-floats": ("ackroo", ("scenarios",), {"ackroo.uc01-cash-credit", "ackroo.uc13-balance-check"}),
    "money-as-numbers": ("ackroo", ("scenarios",), {"ackroo.uc01-cash-credit", "ackroo.uc13-balance-check"}),
    "missing-field": ("crmcom", ("spec",), {"crmcom.spec.response-schema"}),
    "spend-past-cap": ("crmcom-webapi", ("scenarios", "stateful"), {"crmcom-webapi.five-step-flow",
                                                                    "crmcom-webapi.preview-spend-bounds",
                                                                    "crmcom-webapi.stateful.redemption"}),
    "no-device-check": ("ackroo", ("scenarios",), {"ackroo.neg-unknown-device"}),
    "preview-differs": ("antavo", ("scenarios", "stateful"), {"antavo.points-preview", "antavo.stateful.award"}),
    "reversal-restores-nothing": ("ackroo", ("robustness", "scenarios", "stateful"),
                                  {"ackroo.robust.once", "ackroo.uc12-gift-reversal", "ackroo.neg-second-reversal",
                                   "ackroo.stateful.reversal"}),
    "duplicate-awarded": ("crmcom", ("robustness", "scenarios", "stateful"),
                          {"crmcom.robust.once", "crmcom.neg-duplicate-reference", "crmcom.stateful.award"}),
    "refund-no-clawback": ("ackroo", ("scenarios", "stateful"), {"ackroo.uc08-refund", "ackroo.stateful.refund"}),
    "overdraw": ("ackroo", ("robustness", "scenarios", "stateful"), {"ackroo.robust.overdraw",
                                                                     "ackroo.uc11-gift-partial-debit",
                                                                     "ackroo.stateful.redemption"}),
    "racy-debit": ("ackroo", ("robustness",), {"ackroo.robust.overdraw"}),
    "malformed-500": ("crmcom", ("robustness",), {"crmcom.robust.malformed"}),
    "stack-trace": ("antavo", ("security",), {"antavo.security.no-stack-trace"}),
    "no-auth-check": ("crmcom", ("security",), {"crmcom.security.missing-credentials",
                                                "crmcom.security.wrong-credentials"}),
    "escher-replay": ("antavo", ("security",), {"antavo.security.escher-replay"}),
    "escher-window": ("antavo", ("security",), {"antavo.security.escher-stale"}),
    "earn-on-total": ("crmcom", ("scenarios", "stateful"), {"crmcom.back-end-purchase", "crmcom.stateful.award"}),
    "refund-below-zero": ("ackroo", ("stateful",), {"ackroo.stateful.refund"}),
    "cancel-twice": ("crmcom", ("robustness", "scenarios", "stateful"),
                     {"crmcom.robust.once", "crmcom.void-purchase", "crmcom.stateful.reversal"}),
}

# Caught only as a warning: what the check holds the target to is `inferred`, so only --strict fails it.
CAUGHT_STRICT: dict[str, tuple[str, tuple[str, ...], set[str]]] = {
    "no-merchant-check": ("ackroo", ("security",), {"ackroo.security.other-merchant"}),
}


LIVE_ONLY = {"slow-response": "tests/certify/test_certify_cli.py (a timeout needs a live transport)"}


def certify(api: str, plans: tuple[str, ...], profiles: tuple[str, ...] = (), *,
            strict: bool = False) -> list[ScenarioResult]:
    return certify_warned(api, plans, profiles, strict=strict)[0]


def certify_warned(api: str, plans: tuple[str, ...], profiles: tuple[str, ...] = (), *,
                   strict: bool = False) -> Warned:
    with ExitStack() as stack:
        app = build_app(SimulatorConfig(control_token="t", fault_profiles=profiles), [api])
        stack.callback(app.close)
        control = ControlSetup(closing(stack, AsgiTransport(app, "http://testserver/_control")), "t")
        target = Target(closing(stack, AsgiTransport(app, f"http://testserver/{api}")), control, control)
        results = run_plans(api, target, plans, seed=0, max_examples=6, report_dir=None)
    return apply_confidence(results, strict=strict)


def failing(results: list[ScenarioResult]) -> Iterator[str]:
    return (r.id for r in results if r.outcome in (Outcome.FAIL, Outcome.ERROR))


def test_every_profile_is_registered_and_covered_here() -> None:
    assert set(CAUGHT) | set(CAUGHT_STRICT) | set(LIVE_ONLY) == set(PROFILES)


@pytest.mark.parametrize("api", API_IDS)
def test_the_clean_simulator_is_certified(api: str) -> None:
    results = certify(api, ("spec", "scenarios", "stateful", "robustness", "security"))
    assert list(failing(results)) == []
    assert sum(1 for r in results if r.outcome is Outcome.PASS) > 10


@pytest.mark.parametrize("profile", sorted(CAUGHT))
def test_each_fault_profile_is_caught(profile: str) -> None:
    api, plans, expected = CAUGHT[profile]
    assert expected <= set(failing(certify(api, plans, (profile,))))


@pytest.mark.parametrize("profile", sorted(CAUGHT_STRICT))
def test_a_profile_against_an_inferred_rule_is_a_warning_that_strict_fails(profile: str) -> None:
    api, plans, expected = CAUGHT_STRICT[profile]
    results, warnings = certify_warned(api, plans, (profile,))
    assert not expected & set(failing(results)) and expected <= {check for check, _ in warnings}
    assert expected <= set(failing(certify(api, plans, (profile,), strict=True)))
