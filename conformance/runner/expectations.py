"""Judge a response against a step's `expect` block: pure, response in, findings out.

Values compare as JSON with exact numbers: a scalar that reads as a decimal on both sides compares as
Decimal, so ``"1.3"``, ``"1.30"``, ``1.30`` and ``Decimal("1.3")`` are equal whichever side is the string.
Each finding names the step and the field and carries expected and actual for a diff.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from conformance.checks.errors import error_codes
from conformance.core import jsonio
from conformance.model.result import Finding, Verdict
from conformance.model.template import MISSING, dig

_DECIMAL = re.compile(r"^[+-]?[0-9]+(\.[0-9]+)?$")


def as_decimal(value: Any) -> Decimal | None:
    """The exact number a value stands for (an int, a Decimal or a decimal string), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | Decimal):
        return Decimal(value) if value == value else None
    if isinstance(value, str) and _DECIMAL.match(value.strip()):
        return Decimal(value.strip())
    return None


def same(expected: Any, actual: Any) -> bool:
    """JSON equality where numbers and numeric strings compare as Decimal; booleans only equal booleans."""
    if isinstance(expected, bool) or isinstance(actual, bool):
        return isinstance(expected, bool) and isinstance(actual, bool) and expected == actual
    left, right = as_decimal(expected), as_decimal(actual)
    if left is not None and right is not None:
        return left == right
    if isinstance(expected, Mapping):
        return (isinstance(actual, Mapping) and set(expected) == set(actual)
                and all(same(expected[key], actual[key]) for key in expected))
    if isinstance(expected, list | tuple):
        return (isinstance(actual, list | tuple) and len(expected) == len(actual)
                and all(same(e, a) for e, a in zip(expected, actual, strict=True)))
    return bool(expected == actual) and type(expected) is type(actual)


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, Decimal):
        return "integer" if value == value.to_integral_value() else "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list | tuple):
        return "array"
    return "object" if isinstance(value, Mapping) else type(value).__name__


def show(value: Any) -> str:
    """A value as a person reads it in a diff: JSON, `<absent>` for a missing field."""
    if value is MISSING:
        return "<absent>"
    try:
        return jsonio.dumps(value)
    except (TypeError, ValueError):
        return repr(value)


# --- matchers: each says whether `actual` satisfies the operand, and if not, why ------------------------

Matcher = Callable[[Any, Any], str | None]


def _present(operand: Any, actual: Any) -> str | None:
    if bool(operand) == (actual is not MISSING):
        return None
    return "is absent" if operand else f"is present ({show(actual)})"


def _absent(operand: Any, actual: Any) -> str | None:
    return _present(not operand, actual)


def _type(operand: Any, actual: Any) -> str | None:
    kind = json_type(actual)
    if kind == operand or (operand == "number" and kind == "integer"):
        return None
    return f"is {kind}, not {operand}"


def _regex(operand: Any, actual: Any) -> str | None:
    if not isinstance(actual, str | int | Decimal) or isinstance(actual, bool):
        return f"is {json_type(actual)}, not text matching /{operand}/"
    return None if re.search(str(operand), str(actual)) else f"does not match /{operand}/"


def _len(operand: Any, actual: Any) -> str | None:
    if not isinstance(actual, str | list | tuple | Mapping):
        return f"is {json_type(actual)}, which has no length"
    wanted = as_decimal(operand)
    return None if wanted == len(actual) else f"has length {len(actual)}, not {operand}"


def _compare(label: str, holds: Callable[[Decimal, Decimal], bool]) -> Matcher:
    def compare(operand: Any, actual: Any) -> str | None:
        bound, value = as_decimal(operand), as_decimal(actual)
        if value is None:
            return f"is {show(actual)}, not a number"
        if bound is None:
            return f"bound {show(operand)} is not a number"
        return None if holds(value, bound) else f"is {value}, not {label} {bound}"

    return compare


def _money(operand: Any, actual: Any) -> str | None:
    wanted, value = as_decimal(operand), as_decimal(actual)
    if value is None:
        return f"is {show(actual)}, not an amount"
    return None if value == wanted else f"is {value}, not {wanted}"


MATCHERS: dict[str, Matcher] = {
    "$present": _present,
    "$absent": _absent,
    "$type": _type,
    "$regex": _regex,
    "$len": _len,
    "$gte": _compare(">=", lambda value, bound: value >= bound),
    "$lte": _compare("<=", lambda value, bound: value <= bound),
    "$money": _money,
}


def is_matcher(expected: Any) -> bool:
    return isinstance(expected, Mapping) and bool(expected) and all(str(key).startswith("$") for key in expected)


def describe(expected: Any) -> str:
    """An expected value or matcher in words: `1.30`, `$money 1.30`, `$gte 0 and $lte 10`."""
    if is_matcher(expected):
        return " and ".join(f"{key} {show(operand)}" for key, operand in expected.items())
    return show(expected)


def field_problem(expected: Any, actual: Any) -> str | None:
    """Why `actual` does not satisfy `expected` (a literal or a matcher), or None when it does."""
    if is_matcher(expected):
        problems = [why for key, operand in expected.items() if (why := MATCHERS[key](operand, actual))]
        return "; ".join(problems) or None
    if actual is MISSING:
        return "is absent"
    return None if same(expected, actual) else f"is {show(actual)}"


# --- the expect block ----------------------------------------------------------------------------------


def judge(*, api: str, step_id: str, status: int, body: Any, expected_status: int,
          expected_body: Mapping[str, Any], expected_error: str | int | None,
          requirements: tuple[str, ...] = ()) -> list[Verdict]:
    """One verdict per expectation of a rendered `expect` block (templates already filled in).

    When the status is not the expected one the body is not judged: its fields would only repeat that
    the request went another way; the status finding quotes the provider's error code instead.
    """
    def finding(check: str, field: str, message: str, expected: Any, actual: Any) -> Finding:
        return Finding(check, f"step {step_id}: {message}", expected=expected, actual=actual, step_id=step_id,
                       requirements=requirements, field=field)

    label = f"status {expected_status}"
    if status != expected_status:
        codes = error_codes(api, body)
        said = f" ({', '.join(codes)})" if codes else ""
        return [Verdict(label, finding("status", "status", f"status: expected {expected_status}, got {status}{said}",
                                       expected_status, status))]
    verdicts = [Verdict(label)]
    for path, expected in expected_body.items():
        actual = dig(body, path)
        problem = field_problem(expected, actual)
        label = f"{path} {describe(expected)}" if is_matcher(expected) else f"{path} = {describe(expected)}"
        verdicts.append(Verdict(label, finding(
            "body", path, f"{path}: expected {describe(expected)}, {problem}", expected,
            None if actual is MISSING else actual) if problem else None))
    if expected_error is not None:
        codes = error_codes(api, body)
        found = str(expected_error) in codes
        got = ", ".join(codes) or "no error code"
        verdicts.append(Verdict(f"error {expected_error}", None if found else finding(
            "error_code", "error", f"error: expected {expected_error}, got {got}", expected_error, list(codes))))
    return verdicts
