"""The reference POS performs every use case of every api and is certified by the judge (in-process)."""

from __future__ import annotations

import pytest

from conformance.loader.scenarios import load_scenarios
from conformance.loader.specs import spec_for
from conformance.model.result import Outcome
from conformance.runner.pos.session import certify_pos, pos_scenarios
from tests.pos.conftest import Rig

APIS = ("ackroo", "crmcom-webapi", "crmcom", "antavo")


@pytest.mark.parametrize("api", APIS)
def test_the_reference_pos_is_certified_for_every_use_case(rig: Rig, api: str) -> None:
    target, driver = rig.reference(api)
    scenarios = list(load_scenarios(api).values())
    results = certify_pos(scenarios, spec_for(api), target, driver)
    assert len(results) == len(pos_scenarios(scenarios)) >= 4
    failing = {r.id: [f.message for f in r.findings][:3] for r in results if r.outcome is not Outcome.PASS}
    assert failing == {}
    verdicts = [v for r in results for s in r.steps for v in s.verdicts]
    assert any(v.label.endswith(" sent") for v in verdicts)
    assert any(v.label.endswith("line items (any order)") for v in verdicts)
    assert any(v.label.startswith("card number read from the magstripe") for v in verdicts) or api != "ackroo"
    assert any(v.label.startswith("the till shows") for v in verdicts)
