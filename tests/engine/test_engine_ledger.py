"""The SQLite ledger: atomic and durable changes, derived balances, numbering, reset, invariant checks."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from conformance.engine.ackroo import Ackroo
from conformance.engine.clock import FixedClock
from conformance.engine.errors import InsufficientFunds
from conformance.engine.ledger import RANDOM_DIGITS, Ledger, Posting
from conformance.model.program import Program
from tests.engine.engine_support import CARD, PROGRAM_FILE, ROOT


def test_file_ledger_uses_wal_and_full_sync(tmp_path: Path) -> None:
    with Ledger(tmp_path / "ledger.db") as ledger:
        assert ledger._db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert ledger._db.execute("PRAGMA synchronous").fetchone() == (2,)  # FULL


def test_a_failed_transaction_changes_nothing(ledger: Ledger) -> None:
    with ledger.transaction("ackroo") as tx:
        tx.open_account("c1", "gift", 2)
        tx.post("load", "c1", {"gift": 500})
    with pytest.raises(InsufficientFunds), ledger.transaction("ackroo") as tx:
        tx.put_holder("c1", {"active": True})
        tx.set_setting("flag", True)
        tx.post("debit", "c1", {"gift": -200})  # fine on its own...
        tx.post("debit", "c1", {"gift": -400})  # ...but this one would overdraw: all of it rolls back
    assert ledger.balances("ackroo", "c1") == {"gift": 500}
    assert ledger.holder("ackroo", "c1") is None and ledger.get_setting("ackroo", "flag") is None
    assert [t.number for t in ledger.transactions("ackroo")] == ["1"]
    with ledger.transaction("ackroo") as tx:
        assert tx.post("debit", "c1", {"gift": -100}).number == "2"  # the refused numbers were given back


def test_amounts_are_integers_and_data_holds_no_float(ledger: Ledger) -> None:
    with ledger.transaction("ackroo") as tx:
        tx.open_account("c1", "gift", 2)
        with pytest.raises(TypeError):
            tx.post("load", "c1", {"gift": 1.5})  # type: ignore[dict-item]
        with pytest.raises(TypeError):
            tx.post("load", "c1", [Posting("c1", "gift", True)])
        with pytest.raises(TypeError):
            tx.post("load", "c1", {"gift": 150}, data={"rate": 0.1})
    with pytest.raises(sqlite3.Error):  # STRICT tables refuse a REAL even through raw SQL
        ledger._db.execute("INSERT INTO entries (txn, account, amount) VALUES (1, 1, 1.5)")


def test_numbers_are_sequential_per_api_or_random_digits(tmp_path: Path) -> None:
    with Ledger(sequential=True) as ledger:
        for api in ("ackroo", "antavo", "ackroo"):
            with ledger.transaction(api) as tx:
                tx.post("note", None, [])
        assert [t.number for t in ledger.transactions("ackroo")] == ["1", "2"]
        assert [t.number for t in ledger.transactions("antavo")] == ["1"]
    with Ledger() as ledger:
        numbers = set()
        for _ in range(50):
            with ledger.transaction("ackroo") as tx:
                numbers.add(tx.post("note", None, []).number)
        assert len(numbers) == 50
        assert all(len(n) == RANDOM_DIGITS and n.isdigit() for n in numbers)


def test_reset_empties_one_api_and_a_reopened_file_keeps_everything(tmp_path: Path, program: Program) -> None:
    path = tmp_path / "ledger.db"
    clock = FixedClock(datetime(2025, 3, 1, tzinfo=UTC))
    with Ledger(path, clock=clock, sequential=True) as ledger:
        Ackroo(ledger, program).put_card(CARD, gift="3.00")
        ledger.set_setting("ackroo", "program", program.id)
        with ledger.transaction("crmcom") as tx:
            tx.open_account("C-1", "wallet", 2)
            tx.post("award", "C-1", {"wallet": 1000}, reference="R-1")
            tx.set_setting("credentials", [{"api_key": "ck-1"}])
    with Ledger(path, clock=clock, sequential=True) as ledger:
        ackroo = Ackroo(ledger, program)
        assert str(ackroo.balance(CARD).gift) == "3.00"
        assert ledger.get_setting("ackroo", "program") == "ackroo-reference"
        assert ackroo.loyalty_credit(CARD, "1").transaction_number == "2"  # numbering continues
        ledger.reset("ackroo")
        assert ledger.transactions("ackroo") == [] and ledger.holder("ackroo", CARD) is None
        assert ledger.get_setting("ackroo", "program") is None
        assert ledger.balances("crmcom", "C-1") == {"wallet": 1000}
        assert [t.reference for t in ledger.transactions("crmcom", reference="R-1")] == ["R-1"]
        assert ledger.get_setting("crmcom", "credentials") == [{"api_key": "ck-1"}]
        ackroo.put_card(CARD, gift="1.00")
        assert ackroo.loyalty_credit(CARD, "1").transaction_number == "2"  # numbering restarts: the fixture is 1
        assert ledger.check() == []


def test_check_reports_a_corrupted_ledger(ledger: Ledger) -> None:
    with ledger.transaction("ackroo") as tx:
        tx.open_account("c1", "gift", 2)
        load = tx.post("load", "c1", {"gift": 500})
        tx.reverse(load.number)
    assert ledger.check() == []
    ledger._db.execute("UPDATE entries SET amount = -600 WHERE id = 2")
    problems = ledger.check()
    assert any("below zero" in p for p in problems)
    assert any("negated entries" in p for p in problems)


def test_clock_is_injectable(ledger: Ledger) -> None:
    clock = ledger.clock
    assert isinstance(clock, FixedClock)
    clock.set(datetime(2030, 1, 2, 3, 4, 5))  # naive is taken as UTC
    with ledger.transaction("ackroo") as tx:
        first = tx.post("note", None, [])
    clock.advance(timedelta(seconds=90))
    with ledger.transaction("ackroo") as tx:
        second = tx.post("note", None, [])
    assert first.created_at == datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert second.created_at - first.created_at == timedelta(seconds=90)


def test_threads_share_one_ledger_safely(tmp_path: Path, program: Program) -> None:
    with Ledger(tmp_path / "ledger.db", synchronous="NORMAL") as ledger:
        ackroo = Ackroo(ledger, program)
        ackroo.put_card(CARD)

        def credit() -> None:
            for _ in range(25):
                ackroo.gift_credit(CARD, "0.01")

        threads = [threading.Thread(target=credit) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert str(ackroo.balance(CARD).gift) == "1.00"
        assert ledger.check() == []


WRITER = """
import sys
from conformance.engine.ackroo import Ackroo
from conformance.engine.ledger import Ledger
from conformance.loader.programs import load_program

ackroo = Ackroo(Ledger(sys.argv[1]), load_program(sys.argv[2]))
if sys.argv[4] == "first":
    ackroo.put_card(sys.argv[3], gift="1000.00")
print("ready", flush=True)
while True:
    for result in (ackroo.loyalty_credit(sys.argv[3], "0.01"), ackroo.gift_debit(sys.argv[3], "0.01")):
        print(result.transaction_number, flush=True)  # acknowledged: printed only after COMMIT returned
"""


def test_acknowledged_transactions_survive_kill_9(tmp_path: Path, program: Program) -> None:
    path = tmp_path / "ledger.db"
    acknowledged: list[str] = []
    for burst in range(3):  # kill it three times, each time mid-burst, reopening the same file
        writer = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path), str(PROGRAM_FILE), CARD, "first" if burst == 0 else "again"],
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        assert writer.stdout is not None
        assert writer.stdout.readline().strip() == "ready"
        seen = [writer.stdout.readline().strip() for _ in range(60 + 37 * burst)]
        os.kill(writer.pid, signal.SIGKILL)
        seen += [n.strip() for n in writer.stdout]  # what it printed before dying was acknowledged too
        assert writer.wait(timeout=10) == -signal.SIGKILL
        acknowledged += [n for n in seen if n]
    with Ledger(path) as ledger:
        stored = {t.number: t for t in ledger.transactions("ackroo")}
        assert set(acknowledged) <= set(stored)
        assert ledger.check() == []
        credits = sum(1 for t in stored.values() if t.kind == "loyalty_credit")
        debits = sum(1 for t in stored.values() if t.kind == "gift_debit")
        assert ledger.balances("ackroo", CARD)["earned"] == credits  # one cent each
        assert ledger.balances("ackroo", CARD)["gift"] == 100_000 - debits
