"""judge_step on its own, as the other modes and the web console call it: exchanges in the shape
`GET /_control/exchanges` serves, a scenario step, what the till reported."""

from __future__ import annotations

import copy
from typing import Any

from conformance.loader.scenarios import load_scenarios
from conformance.loader.specs import spec_for
from conformance.model.scenario import thaw
from conformance.runner.pos.judge import CHECKS, judge_step

SCENARIO = load_scenarios("ackroo")["ackroo.uc07-split-tender"]
STEP = SCENARIO.steps[0]


def _entry(body: dict[str, Any], status: int = 200) -> dict[str, Any]:
    return {"seq": 1, "api": "ackroo", "operation_id": "loyaltyCreditMulti",
            "request": {"method": "POST", "path": "/ackroo/transaction/loyalty/credit/multi", "query": "",
                        "headers": {}, "body": body},
            "response": {"status": status, "headers": {}, "body": {"amount_funded": "3.65", "el_balance": "3.65",
                                                                   "transaction_number": "1000000001"}}}


def _sent() -> dict[str, Any]:
    """What a good POS sends: the lines in another order, money written with decimals, the card masked (as logged)."""
    body = thaw(STEP.request.body)
    order = [3, 0, 2, 1]
    for name in ("price_list", "quantity_list", "dept_id_list", "sku_id_list"):
        body[name] = [body[name][i] for i in order]
    body["price_list"] = [f"{price}.00" for price in body["price_list"]]
    body["cardnumber"] = "**************8930"
    return _entry(body)


def _checks(entries: list[dict[str, Any]], reported: dict[str, Any] | None = None) -> set[str]:
    judgement = judge_step("ackroo", spec_for("ackroo"), STEP, entries, reported=reported,
                           resolve=lambda name: None, requirements=SCENARIO.requirements)
    return {finding.check for finding in judgement.findings}


def test_lines_in_any_order_and_money_as_decimal_pass() -> None:
    judgement = judge_step("ackroo", spec_for("ackroo"), STEP, [_sent()], reported={"award": "3.65"},
                           resolve=lambda name: None)
    assert judgement.findings == []
    assert judgement.captures == {}  # this step captures nothing; the verdicts say what was judged
    assert any(v.label.endswith("line items (any order)") for v in judgement.verdicts)


def test_each_defect_is_named_by_its_check_field_and_cashier_words() -> None:
    swapped = _sent()
    swapped["request"]["body"]["tender_type_list"] = ["20", "7", "0", "0", "0"]
    judgement = judge_step("ackroo", spec_for("ackroo"), STEP, [swapped], resolve=lambda name: None)
    (finding,) = judgement.findings
    assert (finding.check, finding.field, finding.step_id) == ("pos.request-field", "tender_type_list", "credit")
    assert "Ring up 1 item 0101" in finding.message and CHECKS["pos.request-field"] in finding.message
    assert _checks([]) == {"pos.sent"}
    assert _checks([_sent(), copy.deepcopy(_sent())]) == {"pos.once"}
    assert _checks([_sent()], reported={"award": "1.30"}) == {"pos.figure"}
    numbers = _sent()
    body = numbers["request"]["body"]
    body["quantity_list"] = [int(quantity) for quantity in body["quantity_list"]]
    assert _checks([numbers]) == {"pos.request-valid"}
