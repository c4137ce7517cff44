"""The driver protocol is published as JSON Schemas (specs/driver/): every scenario's action fits them,
`specs check` guards them, and a wrong action is named field by field."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from conformance.loader.driver import check_driver_schemas, driver_problems
from conformance.loader.scenarios import load_scenarios
from conformance.loader.speccheck import check_all
from conformance.model.scenario import thaw

TEMPLATE = re.compile(r"\{\{[^}]+\}\}")


def _filled(value: Any) -> Any:
    """Templates stand for values known only at run time (a captured transaction number, an OTP)."""
    if isinstance(value, dict):
        return {key: _filled(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_filled(item) for item in value]
    return TEMPLATE.sub("T-1", value) if isinstance(value, str) else value


def _actions() -> list[tuple[str, dict[str, Any]]]:
    return [(f"{scenario.id}/{step.id}", _filled(thaw(step.pos.action)))
            for scenario in load_scenarios().values() for step in scenario.steps if step.pos]


def test_every_scenario_action_is_valid_against_the_published_schema() -> None:
    actions = _actions()
    assert len(actions) > 100
    bad = {where: problems for where, action in actions if (problems := driver_problems("action", action))}
    assert bad == {}


@pytest.mark.parametrize(("action", "fragment"), [
    ({"action": "sale", "lines": [{"sku": "0103", "price": "5.00", "quantity": 2}]}, "lines/0/quantity"),
    ({"action": "sale", "lines": [{"sku": "0103", "price": 5.0, "quantity": "2"}]}, "lines/0/price"),
    ({"action": "balance"}, "'customer' is a required property"),
    ({"action": "identify", "medium": {"type": "nfc", "data": "1"}}, "medium/type"),
    ({"action": "teleport"}, "action"),
])
def test_a_wrong_action_is_named_by_its_field(action: dict[str, Any], fragment: str) -> None:
    assert any(fragment in problem for problem in driver_problems("action", action))


def test_results_are_validated_too() -> None:
    assert driver_problems("result", {"award": "1.30", "amount_due": "12.10", "receipt": {"qr": "x"}}) == []
    assert driver_problems("result", {"award": 1.3})


def test_specs_check_reports_a_broken_driver_schema(data_copy: Path) -> None:
    assert check_driver_schemas(data_copy / "specs") == []
    path = data_copy / "specs" / "driver" / "action.schema.json"
    schema = json.loads(path.read_text())
    schema["type"] = "thing"
    path.write_text(json.dumps(schema))
    problems = [str(p) for p in check_all(data_copy / "specs")]
    assert any("action.schema.json" in p and "not a valid JSON Schema" in p for p in problems)
    path.write_text("{\n  oops")
    assert any("action.schema.json:2" in str(p) for p in check_driver_schemas(data_copy / "specs"))
