"""Recorded POS traffic (vcrpy cassettes, HAR files) becomes the exchange log and is matched to scenarios."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
import vcr

from conformance.core.errors import DataError
from conformance.loader.paths import cassettes_dir
from conformance.loader.scenarios import load_scenarios
from conformance.loader.specs import spec_for
from conformance.model.scenario import Scenario, thaw
from conformance.runner.pos import recordings
from tests.conftest import CONTROL_TOKEN, run_cli
from tests.pos.recorded_support import har_from_cassettes, record_reference_pos, route_of

CARD = "612573981949778930"
SALES = ("ackroo.uc01-cash-credit", "ackroo.uc02-cash-credit-short-tender", "ackroo.uc07-split-tender",
         "ackroo.uc08-refund", "ackroo.uc09-loyalty-partial-debit")


@pytest.fixture(scope="module")
def ackroo() -> list[Scenario]:
    return [s for s in load_scenarios().values() if s.api == "ackroo"]


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The reference POS's own traffic for every Ackroo use case, recorded by vcrpy while it was certified."""
    folder = tmp_path_factory.mktemp("reference-pos")
    live = record_reference_pos("ackroo", folder)
    assert {r.outcome.value for r in live} == {"pass"}
    return folder


def _matched(recorded: list[recordings.Recorded], scenarios: list[Scenario]) -> recordings.Matching:
    return recordings.match(recordings.with_operations(recorded, "ackroo", route_of("ackroo")), scenarios)


def _judged(found: recordings.Matching) -> dict[str, str]:
    return {r.id: r.outcome.value for r in recordings.judge_recordings(found, spec_for("ackroo"))}


def test_the_reference_pos_recorded_by_vcrpy_is_certified_offline(reference: Path, ackroo: list[Scenario]) -> None:
    found = _matched(recordings.read_cassettes(reference), ackroo)
    assert not found.unmatched and not found.missing
    outcomes = _judged(found)
    assert len(outcomes) == len(recordings_pos(ackroo)) and set(outcomes.values()) == {"pass"}
    uc08 = next(t for t in found.matched if t.scenario.id == "ackroo.uc08-refund")
    assert [e["step_id"] for e in uc08.exchanges] == [a.step.id for a in recordings.actions(uc08.scenario)]
    first = next(t for t in found.matched if t.scenario.id == SALES[0]).exchanges[0]
    assert first["request"]["body"]["cardnumber"] == "**************8930" and first["operation_id"] == \
        "loyaltyCreditMulti" and first["response"]["body"]["amount_funded"] == "1.30"
    assert "t-1" not in json.dumps(found.matched[0].exchanges, default=str)


def test_without_names_the_recordings_are_matched_by_operation_and_body(reference: Path, tmp_path: Path,
                                                                        ackroo: list[Scenario]) -> None:
    """Cassettes named after nothing: each is cut into scenarios by the operations its actions send and the
    values its bodies hold (uc01 and uc02 both send one credit)."""
    names = {}
    for number, path in enumerate(sorted(reference.glob("*.yaml"))):
        (tmp_path / f"test-{number:02d}.yaml").write_bytes(path.read_bytes())
        names[f"test-{number:02d}"] = path.stem
    found = _matched(recordings.read_cassettes(tmp_path), ackroo)
    assert not found.missing and not found.unmatched
    for traffic in found.matched:
        assert {names[Path(item.group).stem] for item in traffic.recorded} == {traffic.scenario.id}


def test_a_har_of_the_same_traffic_is_judged_the_same(reference: Path, tmp_path: Path,
                                                      ackroo: list[Scenario]) -> None:
    paths = [reference / f"{sid}.yaml" for sid in SALES]
    for pages in (True, False):
        har = har_from_cassettes(paths, tmp_path / f"till-{pages}.har", pages=pages)
        found = _matched(recordings.read_har(har), ackroo)
        assert sorted(t.scenario.id for t in found.matched) == sorted(SALES) and not found.unmatched
        assert set(_judged(found).values()) >= {"pass"} and all(
            _judged(found)[sid] == "pass" for sid in SALES)
    entry = found.matched[0].exchanges[0]
    assert entry["at"] == "2026-01-01T12:00:00.000Z" and str(entry["duration_ms"]) == "3.5"
    assert found.matched[0].recorded[0].source == f"{har}#log.entries[0]"


def test_a_recording_of_a_buggy_till_fails_naming_the_step_and_the_field(reference: Path, tmp_path: Path,
                                                                          ackroo: list[Scenario]) -> None:
    """Use case 7's till swapped the cash and debit slots of the tender list."""
    text = (reference / "ackroo.uc07-split-tender.yaml").read_text()
    swapped = text.replace('"tender_type_list":["7","20",', '"tender_type_list":["20","7",')
    assert swapped != text
    (tmp_path / "ackroo.uc07-split-tender.yaml").write_text(swapped)
    found = _matched(recordings.read_cassettes(tmp_path), ackroo)
    [result] = recordings.judge_recordings(
        recordings.Matching(found.matched, (), ()), spec_for("ackroo"))
    assert result.outcome.value == "fail"
    assert any("tender_type_list" in f.message and f.step_id for f in result.findings), \
        [f.message for f in result.findings]


def test_the_suites_own_cassettes_name_their_scenario(ackroo: list[Scenario]) -> None:
    """vcrpy's `metadata.scenario` names it; calls no action makes (the bad requests of a negative
    scenario) are left over."""
    found = _matched(recordings.read_cassettes(cassettes_dir() / "ackroo"), ackroo)
    assert {t.scenario.id for t in found.matched} == {s.id for s in recordings_pos(ackroo)} and not found.missing
    for traffic in found.matched:
        assert {Path(item.group).stem for item in traffic.recorded} == {traffic.scenario.id}


def recordings_pos(scenarios: list[Scenario]) -> list[Scenario]:
    return [s for s in scenarios if recordings.actions(s)]


def test_a_till_recorded_by_vcrpy_is_read_redacted_and_matched(live_simulator: object, tmp_path: Path,
                                                               ackroo: list[Scenario]) -> None:
    """A till's own test, recorded by vcrpy over real HTTP on 127.0.0.1: raw token and card in the file,
    neither in what is read."""
    scenario = next(s for s in ackroo if s.id == SALES[0])
    origin = live_simulator.origin  # type: ignore[attr-defined]
    control = {"authorization": f"Bearer {CONTROL_TOKEN}"}
    httpx.post(f"{origin}/_control/reset", json={"api": "ackroo"}, headers=control).raise_for_status()
    httpx.post(f"{origin}/_control/fixtures", json=scenario.fixtures, headers=control).raise_for_status()
    cassette = tmp_path / "till.yaml"
    with vcr.use_cassette(str(cassette), record_mode="all"):
        answer = httpx.post(f"{origin}/ackroo/transaction/loyalty/credit/multi",
                            json=thaw(scenario.steps[0].request.body), headers={"authorization": "Bearer t-1"})
    assert answer.status_code == 200 and CARD in cassette.read_text() and "Bearer t-1" in cassette.read_text()
    found = _matched(recordings.read_cassettes(tmp_path), ackroo)
    assert [t.scenario.id for t in found.matched] == [SALES[0]]
    text = json.dumps(found.matched[0].exchanges, default=str)
    assert CARD not in text and "t-1" not in text and "8930" in text


@pytest.mark.parametrize(("name", "text", "reader", "where"), [
    ("bad.yaml", "interactions:\n- request: {method: POST\n", recordings.read_cassette, "bad.yaml:3"),
    ("odd.yaml", "interactions:\n- request: {method: POST}\n  response: {}\n", recordings.read_cassette,
     "odd.yaml:2"),
    ("bad.har", '{"log": {"entries": [\n  {"request": }\n]}}', recordings.read_har, "bad.har:2"),
    ("odd.har", '{"log": {"entries": [{"request": {"method": "GET"}}]}}', recordings.read_har,
     "odd.har: log.entries[0]"),
    ("none.har", '{"log": {}}', recordings.read_har, "none.har: not a HAR file"),
])
def test_a_broken_recording_is_one_line_naming_the_file(tmp_path: Path, name: str, text: str, reader: object,
                                                        where: str) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DataError) as caught:
        reader(path)  # type: ignore[operator]
    message = str(caught.value)
    assert "\n" not in message and message.startswith(str(tmp_path)) and where in message


def test_an_empty_folder_is_a_data_error(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="no cassette"):
        recordings.read_cassettes(tmp_path)


def _report(folder: Path) -> dict[str, Any]:
    return dict(json.loads((folder / "report.json").read_text()))


def test_certify_pos_cassettes_and_har_certify_the_recorded_reference_pos(reference: Path, tmp_path: Path) -> None:
    done = run_cli("certify", "pos", "--api", "ackroo", "--cassettes", str(reference), "--report-dir",
                   str(tmp_path / "c"))
    assert done.returncode == 0, done.stdout + done.stderr
    report = _report(tmp_path / "c")
    assert report["kind"] == "pos" and report["verdict"] == "certified" and report["summary"]["fail"] == 0
    assert report["recording"]["unmatched"] == [] and CARD not in (tmp_path / "c" / "report.json").read_text()
    har = har_from_cassettes([reference / f"{sid}.yaml" for sid in SALES], tmp_path / "till.har", pages=False)
    done = run_cli("certify", "pos", "--api", "ackroo", "--har", str(har), *[a for sid in SALES
                                                                              for a in ("--scenario", sid)],
                   "--report-dir", str(tmp_path / "h"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert _report(tmp_path / "h")["summary"]["pass"] == len(SALES)


def test_certify_pos_on_a_buggy_or_broken_recording(reference: Path, tmp_path: Path) -> None:
    (tmp_path / "bug").mkdir()
    text = (reference / "ackroo.uc07-split-tender.yaml").read_text()
    (tmp_path / "bug" / "ackroo.uc07-split-tender.yaml").write_text(
        text.replace('"tender_type_list":["7","20",', '"tender_type_list":["20","7",'))
    done = run_cli("certify", "pos", "--api", "ackroo", "--cassettes", str(tmp_path / "bug"), "--scenario",
                   "ackroo.uc07-split-tender", "--report-dir", str(tmp_path / "r"))
    assert done.returncode == 1 and "tender_type_list" in done.stdout, done.stdout + done.stderr
    broken = tmp_path / "broken.har"
    broken.write_text('{"log": {"entries": [\n  {"request": }\n]}}')
    done = run_cli("certify", "pos", "--api", "ackroo", "--har", str(broken), "--report-dir", str(tmp_path / "x"))
    assert done.returncode == 2 and done.stderr.strip() == f"error: {broken}:2: invalid JSON: Expecting value", \
        done.stderr


def test_a_web_api_sale_previews_creates_and_spends_in_one_recorded_action(tmp_path: Path) -> None:
    """The Web API's sale action makes three requests (preview, create, spend): one action, judged together."""
    live = record_reference_pos("crmcom-webapi", tmp_path)
    assert {r.outcome.value for r in live} == {"pass"}
    spec = spec_for("crmcom-webapi")
    scenarios = [s for s in load_scenarios().values() if s.api == "crmcom-webapi"]
    found = recordings.match(recordings.with_operations(recordings.read_cassettes(tmp_path), spec.api,
                                                        route_of(spec.api)), scenarios)
    assert not found.missing and not found.unmatched
    five = next(t for t in found.matched if t.scenario.id == "crmcom-webapi.five-step-flow")
    sale = next((action, items) for action, items in five.groups if action.step.pos and
                action.step.pos.action.get("action") == "sale")
    assert [i.exchange["operation_id"] for i in sale[1]] == [
        "webApiPurchasePreview", "webApiPurchaseCreate", "webApiSpendRequestCreate"]
    assert {r.outcome.value for r in recordings.judge_recordings(found, spec)} == {"pass"}
