"""kill -9 in the middle of a burst of credits: every acknowledged transaction survives, nothing else appears."""

from __future__ import annotations

import os
import signal
import threading
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from conformance.engine.ledger import Ledger
from tests.conftest import free_port, start_simulate
from tests.simulator.ackroo_fixtures import AUTH, CARD, DEVICE, FIXTURE, USE_CASES

TOKEN = "durability-token"
CONTROL = {"authorization": f"Bearer {TOKEN}"}


@pytest.mark.slow
def test_sigkill_mid_burst_loses_no_acknowledged_transaction(tmp_path: Path) -> None:
    db = tmp_path / "ledger.sqlite"
    port = free_port()
    origin = f"http://127.0.0.1:{port}"
    proc = start_simulate("--api", "ackroo", "--db", str(db), port=port, token=TOKEN)
    acknowledged: list[str] = []
    try:
        httpx.post(f"{origin}/_control/fixtures", json=FIXTURE, headers=CONTROL).raise_for_status()
        body, reward = USE_CASES[1]
        killer = threading.Timer(0.0, lambda: None)

        def burst() -> None:
            with httpx.Client(base_url=origin, timeout=5) as client:
                while True:
                    try:
                        response = client.post("/ackroo/transaction/loyalty/credit/multi", json=body, headers=AUTH)
                    except httpx.TransportError:
                        return
                    assert response.status_code == 200, response.text
                    acknowledged.append(response.json()["transaction_number"])
                    if len(acknowledged) == 40:
                        killer.start()

        killer = threading.Timer(0.05, lambda: os.kill(proc.pid, signal.SIGKILL))
        worker = threading.Thread(target=burst)
        worker.start()
        worker.join(timeout=60)
        assert not worker.is_alive(), "the burst never ended: the kill did not happen"
    finally:
        proc.kill()
        proc.wait()
    assert len(acknowledged) >= 40

    restarted = start_simulate("--api", "ackroo", "--db", str(db), port=port, token=TOKEN)
    try:
        with Ledger(db) as ledger:
            credits = [t.number for t in ledger.transactions("ackroo") if t.kind == "loyalty_credit_multi"]
            assert ledger.check("ackroo") == []
        assert set(acknowledged) <= set(credits)
        assert len(set(credits) - set(acknowledged)) <= 1  # at most the one request in flight at the kill
        response = httpx.get(f"{origin}/ackroo/device/card", params={"cardnumber": CARD, "device_id": DEVICE},
                             headers=AUTH)
        assert Decimal(response.json()["earned"]) == Decimal(reward) * len(credits)
    finally:
        restarted.send_signal(signal.SIGINT)
        restarted.wait(timeout=10)
