"""`--pact`: a pact is judged against the spec, then verified against the simulator with pact-python."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from conformance.core.errors import DataError
from conformance.runner.pos.pact import load_pact
from tests.conftest import run_cli
from tests.pos.pact_support import CARD, DEVICE, certify

EXAMPLE = Path(__file__).parent / "data" / "reference-pos-ackroo.pact.json"


def _pact(tmp_path: Path, change: Any = None, name: str = "pact.json") -> Path:
    data = json.loads(EXAMPLE.read_text())
    if change is not None:
        change(data)
    path = tmp_path / name
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")
    return path


def _sale(data: dict[str, Any]) -> dict[str, Any]:
    return next(i for i in data["interactions"] if "sale" in i["description"])


def _outcomes(results: list[Any]) -> dict[str, tuple[str, list[str]]]:
    return {r.title: (r.outcome.value, [f.message for f in r.findings]) for r in results}


def test_a_request_the_spec_forbids_fails_naming_the_interaction_and_the_field(tmp_path: Path) -> None:
    def number_card(data: dict[str, Any]) -> None:
        _sale(data)["request"]["body"]["content"]["cardnumber"] = int(CARD)

    results = _outcomes(certify(load_pact(_pact(tmp_path, number_card)), None))
    outcome, messages = results["a cash sale of two lines earns 1.30"]
    assert outcome == "fail"
    assert any("interaction 'a cash sale of two lines earns 1.30'" in m and "body/cardnumber" in m
               and "loyaltyCreditMulti" in m for m in messages), messages
    assert all(CARD not in m for m in messages)
    assert results["a balance check shows gift and loyalty"] == ("pass", [])


def test_a_missing_field_and_an_unknown_path_are_named(tmp_path: Path) -> None:
    def break_both(data: dict[str, Any]) -> None:
        del _sale(data)["request"]["body"]["content"]["device_id"]
        other = next(i for i in data["interactions"] if i is not _sale(data))
        other["request"]["path"] = "/device/cards"

    results = _outcomes(certify(load_pact(_pact(tmp_path, break_both)), None))
    assert any("'device_id' is a required property" in m for m in results["a cash sale of two lines earns 1.30"][1])
    assert results["a balance check shows gift and loyalty"][1] == [
        "interaction 'a balance check shows gift and loyalty': GET /device/cards is not an operation of the "
        "ackroo spec"]


def test_a_response_example_the_spec_forbids_fails_but_a_partial_one_passes(tmp_path: Path) -> None:
    def money_as_number(data: dict[str, Any]) -> None:
        _sale(data)["response"]["body"]["content"]["amount_funded"] = 1.3

    outcome, messages = _outcomes(certify(load_pact(_pact(tmp_path, money_as_number)), None))[
        "a cash sale of two lines earns 1.30"]
    assert outcome == "fail" and any("expected response" in m and "amount_funded" in m for m in messages)


def test_a_v3_pact_verifies_like_the_v4_one_and_the_simulator_judges_values(live_simulator: object,
                                                                           tmp_path: Path) -> None:
    """Written by hand the way pact-js or pact-jvm write v3; the second interaction expects a wrong award."""
    v4 = json.loads(EXAMPLE.read_text())
    interactions = []
    for item in v4["interactions"]:
        interactions.append({
            "description": item["description"], "providerStates": item["providerStates"],
            "request": {"method": item["request"]["method"], "path": item["request"]["path"],
                        "headers": {k: v[0] for k, v in item["request"]["headers"].items()},
                        **({"body": item["request"]["body"]["content"]} if "body" in item["request"] else {}),
                        **({"query": item["request"]["query"]} if "query" in item["request"] else {})},
            "response": {"status": item["response"]["status"],
                         "headers": {k: v[0] for k, v in item["response"]["headers"].items()},
                         "body": item["response"]["body"]["content"],
                         **({"matchingRules": item["response"]["matchingRules"]}
                            if "matchingRules" in item["response"] else {})}})
    wrong = copy.deepcopy(next(i for i in interactions if "sale" in i["description"]))
    wrong["description"] = "a cash sale earns 9.99"
    wrong["response"]["body"]["amount_funded"] = "9.99"
    interactions.append(wrong)
    path = tmp_path / "v3.json"
    path.write_text(json.dumps({"consumer": {"name": "js-till"}, "provider": {"name": "ackroo"},
                                "interactions": interactions,
                                "metadata": {"pactSpecification": {"version": "3.0.0"}}}), encoding="utf-8")
    pact = load_pact(path)
    assert pact.version == "3.0.0" and pact.consumer == "js-till"
    results = _outcomes(certify(pact, live_simulator.origin))  # type: ignore[attr-defined]
    assert results["a cash sale of two lines earns 1.30"] == ("pass", [])
    assert results["a balance check shows gift and loyalty"] == ("pass", [])
    outcome, messages = results["a cash sale earns 9.99"]
    assert outcome == "fail" and any("$.amount_funded" in m and "9.99" in m for m in messages), messages


def test_provider_states_are_scenario_ids_or_fixture_parameters(live_simulator: object, tmp_path: Path) -> None:
    def states(data: dict[str, Any]) -> None:
        balance = next(i for i in data["interactions"] if "balance" in i["description"])
        balance["providerStates"] = [{"name": "a card holding 25.00 of gift", "params": {
            "credentials": [{"token": "t-1", "device_id": DEVICE}],
            "cards": [{"cardnumber": CARD, "gift": "25.00", "earned": "5.80", "promo": "1.50", "active": True}]}}]
        _sale(data)["providerStates"] = [{"name": "the till is happy"}]

    results = _outcomes(certify(load_pact(_pact(tmp_path, states)), live_simulator.origin))  # type: ignore[attr-defined]
    assert results["a balance check shows gift and loyalty"] == ("pass", [])
    outcome, messages = results["a cash sale of two lines earns 1.30"]
    assert outcome == "fail" and "provider state 'the till is happy' is neither a scenario id" in messages[0]


@pytest.mark.parametrize(("text", "where"), [
    ('{"interactions": [\n  {"description": }\n]}', "bad.json:2: invalid JSON"),
    ('{"interactions": [\n  {"description": "x",\n   "request": {}}]}', "bad.json:2: interactions[0]"),
    ('{"consumer": {}}', "bad.json: not a pact file"),
])
def test_a_broken_pact_is_one_line_naming_the_file(tmp_path: Path, text: str, where: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DataError) as caught:
        load_pact(path)
    assert "\n" not in str(caught.value) and str(caught.value).endswith(str(caught.value).split(where)[-1])
    assert where in str(caught.value)


def test_certify_pos_pact_verifies_the_example_and_fails_a_forbidden_request(tmp_path: Path) -> None:
    done = run_cli("certify", "pos", "--api", "ackroo", "--pact", str(EXAMPLE), "--report-dir", str(tmp_path / "ok"),
                   env={"PACT_DO_NOT_TRACK": "true"})
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads((tmp_path / "ok" / "report.json").read_text())
    assert report["kind"] == "pos" and report["pact"]["interactions"] == 2 and report["summary"]["pass"] == 2
    assert report["started"] <= report["finished"] and any(i["path"].endswith("openapi.yaml") for i in report["inputs"])

    def no_device(data: dict[str, Any]) -> None:
        del _sale(data)["request"]["body"]["content"]["device_id"]

    done = run_cli("certify", "pos", "--api", "ackroo", "--pact", str(_pact(tmp_path, no_device)), "--report-dir",
                   str(tmp_path / "bad"), env={"PACT_DO_NOT_TRACK": "true"})
    assert done.returncode == 1, done.stdout + done.stderr
    assert "interaction 'a cash sale of two lines earns 1.30' (loyaltyCreditMulti): the request breaks the spec" \
        in done.stdout and "'device_id' is a required property" in done.stdout
