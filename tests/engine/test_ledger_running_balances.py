"""Issue 13 item 9: balances are running totals kept with the entries, proven against the SUM by `check`."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from conformance.engine.errors import InvalidRequest
from conformance.engine.ledger import MAX_MINOR, Ledger, LedgerUnavailable


def test_check_catches_a_running_balance_that_drifts_from_the_entries() -> None:
    with Ledger() as ledger:
        with ledger.transaction("ackroo") as tx:
            tx.open_account("c1", "gift", 2)
            tx.post("load", "c1", {"gift": 500})
        assert ledger.balances("ackroo", "c1") == {"gift": 500} and ledger.check() == []
        ledger._db.execute("UPDATE accounts SET balance = 700")
        assert any("700 != entries 500" in p for p in ledger.check())


def test_an_amount_past_64_bits_is_refused_and_nothing_is_written() -> None:
    with Ledger() as ledger:
        with ledger.transaction("ackroo") as tx:
            tx.open_account("c1", "gift", 2)
            tx.post("load", "c1", {"gift": MAX_MINOR})
        with pytest.raises(InvalidRequest), ledger.transaction("ackroo") as tx:
            tx.post("load", "c1", {"gift": 1})
        assert ledger.balances("ackroo", "c1") == {"gift": MAX_MINOR} and ledger.check() == []


def test_a_version_1_file_gets_its_running_balances_from_the_entries(tmp_path: Path) -> None:
    path = tmp_path / "v1.sqlite"
    with Ledger(path) as ledger, ledger.transaction("ackroo") as tx:
        tx.open_account("c1", "gift", 2)
        tx.post("load", "c1", {"gift": 250})
        tx.post("load", "c1", {"gift": 50})
    db = sqlite3.connect(path)  # make it the file an earlier release wrote: no balance column, version 1
    db.execute("ALTER TABLE accounts DROP COLUMN balance")
    db.execute("PRAGMA user_version = 1")
    db.commit()
    db.close()
    with Ledger(path) as ledger:
        assert ledger.balances("ackroo", "c1") == {"gift": 300} and ledger.check() == []


def test_a_file_that_is_not_a_ledger_is_refused_in_one_sentence(tmp_path: Path) -> None:
    path = tmp_path / "text.sqlite"
    path.write_text("not a database " * 100)
    with pytest.raises(LedgerUnavailable, match=r"text\.sqlite"):
        Ledger(path)


def test_remembered_values_expire_with_their_window() -> None:
    from datetime import UTC, datetime, timedelta

    from conformance.engine.clock import FixedClock

    clock = FixedClock(datetime(2026, 1, 1, tzinfo=UTC))
    with Ledger(clock=clock) as ledger:
        with ledger.transaction("antavo") as tx:
            assert tx.remember("signature", "abc", clock.now() + timedelta(seconds=10))
            assert not tx.remember("signature", "abc", clock.now() + timedelta(seconds=10))
        clock.advance(timedelta(seconds=11))
        with ledger.transaction("antavo") as tx:
            assert tx.remember("signature", "abc", clock.now() + timedelta(seconds=10))
