"""`certify pos --interactive` through a pseudo-terminal: a scripted till (httpx on 127.0.0.1) does what the
screen says, and the screen shows each verdict as the requests arrive."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import httpx
import pexpect

from tests.pos.pact_support import CARD, DEVICE, SALE

ROOT = Path(__file__).resolve().parents[2]
BEARER = {"authorization": "Bearer t-1"}


def _session(report: Path, timeout_s: str, *scenarios: str) -> pexpect.spawn:
    args = ["-m", "conformance", "certify", "pos", "--api", "ackroo", "--interactive", "--report-dir", str(report),
            "--timeout", timeout_s]
    for scenario in scenarios:
        args += ["--scenario", scenario]
    return pexpect.spawn(sys.executable, args, cwd=str(ROOT), encoding="utf-8", timeout=30, dimensions=(50, 250),
                         env=dict(os.environ))


def _base(till: pexpect.spawn) -> str:
    till.expect(r"the simulator is at (http://127\.0\.0\.1:\d+/ackroo)")
    return str(till.match.group(1))


def test_a_cashier_is_walked_through_scenarios_and_sees_each_verdict_as_it_arrives(tmp_path: Path) -> None:
    till = _session(tmp_path / "r", "20", "ackroo.uc01-cash-credit", "ackroo.uc13-balance-check",
                    "ackroo.uc14-magstripe-balance", "ackroo.uc08-refund")
    try:
        base = _base(till)
        till.expect("Test credentials: token=t-1 device_id=0d373af2942291bf")
        till.expect(r"Step 1/1 \(credit\): Ring up 2 bagels")
        till.expect(f"Present: card_number {CARD}")
        till.expect("Waiting for the till's loyaltyCreditMulti")
        assert httpx.post(f"{base}/transaction/loyalty/credit/multi", json=SALE, headers=BEARER).status_code == 200
        till.expect(r"<- POST /ackroo/transaction/loyalty/credit/multi -> 200")
        till.expect("PASS credit")
        till.expect("== PASS ackroo.uc01-cash-credit")

        till.expect(r"Step 1/1 \(balance-post\)")  # uc13: the till sends the card number as a JSON number
        answer = httpx.post(f"{base}/device/card", json={"device_id": DEVICE, "cardnumber": int(CARD)}, headers=BEARER)
        assert answer.status_code == 400
        till.expect("FAIL balance-post")
        till.expect(r"the provider refused the POS's cardBalanceCheck with 400.*body/cardnumber")
        till.expect("== FAIL ackroo.uc13-balance-check")

        till.expect(r"Step 1/1 \(swipe-balance\)")  # uc14: skipped at the till
        till.send("s")
        till.expect("SKIP swipe-balance: skipped at the till")

        till.expect(r"Step 1/\d+ \(")  # uc08: the session is ended
        till.send("q")
        till.expect("the session was ended at the till")
        till.expect(r"Session over: 1 pass, 1 fail, 2 skip")
        till.expect("not-certified")
        till.expect(pexpect.EOF)
    finally:
        till.close()
    assert till.exitstatus == 1
    report: dict[str, Any] = json.loads((tmp_path / "r" / "report.json").read_text())
    assert report["kind"] == "pos" and report["summary"] == {"pass": 1, "fail": 1, "skip": 2, "omit": 0, "error": 0}
    assert CARD not in (tmp_path / "r" / "report.json").read_text()


def test_a_step_the_till_never_sends_fails_after_its_timeout(tmp_path: Path) -> None:
    till = _session(tmp_path / "r", "1", "ackroo.uc01-cash-credit")
    try:
        _base(till)
        till.expect("Waiting for the till's loyaltyCreditMulti")
        till.expect("FAIL credit")
        till.expect("loyaltyCreditMulti")
        till.expect(pexpect.EOF)
    finally:
        till.close()
    assert till.exitstatus == 1


def test_a_pipe_is_not_a_till(tmp_path: Path) -> None:
    from tests.conftest import run_cli

    done = run_cli("certify", "pos", "--api", "ackroo", "--interactive", "--report-dir", str(tmp_path / "r"))
    assert done.returncode == 2 and "--interactive needs a terminal" in done.stderr and "Traceback" not in done.stderr
