"""kill -9 in the middle of a burst of credits: every acknowledged transaction survives, nothing else appears."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
from decimal import Decimal
from pathlib import Path
from typing import Any

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


CARDS = (CARD, "612573981949778948", "612573981949778955")
MANY = {**FIXTURE, "cards": [{"cardnumber": card, "gift": "20.00", "earned": "5.00", "promo": "0.00", "active": True}
                             for card in CARDS]}
START_TOTAL = Decimal("25.00")  # gift + earned of each card


def _card_body(card: str, **extra: Any) -> dict[str, Any]:
    return {"device_id": DEVICE, "cardnumber": card, "clerk_id": "", "ackroo_id": "", **extra}


def _random_operation(client: httpx.Client, rng: random.Random, mine: list[str]) -> httpx.Response:
    """A credit, a debit, a refund or a reversal of one of this client's own transactions, on a random card."""
    card = rng.choice(CARDS)
    kind = rng.choice(("gift-credit", "gift-debit", "loyalty-credit", "loyalty-debit", "refund", "reversal"))
    if kind == "reversal" and mine:
        return client.post("/ackroo/transaction/reversal", headers=AUTH, json={
            "device_id": DEVICE, "transaction_number": mine.pop(rng.randrange(len(mine))), "clerk_id": ""})
    if kind in ("gift-credit", "gift-debit", "loyalty-debit"):
        path = {"gift-credit": "gift/credit", "gift-debit": "gift/debit/partial",
                "loyalty-debit": "loyalty/debit/partial"}[kind]
        return client.post(f"/ackroo/transaction/{path}", headers=AUTH,
                           json=_card_body(card, amount=str(rng.choice((1, 3, 7, 12)))))
    body, _ = USE_CASES[rng.choice((1, 2, 3))]
    path = "loyalty/refund/multi" if kind == "refund" else "loyalty/credit/multi"
    return client.post(f"/ackroo/transaction/{path}", headers=AUTH, json={**body, "cardnumber": card})


def _hammer(origin: str, clients: int, operations: int, seed: int, stop: threading.Event | None = None
            ) -> list[dict[str, Any]]:
    """`clients` threads, each doing `operations` random operations; every acknowledged (200) answer body."""
    acknowledged: list[dict[str, Any]] = []
    lock = threading.Lock()

    def client_loop(number: int) -> None:
        rng = random.Random(seed * 100 + number)
        mine: list[str] = []
        with httpx.Client(base_url=origin, timeout=10) as client:
            for _ in range(operations):
                if stop is not None and stop.is_set():
                    return
                try:
                    response = _random_operation(client, rng, mine)
                except httpx.TransportError:
                    return
                assert response.status_code in (200, 404, 409, 422), response.text  # refused, never a 500
                if response.status_code == 200:
                    payload = response.json()
                    mine.append(payload["transaction_number"])
                    with lock:
                        acknowledged.append(payload)

    threads = [threading.Thread(target=client_loop, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return acknowledged


def _balances(origin: str) -> dict[str, Decimal]:
    totals = {}
    for card in CARDS:
        body = httpx.get(f"{origin}/ackroo/device/card", params={"cardnumber": card, "device_id": DEVICE},
                         headers=AUTH).json()
        for name in ("gc_balance", "el_balance", "promo_balance"):
            assert Decimal(body[name]) >= 0, (card, body)
        totals[card] = Decimal(body["gc_balance"]) + Decimal(body["el_balance"]) + Decimal(body["promo_balance"])
    return totals


def _three_cards(tmp_path: Path) -> tuple[Path, int, str, subprocess.Popen[bytes]]:
    """`conformance simulate` on a ledger file, with the three cards set up: (file, port, origin, process)."""
    db = tmp_path / "ledger.sqlite"
    port = free_port()
    origin = f"http://127.0.0.1:{port}"
    proc = start_simulate("--api", "ackroo", "--db", str(db), port=port, token=TOKEN)
    try:
        httpx.post(f"{origin}/_control/fixtures", json=MANY, headers=CONTROL).raise_for_status()
    except BaseException:
        proc.kill()
        raise
    return db, port, origin, proc


@pytest.mark.slow
def test_concurrent_clients_keep_every_balance_sound_and_the_sums_conserved(tmp_path: Path) -> None:
    db, _, origin, proc = _three_cards(tmp_path)
    try:
        acknowledged = _hammer(origin, clients=6, operations=40, seed=19)
        assert len(acknowledged) > 60
        moved = sum(Decimal(a["amount_funded"]) - Decimal(a["amount_redeemed"]) for a in acknowledged)
        totals = _balances(origin)
        assert sum(totals.values()) == START_TOTAL * len(CARDS) + moved
    finally:
        proc.kill()
        proc.wait()
    with Ledger(db) as ledger:
        assert ledger.check("ackroo") == []


@pytest.mark.slow
def test_sigkill_under_concurrent_mixed_load_keeps_every_acknowledged_write(tmp_path: Path) -> None:
    db, port, origin, proc = _three_cards(tmp_path)
    stop = threading.Event()
    try:
        killer = threading.Timer(1.5, lambda: os.kill(proc.pid, signal.SIGKILL))
        killer.start()
        acknowledged = _hammer(origin, clients=4, operations=10_000, seed=7, stop=stop)
        killer.join()
    finally:
        stop.set()
        proc.kill()
        proc.wait()
    assert len(acknowledged) > 20
    with Ledger(db) as ledger:
        assert ledger.check("ackroo") == []  # none half-applied: balances equal the entries
        kept = {t.number for t in ledger.transactions("ackroo") if t.kind != "fixture"}
    numbers = {a["transaction_number"] for a in acknowledged}
    assert numbers <= kept  # every acknowledged transaction survived
    assert len(kept - numbers) <= 4  # at most one request in flight per client at the kill

    restarted = start_simulate("--api", "ackroo", "--db", str(db), port=port, token=TOKEN)
    try:
        totals = _balances(origin)  # the restarted simulator serves balances equal to the ledger's
        with Ledger(db) as ledger:
            for card in CARDS:
                assert sum(ledger.balances("ackroo", card).values()) == int(totals[card] * 100)
    finally:
        restarted.send_signal(signal.SIGINT)
        restarted.wait(timeout=10)


def test_several_workers_are_refused_in_one_line() -> None:
    """Several uvicorn workers would share the ledger file but not the clock, faults or exchange log."""
    done = subprocess.run([sys.executable, "-m", "conformance", "simulate", "--workers", "2"], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1 and "--workers 2" in done.stderr, done.stderr
