"""Every bad request is HTTP 200 with a non-OK status.code and data null (DESIGN 9), never a 500, checks the
token before anything else in the body, and changes nothing; tokens expire after 2 h and survive a restart."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from conformance.core import jsonio
from conformance.simulator.server import build_app
from conformance.simulator.state import SimulatorConfig
from conformance.transport.inprocess import TestClient
from tests.conftest import CONTROL_TOKEN
from tests.simulator.crmcom_webapi_fixtures import API, CREATE, FIXTURE, LOGIN, PREVIEW, SHOW, SPEND, WebApiClient, body

CONTROL = {"authorization": f"Bearer {CONTROL_TOKEN}"}
CREATE_PATH = "/customer_events/purchases/create"
SPEND_PATH = "/customer_events/spend_requests/create"
LINE = CREATE["products_set"][0]


@pytest.fixture
def webapi(live_simulator: Any) -> Iterator[WebApiClient]:
    with httpx.Client(base_url=live_simulator.origin, timeout=10) as client:
        client.post("/_control/reset", json={"api": API}, headers=CONTROL)
        client.post("/_control/fixtures", json=FIXTURE, headers=CONTROL)
        yield WebApiClient(client)
    assert live_simulator.app.state.ledger.check(API) == []


def snapshot(webapi: WebApiClient, live_simulator: Any) -> tuple[str, int]:
    """The wallet and how many ledger transactions exist: a refusal moves neither."""
    return webapi.wallet(), len(live_simulator.app.state.ledger.transactions(API))


def create(**changes: Any) -> dict[str, Any]:
    return body(CREATE, "TOKEN", **changes)


BAD_BODIES: dict[str, tuple[str, dict[str, Any]]] = {
    "missing reference_number": (CREATE_PATH, create(reference_number=None)),
    "unknown field": (CREATE_PATH, create(points=100)),
    "both customer identifiers": (CREATE_PATH, create(rewards_participant_identifier={"number": "001"})),
    "no customer identifier": (CREATE_PATH, create(accounts_receivable_identifier=None)),
    "two identifier forms": (CREATE_PATH, create(accounts_receivable_identifier={"number": "001", "id": "001"})),
    "amount as a string": (CREATE_PATH, create(products_set=[{**LINE, "net_amount": "8"}])),
    "negative amount": (CREATE_PATH, create(products_set=[{**LINE, "vat_amount": -2}])),
    "empty products_set": (CREATE_PATH, create(products_set=[])),
    "performed_on with a zone": (CREATE_PATH, create(performed_on="2017-05-22T16:05:00Z")),
    "performed_on with a newline": (CREATE_PATH, create(performed_on="2017-05-22T16:05:00\n")),
    "fields_set broken over lines (as the seed prints it)": (CREATE_PATH, create(fields_set="number,\ntotal")),
    "unit named two ways": (CREATE_PATH, create(performed_by_unit_identifier={"name": "Unit", "id": "1"})),
    "negative spend_amount": (SPEND_PATH, body(SPEND, "TOKEN", spend_amount=-1)),
    "spend_amount as a string": (SPEND_PATH, body(SPEND, "TOKEN", spend_amount="10")),
    "no purchase named": (SPEND_PATH, body(SPEND, "TOKEN", purchase_customer_request_identifier=None)),
    "show without an identifier": ("/rewards_participants/show", body(SHOW, "TOKEN",
                                                                      rewards_participant_identifier=None)),
    "access token with two forms": ("/rewards_participants/show", body(SHOW, "TOKEN", rewards_participant_identifier={
        "access_token_identifier": {"authentication_code": "22265577", "one_time_password": "1"}})),
    "cancel naming nothing": ("/customer_events/purchases/cancel", {"token": "TOKEN", "customer_event_identifier": {}}),
}


def with_token(payload: dict[str, Any], token: str) -> dict[str, Any]:
    return {**payload, "token": token} if "token" in payload else payload


@pytest.mark.parametrize("name", sorted(BAD_BODIES))
def test_schema_invalid_body_is_invalid_request_and_changes_nothing(
        webapi: WebApiClient, live_simulator: Any, name: str) -> None:
    path, payload = BAD_BODIES[name]
    before = snapshot(webapi, live_simulator)
    assert webapi.refused(path, with_token(payload, webapi.token)) == "INVALID_REQUEST"
    assert snapshot(webapi, live_simulator) == before


@pytest.mark.parametrize("name", sorted(BAD_BODIES))
def test_the_token_is_checked_before_the_rest_of_the_body(
        webapi: WebApiClient, live_simulator: Any, name: str) -> None:
    """An unauthenticated caller learns nothing about the body: the answer is INVALID_TOKEN whatever it holds."""
    path, payload = BAD_BODIES[name]
    before = snapshot(webapi, live_simulator)
    assert webapi.refused(path, with_token(payload, "0123456789ABCDEF0123456789ABCDEF")) == "INVALID_TOKEN"
    assert snapshot(webapi, live_simulator) == before


@pytest.mark.parametrize("token", [None, "", 42, ["list"], "0123456789ABCDEF0123456789ABCDEF"])
def test_missing_or_bad_token_is_invalid_token(webapi: WebApiClient, live_simulator: Any, token: Any) -> None:
    before = snapshot(webapi, live_simulator)
    payload = {**CREATE, "token": token} if token is not None else dict(CREATE)
    assert webapi.refused(CREATE_PATH, payload) == "INVALID_TOKEN"
    assert snapshot(webapi, live_simulator) == before


@pytest.mark.parametrize(("content", "media", "code"), [
    (b"{not json", "application/json", "INVALID_REQUEST"),
    (b"[1, 2]", "application/json", "INVALID_TOKEN"),
    (b"null", "application/json", "INVALID_TOKEN"),
    (b"token=abc", "application/x-www-form-urlencoded", "INVALID_TOKEN"),
    (b"<xml/>", "application/xml", "INVALID_REQUEST"),
])
def test_bodies_that_are_not_json_objects(webapi: WebApiClient, live_simulator: Any, content: bytes, media: str,
                                          code: str) -> None:
    before = snapshot(webapi, live_simulator)
    assert webapi.refused(CREATE_PATH, content=content, headers={"content-type": media}) == code
    assert snapshot(webapi, live_simulator) == before


@pytest.mark.parametrize("amount", ["1e308", "1e1000000", "1000000000000.01"])
def test_amounts_no_wallet_can_hold_are_out_of_range(webapi: WebApiClient, live_simulator: Any, amount: str) -> None:
    """Schema-valid (the spec sets no maximum), so not INVALID_REQUEST; never a 500, and nothing changes."""
    number = webapi.ok(CREATE_PATH, body(CREATE, webapi.token, reference_number="R-small"))["number"]
    before = snapshot(webapi, live_simulator)
    basket = [{**LINE, "net_amount": 0, "total_amount": 0}]
    spend = body(SPEND, webapi.token, purchase_customer_request_identifier={"number": number}, spend_amount=0)
    for path, payload in ((CREATE_PATH, body(CREATE, webapi.token, products_set=basket)),
                          ("/customer_events/purchases/preview", body(PREVIEW, webapi.token, products_set=basket)),
                          (SPEND_PATH, spend)):
        text = jsonio.dumps(payload).replace('"net_amount":0', f'"net_amount":{amount}').replace(
            '"spend_amount":0', f'"spend_amount":{amount}')
        assert webapi.refused(path, content=text.encode(), headers={"content-type": "application/json"}) == \
            "AMOUNT_OUT_OF_RANGE"
    assert snapshot(webapi, live_simulator) == before


def test_form_body_with_a_live_token_is_invalid_request(webapi: WebApiClient) -> None:
    assert webapi.refused(CREATE_PATH, content=f"token={webapi.token}".encode(),
                          headers={"content-type": "application/x-www-form-urlencoded"}) == "INVALID_REQUEST"


@pytest.mark.parametrize(("path", "content"), [
    ("/authentication/token", b""), ("/authentication/token", b'{"username": "pos"}'),
    ("/authentication/token", b'{"username": "pos", "password": "pw", "organisation": "demo", "role": "x"}')])
def test_bad_login_bodies(webapi: WebApiClient, path: str, content: bytes) -> None:
    assert webapi.refused(path, content=content, headers={"content-type": "application/json"}) == "INVALID_REQUEST"


def test_key_login_with_a_null_body_is_invalid_request(webapi: WebApiClient) -> None:
    headers = {"content-type": "application/json", "authorization": "Basic d2stMTo="}  # wk-1 and an empty password
    assert webapi.refused("/authentication/web_api_key/token", content=b"null", headers=headers) == "INVALID_REQUEST"


def test_no_secret_comes_back(webapi: WebApiClient) -> None:
    answer = webapi.client.post(f"/{API}/authentication/token", json={**LOGIN, "password": "s3cret-pw"})
    assert "s3cret-pw" not in answer.text
    refused = webapi.client.post(f"/{API}{CREATE_PATH}", json=body(CREATE, webapi.token, performed_on="s3cret-pw"))
    assert "s3cret-pw" not in refused.text and webapi.token not in refused.text


def test_unknown_path_and_wrong_method_keep_their_http_status(webapi: WebApiClient) -> None:
    missing = webapi.client.post(f"/{API}/authentication/token/release", json={"token": webapi.token})
    assert missing.status_code == 404 and missing.json()["status"]["code"] == "NOT_FOUND"
    wrong = webapi.client.get(f"/{API}/rewards_participants/show")
    assert wrong.status_code == 405 and wrong.headers["allow"] == "POST"
    assert wrong.json()["data"] is None


# --- the token's life, in a private simulator: its clock and its database are ours ---


def private(db: Path) -> tuple[Any, TestClient]:
    app = build_app(SimulatorConfig(db=str(db), control_token="private"), [API])
    return app, TestClient(app)


def test_tokens_expire_after_two_hours_and_survive_a_restart(tmp_path: Path) -> None:
    control = {"authorization": "Bearer private"}
    app, client = private(tmp_path / "ledger.db")
    client.post("/_control/fixtures", json=FIXTURE, headers=control)
    client.post("/_control/clock", json={"set": "2026-01-01T12:00:00Z"}, headers=control)
    token = client.post(f"/{API}/authentication/token", json=LOGIN).json()["data"]["token"]
    app.close()
    app, client = private(tmp_path / "ledger.db")  # a restarted simulator: same ledger file, fresh process state
    client.post("/_control/clock", json={"set": "2026-01-01T13:59:59Z"}, headers=control)
    answer = client.post(f"/{API}/rewards_participants/show", json=body(SHOW, token)).json()
    assert answer["status"]["code"] == "OK" and answer["data"]["wallet"]["balance"] == "10.00"
    client.post("/_control/clock", json={"advance_seconds": 1}, headers=control)
    expired = client.post(f"/{API}/customer_events/purchases/preview", json=body(PREVIEW, token)).json()
    assert expired == {"status": {"code": "INVALID_TOKEN", "message": "Invalid or expired token", "description": None},
                       "data": None}
    app.close()


def test_a_fixture_may_hand_out_a_token(tmp_path: Path) -> None:
    app, client = private(tmp_path / "ledger.db")
    fixture = {**FIXTURE, "credentials": [{"token": "scenario-token-1"}]}
    assert client.post("/_control/fixtures", json=fixture, headers={"authorization": "Bearer private"}).json()["ok"]
    answer = client.post(f"/{API}/rewards_participants/show", json=body(SHOW, "scenario-token-1")).json()
    assert answer["status"]["code"] == "OK"
    app.close()


@pytest.mark.parametrize(("fixture", "message"), [
    ({"program": "ackroo-reference"}, "program"),
    ({"credentials": [{"username": "pos"}]}, "credentials[0]"),
    ({"customers": [{"number": "001"}]}, "number` and `name"),
    ({"customers": [{"number": "001", "name": "A", "wallet": "-1"}]}, "between 0"),
    ({"products": [{"id": "P"}]}, "products[0]"),
])
def test_bad_fixtures_are_refused_by_the_control_interface(tmp_path: Path, fixture: dict[str, Any],
                                                           message: str) -> None:
    app, client = private(tmp_path / "ledger.db")
    control = {"authorization": "Bearer private"}
    answer = client.post("/_control/fixtures", json={"api": API, **fixture}, headers=control)
    assert answer.status_code == 400 and message in answer.json()["message"]
    app.close()
