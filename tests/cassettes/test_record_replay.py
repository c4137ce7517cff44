"""Cassettes: a fresh recording equals the committed files, replay needs no network, vcrpy reads them as they are."""

from __future__ import annotations

import json
import shutil
import socket
from pathlib import Path
from typing import Any

import httpx
import pytest
import vcr
from typer.testing import CliRunner

from conformance.cli.cassettes import app, record_cassettes
from conformance.cli.scenario import select
from conformance.core.errors import DataError
from conformance.loader.cassettes import cassette_files, load_cassette
from conformance.loader.paths import cassettes_dir

SHIPPED = cassettes_dir()


class NetworkBlocked(AssertionError):
    pass


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any attempt to open a connection or resolve a name fails the test."""

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise NetworkBlocked(f"network used: {args[:2]!r}")

    for name in ("connect", "connect_ex"):
        monkeypatch.setattr(socket.socket, name, refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


def test_every_scenario_has_a_cassette() -> None:
    scenarios = select([], [])
    names = {path.relative_to(SHIPPED).as_posix() for path in cassette_files(SHIPPED)}
    assert names == {f"{s.api}/{s.id}.yaml" for s in scenarios}


def test_recording_again_gives_the_committed_files_byte_for_byte(tmp_path: Path) -> None:
    """Drift between the simulator and the committed recordings fails here: re-record with
    `conformance cassettes record` and review the diff."""
    written, results = record_cassettes(select([], []), tmp_path)
    assert {r.outcome.value for r in results} == {"pass"}
    fresh = {path.relative_to(tmp_path).as_posix(): path.read_bytes() for path in written}
    committed = {path.relative_to(SHIPPED).as_posix(): path.read_bytes() for path in cassette_files(SHIPPED)}
    assert sorted(fresh) == sorted(committed)
    changed = [name for name in fresh if fresh[name] != committed[name]]
    assert not changed, f"re-recording changed {len(changed)} cassette(s), e.g. {changed[:5]}"


def test_replay_runs_every_scenario_with_the_network_blocked(no_network: None, tmp_path: Path) -> None:
    with pytest.raises(NetworkBlocked):  # the guard is real
        socket.create_connection(("127.0.0.1", 9))
    result = CliRunner().invoke(app, ["replay", "--report-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output[-2000:]
    reports = sorted(tmp_path.glob("provider-*/report.json"))
    assert [p.parent.name for p in reports] == ["provider-ackroo", "provider-antavo", "provider-crmcom",
                                                "provider-crmcom-webapi"]
    total = 0
    for path in reports:
        report = json.loads(path.read_text())
        assert report["verdict"] == "certified" and report["summary"]["fail"] == 0
        assert (path.parent / "junit.xml").is_file() and (path.parent / "report.html").is_file()
        total += report["summary"]["pass"]
    assert total == len(select([], []))


def test_replay_answers_from_the_cassette_and_names_where_a_request_differs(tmp_path: Path) -> None:
    shutil.copytree(SHIPPED / "ackroo", tmp_path / "ackroo")
    path = tmp_path / "ackroo" / "ackroo.uc01-cash-credit.yaml"
    text = path.read_text()
    first_body = next(line for line in text.splitlines() if line.strip().startswith("body: '{"))
    path.write_text(text.replace(first_body, first_body.replace('"device_id":"', '"device_id":"X'), 1))
    result = CliRunner().invoke(app, ["replay", "ackroo.uc01-cash-credit", "ackroo.uc08-refund", "--cassettes",
                                      str(tmp_path), "--report-dir", str(tmp_path / "reports")])
    assert result.exit_code == 3, result.output
    assert f"{path}:" in result.output and "differs from the recording in its body" in result.output
    report = json.loads((tmp_path / "reports/provider-ackroo/report.json").read_text())
    assert {r["id"]: r["outcome"] for r in report["results"]} == {"ackroo.uc01-cash-credit": "error",
                                                                  "ackroo.uc08-refund": "pass"}


def test_vcrpy_loads_a_cassette_unchanged_and_replays_it_through_httpx(no_network: None) -> None:
    path = SHIPPED / "ackroo" / "ackroo.gift-issue-and-debit.yaml"
    recorded = load_cassette(path).interactions
    with vcr.use_cassette(str(path), record_mode="none") as cassette, httpx.Client() as client:
        for interaction in recorded:
            response = client.request(interaction.method, interaction.uri, content=interaction.request_body or None,
                                      headers=dict(interaction.request_headers))
            assert response.status_code == interaction.status
            assert response.text == interaction.response_body
        assert cassette.play_count == len(recorded) > 1


def test_a_malformed_cassette_is_a_data_error_with_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    text = (SHIPPED / "ackroo" / "ackroo.uc01-cash-credit.yaml").read_text()
    path.write_text(text.replace("      code: 200", "      code: two hundred", 1))
    with pytest.raises(DataError) as caught:
        load_cassette(path)
    line = text.splitlines().index("      code: 200") + 1
    assert str(caught.value).startswith(f"{path}:") and "status code an integer" in str(caught.value)
    assert int(str(caught.value).split(":")[1]) < line  # the interaction's own line, above its status


def test_a_scenario_without_a_cassette_is_an_error_saying_how_to_record_it(tmp_path: Path) -> None:
    shutil.copytree(SHIPPED / "ackroo", tmp_path / "ackroo")
    (tmp_path / "ackroo" / "ackroo.uc08-refund.yaml").unlink()
    result = CliRunner().invoke(app, ["replay", "ackroo.uc01-cash-credit", "ackroo.uc08-refund", "--cassettes",
                                      str(tmp_path), "--report-dir", str(tmp_path / "reports")])
    assert result.exit_code == 3
    assert "no cassette" in result.output and "conformance cassettes record" in result.output
    report = json.loads((tmp_path / "reports/provider-ackroo/report.json").read_text())
    assert [r["outcome"] for r in report["results"]] == ["pass", "error"]


def test_record_command_writes_one_api_and_drops_cassettes_of_scenarios_gone(tmp_path: Path) -> None:
    stale = tmp_path / "ackroo" / "ackroo.renamed-long-ago.yaml"
    stale.parent.mkdir(parents=True)
    stale.write_text("interactions: []\n")
    kept = tmp_path / "antavo" / "antavo.not-recorded-now.yaml"
    kept.parent.mkdir()
    kept.write_text("interactions: []\n")
    result = CliRunner().invoke(app, ["record", "--api", "ackroo", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert not stale.exists() and kept.exists()
    assert "1 stale cassette(s) removed" in result.output
    for path in cassette_files(SHIPPED, ["ackroo"]):
        assert (tmp_path / "ackroo" / path.name).read_bytes() == path.read_bytes(), path.name
