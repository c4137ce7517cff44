"""Expectations are pure: money compares as Decimal, matchers say why they fail, findings name step and field."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from conformance.checks.errors import error_codes
from conformance.model.template import MISSING
from conformance.runner.expectations import field_problem, judge, same


@pytest.mark.parametrize("expected, actual", [
    ("1.3", "1.30"), ("1.30", "1.3"), (Decimal("1.30"), "1.3"), ("1.3", Decimal("1.30")), (13, "13.00"),
    ("0", 0), (Decimal("-2.5"), "-2.50"), ({"a": "1.3"}, {"a": Decimal("1.30")}), (["1.3"], [Decimal("1.30")]),
])
def test_money_compares_as_decimal_whichever_side_is_text(expected: Any, actual: Any) -> None:
    assert same(expected, actual)
    assert field_problem(expected, actual) is None
    if not isinstance(expected, dict | list):
        assert field_problem({"$money": expected}, actual) is None


@pytest.mark.parametrize("expected, actual", [
    ("1.30", "1.31"), ("1.3", "1.3x"), (True, 1), (1, True), ("true", True), (None, "null"), ("a", "A"),
    ({"a": 1}, {"a": 1, "b": 2}), ([1], [1, 2]), ("0", None),
])
def test_values_that_differ(expected: Any, actual: Any) -> None:
    assert not same(expected, actual)


@pytest.mark.parametrize("matcher, actual, problem", [
    ({"$present": True}, MISSING, "is absent"),
    ({"$present": False}, "x", 'is present ("x")'),
    ({"$absent": True}, 0, "is present (0)"),
    ({"$type": "string"}, Decimal("1.3"), "is number, not string"),
    ({"$type": "integer"}, "3", "is string, not integer"),
    ({"$regex": "^[0-9]+$"}, "12a", "does not match /^[0-9]+$/"),
    ({"$len": 2}, [1, 2, 3], "has length 3, not 2"),
    ({"$gte": "1.00"}, "0.99", "is 0.99, not >= 1.00"),
    ({"$lte": 10}, Decimal("10.01"), "is 10.01, not <= 10"),
    ({"$money": "1.30"}, "1.20", "is 1.20, not 1.30"),
    ({"$money": "1.30"}, "n/a", 'is "n/a", not an amount'),
    ({"$gte": 0, "$lte": 5}, 7, "is 7, not <= 5"),
])
def test_matchers_say_why_they_fail(matcher: dict[str, Any], actual: Any, problem: str) -> None:
    assert field_problem(matcher, actual) == problem


@pytest.mark.parametrize("matcher, actual", [
    ({"$present": True}, None), ({"$absent": True}, MISSING), ({"$type": "number"}, 3), ({"$type": "null"}, None),
    ({"$type": "integer"}, Decimal("2.0")), ({"$regex": "^61"}, "612573"), ({"$len": 0}, {}),
    ({"$gte": "1.3", "$lte": "1.30"}, "1.300"), ({"$money": 13}, "13.00"),
])
def test_matchers_that_hold(matcher: dict[str, Any], actual: Any) -> None:
    assert field_problem(matcher, actual) is None


def test_judge_names_step_and_field_with_expected_and_actual() -> None:
    body = {"amount_funded": "1.30", "el_balance": "1.30", "nested": {"list": [{"v": "2"}]}}
    verdicts = judge(api="ackroo", step_id="credit", status=200, body=body, expected_status=200,
                     expected_body={"amount_funded": "1.31", "el_balance": {"$money": "1.3"}, "nested.list.0.v": 2},
                     expected_error=None, requirements=("ACK-UC01",))
    assert [v.passed for v in verdicts] == [True, False, True, True]
    finding = verdicts[1].finding
    assert finding is not None
    assert (finding.check, finding.step_id, finding.field) == ("body", "credit", "amount_funded")
    assert (finding.expected, finding.actual, finding.requirements) == ("1.31", "1.30", ("ACK-UC01",))
    assert "step credit" in finding.message and "amount_funded" in finding.message


def test_a_wrong_status_is_one_finding_quoting_the_error() -> None:
    body = {"error": "CardNotFound", "message": "no such card"}
    verdicts = judge(api="ackroo", step_id="s", status=404, body=body, expected_status=200,
                     expected_body={"gc_balance": "1"}, expected_error=None)
    assert len(verdicts) == 1 and verdicts[0].finding is not None
    assert "expected 200, got 404 (CardNotFound)" in verdicts[0].finding.message


@pytest.mark.parametrize("api, body, code", [
    ("ackroo", {"error": "InsufficientFunds", "message": "..."}, "InsufficientFunds"),
    ("crmcom", {"status": 400, "error": "CRM.EXCEPTIONS.NOTFOUNDEXCEPTION"}, "CRM.EXCEPTIONS.NOTFOUNDEXCEPTION"),
    ("crmcom-webapi", {"status": {"code": "NOT_FOUND"}, "data": None}, "NOT_FOUND"),
    ("antavo", {"error": {"type": "BadRequestException", "code": 0, "message": "ERR_TX_ALREADY_EXISTS: x"}},
     "ERR_TX_ALREADY_EXISTS"),
    ("antavo", {"error": {"type": "NotFoundException", "code": 160212, "message": "?"}}, "160212"),
    ("antavo", {"code": 113401, "error": "missing total", "type": "BadRequestException"}, "BadRequestException"),
])
def test_error_codes_per_api(api: str, body: dict[str, Any], code: str) -> None:
    assert code in error_codes(api, body)
    verdicts = judge(api=api, step_id="s", status=400, body=body, expected_status=400, expected_body={},
                     expected_error=code)
    assert all(v.passed for v in verdicts)


def test_the_web_api_ok_status_is_not_an_error_code() -> None:
    assert error_codes("crmcom-webapi", {"status": {"code": "OK"}, "data": {}}) == ()
    verdicts = judge(api="crmcom-webapi", step_id="s", status=200, body={"status": {"code": "OK"}},
                     expected_status=200, expected_body={}, expected_error="NOT_FOUND")
    assert verdicts[-1].finding is not None and "got no error code" in verdicts[-1].finding.message
