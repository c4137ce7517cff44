"""Issue 13: what a hostile, long-running or restarted session broke, each checked over real HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from conformance.core.money import format_money
from conformance.simulator.server import build_app
from conformance.simulator.state import SimulatorConfig
from conformance.simulator.validation import MAX_BODY_BYTES
from tests.conftest import LiveServer, run_cli
from tests.simulator.ackroo_fixtures import AUTH, CARD, DEVICE, FIXTURE
from tests.simulator.antavo_fixtures import FIXTURE as ANTAVO_FIXTURE
from tests.simulator.antavo_fixtures import OPT_IN, AntavoClient

TOKEN = "hardening-token"
CONTROL = {"authorization": f"Bearer {TOKEN}"}
GIFT = "/ackroo/transaction/gift/credit"


@pytest.fixture(scope="module")
def server() -> Iterator[LiveServer]:
    live = LiveServer(build_app(SimulatorConfig(control_token=TOKEN)))
    yield live
    live.stop()
    live.app.close()  # type: ignore[attr-defined]


@pytest.fixture
def sim(server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.origin, timeout=30) as client:
        client.post("/_control/reset", headers=CONTROL).raise_for_status()
        client.post("/_control/fixtures", json=FIXTURE, headers=CONTROL).raise_for_status()
        yield client


def exchanges(client: httpx.Client) -> httpx.Response:
    response = client.get("/_control/exchanges", headers=CONTROL)
    assert response.status_code == 200, response.text[:200]
    return response


def gift(amount: str) -> bytes:
    return (f'{{"device_id": "{DEVICE}", "cardnumber": "{CARD}", "amount": {amount}}}').encode()


@pytest.mark.parametrize("raw", [b'{"amount": NaN}', b'{"amount": Infinity}', b'{"cardnumber": "\\ud800"}',
                                 b"[" * 500 + b"]" * 500])
def test_a_body_the_log_cannot_write_is_refused_and_the_log_still_answers(sim: httpx.Client, raw: bytes) -> None:
    for headers in ({}, AUTH):  # unauthenticated too
        response = sim.post(GIFT, content=raw, headers={"content-type": "application/json", **headers})
        assert response.status_code in (400, 401), response.text[:200]
        assert set(response.json()) == {"error", "message"}
    exchanges(sim)


def test_huge_exponents_cost_bytes_not_megabytes(sim: httpx.Client) -> None:
    sim.post(GIFT, content=b'{"zz":1e50000000}', headers={"content-type": "application/json"})
    assert len(exchanges(sim).content) < 100_000


def test_a_body_over_the_limit_is_413_in_the_providers_shape(sim: httpx.Client) -> None:
    big = b'{"pad": "' + b"x" * MAX_BODY_BYTES + b'"}'
    response = sim.post(GIFT, content=big, headers={"content-type": "application/json", **AUTH})
    assert response.status_code == 413
    assert set(response.json()) == {"error", "message"}
    assert len(exchanges(sim).content) < 100_000


def test_bad_values_are_400_and_change_nothing(sim: httpx.Client) -> None:
    before = sim.get("/ackroo/device/card", params={"cardnumber": CARD, "device_id": DEVICE}, headers=AUTH).json()
    for raw in (gift('"NaN"'), gift('"1e400"'), gift('"-0.0"'), b'{"cardnumber": "\\udfff"}'):
        response = sim.post(GIFT, content=raw, headers={"content-type": "application/json", **AUTH})
        assert response.status_code < 500, response.text[:200]
        assert "-0.00" not in response.text
    after = sim.get("/ackroo/device/card", params={"cardnumber": CARD, "device_id": DEVICE}, headers=AUTH).json()
    assert after == before


def test_a_balance_past_64_bits_is_refused_before_it_commits(sim: httpx.Client) -> None:
    near = "92233720368547758.00"  # 2**63 - 1 minor units is 92233720368547758.07
    fixture = {**FIXTURE, "cards": [{"cardnumber": CARD, "gift": near, "earned": "0", "promo": "0"}]}
    sim.post("/_control/fixtures", json=fixture, headers=CONTROL).raise_for_status()
    response = sim.post(GIFT, content=gift('"1.00"'), headers={"content-type": "application/json", **AUTH})
    assert response.status_code == 400, response.text
    balance = sim.get("/ackroo/device/card", params={"cardnumber": CARD, "device_id": DEVICE}, headers=AUTH)
    assert balance.status_code == 200 and balance.json()["gift"] == near


def test_negative_zero_prints_as_zero() -> None:
    assert format_money(Decimal("-0.0")) == "0.00" and format_money(Decimal("-0.001")) == "0.00"


@pytest.mark.parametrize("path, body", [
    ("/_control/clock", {"advance_seconds": 1e20}),
    ("/_control/faults", {"api": "ackroo", "faults": [{"kind": "latency", "ms": 10**20}]}),
    ("/_control/fixtures", {**FIXTURE, "cards": [{"cardnumber": CARD, "gift": "1" * 40}]}),
    ("/_control/fixtures", {**FIXTURE, "cards": [{"cardnumber": CARD, "gift": "1" * 22}]}),
    ("/_control/fixtures", {**ANTAVO_FIXTURE, "customers": [{"id": "c-1", "spendable": "1e400"}]}),
    ("/_control/fixtures", {**ANTAVO_FIXTURE, "settings": {"signature_window_seconds": 10**20}}),
])
def test_control_values_are_bounded(sim: httpx.Client, path: str, body: dict[str, Any]) -> None:
    response = sim.post(path, content=__import__("json").dumps(body), headers={"content-type": "application/json",
                                                                             **CONTROL})
    assert response.status_code == 400, response.text[:200]
    assert set(response.json()) == {"error", "message"}


def test_secrets_and_grouped_card_numbers_never_reach_the_log(sim: httpx.Client) -> None:
    sim.post("/ackroo/oauth/token", data={"grant_type": "authorization_code", "client_id": "c", "client_secret": "s",
                                          "code": "the-secret-code"})
    sim.post(GIFT, json={"device_id": DEVICE, "cardnumber": "6125 7398 1949 7789", "amount": "1.00",
                         "description": "card 6125-7398-1949-7789"}, headers=AUTH)
    text = exchanges(sim).text
    assert "the-secret-code" not in text and "7398" not in text and "1949" not in text


def test_a_registered_code_registers_once(sim: httpx.Client) -> None:
    fixture = {**FIXTURE, "credentials": [{"token": "t-9", "device_id": "1234567890abcdef", "code": "c-9"}]}
    sim.post("/_control/fixtures", json=fixture, headers=CONTROL).raise_for_status()
    assert sim.get("/ackroo/device", params={"code": "c-9"}).status_code == 200
    assert sim.get("/ackroo/device", params={"code": "c-9"}).status_code == 401


def test_a_signed_request_replayed_after_a_restart_is_refused(tmp_path: Path) -> None:
    db = str(tmp_path / "ledger.sqlite")
    sent: list[httpx.Request] = []
    statuses = []
    for _ in range(2):
        live = LiveServer(build_app(SimulatorConfig(db=db, control_token=TOKEN)))
        try:
            with httpx.Client(base_url=live.origin, timeout=30) as client:
                if not sent:
                    client.post("/_control/fixtures", json=ANTAVO_FIXTURE, headers=CONTROL).raise_for_status()
                    antavo = AntavoClient(client)
                    request = client.build_request("POST", "/antavo/events", params={"api_key": "ak-1"},
                                                   content=__import__("json").dumps(OPT_IN).encode(),
                                                   headers={"content-type": "application/json"})
                    sent.append(antavo.signer.sign_httpx(request))
                request = client.build_request("POST", "/antavo/events", params={"api_key": "ak-1"},
                                               content=sent[0].content, headers=dict(sent[0].headers))
                statuses.append(client.send(request).status_code)
        finally:
            live.stop()
            live.app.close()  # type: ignore[attr-defined]
    assert statuses == [200, 401]


@pytest.mark.parametrize("make", ["missing-folder", "folder", "not-sqlite"])
def test_a_bad_db_is_one_line_and_exit_2(tmp_path: Path, make: str) -> None:
    target = {"missing-folder": tmp_path / "nope" / "x.db", "folder": tmp_path, "not-sqlite": tmp_path / "t.db"}[make]
    if make == "not-sqlite":
        target.write_text("this is not a SQLite database, only text " * 20)
    result = run_cli("simulate", "--db", str(target), "--port", "1")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and str(target) in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_credential_reaches_only_its_merchants_cards(sim: httpx.Client) -> None:
    fixture = {**FIXTURE, "credentials": [{"token": "t-1", "device_id": DEVICE, "merchant": "m-1"},
                                          {"token": "t-2", "device_id": "fedcba9876543210", "merchant": "m-2"}],
               "cards": [{"cardnumber": CARD, "gift": "5.00", "earned": "0", "promo": "0", "merchant": "m-1"}]}
    sim.post("/_control/fixtures", json=fixture, headers=CONTROL).raise_for_status()
    load = sim.post(GIFT, json={"device_id": DEVICE, "cardnumber": CARD, "amount": "1.00"}, headers=AUTH)
    assert load.status_code == 200
    other = {"authorization": "Bearer t-2"}
    read = sim.get("/ackroo/device/card", params={"cardnumber": CARD, "device_id": "fedcba9876543210"}, headers=other)
    debit = sim.post("/ackroo/transaction/gift/debit", headers=other,
                     json={"device_id": "fedcba9876543210", "cardnumber": CARD, "amount": "1.00"})
    undo = sim.post("/ackroo/transaction/reversal", headers=other,
                    json={"device_id": "fedcba9876543210", "transaction_number": load.json()["transaction_number"]})
    assert (read.status_code, debit.status_code, undo.status_code) == (404, 404, 404), (read.text, undo.text)
    mine = sim.get("/ackroo/device/card", params={"cardnumber": CARD, "device_id": DEVICE}, headers=AUTH)
    assert mine.json()["gift"] == "6.00"


def test_a_client_leaving_mid_body_is_a_normal_event(server: LiveServer, caplog: pytest.LogCaptureFixture) -> None:
    import logging
    import socket
    import time

    caplog.set_level(logging.INFO, "conformance.simulator")
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        sock.sendall(b"POST /ackroo/transaction/gift/credit HTTP/1.1\r\nhost: 127.0.0.1\r\n"
                     b"content-type: application/json\r\ncontent-length: 1000\r\n\r\n{\"amount\":")
    deadline = time.monotonic() + 20
    while not any("disconnected" in r.getMessage() for r in caplog.records) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert any("disconnected" in r.getMessage() for r in caplog.records)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
