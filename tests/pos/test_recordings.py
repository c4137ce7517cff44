"""Recorded POS traffic (vcrpy cassettes, HAR files) becomes the exchange log and is matched to scenarios."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
import vcr

from conformance.core.errors import DataError
from conformance.loader.paths import cassettes_dir
from conformance.loader.scenarios import load_scenarios
from conformance.model.scenario import Scenario, thaw
from conformance.runner.pos import recordings
from tests.conftest import CONTROL_TOKEN
from tests.pos.recorded_support import har_from_cassettes, route_of

CARD = "612573981949778930"
SALES = ("ackroo.uc01-cash-credit", "ackroo.uc02-cash-credit-short-tender", "ackroo.uc07-split-tender",
         "ackroo.uc08-refund", "ackroo.uc09-loyalty-partial-debit")


@pytest.fixture(scope="module")
def ackroo() -> list[Scenario]:
    return [s for s in load_scenarios().values() if s.api == "ackroo"]


def _matched(recorded: list[recordings.Recorded], scenarios: list[Scenario]) -> recordings.Matching:
    return recordings.match(recordings.with_operations(recorded, "ackroo", route_of("ackroo")), scenarios)


def test_the_suites_own_cassettes_match_their_scenarios_step_by_step(ackroo: list[Scenario]) -> None:
    paths = [cassettes_dir() / "ackroo" / f"{sid}.yaml" for sid in SALES]
    found = _matched([item for path in paths for item in recordings.read_cassette(path)], ackroo)
    assert sorted(t.scenario.id for t in found.matched) == sorted(SALES)
    uc08 = next(t for t in found.matched if t.scenario.id == "ackroo.uc08-refund")
    assert [(e["step_id"], e["operation_id"]) for e in uc08.exchanges] == [
        (step.id, step.operation) for step in recordings.pos_steps(uc08.scenario)]
    first = next(t for t in found.matched if t.scenario.id == SALES[0]).exchanges[0]
    assert first["request"]["body"]["cardnumber"] == "**************8930"
    assert first["response"]["body"]["amount_funded"] == "1.30"
    assert first["request"]["path"] == "/ackroo/transaction/loyalty/credit/multi"
    assert first["api"] == "ackroo" and first["seq"] == 1


def test_a_folder_of_cassettes_covers_every_pos_scenario_of_the_api(ackroo: list[Scenario]) -> None:
    found = _matched(recordings.read_cassettes(cassettes_dir() / "ackroo"), ackroo)
    pos = {s.id for s in ackroo if recordings.pos_steps(s)}
    assert {t.scenario.id for t in found.matched} == pos and not found.missing
    for traffic in found.matched:  # nothing taken from another scenario's cassette
        assert {Path(item.group).stem for item in traffic.recorded} == {traffic.scenario.id}


def test_a_har_with_one_page_per_scenario_matches_the_same_way(tmp_path: Path, ackroo: list[Scenario]) -> None:
    paths = [cassettes_dir() / "ackroo" / f"{sid}.yaml" for sid in SALES]
    har = har_from_cassettes(paths, tmp_path / "till.har", pages=True)
    found = _matched(recordings.read_har(har), ackroo)
    assert sorted(t.scenario.id for t in found.matched) == sorted(SALES)
    entry = found.matched[0].exchanges[0]
    assert entry["at"] == "2026-01-01T12:00:00.000Z" and str(entry["duration_ms"]) == "3.5"
    assert found.matched[0].recorded[0].source == f"{har}#log.entries[0]"


def test_a_har_without_pages_is_cut_into_scenarios_by_operation_and_body(tmp_path: Path,
                                                                         ackroo: list[Scenario]) -> None:
    """uc01 and uc02 both send one loyalty credit: the bodies tell them apart."""
    found = _matched(recordings.read_cassettes(cassettes_dir() / "ackroo"), ackroo)
    har_paths = [cassettes_dir() / "ackroo" / f"{sid}.yaml" for sid in SALES]
    har = har_from_cassettes(har_paths, tmp_path / "flat.har", pages=False)
    flat = _matched(recordings.read_har(har), ackroo)
    assert [t.scenario.id for t in flat.matched] == list(SALES)
    by_id = {t.scenario.id: t for t in found.matched}
    for traffic in flat.matched:
        assert [e["request"]["body"] for e in traffic.exchanges] == [
            e["request"]["body"] for e in by_id[traffic.scenario.id].exchanges]
    assert not flat.unmatched


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
