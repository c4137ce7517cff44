"""Schemathesis from specs/crmcom-webapi/openapi.yaml against the simulator in-process, every check enabled.

A fuzzer cannot log in, and generated customer and purchase numbers rarely exist: most cases get the live
token the fixture login returned, and half of the valid (positive) cases name the fixture customers and
purchases, so they reach the ledger instead of stopping at INVALID_TOKEN or NOT_FOUND. The project's
schemathesis.toml block and the custom checks of crmcom_webapi_checks.py judge refusals by status.code,
since this api refuses with HTTP 200.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig

from conformance.loader.paths import specs_dir
from conformance.loader.specs import spec_for
from conformance.simulator.app import SimulatorApp
from conformance.simulator.crmcom_webapi import WebApiProvider, ok
from conformance.simulator.provider import Call, ProviderError, Reply
from conformance.simulator.server import build_app
from conformance.simulator.state import SimulatorConfig, SimulatorState
from conformance.transport.inprocess import TestClient
from tests.conftest import ROOT
from tests.simulator import crmcom_webapi_checks
from tests.simulator.crmcom_webapi_fixtures import API, BACK_END, CREATE, FIXTURE, LOGIN, WEB_API_KEY, basic, body

CONTROL = {"authorization": "Bearer schemathesis-control"}
APP = build_app(SimulatorConfig(control_token="schemathesis-control"), [API])
_client = TestClient(APP)
# The fuzzer's token comes from the fixture, not a login: thousands of fuzzed logins evict the oldest login
# tokens (MAX_TOKENS), and a token that vanished mid-run made the run flaky; fixture tokens are kept.
TOKEN = "FUZZ0000000000000000000000000001"
_client.post("/_control/fixtures", headers=CONTROL, json={
    **FIXTURE, "credentials": [{**FIXTURE["credentials"][0], "token": TOKEN}],
    "customers": [{**FIXTURE["customers"][0], "wallet": "500.00"}, BACK_END]})
PURCHASES = [_client.post(f"/{API}/customer_events/purchases/create",
                          json=body(CREATE, TOKEN, reference_number=f"KNOWN-{n}", fields_set="number"),
                          ).json()["data"]["number"] for n in range(4)]
CUSTOMERS = [{"number": "001"}, {"access_token_identifier": {"authentication_code": "22265577"}},
             {"number": "002"}, {"id": "001"}]

CONFIG = SchemathesisConfig.from_path(ROOT / "schemathesis.toml")
schema = schemathesis.openapi.from_path(specs_dir() / API / "openapi.yaml", config=CONFIG)
schema.app = APP
CHECKS = (crmcom_webapi_checks.webapi_rejects_schema_invalid_data,  # registered on import, enabled by the toml
          crmcom_webapi_checks.webapi_enforces_auth)


def _pick(case: Any, salt: str, options: Sequence[Any]) -> Any:
    digest = hashlib.sha256(repr((salt, case.body)).encode()).digest()
    return options[digest[0] % len(options)]


def known_ids(case: Any) -> None:
    """A live token in 7 cases of 8, and in half of the positive cases known customers and purchases."""
    if not isinstance(case.body, dict) or case.meta is None:
        return
    if isinstance(case.body.get("token"), str) and _pick(case, "token", range(8)):
        case.body["token"] = TOKEN
    if not case.meta.generation.mode.is_positive or _pick(case, "known", range(2)):
        return
    for key in ("accounts_receivable_identifier", "rewards_participant_identifier"):
        if key in case.body:
            case.body[key] = dict(_pick(case, key, CUSTOMERS))
    for key in ("purchase_customer_request_identifier", "customer_event_identifier"):
        if key in case.body:
            case.body[key] = {"number": _pick(case, key, PURCHASES)}


@schema.parametrize()
@settings(max_examples=50, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_crmcom_webapi_conforms_to_its_spec(case: Any) -> None:
    known_ids(case)
    # the key login's Basic credentials under the scheme's own header name, so the auth probes can take them away
    headers = {"Authorization": basic(WEB_API_KEY)} if case.operation.path.endswith("/web_api_key/token") else None
    case.call_and_validate(headers=headers)


def test_fuzzing_left_the_ledger_sound() -> None:
    """Whatever the fuzzer sent, balances equal the sum of their entries and none is negative."""
    assert APP.state.ledger.check(API) == []


class Lenient(WebApiProvider):
    """A non-conforming provider: it accepts schema-invalid bodies, or ignores bad tokens."""

    def __init__(self, *args: Any, accept_invalid: bool, ignore_auth: bool) -> None:
        super().__init__(*args)
        self.accept_invalid, self.ignore_auth = accept_invalid, ignore_auth

    def bad_request(self, problems: list[str]) -> Reply:
        return ok({}) if self.accept_invalid else super().bad_request(problems)

    def authenticate(self, call: Call) -> Any:
        try:
            return super().authenticate(call)
        except ProviderError:
            if not self.ignore_auth:
                raise
            return None


@pytest.mark.parametrize(("flaw", "check"), [
    ("accept_invalid", "webapi_rejects_schema_invalid_data"), ("ignore_auth", "webapi_enforces_auth")])
def test_the_custom_checks_catch_a_provider_that_breaks_them(flaw: str, check: str) -> None:
    """The built-in checks cannot see these flaws in an api that answers 200; the custom ones must."""
    state = SimulatorState(SimulatorConfig(control_token="lenient"))
    provider = Lenient(spec_for(API), state, accept_invalid=flaw == "accept_invalid", ignore_auth=flaw == "ignore_auth")
    app = SimulatorApp(state, {API: provider})
    client = TestClient(app)
    client.post("/_control/fixtures", headers={"authorization": "Bearer lenient"}, json=FIXTURE)
    token = client.post(f"/{API}/authentication/token", json=LOGIN).json()["data"]["token"]
    number = client.post(f"/{API}/customer_events/purchases/create", json=body(CREATE, token)).json()["data"]["number"]
    lenient = schemathesis.openapi.from_path(specs_dir() / API / "openapi.yaml", config=CONFIG)
    lenient.app = app
    # a schema-invalid cancel (an empty identifier) for the first flaw, a valid one for the second
    event = {} if flaw == "accept_invalid" else {"number": number}
    case = lenient["/customer_events/purchases/cancel"]["POST"].Case(
        body={"token": token, "customer_event_identifier": event}, media_type="application/json")
    with pytest.raises(BaseExceptionGroup) as failures:  # schemathesis's FailureGroup
        case.call_and_validate()
    assert any(check in str(failure) for failure in failures.value.exceptions), failures.value.exceptions
    app.close()
