"""A till's own pact-python consumer test writes a pact; `--pact` then certifies it against the simulator."""

from __future__ import annotations

import json
from pathlib import Path

from conformance.runner.pos.pact import load_pact
from tests.pos.pact_support import CARD, SALE, TinyTill, certify, till_pact

EXAMPLE = Path(__file__).parent / "data" / "tiny-till-ackroo.pact.json"


def test_the_tills_pact_is_written_then_verified_against_the_simulator(live_simulator: object,
                                                                       tmp_path: Path) -> None:
    pact = till_pact()
    with pact.serve() as mock:  # the consumer side: the till against pact's mock provider
        till = TinyTill(str(mock.url), "t-1")
        assert till.sale(SALE)["amount_funded"] == "1.30"
        assert till.balance(CARD)["loyalty"] == "7.30"
    pact.write_file(tmp_path, overwrite=True)
    written = tmp_path / "tiny-till-ackroo.json"
    results = certify(load_pact(written), live_simulator.origin)  # type: ignore[attr-defined]
    assert sorted((r.title, r.outcome.value) for r in results) == [
        ("a balance check shows gift and loyalty", "pass"), ("a cash sale of two lines earns 1.30", "pass")]
    assert "ACK-UC01" in next(r for r in results if "sale" in r.title).requirements
    assert CARD not in json.dumps([str(r.steps[0].exchange) for r in results])
    # the example vendors read is this very pact (regenerate it by copying `written` when the till changes)
    assert json.loads(written.read_text())["interactions"] == json.loads(EXAMPLE.read_text())["interactions"]
