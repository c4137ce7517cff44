"""Each api authenticates a step its own way; Antavo's signature covers the path as sent on the wire."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from conformance.core import escher
from conformance.core.exchange import HttpRequest
from conformance.runner.auth import CredentialError, SigningClock, authenticate

BODY = {"customer": "a222e90f", "action": "opt_in", "data": {}}
AT = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def test_ackroo_sends_a_bearer_token() -> None:
    request = authenticate("ackroo", HttpRequest("GET", "/device/card"), {"token": "t-1"}, "http://h/ackroo")
    assert request.headers == {"Authorization": "Bearer t-1"}
    with pytest.raises(CredentialError, match="no `token`"):
        authenticate("ackroo", HttpRequest("GET", "/device/card"), {"device_id": "x"}, "http://h/ackroo")


def test_no_credential_sends_the_request_untouched() -> None:
    request = HttpRequest("GET", "/device/card")
    assert authenticate("ackroo", request, None, "http://h/ackroo") is request


def test_crmcom_sends_the_api_key_header() -> None:
    request = authenticate("crmcom", HttpRequest("GET", "/orders"), {"api_key": "ck-1"}, "http://h/crmcom")
    assert request.headers == {"api_key": "ck-1"}


def test_the_web_api_carries_its_token_in_the_body() -> None:
    plain = HttpRequest.json("POST", "/rewards_participants/show", {"fields_set": "wallet"})
    signed = authenticate("crmcom-webapi", plain, {"token": "tok-9"}, "http://h/crmcom-webapi")
    assert json.loads(signed.body) == {"fields_set": "wallet", "token": "tok-9"}
    login = authenticate("crmcom-webapi", plain, {"username": "pos", "password": "pw"}, "http://h/crmcom-webapi")
    assert login is plain


def test_antavo_signs_the_wire_path_with_the_base_url_prefix() -> None:
    request = HttpRequest.json("POST", "/events", BODY)
    credential = {"api_key": "ak-1", "secret": "as-1", "region": "eu"}
    signed = authenticate("antavo", request, credential, "http://127.0.0.1:8900/antavo", AT)
    assert signed.path == "/events?api_key=ak-1"
    assert signed.headers["Authorization"].startswith("ANTAVO-HMAC-SHA256 Credential=ak-1/20260101/eu/")
    headers = {k.lower(): v for k, v in signed.headers.items()}
    assert escher.verify("POST", "/antavo/events?api_key=ak-1", headers, signed.body, secrets={"ak-1": "as-1"},
                         region="eu", now=AT) == "ak-1"
    with pytest.raises(escher.EscherException):  # the same signature does not hold for the bare path
        escher.verify("POST", "/events?api_key=ak-1", headers, signed.body, secrets={"ak-1": "as-1"},
                      region="eu", now=AT)


def test_antavo_without_a_secret_sends_the_key_alone() -> None:
    signed = authenticate("antavo", HttpRequest("GET", "/customers/x?expand=y"), {"api_key": "ak-1"},
                          "http://h/antavo", AT)
    assert signed.path == "/customers/x?expand=y&api_key=ak-1"
    assert "Authorization" not in signed.headers


def test_the_signing_clock_follows_a_frozen_clock_and_never_repeats_a_second() -> None:
    clock = SigningClock(AT)
    assert [clock.next() for _ in range(3)] == [AT, AT.replace(second=1), AT.replace(second=2)]
    live = SigningClock()
    first, second = live.next(), live.next()
    assert second > first
