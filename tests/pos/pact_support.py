"""What the pact tests share: the reference POS as a pact consumer of Ackroo, its pact, and the wiring that
certifies a pact against the simulator (the spec pass alone, or with pact-python's verifier)."""

from __future__ import annotations

import os
from functools import cache
from typing import Any

from pact import Pact, match

from conformance.cli.pos_wire import request_check_for, route_for
from conformance.loader.scenarios import load_scenarios
from conformance.loader.specs import spec_for
from conformance.model.result import ScenarioResult
from conformance.model.scenario import Scenario
from conformance.pos.till import Till
from conformance.runner.pos.pact import PactFile, certify_pact
from conformance.runner.setup import ControlSetup
from conformance.transport.live import HttpTransport
from tests.conftest import CONTROL_TOKEN

os.environ.setdefault("PACT_DO_NOT_TRACK", "true")
CARD = "612573981949778930"
DEVICE = "0d373af2942291bf"
SALE = {"device_id": DEVICE, "cardnumber": CARD, "clerk_id": "", "ackroo_id": "", "price_list": ["5", "3"],
        "quantity_list": ["2", "1"], "dept_id_list": ["02", "01"], "sku_id_list": ["0103", "0104"],
        "tender_type_list": ["13", "0", "0", "0", "0"], "promo_id_list": []}


def reference_till(base_url: str) -> Till:
    """The reference POS (conformance.pos) configured for Ackroo at `base_url` (pact's mock provider)."""
    till = Till(lambda url: HttpTransport(url).send)
    assert till.perform({"action": "configure", "api": "ackroo", "base_url": base_url,
                         "credentials": {"token": "t-1", "device_id": DEVICE}}) == {"ok": True}
    return till


def till_pact() -> Pact:
    """The reference POS's expectations of Ackroo, each given as the scenario whose state it needs."""
    pact = Pact("reference-pos", "ackroo").with_specification("V4")
    (pact.upon_receiving("a cash sale of two lines earns 1.30").given("ackroo.uc01-cash-credit")
     .with_request("POST", "/transaction/loyalty/credit/multi").with_header("Authorization", "Bearer t-1")
     .with_body(SALE, content_type="application/json")
     .will_respond_with(200)
     .with_body({"amount_funded": "1.30", "el_balance": "1.30", "transaction_number": match.str("1")},
                content_type="application/json"))
    (pact.upon_receiving("a balance check shows gift and loyalty").given("ackroo.uc13-balance-check")
     .with_request("GET", "/device/card").with_header("Authorization", "Bearer t-1")
     .with_query_parameter("device_id", DEVICE).with_query_parameter("cardnumber", CARD)
     .will_respond_with(200)
     .with_body({"gift": "25.00", "loyalty": "7.30", "active": True}, content_type="application/json"))
    return pact


@cache
def _wiring() -> tuple[Any, Any, Any, list[Scenario]]:
    spec = spec_for("ackroo")
    return spec, route_for(spec), request_check_for(spec), list(load_scenarios().values())


def certify(pact: PactFile, origin: str | None) -> list[ScenarioResult]:
    spec, route, check, scenarios = _wiring()
    control = ControlSetup(HttpTransport(f"{origin}/_control"), CONTROL_TOKEN) if origin else None
    return certify_pact(pact, spec, route, check, base_url=f"{origin}/ackroo" if origin else None,
                        control=control, scenarios=scenarios)


