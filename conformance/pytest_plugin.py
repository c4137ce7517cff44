"""pytest plugin (`pytest11` entry point): a provider's own test suite certifies its server with the same plans,
one pytest test per check: ``pytest --conformance-api ackroo --conformance-url URL``.

Inert unless `--conformance-api` is given: it adds no test and touches no fixture otherwise.
"""

from __future__ import annotations

from contextlib import ExitStack
from typing import Any

import pytest

from conformance.model.result import Outcome, ScenarioResult
from conformance.runner.plans import PLAN_ORDER
from conformance.runner.plans.certify import live_target, run_plans
from conformance.runner.plans.verdicts import apply_confidence


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("conformance", "provider certification (conformance certify provider)")
    group.addoption("--conformance-api", default=None, help="Certify this api's provider (ackroo, crmcom-webapi, "
                    "crmcom, antavo).")
    group.addoption("--conformance-url", default=None, help="The provider's base URL for that api.")
    group.addoption("--conformance-control-url", default=None, help="Its control interface (default: /_control).")
    group.addoption("--conformance-control-token", default=None, help="Bearer token of the control interface.")
    group.addoption("--conformance-setup", default=None, help="Setup command instead of the control interface.")
    group.addoption("--conformance-plan", default=",".join(PLAN_ORDER), help="Comma-separated plans.")
    group.addoption("--conformance-seed", type=int, default=0, help="Seed of generated requests.")
    group.addoption("--conformance-max-examples", type=int, default=10, help="Generated requests per operation.")
    group.addoption("--conformance-strict", action="store_true", help="Warnings (inferred) fail too.")


class CheckFailed(Exception):
    """A check's findings, as the failure pytest shows."""


class ConformanceCheck(pytest.Item):
    """One check of the certification (already run once for the session); its outcome is replayed here."""

    def __init__(self, *, result: ScenarioResult, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.result = result

    def runtest(self) -> None:
        result = self.result
        if result.outcome in (Outcome.SKIP, Outcome.OMIT):
            pytest.skip(result.reason or result.outcome.value)
        if result.outcome in (Outcome.FAIL, Outcome.ERROR):
            lines = [f"[{f.check}] {f.message}" + (f"\n    expected: {f.expected!r}\n    actual:   {f.actual!r}"
                                                   if f.expected is not None or f.actual is not None else "")
                     for f in result.findings] or [result.reason]
            raise CheckFailed("\n".join(lines))

    def repr_failure(self, excinfo: Any, style: Any = None) -> str:
        if isinstance(excinfo.value, CheckFailed):
            return f"{self.result.id}: {self.result.title}\n{excinfo.value}"
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[str, int, str]:
        return "conformance", 0, self.result.id


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    api = config.getoption("--conformance-api")
    if not api:
        return
    url = config.getoption("--conformance-url")
    if not url:
        raise pytest.UsageError("--conformance-api needs --conformance-url (the provider's base URL)")
    plans = [p.strip() for p in str(config.getoption("--conformance-plan")).split(",") if p.strip()]
    with ExitStack() as stack:
        target, _ = live_target(url, config.getoption("--conformance-control-url"),
                                config.getoption("--conformance-control-token"),
                                config.getoption("--conformance-setup"), 10.0, stack)
        results = run_plans(api, target, plans, seed=config.getoption("--conformance-seed"),
                            max_examples=config.getoption("--conformance-max-examples"), report_dir=None)
    results, _ = apply_confidence(results, strict=bool(config.getoption("--conformance-strict")))
    items.extend(ConformanceCheck.from_parent(session, name=result.id, result=result) for result in results)
