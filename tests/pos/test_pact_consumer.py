"""The reference POS's pact-python consumer test writes a pact; `--pact` then certifies it against the simulator
(this is the example for vendors who already use Pact)."""

from __future__ import annotations

import json
from pathlib import Path

from conformance.runner.pos.pact import load_pact
from tests.pos.pact_support import CARD, certify, reference_till, till_pact

EXAMPLE = Path(__file__).parent / "data" / "reference-pos-ackroo.pact.json"


def test_the_reference_pos_pact_is_written_then_verified_against_the_simulator(live_simulator: object,
                                                                       tmp_path: Path) -> None:
    pact = till_pact()
    with pact.serve() as mock:  # the consumer side: the reference POS against pact's mock provider
        till = reference_till(str(mock.url))
        sale = {"action": "sale", "customer": {"medium": {"type": "card_number", "data": CARD}},
                "lines": [{"sku": "0103", "dept": "02", "description": "bagels", "price": "5.00", "quantity": "2"},
                          {"sku": "0104", "dept": "01", "description": "item 0104", "price": "3.00", "quantity": "1"}],
                "tenders": {"cash": "13.00"}}
        assert till.perform(sale)["award"] == "1.30"
        shown = till.perform({"action": "balance", "customer": {"medium": {"type": "card_number", "data": CARD}}})
        assert (shown["balance"], shown["gift_balance"]) == ("7.30", "25.00")
    pact.write_file(tmp_path, overwrite=True)
    written = tmp_path / "reference-pos-ackroo.json"
    results = certify(load_pact(written), live_simulator.origin)  # type: ignore[attr-defined]
    assert sorted((r.title, r.outcome.value) for r in results) == [
        ("a balance check shows gift and loyalty", "pass"), ("a cash sale of two lines earns 1.30", "pass")]
    assert "ACK-UC01" in next(r for r in results if "sale" in r.title).requirements
    assert CARD not in json.dumps([str(r.steps[0].exchange) for r in results])
    # the example vendors read is this very pact (regenerate it by copying `written` when the till changes)
    assert json.loads(written.read_text())["interactions"] == json.loads(EXAMPLE.read_text())["interactions"]
