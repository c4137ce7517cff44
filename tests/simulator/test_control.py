"""The test-control interface: its own token, reset, clock and determinism, faults, the exchange log."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.conftest import CONTROL_TOKEN
from tests.simulator.ackroo_fixtures import AUTH, CARD, DEVICE, FIXTURE, USE_CASES

CONTROL = {"authorization": f"Bearer {CONTROL_TOKEN}"}
CREDIT = "/ackroo/transaction/loyalty/credit/multi"


@pytest.fixture
def sim(live_simulator: Any) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live_simulator.origin, timeout=10) as client:
        client.post("/_control/reset", json={"api": "ackroo"}, headers=CONTROL).raise_for_status()
        client.post("/_control/clock", json={"real": True, "deterministic": False}, headers=CONTROL)
        client.post("/_control/fixtures", json=FIXTURE, headers=CONTROL).raise_for_status()
        yield client
        client.post("/_control/faults", json={"api": "ackroo", "faults": []}, headers=CONTROL)
        client.post("/_control/clock", json={"real": True, "deterministic": False}, headers=CONTROL)


def earned(client: httpx.Client) -> str:
    response = client.get("/ackroo/device/card", params={"cardnumber": CARD, "device_id": DEVICE}, headers=AUTH)
    return str(response.json()["earned"])


@pytest.mark.parametrize("headers", [{}, {"authorization": "Bearer wrong"}, AUTH])
def test_control_needs_its_own_token(sim: httpx.Client, headers: dict[str, str]) -> None:
    response = sim.post("/_control/reset", json={"api": "ackroo"}, headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


def test_bad_control_body_is_400(sim: httpx.Client) -> None:
    response = sim.post("/_control/faults", json={"api": "ackroo", "faults": [{"kind": "meteor"}]}, headers=CONTROL)
    assert response.status_code == 400
    assert sim.post("/_control/fixtures", json={"api": "nope"}, headers=CONTROL).status_code == 400


def test_reset_empties_the_api(sim: httpx.Client) -> None:
    assert sim.post(CREDIT, json=USE_CASES[1][0], headers=AUTH).status_code == 200
    sim.post("/_control/reset", json={"api": "ackroo"}, headers=CONTROL).raise_for_status()
    assert sim.post(CREDIT, json=USE_CASES[1][0], headers=AUTH).status_code == 401  # credentials are gone too


def _run_twice(sim: httpx.Client) -> list[list[dict[str, Any]]]:
    runs = []
    for _ in range(2):
        sim.post("/_control/reset", json={"api": "ackroo"}, headers=CONTROL).raise_for_status()
        sim.post("/_control/clock", json={"set": "2026-01-01T12:00:00Z", "deterministic": True},
                 headers=CONTROL).raise_for_status()
        sim.post("/_control/fixtures", json=FIXTURE, headers=CONTROL).raise_for_status()
        runs.append([sim.post(CREDIT, json=USE_CASES[n][0], headers=AUTH).json() for n in (1, 5, 7)])
    return runs


def test_frozen_clock_and_sequential_numbers_repeat_exactly(sim: httpx.Client) -> None:
    first, second = _run_twice(sim)
    assert first == second
    assert first[0]["transaction_date_time"].startswith("2026-01-01T12:00:00")
    numbers = [int(r["transaction_number"]) for r in first]
    assert numbers == sorted(numbers) and numbers[1] == numbers[0] + 1


def test_clock_advance_moves_the_transaction_time(sim: httpx.Client) -> None:
    sim.post("/_control/clock", json={"set": "2026-01-01T12:00:00Z"}, headers=CONTROL)
    now = sim.post("/_control/clock", json={"advance_seconds": 90}, headers=CONTROL).json()
    assert now["now"].startswith("2026-01-01T12:01:30") and now["frozen"] is True
    assert sim.post(CREDIT, json=USE_CASES[1][0], headers=AUTH).json()["transaction_date_time"].startswith(
        "2026-01-01T12:01:30")


def test_status_fault_for_the_next_n_calls_changes_nothing(sim: httpx.Client) -> None:
    faults = [{"kind": "status", "operation": "loyaltyCreditMulti", "status": 503, "count": 2}]
    sim.post("/_control/faults", json={"api": "ackroo", "faults": faults}, headers=CONTROL).raise_for_status()
    statuses = [sim.post(CREDIT, json=USE_CASES[1][0], headers=AUTH).status_code for _ in range(3)]
    assert statuses == [503, 503, 200]
    assert earned(sim) == "1.30"


def test_latency_fault_still_answers(sim: httpx.Client) -> None:
    faults = [{"kind": "latency", "ms": 50, "count": 1}]
    assert sim.post("/_control/faults", json={"api": "ackroo", "faults": faults}, headers=CONTROL).json()[
        "faults"] == faults
    assert sim.post(CREDIT, json=USE_CASES[1][0], headers=AUTH).status_code == 200


def test_drop_after_commit_changes_state_but_sends_no_response(sim: httpx.Client) -> None:
    faults = [{"kind": "drop_after_commit", "operation": "loyaltyCreditMulti", "count": 1}]
    sim.post("/_control/faults", json={"api": "ackroo", "faults": faults}, headers=CONTROL).raise_for_status()
    with pytest.raises(httpx.TransportError):
        sim.post(CREDIT, json=USE_CASES[1][0], headers=AUTH)
    assert earned(sim) == "1.30"  # the credit was committed although the POS never heard back
    assert sim.post(CREDIT, json=USE_CASES[1][0], headers=AUTH).status_code == 200


def test_named_profile_double_earn_is_caught_by_the_figures(sim: httpx.Client) -> None:
    sim.post("/_control/faults", json={"api": "ackroo", "faults": [{"kind": "named", "name": "double-earn"}]},
             headers=CONTROL).raise_for_status()
    sim.post(CREDIT, json=USE_CASES[1][0], headers=AUTH)
    assert earned(sim) == "2.60"  # a deliberately non-conformant simulator, for proving the suite catches it


def test_exchange_log_is_redacted_and_incremental(sim: httpx.Client) -> None:
    start = sim.get("/_control/exchanges", params={"api": "ackroo"}, headers=CONTROL).json()["exchanges"]
    since = start[-1]["seq"] if start else 0
    sim.post(CREDIT, json=USE_CASES[1][0], headers=AUTH)
    sim.post(CREDIT, json={**USE_CASES[1][0], "access_token": "t-1"})
    log = sim.get("/_control/exchanges", params={"api": "ackroo", "since": since}, headers=CONTROL)
    entries = log.json()["exchanges"]
    assert [e["operation_id"] for e in entries] == ["loyaltyCreditMulti", "loyaltyCreditMulti"]
    text = log.text
    assert CARD not in text and "t-1" not in text
    assert entries[0]["request"]["body"]["cardnumber"].endswith(CARD[-4:])
    assert entries[0]["response"]["status"] == 200
    assert sim.get("/_control/webhooks", params={"api": "ackroo"}, headers=CONTROL).json() == {"deliveries": []}


def test_an_exchange_is_in_the_log_before_its_answer_leaves(live_simulator: Any) -> None:
    """A client holding the answer finds its exchange in the log (the guided console and the driver session
    read the log as soon as the till has its answer): the entry is written before the response starts."""
    import asyncio

    app = live_simulator.app
    since = max([0, *(int(e["seq"]) for e in app.state.exchanges.entries(0, "ackroo"))])
    logged_when_answered: list[list[str]] = []

    async def spy(scope: Any, receive: Any, send: Any) -> None:
        async def watched(message: Any) -> None:
            if message["type"] == "http.response.start":
                entries = app.state.exchanges.entries(since, "ackroo")
                logged_when_answered.append([e["request"]["method"] for e in entries])
            await send(message)
        await app(scope, receive, watched)

    async def call() -> None:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=spy), base_url="http://sim") as client:
            await client.get("/ackroo/device/card", params={"cardnumber": CARD, "device_id": DEVICE}, headers=AUTH)

    asyncio.run(call())
    assert logged_when_answered == [["GET"]]
