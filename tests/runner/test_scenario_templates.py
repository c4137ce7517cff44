"""Templates fill in captures and `given` values; one whole template keeps the value's type."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from conformance.model.template import MISSING, dig, malformed, references, render

GIVEN = {"cards": [{"cardnumber": "612573981949778930", "gift": "5.00"}], "points": 10}
CAPTURES: dict[str, Any] = {"txn": "100012", "balance": Decimal("15.00"), "obj": {"id": 7}}


def resolve(name: str) -> Any:
    root, _, rest = name.partition(".")
    value = dig(GIVEN, rest) if root == "given" else dig(CAPTURES[root], rest) if rest else CAPTURES[root]
    if value is MISSING:
        raise KeyError(name)
    return value


def test_a_whole_template_keeps_its_type() -> None:
    assert render("{{given.points}}", resolve) == 10
    assert render("{{ balance }}", resolve) == Decimal("15.00")
    assert render("{{obj}}", resolve) == {"id": 7}
    assert render("{{obj.id}}", resolve) == 7


def test_templates_inside_text_are_written_as_text() -> None:
    assert render("REF-{{txn}}/{{given.points}}", resolve) == "REF-100012/10"


def test_render_walks_mappings_and_lists_and_leaves_the_rest() -> None:
    body = {"transaction_number": "{{txn}}", "cards": ["{{given.cards.0.cardnumber}}"], "n": 1, "ok": True}
    assert render(body, resolve) == {"transaction_number": "100012", "cards": ["612573981949778930"], "n": 1,
                                     "ok": True}


def test_references_and_dig() -> None:
    found = list(references({"a": ["x {{txn}}", {"b": "{{given.cards.0.gift}}"}]}))
    assert found == [(("a", 0), "txn"), (("a", 1, "b"), "given.cards.0.gift")]
    assert dig(GIVEN, "cards.0.gift") == "5.00"
    assert dig(GIVEN, "cards.1.gift") is MISSING
    assert dig(GIVEN, "cards.-1.gift") == "5.00"
    assert dig({"a": None}, "a") is None
    assert dig([1, 2], "$") == [1, 2]


@pytest.mark.parametrize("text, bad", [("{{txn}}", False), ("a {{txn}} b", False), ("{{txn}", True),
                                       ("{{ 1x }}", True), ("}}", True), ("plain", False)])
def test_malformed_braces(text: str, bad: bool) -> None:
    assert malformed(text) is bad
