"""Over real HTTP on loopback, seed 000's five steps give the documented figures, and the rest of the Web API
(key login, back-end reduction, caps, cancel, fields_set, identification means) behaves as specified."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from conformance.core import jsonio
from tests.conftest import CONTROL_TOKEN
from tests.simulator.crmcom_webapi_fixtures import (
    API,
    BACK_END,
    CREATE,
    FIXTURE,
    PREVIEW,
    SHOW,
    SPEND,
    WEB_API_KEY,
    WebApiClient,
    basic,
    body,
)

CONTROL = {"authorization": f"Bearer {CONTROL_TOKEN}"}


@pytest.fixture
def webapi(live_simulator: Any) -> Iterator[WebApiClient]:
    with httpx.Client(base_url=live_simulator.origin, timeout=10) as client:
        assert client.post("/_control/reset", json={"api": API}, headers=CONTROL).status_code == 200
        fixture = {**FIXTURE, "customers": [*FIXTURE["customers"], BACK_END]}
        assert client.post("/_control/fixtures", json=fixture, headers=CONTROL).status_code == 200
        yield WebApiClient(client)
    assert live_simulator.app.state.ledger.check(API) == []


def exact(data: dict[str, Any]) -> dict[str, str]:
    """Every value as the text it was printed with: 7.9 stays "7.9", 10 stays "10" (the JSON parses to Decimal)."""
    return {key: str(value) for key, value in data.items()}


def test_seed_000_five_steps_over_http(webapi: WebApiClient) -> None:
    token = webapi.token
    shown = webapi.ok("/rewards_participants/show", body(SHOW, token))  # step 1
    assert set(shown) == {"accounts_receivable", "wallet"}
    assert shown["wallet"] == {"number": "W0000000001", "balance": "10.00"}
    assert shown["accounts_receivable"]["account_owner"]["name"] == "John Doe"
    preview = webapi.ok("/customer_events/purchases/preview", body(PREVIEW, token))  # step 2
    assert exact(preview) == {"total_additional_spend_amount": "7.9", "total_automatic_spend_amount": "0",
                              "total_instant_spend_amount": "0", "total_award_amount": "0.08",
                              "reduction_method": "FRONT_END_REDUCTION"}
    created = webapi.ok("/customer_events/purchases/create", body(CREATE, token))  # step 3
    assert set(created) == {"number", "total_awarded_amount", "reference_number"}
    assert (str(created["total_awarded_amount"]), created["reference_number"]) == ("0.08", "REF00001")
    assert webapi.wallet() == "10.08"
    spend = body(SPEND, token, purchase_customer_request_identifier={"number": created["number"]})
    spent = webapi.ok("/customer_events/spend_requests/create", spend)  # step 4
    assert set(spent) == {"number", "spend_amount", "reduction_method", "spend_reward_transaction"}
    assert (str(spent["spend_amount"]), spent["reduction_method"]) == ("10", "FRONT_END_REDUCTION")
    transaction = spent["spend_reward_transaction"]
    assert exact({k: transaction[k] for k in ("total_amount", "net_amount", "vat_amount", "life_cycle_state")}) == {
        "total_amount": "7.9", "net_amount": "7.9", "vat_amount": "0", "life_cycle_state": "POSTED"}
    # step 5: redemption = actual spend + automatic spend; new balance = initial + award - redemption
    redemption = transaction["total_amount"] + preview["total_automatic_spend_amount"]
    assert Decimal("10.00") + created["total_awarded_amount"] - redemption == Decimal("2.18")
    assert webapi.wallet() == "2.18"


def test_full_answers_without_fields_set(webapi: WebApiClient) -> None:
    preview = webapi.ok("/customer_events/purchases/preview", body(PREVIEW, webapi.token, fields_set=None))
    assert exact(preview) == {
        "total_award_amount": "0.08", "total_award_alternative_amount": "0", "total_instant_spend_amount": "0",
        "total_automatic_spend_amount": "0", "total_additional_spend_amount": "7.9",
        "minimum_spend_amount_per_transaction": "1", "maximum_spend_amount_per_transaction": "7.9",
        "reduction_method": "FRONT_END_REDUCTION", "rewards_participant_id": "001",
        "rewards_participant_name": "John Doe", "wallet_balance": "10", "wallet_alternative_balance": "0"}
    created = webapi.ok("/customer_events/purchases/create", body(CREATE, webapi.token, fields_set=None))
    assert (created["life_cycle_state"], created["total_award_amount"]) == ("POSTED", created["total_awarded_amount"])
    assert (created["total_amount"], created["net_amount"], created["vat_amount"]) == (20, 16, 4)
    spends = ("total_instant_spend_amount", "total_additional_spend_amount", "total_automatic_spend_amount")
    assert created["total_spend_amount"] == sum(created[k] for k in spends) == 0
    assert created["performed_by_unit"] == {"name": "Unit"} and created["external_system"] == "POSID01"
    assert [(p["id"], p["intended_product_value"]) for p in created["products_set"]] == [
        ("Soft Drinks", None), ("DEFAULT", "Sandwiches")]


def test_fields_set_trims_to_named_and_nested_fields(webapi: WebApiClient) -> None:
    shown = webapi.ok("/rewards_participants/show", body(SHOW, webapi.token,
                                                         fields_set="wallet.balance, accounts_receivable.name, nope"))
    assert shown == {"wallet": {"balance": "10.00"}, "accounts_receivable": {"name": "John Doe"}}


@pytest.mark.parametrize("identifier", [
    {"number": "001"}, {"id": "001"}, {"name": "John Doe"},
    {"access_token_identifier": {"authentication_code": "22265577"}}])
def test_every_identification_mean(webapi: WebApiClient, identifier: dict[str, Any]) -> None:
    payload = {"token": webapi.token, "rewards_participant_identifier": identifier}
    shown = webapi.ok("/rewards_participants/show", payload)
    assert shown["accounts_receivable"]["number"] == "001"


def test_unknown_customer_is_not_found(webapi: WebApiClient) -> None:
    unknown = {"access_token_identifier": {"authentication_code": "99999999"}}
    assert webapi.refused("/rewards_participants/show", body(SHOW, webapi.token,
                                                             rewards_participant_identifier=unknown)) == "NOT_FOUND"
    assert webapi.refused("/customer_events/purchases/create", body(
        CREATE, webapi.token, accounts_receivable_identifier={"number": "404"})) == "NOT_FOUND"
    assert webapi.wallet() == "10.00"


def test_web_api_key_login(webapi: WebApiClient) -> None:
    token = webapi.ok("/authentication/web_api_key/token", {"unit": "Unit"},
                      headers={"authorization": basic(WEB_API_KEY)})["token"]
    assert len(token) == 32 and token != webapi.token
    assert webapi.ok("/rewards_participants/show", body(SHOW, token))["wallet"]["balance"] == "10.00"
    no_body = webapi.ok("/authentication/web_api_key/token", headers={"authorization": basic(WEB_API_KEY)})
    assert no_body["token"] not in (token, webapi.token)


@pytest.mark.parametrize("headers", [
    {}, {"authorization": basic("wk-2")}, {"authorization": basic(WEB_API_KEY, "pw")},
    {"authorization": "Basic not-base64!"}, {"authorization": f"Bearer {WEB_API_KEY}"}])
def test_web_api_key_login_refused(webapi: WebApiClient, headers: dict[str, str]) -> None:
    code = webapi.refused("/authentication/web_api_key/token", {"unit": "Unit"}, headers=headers)
    assert code == "INVALID_CREDENTIALS"


@pytest.mark.parametrize("login", [
    {"username": "pos", "password": "wrong", "organisation": "demo"},
    {"username": "pos", "password": "pw", "organisation": "elsewhere"}])
def test_wrong_login_is_refused_in_the_envelope(webapi: WebApiClient, login: dict[str, str]) -> None:
    assert webapi.refused("/authentication/token", login) == "INVALID_CREDENTIALS"


def test_back_end_reduction(webapi: WebApiClient) -> None:
    jane = {"number": "002"}
    preview = webapi.ok("/customer_events/purchases/preview", body(PREVIEW, webapi.token,
                                                                    rewards_participant_identifier=jane))
    assert preview["reduction_method"] == "BACK_END_REDUCTION"
    created = webapi.ok("/customer_events/purchases/create",
                        body(CREATE, webapi.token, accounts_receivable_identifier=jane))
    spent = webapi.ok("/customer_events/spend_requests/create", body(
        SPEND, webapi.token, accounts_receivable_identifier=jane,
        purchase_customer_request_identifier={"number": created["number"]}))
    assert spent["reduction_method"] == "BACK_END_REDUCTION"
    assert str(spent["spend_reward_transaction"]["total_amount"]) == "7.9"  # still recorded: the wallet pays it
    assert webapi.wallet("002") == "2.18"


def test_duplicate_reference_awards_once(webapi: WebApiClient) -> None:
    webapi.ok("/customer_events/purchases/create", body(CREATE, webapi.token))
    assert webapi.refused("/customer_events/purchases/create", body(CREATE, webapi.token)) == \
        "DUPLICATE_REFERENCE_NUMBER"
    assert webapi.wallet() == "10.08"


def test_spend_refusals_and_caps(webapi: WebApiClient) -> None:
    number = webapi.ok("/customer_events/purchases/create", body(CREATE, webapi.token))["number"]
    spend = body(SPEND, webapi.token, purchase_customer_request_identifier={"number": number})
    assert webapi.refused("/customer_events/spend_requests/create", {**spend, "spend_amount": 0.99}) == \
        "SPEND_BELOW_MINIMUM"
    assert webapi.wallet() == "10.08"
    unknown = {**spend, "purchase_customer_request_identifier": {"number": "7"}}
    assert webapi.refused("/customer_events/spend_requests/create", unknown) == "NOT_FOUND"
    others = {**spend, "accounts_receivable_identifier": {"number": "002"}}
    assert webapi.refused("/customer_events/spend_requests/create", others) == "NOT_FOUND"
    without_amount = {k: v for k, v in spend.items() if k != "spend_amount"}  # asks for the total, 20
    first = webapi.ok("/customer_events/spend_requests/create", without_amount)
    assert (str(first["spend_amount"]), str(first["spend_reward_transaction"]["total_amount"])) == ("20", "7.9")
    second = webapi.ok("/customer_events/spend_requests/create", {**spend, "spend_amount": 5})
    assert str(second["spend_reward_transaction"]["total_amount"]) == "2.18"  # capped by the wallet
    assert webapi.refused("/customer_events/spend_requests/create", spend) == "NOTHING_TO_SPEND"
    assert webapi.wallet() == "0.00"


def test_cancel(webapi: WebApiClient) -> None:
    created = webapi.ok("/customer_events/purchases/create", body(CREATE, webapi.token, fields_set="number,id"))
    spend = body(SPEND, webapi.token, purchase_customer_request_identifier={"number": created["number"]})
    webapi.ok("/customer_events/spend_requests/create", spend)
    assert webapi.wallet() == "2.18"
    cancel = {"token": webapi.token, "customer_event_identifier": {"id": created["id"]}}
    cancelled = webapi.ok("/customer_events/purchases/cancel", cancel)
    assert (cancelled["life_cycle_state"], cancelled["number"]) == ("CANCELLED", created["number"])
    assert webapi.wallet() == "10.00"  # the 7.90 spent came back, then the 0.08 award went
    assert webapi.refused("/customer_events/purchases/cancel", cancel) == "ALREADY_CANCELLED"
    assert webapi.refused("/customer_events/spend_requests/create", spend) == "ALREADY_CANCELLED"
    assert webapi.refused("/customer_events/purchases/create", body(CREATE, webapi.token)) == \
        "DUPLICATE_REFERENCE_NUMBER"
    unknown = {"token": webapi.token, "customer_event_identifier": {"number": "5"}}
    assert webapi.refused("/customer_events/purchases/cancel", unknown) == "NOT_FOUND"
    assert webapi.wallet() == "10.00"


def test_money_is_written_as_json_numbers(webapi: WebApiClient) -> None:
    response = webapi.client.post(f"/{API}/customer_events/purchases/preview", json=body(PREVIEW, webapi.token))
    assert '"total_additional_spend_amount":7.9' in response.text and '"total_award_amount":0.08' in response.text
    assert isinstance(jsonio.loads(response.content)["data"]["total_award_amount"], Decimal)
