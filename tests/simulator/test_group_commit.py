"""Group commit: grouped changes are savepoints of one batch, durable at one COMMIT; answers wait for it."""

from __future__ import annotations

import asyncio
import sqlite3
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from conformance.engine.ledger import Ledger, Posting
from conformance.simulator import groupcommit
from conformance.simulator.server import build_app
from conformance.simulator.state import SimulatorConfig
from tests.simulator.ackroo_fixtures import AUTH, CARD, FIXTURE, USE_CASES


def _committed_rows(path: Path) -> int:
    with sqlite3.connect(path) as other:  # another connection sees only what is committed
        return int(other.execute("SELECT COUNT(*) FROM transactions").fetchone()[0])


def test_grouped_changes_wait_for_one_commit_and_a_refused_one_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    with Ledger(path) as ledger:
        with ledger.transaction("x") as tx:
            tx.open_account("a", "points", 0)
        ledger.on_batch = lambda: True  # someone will commit the batch
        with ledger.grouped():
            with ledger.transaction("x") as tx:
                tx.post("earn", "a", [Posting("a", "points", 5)], reference=None)
            with pytest.raises(ValueError), ledger.transaction("x") as tx:
                tx.post("earn", "a", [Posting("a", "points", 7)], reference=None)
                raise ValueError("refused after writing")
            with ledger.transaction("x") as tx:
                tx.post("earn", "a", [Posting("a", "points", 1)], reference=None)
        assert _committed_rows(path) == 0  # nothing acknowledged yet: nothing on disk yet
        ledger.commit_batch()
        assert _committed_rows(path) == 2
        assert ledger.balances("x", "a") == {"points": 6}
        assert ledger.check("x") == []


def test_without_a_scheduled_commit_a_grouped_change_commits_itself(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    with Ledger(path) as ledger:
        with ledger.grouped(), ledger.transaction("x") as tx:
            tx.open_account("a", "points", 0)
            tx.post("earn", "a", [Posting("a", "points", 5)], reference=None)
        assert _committed_rows(path) == 1


def test_an_ungrouped_change_commits_the_open_batch_first(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    with Ledger(path) as ledger:
        ledger.on_batch = lambda: True
        with ledger.grouped(), ledger.transaction("x") as tx:
            tx.open_account("a", "points", 0)
            tx.post("earn", "a", [Posting("a", "points", 5)], reference=None)
        ledger.set_setting("x", "k", "v")
        assert _committed_rows(path) == 1


def test_concurrent_requests_share_commits_and_all_land(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    commits: list[int] = []
    real = groupcommit.GroupCommit._commit

    def counted(self: groupcommit.GroupCommit, pending: asyncio.Future[None]) -> None:
        commits.append(1)
        real(self, pending)

    monkeypatch.setattr(groupcommit.GroupCommit, "_commit", counted)
    app = build_app(SimulatorConfig(db=str(tmp_path / "ledger.sqlite"), control_token="t"), ["ackroo"])
    body, reward = USE_CASES[1]

    async def run() -> list[httpx.Response]:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sim") as client:
            (await client.post("/_control/fixtures", json=FIXTURE, headers={"authorization": "Bearer t"})
             ).raise_for_status()
            commits.clear()
            return list(await asyncio.gather(*(client.post("/ackroo/transaction/loyalty/credit/multi", json=body,
                                                           headers=AUTH) for _ in range(20))))

    try:
        answers = asyncio.run(run())
        assert [a.status_code for a in answers] == [200] * 20
        assert 1 <= len(commits) < 20  # one COMMIT served several requests
        earned = app.state.ledger.balances("ackroo", CARD)
        assert sum(earned.values()) == int(Decimal(reward) * 100) * 20
        assert app.state.ledger.check("ackroo") == []
    finally:
        app.close()
