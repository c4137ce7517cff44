"""`--interactive` through a pseudo-terminal: a scripted till (httpx on 127.0.0.1) does what the screen says."""

from __future__ import annotations

import sys
from pathlib import Path

import httpx
import pexpect

from tests.pos.pact_support import CARD, DEVICE, SALE

ROOT = Path(__file__).resolve().parents[2]


def _session(*args: str) -> pexpect.spawn:
    return pexpect.spawn(sys.executable, [str(ROOT / "tests" / "pos" / "interactive_till.py"), *args], cwd=str(ROOT),
                         encoding="utf-8", timeout=30, dimensions=(50, 200))


def test_a_cashier_is_walked_through_scenarios_and_sees_each_verdict_as_it_arrives() -> None:
    till = _session("ackroo", "20", "ackroo.uc01-cash-credit", "ackroo.uc13-balance-check",
                    "ackroo.uc14-magstripe-balance", "ackroo.uc08-refund")
    try:
        till.expect(r"point the till at (http://127\.0\.0\.1:\d+/ackroo)")
        base = till.match.group(1)
        till.expect("Test credentials: token=t-1 device_id=0d373af2942291bf")
        till.expect(r"Step 1/1 \(credit\): Ring up 2 bagels")
        till.expect(f"Present: card_number {CARD}")
        till.expect("Waiting for the till's loyaltyCreditMulti request")
        bearer = {"authorization": "Bearer t-1"}
        assert httpx.post(f"{base}/transaction/loyalty/credit/multi", json=SALE, headers=bearer).status_code == 200
        till.expect(r"<- POST /ackroo/transaction/loyalty/credit/multi -> 200")
        till.expect("PASS credit")
        till.expect("== PASS ackroo.uc01-cash-credit")

        till.expect(r"Step 1/1 \(balance-post\)")  # uc13: the till sends the card number as a JSON number
        answer = httpx.post(f"{base}/device/card", json={"device_id": DEVICE, "cardnumber": int(CARD)},
                            headers=bearer)
        assert answer.status_code == 400
        till.expect("FAIL balance-post")
        till.expect(r"status: expected 200, got 400")
        till.expect("== FAIL ackroo.uc13-balance-check")

        till.expect(r"Step 1/1 \(swipe-balance\)")  # uc14: skipped at the till
        till.send("s")
        till.expect("SKIP swipe-balance: skipped at the till")

        till.expect(r"Step 1/\d+ \(")  # uc08: the session is ended
        till.send("q")
        till.expect("the session was ended at the till")
        till.expect(r"Session over: 1 pass, 1 fail, 2 skip")
        till.expect(pexpect.EOF)
    finally:
        till.close()
    assert till.exitstatus == 1


def test_a_step_the_till_never_sends_fails_after_its_timeout() -> None:
    till = _session("ackroo", "1", "ackroo.uc01-cash-credit")
    try:
        till.expect("Waiting for the till's loyaltyCreditMulti request")
        till.expect("FAIL credit")
        till.expect("no loyaltyCreditMulti request reached the simulator within 1 s")
        till.expect(pexpect.EOF)
    finally:
        till.close()
    assert till.exitstatus == 1
