"""The resilience plan: the reference POS rides out 503s and gateway timeouts, resends a sale whose answer
was lost with the same reference, queues a sale through an outage, and shows a 400 instead of resending it."""

from __future__ import annotations

import pytest

from conformance.cli.certify_pos import run_plans
from conformance.model.result import Outcome
from conformance.report.build import verdict_of
from tests.pos.conftest import Rig

CHECKS = ("outage-retry", "gateway-timeout", "answer-lost", "queued", "client-error")


@pytest.mark.parametrize("api", ["ackroo", "crmcom-webapi", "crmcom", "antavo"])
def test_the_reference_pos_is_resilient(rig: Rig, api: str) -> None:
    target, driver = rig.reference(api)
    results = run_plans(api, [], ["resilience"], target, driver)
    assert [r.id for r in results] == [f"{api}.pos.resilience.{check}" for check in CHECKS]
    assert verdict_of(results) == "certified", [(r.id, [f.message for f in r.findings]) for r in results]
    skipped = {r.id.rsplit(".", 1)[1]: r.reason for r in results if r.outcome is Outcome.SKIP}
    if api in ("crmcom", "antavo"):
        assert skipped == {}
    else:  # no reference the provider keys on: a lost answer cannot be resent safely, and is not held against it
        assert set(skipped) == {"answer-lost"} and "nothing to hold a POS to" in skipped["answer-lost"]
    verdicts = [v.label for r in results for s in r.steps for v in s.verdicts]
    assert "the sale was delivered once" in verdicts and "every attempt carried the same reference" in verdicts
