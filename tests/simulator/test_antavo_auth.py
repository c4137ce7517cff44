"""Escher signatures over HTTP: every bad, stale, replayed or missing credential is refused in Antavo's nested
shape (401, or 403 for a key-only request under enforcement) and changes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from conformance.core import jsonio
from tests.conftest import CONTROL_TOKEN
from tests.simulator.antavo_fixtures import FIXTURE, KEY, AntavoClient, Signer, checkout

CONTROL = {"authorization": f"Bearer {CONTROL_TOKEN}"}
AT = datetime(2024, 6, 24, 18, 7, 28, tzinfo=UTC)
"""The simulator's frozen clock in these tests (the date the seed's event ids encode)."""


def load(client: httpx.Client, **extra: Any) -> None:
    client.post("/_control/reset", json={"api": "antavo"}, headers=CONTROL).raise_for_status()
    client.post("/_control/fixtures", json={**FIXTURE, **extra}, headers=CONTROL).raise_for_status()


@pytest.fixture
def antavo(live_simulator: Any) -> Iterator[AntavoClient]:
    with httpx.Client(base_url=live_simulator.origin, timeout=10) as client:
        client.post("/_control/clock", json={"set": AT.isoformat()}, headers=CONTROL).raise_for_status()
        load(client, customers=[{**FIXTURE["customers"][0], "spendable": "50"}])
        yield AntavoClient(client, Signer(clock=lambda: AT))
        client.post("/_control/clock", json={"real": True}, headers=CONTROL).raise_for_status()


def refused(response: httpx.Response, status: int, kind: str) -> str:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["type"] == kind and isinstance(error["code"], int) and error["message"]
    assert "as-1" not in response.text  # the secret never appears
    return str(error["message"])


def unchanged(antavo: AntavoClient, before: dict[str, Any], transaction_id: str) -> None:
    """Balances did not move and the refused checkout was not recorded (its id is still free)."""
    assert antavo.balances() == before
    assert antavo.event(checkout(transaction_id), now=AT).status_code == 200


def test_a_good_signature_under_a_frozen_clock_is_accepted(antavo: AntavoClient) -> None:
    response = antavo.event(checkout("OK-1"), now=AT)
    assert response.status_code == 200, response.text
    assert response.json()["spendable"] == 150


@pytest.mark.parametrize("case", ["wrong secret", "another key's signature", "unknown key", "tampered body",
                                  "tampered query", "api_key of another key", "garbage header", "unsigned date"])
def test_bad_credentials_are_401(antavo: AntavoClient, case: str) -> None:
    load(antavo.client, credentials=[*FIXTURE["credentials"], {"api_key": "ak-2", "secret": "as-2", "region": "eu"}])
    before = antavo.balances()
    body = checkout("BAD-1")
    client = antavo.client
    request = client.build_request("POST", "/antavo/events", params={"api_key": KEY}, content=jsonio.dumps(body),
                                   headers={"content-type": "application/json"})
    if case == "wrong secret":
        Signer(secret="wrong").sign_httpx(request, AT)
    elif case == "another key's signature":
        Signer(api_key="ak-2", secret="as-2").sign_httpx(request, AT)
    elif case == "unknown key":
        request = client.build_request("POST", "/antavo/events", params={"api_key": "ak-9"},
                                       content=jsonio.dumps(body), headers={"content-type": "application/json"})
        Signer(api_key="ak-9", secret="as-9").sign_httpx(request, AT)
    elif case == "tampered body":
        antavo.signer.sign_httpx(request, AT)
        tampered = checkout("BAD-1", items=[{"product_id": "x", "subtotal": 5000}])
        request = client.build_request("POST", "/antavo/events", params={"api_key": KEY},
                                       content=jsonio.dumps(tampered),
                                       headers={**request.headers, "content-length": str(len(jsonio.dumps(tampered)))})
    elif case == "tampered query":
        antavo.signer.sign_httpx(request, AT)
        request.url = request.url.copy_merge_params({"extra": "1"})
    elif case == "api_key of another key":  # both known, but the query and the signature name different keys
        request = client.build_request("POST", "/antavo/events", params={"api_key": "ak-2"},
                                       content=jsonio.dumps(body), headers={"content-type": "application/json"})
        antavo.signer.sign_httpx(request, AT)
    elif case == "garbage header":
        request.headers["Authorization"] = "ANTAVO-HMAC-SHA256 nonsense"
    elif case == "unsigned date":
        antavo.signer.sign_httpx(request, AT)
        request.headers["Date"] = "Mon, 24 Jun 2024 18:07:29 GMT"
    refused(client.send(request), 401, "UnauthorizedException")
    unchanged(antavo, before, "BAD-1")


@pytest.mark.parametrize("skew", [-901, 901])
def test_a_date_outside_the_900_s_window_is_401(antavo: AntavoClient, skew: int) -> None:
    before = antavo.balances()
    refused(antavo.event(checkout("STALE-1"), now=AT + timedelta(seconds=skew)), 401, "UnauthorizedException")
    unchanged(antavo, before, "STALE-1")
    assert antavo.event(checkout("STALE-2"), now=AT + timedelta(seconds=skew // 901 * 899)).status_code == 200


def test_the_window_follows_the_simulator_clock_and_the_fixture(antavo: AntavoClient) -> None:
    client = antavo.client
    client.post("/_control/clock", json={"advance_seconds": 600}, headers=CONTROL).raise_for_status()
    assert antavo.event(checkout("W-1"), now=AT).status_code == 200  # 600 s old: inside 900 s
    client.post("/_control/fixtures", json={"api": "antavo", "settings": {"signature_window_seconds": 60}},
                headers=CONTROL).raise_for_status()
    refused(antavo.event(checkout("W-2"), now=AT), 401, "UnauthorizedException")
    later = AT + timedelta(seconds=590)
    assert antavo.event(checkout("W-2"), now=later).status_code == 200


def test_a_replayed_signature_is_401_and_changes_nothing(antavo: AntavoClient) -> None:
    client = antavo.client
    request = client.build_request("POST", "/antavo/events", params={"api_key": KEY},
                                   content=jsonio.dumps(checkout("REPLAY-1")),
                                   headers={"content-type": "application/json"})
    antavo.signer.sign_httpx(request, AT)
    assert client.send(request).status_code == 200
    after_first = antavo.balances()
    message = refused(client.send(request), 401, "UnauthorizedException")
    assert "already used" in message
    assert antavo.balances() == after_first
    read = client.build_request("GET", f"/antavo/customers/{FIXTURE['customers'][0]['id']}",
                                params={"api_key": KEY})
    antavo.signer.sign_httpx(read, AT)
    assert client.send(read).status_code == 200
    refused(client.send(read), 401, "UnauthorizedException")  # reads too: a signature is accepted once


def test_key_only_is_403_under_enforcement_and_accepted_without(antavo: AntavoClient) -> None:
    before = antavo.balances()
    refused(antavo.event(checkout("KEY-1"), sign=False), 403, "ForbiddenException")
    refused(antavo.customer(sign=False), 403, "ForbiddenException")
    unchanged(antavo, before, "KEY-1")
    antavo.client.post("/_control/fixtures", json={"api": "antavo", "signature_enforcement": False},
                       headers=CONTROL).raise_for_status()
    assert antavo.event(checkout("KEY-2"), sign=False).status_code == 200
    assert antavo.customer(sign=False).status_code == 200
    refused(antavo.event(checkout("KEY-3"), sign=False, api_key=None), 401, "UnauthorizedException")
    bad = AntavoClient(antavo.client, Signer(secret="wrong", clock=lambda: AT))  # a signature sent is still checked
    refused(bad.event(checkout("KEY-3"), now=AT), 401, "UnauthorizedException")


PREVIEW = {"customer": FIXTURE["customers"][0]["id"], "action": "checkout",
           "data": {"transaction_id": "P-1", "total": 10}}


@pytest.mark.parametrize(("path", "body"), [("/events", checkout("NOKEY-1")),
                                            ("/events/bulk", {"events": [checkout("NOKEY-2")]}),
                                            ("/extensions/automation/campaign-bonus", PREVIEW)])
def test_a_signed_request_without_api_key_is_accepted_on_every_operation(
        antavo: AntavoClient, path: str, body: dict[str, Any]) -> None:
    # Antavo's PHP SDK signs and sends no api_key: the key is the signature's Credential= (ANT-SIGN-1)
    response = antavo.request("POST", path, body, api_key=None, now=AT)
    assert response.status_code == 200, response.text
    assert antavo.customer(api_key=None, now=AT).status_code == 200
    refused(antavo.request("POST", path, body, api_key=None, sign=False), 401, "UnauthorizedException")
    refused(antavo.customer(api_key=None, sign=False), 401, "UnauthorizedException")
