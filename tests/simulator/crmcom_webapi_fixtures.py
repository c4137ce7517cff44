"""The pinned CRM.COM Web API fixture (DESIGN 6) and seed 000's five-step payloads, shared by the tests."""

from __future__ import annotations

import base64
import copy
from typing import Any

import httpx

from conformance.core import jsonio

API = "crmcom-webapi"
PREFIX = f"/{API}"
LOGIN = {"username": "pos", "password": "pw", "organisation": "demo"}
WEB_API_KEY = "wk-1"
FIXTURE: dict[str, Any] = {
    "api": API, "program": "crmcom-webapi-reference",
    "credentials": [{**LOGIN, "api_key": WEB_API_KEY}],
    "customers": [{"number": "001", "name": "John Doe", "authentication_code": "22265577", "wallet": "10.00"}],
}
BACK_END: dict[str, Any] = {"number": "002", "name": "Jane Roe", "authentication_code": "33376688", "wallet": "10.00",
            "reduction_method": "BACK_END_REDUCTION"}


def basic(key: str, password: str = "") -> str:
    """HTTP Basic credentials: the web API key as user name and (as documented) an empty password."""
    return "Basic " + base64.b64encode(f"{key}:{password}".encode()).decode()


# Seed 000, steps 1-4 as printed, with its corrections (see the spec's examples): fields_set joined into one
# line, step 4's total_number read as total_amount; `token` and step 4's purchase number are filled in later.
SHOW: dict[str, Any] = {
    "rewards_participant_identifier": {"access_token_identifier": {"authentication_code": "22265577"}},
    "fields_set": "accounts_receivable,wallet",
}
PREVIEW: dict[str, Any] = {
    "rewards_participant_identifier": {"access_token_identifier": {"authentication_code": "22265577"}},
    "reference_number": "REF0001", "performed_by_unit_identifier": {"name": "Unit"},
    "performed_on": "2017-06-22T15:00:00",
    "products_set": [
        {"product_identifier": {"code": "Soft Drinks"}, "quantity": 1, "total_amount": 10, "net_amount": 8,
         "vat_amount": 2},
        {"product_identifier": {"code": "Sandwiches"}, "quantity": 10, "total_amount": 20, "net_amount": 26,
         "vat_amount": 4},
    ],
    "fields_set": "total_additional_spend_amount,total_automatic_spend_amount,reduction_method,"
                  "total_instant_spend_amount,total_award_amount",
}
CREATE: dict[str, Any] = {
    "accounts_receivable_identifier": {"number": "001"}, "performed_by_unit_identifier": {"name": "Unit"},
    "performed_on": "2017-05-22T16:05:00", "process_immediately": True, "external_system": "POSID01",
    "reference_number": "REF00001",
    "products_set": [
        {"product_identifier": {"code": "Soft Drinks"}, "quantity": 1, "total_amount": 10, "net_amount": 8,
         "vat_amount": 2},
        {"product_identifier": {"code": "Sandwiches"}, "quantity": 4, "total_amount": 10, "net_amount": 8,
         "vat_amount": 2},
    ],
    "fields_set": "number,total_awarded_amount,reference_number",
}
SPEND: dict[str, Any] = {
    "accounts_receivable_identifier": {"number": "001"}, "performed_by_unit_identifier": {"name": "Unit"},
    "performed_on": "2017-05-12T11:41:00", "external_system": "POSID01", "process_immediately": True,
    "spend_amount": 10, "purchase_customer_request_identifier": {"number": "936"},
    "fields_set": "number,spend_amount,reduction_method,spend_reward_transaction",
}


def body(template: dict[str, Any], token: str, **changes: Any) -> dict[str, Any]:
    """A deep copy of a seed body with the token and top-level changes filled in (None removes a field)."""
    merged = {"token": token, **copy.deepcopy(template), **changes}
    return {key: value for key, value in merged.items() if value is not None}


class WebApiClient:
    """Calls by path under the api prefix; every answer must be HTTP 200 with the envelope."""

    def __init__(self, client: httpx.Client) -> None:
        self.client = client
        self.token = self.login()

    def login(self) -> str:
        return str(self.ok("/authentication/token", LOGIN)["token"])

    def raw(self, path: str, payload: Any = None, **kwargs: Any) -> dict[str, Any]:
        response = self.client.post(PREFIX + path, json=payload, **kwargs) if payload is not None else \
            self.client.post(PREFIX + path, **kwargs)
        assert response.status_code == 200, response.text
        envelope: dict[str, Any] = jsonio.loads(response.content)  # money as Decimal, printed digits kept
        assert set(envelope) == {"status", "data"}, envelope
        assert set(envelope["status"]) == {"code", "message", "description"}, envelope
        return envelope

    def ok(self, path: str, payload: Any = None, **kwargs: Any) -> Any:
        envelope = self.raw(path, payload, **kwargs)
        assert envelope["status"] == {"code": "OK", "message": None, "description": None}, envelope
        return envelope["data"]

    def refused(self, path: str, payload: Any = None, **kwargs: Any) -> str:
        envelope = self.raw(path, payload, **kwargs)
        assert envelope["data"] is None and envelope["status"]["code"] != "OK", envelope
        assert envelope["status"]["message"], envelope
        return str(envelope["status"]["code"])

    def wallet(self, number: str = "001") -> str:
        data = self.ok("/rewards_participants/show", {"token": self.token, "rewards_participant_identifier":
                                                      {"number": number}, "fields_set": "wallet"})
        return str(data["wallet"]["balance"])
