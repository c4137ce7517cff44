"""Seed 001: CRM.COM REST "accepts form-encoded request bodies". A form in bracket notation is read as the JSON
body it stands for, typed by the operation's schema, and refused in CRM.COM's shape when it cannot be."""

from __future__ import annotations

from decimal import Decimal
from urllib.parse import urlencode

import pytest

from conformance.loader.specs import spec_for
from conformance.simulator.forms import FormError, form_body
from tests.simulator.crmcom_schemathesis_hooks import bracket_pairs

DOC = spec_for("crmcom").document
PURCHASE = {"$ref": "#/components/schemas/PurchaseCreateRequest"}
BODY = {"contact_id": "4f7d9a12-3b6c-4e8f-a1d2-5c6b7e8f9a01", "cim": "22265577", "reference_number": "1040",
        "performed_on": 1700000000123, "merchant_tap": {"code": "M1"},
        "products": [{"product_sku": "COFFEE", "quantity": 2, "net_amount": Decimal("8.00"),
                      "tax_amount": Decimal("1.52"), "total_amount": Decimal("9.52")}]}


def test_a_bracket_form_reads_back_as_its_json_body_with_numbers_where_the_schema_wants_them() -> None:
    raw = urlencode(bracket_pairs(BODY)).encode()
    assert form_body(raw, PURCHASE, DOC) == BODY  # cim and reference_number stay text: the schema says string


def test_list_append_and_index_order() -> None:
    raw = b"products[1][product_sku]=B&products[0][product_sku]=A&x[]=1&x[]=2"
    assert form_body(raw, PURCHASE, DOC) == {"products": [{"product_sku": "A"}, {"product_sku": "B"}], "x": ["1", "2"]}


@pytest.mark.parametrize("raw", [b"a=1&a=2", b"a=1&a[b]=2", b"a]b=1", b"a" + b"[x]" * 9 + b"=1", b"\xff=1"])
def test_forms_that_stand_for_no_json_body_are_refused(raw: bytes) -> None:
    with pytest.raises(FormError):
        form_body(raw, PURCHASE, DOC)
