"""A user's first hour (issue 14): their own scenario files, their own credentials and cards, artefacts for CI,
errors said once with a suggestion."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from junitparser import JUnitXml

from tests.conftest import CONTROL_TOKEN

ROOT = Path(__file__).resolve().parents[2]
UC01 = ROOT / "scenarios" / "ackroo" / "uc01-cash-credit.yaml"
SANDBOX = {"api": "ackroo", "program": "ackroo-reference",
           "credentials": [{"token": "sandbox-token-9", "device_id": "aa11bb22cc33dd44"}],
           "cards": [{"cardnumber": "600000000000000017", "gift": "0.00", "earned": "0.00", "promo": "0.00",
                      "active": True}]}


def _my_scenario(folder: Path, expect: str = "1.30", new_id: str = "ackroo.my-first") -> Path:
    """Use case 1 copied into a folder of the user's, under an id of theirs."""
    folder.mkdir(parents=True, exist_ok=True)
    text = UC01.read_text(encoding="utf-8").replace("id: ackroo.uc01-cash-credit", f"id: {new_id}")
    text = text.replace('el_balance: {$money: "1.30"}', f'el_balance: {{$money: "{expect}"}}')
    path = folder / f"{new_id.split('.')[1]}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _seed_sandbox(origin: str) -> None:
    """The target as a real sandbox would be: its own token, device and card, set up before the run."""
    auth = {"Authorization": f"Bearer {CONTROL_TOKEN}"}
    httpx.post(f"{origin}/_control/reset", json={"api": "ackroo"}, headers=auth).raise_for_status()
    httpx.post(f"{origin}/_control/fixtures", json=SANDBOX, headers=auth).raise_for_status()


def test_my_scenario_runs_against_a_target_seeded_with_other_credentials(
        live_simulator: object, cli: Callable[..., object], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The "Done when" run: no control interface used (`--setup true`), `--vars` naming the sandbox's own."""
    origin = live_simulator.origin  # type: ignore[attr-defined]
    _seed_sandbox(origin)
    scenario = _my_scenario(tmp_path / "x")
    variables = tmp_path / "vars.yaml"
    variables.write_text('token: env:SANDBOX_TOKEN\ndevice_id: aa11bb22cc33dd44\ncardnumber: "600000000000000017"\n')
    monkeypatch.setenv("SANDBOX_TOKEN", "sandbox-token-9")
    base = ["--setup", "true", "--base-url", f"{origin}/ackroo"]
    without = cli("scenario", "run", str(scenario), *base)
    assert without.code == 1  # type: ignore[attr-defined]  # the scenario's own token is unknown there
    result = cli("scenario", "run", str(scenario), "--vars", str(variables), *base, "--report-dir",
                 str(tmp_path / "out"))
    assert result.code == 0, result.stdout  # type: ignore[attr-defined]
    assert "pass ackroo.my-first" in result.stdout  # type: ignore[attr-defined]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["junit.xml", "report.html", "report.json"]
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["verdict"] == "certified" and report["target"] == f"{origin}/ackroo"
    assert str(scenario) in {i["path"] for i in report["inputs"]}
    for name in ("report.json", "junit.xml", "report.html"):
        text = (tmp_path / "out" / name).read_text()
        assert "sandbox-token-9" not in text and "600000000000000017" not in text
    balance = httpx.get(f"{origin}/ackroo/device/card", params={"cardnumber": "600000000000000017",
                        "device_id": "aa11bb22cc33dd44"}, headers={"Authorization": "Bearer sandbox-token-9"})
    assert balance.json()["earned"] == "1.30"  # the run really used the sandbox's card


def test_var_mistakes_are_usage_errors(cli: Callable[..., object], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_SUCH_TOKEN", raising=False)
    unset = cli("scenario", "run", "ackroo.uc01-cash-credit", "--var", "token=env:NO_SUCH_TOKEN")
    assert unset.code == 2 and "NO_SUCH_TOKEN is not set" in unset.stderr  # type: ignore[attr-defined]
    unused = cli("scenario", "run", "ackroo.uc01-cash-credit", "--var", "tokn=abc")
    assert unused.code == 2 and "--var tokn: no chosen scenario's `given` has 'tokn'" in unused.stderr  # type: ignore
    picked = cli("scenario", "run", "ackroo.uc01-cash-credit", "--var", "cards.0.earned=0.00", "-q")
    assert picked.code == 0  # type: ignore[attr-defined]


def test_quiet_fail_fast_and_one_combined_junit(cli: Callable[..., object], tmp_path: Path) -> None:
    wrong = _my_scenario(tmp_path / "mine", expect="9.99", new_id="ackroo.wrong")
    result = cli("scenario", "run", str(wrong), "ackroo.uc01-cash-credit", "--fail-fast", "-q", "--report-dir",
                 str(tmp_path / "out"))
    assert result.code == 1  # type: ignore[attr-defined]
    out = result.stdout  # type: ignore[attr-defined]
    assert "FAIL ackroo.wrong" in out and '- expected: {"$money":"9.99"}' in out and '+ actual:   "1.30"' in out
    assert "uc01" not in out  # stopped after the first failure
    assert "--fail-fast: ackroo.wrong did not pass" in result.stderr  # type: ignore[attr-defined]
    (suite,) = list(JUnitXml.fromfile(str(tmp_path / "out" / "junit.xml")))
    (case,) = list(suite)
    assert case.result[0].message == ('step credit field el_balance: el_balance: expected $money "9.99", is 1.30, '
                                      'not 9.99 (expected {"$money": "9.99"}, actual "1.30")')
    quiet = cli("scenario", "run", "--api", "ackroo", "-q", "--report-dir", str(tmp_path / "all"))
    assert quiet.code == 0  # type: ignore[attr-defined]
    lines = quiet.stdout.strip().splitlines()  # type: ignore[attr-defined]
    report = json.loads((tmp_path / "all" / "report.json").read_text())
    assert len(lines) == len(report["results"]) + 2  # one line per scenario, the total, the report's path
    assert report["suite_version"] and report["started"] <= report["finished"]


def test_data_overlay_and_a_broken_file_is_skipped(cli: Callable[..., object], tmp_path: Path) -> None:
    data = tmp_path / "data"
    mine = data / "scenarios" / "ackroo"
    mine.mkdir(parents=True)
    (mine / "uc01-cash-credit.yaml").write_text(UC01.read_text().replace(
        "title: Use case 1,", "title: Replaced by my overlay; use case 1,"))
    (mine / "zz-broken.yaml").write_text(UC01.read_text().replace("id: ackroo.uc01-cash-credit",
                                                                  "id: ackroo.zz-broken").replace(
        "    operation: loyaltyCreditMulti", "    operaton: loyaltyCreditMulti"))
    listed = cli("scenario", "list", "--api", "ackroo", "--data", str(data))
    assert listed.code == 0  # type: ignore[attr-defined]
    assert "Replaced by my overlay" in listed.stdout and "ackroo.uc07-split-tender" in listed.stdout  # type: ignore
    (skipped,) = listed.stderr.splitlines()  # type: ignore[attr-defined]
    assert skipped.startswith(f"skipped (broken): {mine / 'zz-broken.yaml'}:19: steps/0: unknown key 'operaton' "
                              "(did you mean 'operation'?)")
    ran = cli("scenario", "run", "ackroo.uc01-cash-credit", "--data", str(data), "-q")
    assert ran.code == 0 and "pass ackroo.uc01-cash-credit" in ran.stdout  # type: ignore[attr-defined]
    chosen = cli("scenario", "run", "ackroo.zz-broken", "--data", str(data))
    assert chosen.code == 2 and "unknown key 'operaton' (did you mean 'operation'?)" in chosen.stderr  # type: ignore
    alone = cli("scenario", "run", str(mine / "zz-broken.yaml"))
    assert alone.code == 2 and alone.stderr.count("\n") == 1  # type: ignore[attr-defined]
    bundled = cli("scenario", "show", "ackroo.uc01-cash-credit")  # --data held for one command only
    assert "Replaced by my overlay" not in bundled.stdout  # type: ignore[attr-defined]


@pytest.mark.parametrize(("typed", "meant"), [("uc7", "ackroo.uc07-split-tender"),
                                              ("ackroo.uc7", "ackroo.uc07-split-tender"),
                                              ("ackroo.uc01-cash-credt", "ackroo.uc01-cash-credit")])
def test_a_near_miss_id_gets_a_suggestion(cli: Callable[..., object], typed: str, meant: str) -> None:
    result = cli("scenario", "run", typed)
    assert result.code == 2  # type: ignore[attr-defined]
    assert f"unknown scenario id {typed!r} (did you mean {meant!r}?)" in result.stderr  # type: ignore[attr-defined]
