"""CRM.COM legacy Web API, simulated: every operation of specs/crmcom-webapi/openapi.yaml over the engine.

Wire rules (DESIGN section 9 and the spec's info.description):
- Every answer is HTTP 200 with ``{"status": {"code", "message", "description"}, "data"}``; an error has a
  code other than ``OK`` (those of the spec's ``components.x-error-codes``, plus AMOUNT_OUT_OF_RANGE for a
  schema-valid amount beyond any wallet: the spec sets no maximum) and ``"data": null``.
- Only a request that never reaches a Web API method keeps an HTTP status: an unknown path (404), a method
  the path does not serve (405 with ``Allow``), an injected fault and a simulator bug (500). The envelope
  still carries the error.
- The body's ``token`` is checked before anything else in the body (``authenticate`` runs before schema
  validation), so a caller without a live token learns nothing else; the web API key login checks its
  HTTP Basic credentials first the same way.
- Money is a JSON number written as the seed prints it (7.9, 0.08, 10: no trailing zeros), except the
  wallet balance of ``rewards_participants/show``, a two-decimal string ("10.00").
- ``fields_set`` trims ``data`` to the named fields (``a.b`` names a field inside ``a``); unknown names
  are ignored.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any, TypeVar

from conformance.core.money import MoneyError, format_money, to_decimal
from conformance.engine.crmcom_webapi import (
    API,
    Customer,
    CustomerFixture,
    CustomerRef,
    EventDetails,
    EventRef,
    InvalidCredentials,
    Preview,
    ProductLine,
    Purchase,
    SpendResult,
    WebApi,
)
from conformance.engine.errors import BusinessError
from conformance.simulator.provider import Call, Handler, Provider, ProviderError, Reply

DEFAULT_PROGRAM = "crmcom-webapi-reference"
OK_STATUS = {"code": "OK", "message": None, "description": None}
HTTP_LEVEL = {"NotFound": "NOT_FOUND", "MethodNotAllowed": "INVALID_REQUEST", "InjectedFault": "INJECTED_FAULT",
              "InternalError": "INTERNAL_ERROR", "PayloadTooLarge": "INVALID_REQUEST"}
"""Refusals of the shared pipeline that happen outside any Web API method: they keep their HTTP status."""
T = TypeVar("T")


def wire_code(code: str) -> str:
    """A Web API status code: ``InvalidRequest`` -> ``INVALID_REQUEST``; codes already in that form stay."""
    return code if code.isupper() else re.sub(r"(?<!^)(?=[A-Z])", "_", code).upper()


def refusal(exc: BusinessError) -> ProviderError:
    """An engine refusal in the Web API's terms: HTTP 200, its code as status.code."""
    return ProviderError(200, wire_code(exc.code), exc.message)


def ok(data: Any) -> Reply:
    return Reply(200, {"status": dict(OK_STATUS), "data": data})


def number(value: Decimal | int) -> Decimal:
    """A money or quantity JSON number without trailing zeros (``Decimal('7.90')`` -> 7.9, ``10.00`` -> 10)."""
    return Decimal(value).normalize() or Decimal(0)  # and never a negative zero


def trim(data: dict[str, Any], fields_set: str | None) -> dict[str, Any]:
    """``data`` reduced to the fields ``fields_set`` names (all of it without ``fields_set``)."""
    if fields_set is None:
        return data
    selection: dict[str, Any] = {}
    for name in fields_set.split(","):
        node = selection
        *parents, last = name.strip().split(".")
        for part in parents:
            if part in node and node[part] is None:  # the whole field is already selected
                break
            node = node.setdefault(part, {})
        else:
            node[last] = None
    return _pick(data, selection)


def _pick(data: Mapping[str, Any], selection: Mapping[str, Any]) -> dict[str, Any]:
    picked: dict[str, Any] = {}
    for key, inner in selection.items():
        if key not in data:
            continue
        if inner is None:
            picked[key] = data[key]
        elif isinstance(data[key], Mapping):
            picked[key] = _pick(data[key], inner)
    return picked


# --- requests into engine terms ---------------------------------------------------------------------------


def customer_ref(identifier: Mapping[str, Any]) -> CustomerRef:
    """An accounts_receivable_identifier or rewards_participant_identifier (schema-valid: one form)."""
    access = identifier.get("access_token_identifier")
    if isinstance(access, Mapping):
        if "authentication_code" in access:
            return CustomerRef("authentication_code", access["authentication_code"])
        if "identifier" in access:
            return CustomerRef("identifier", access["identifier"], access["pass_code"])
        return CustomerRef("one_time_password", access["one_time_password"])
    for kind in ("number", "id", "name"):
        if kind in identifier:
            return CustomerRef(kind, identifier[kind])
    raise ProviderError(200, "INVALID_REQUEST", "the customer identifier names no customer")


def body_customer(body: Mapping[str, Any]) -> CustomerRef:
    return customer_ref(body.get("accounts_receivable_identifier") or body["rewards_participant_identifier"])


def product_lines(body: Mapping[str, Any]) -> list[ProductLine]:
    try:
        return [ProductLine(line.get("product_identifier"), to_decimal(line.get("quantity", 1)),
                            to_decimal(line["net_amount"]), to_decimal(line["vat_amount"]),
                            to_decimal(line["total_amount"])) for line in body["products_set"]]
    except MoneyError as exc:
        raise ProviderError(200, "INVALID_REQUEST", str(exc)) from None


def event_details(body: Mapping[str, Any]) -> EventDetails:
    return EventDetails(body["performed_on"], dict(body["performed_by_unit_identifier"]), body.get("external_system"),
                        body.get("description"))


def event_ref(identifier: Mapping[str, str]) -> EventRef:
    return EventRef("number", identifier["number"]) if "number" in identifier else EventRef("id", identifier["id"])


# --- engine results into wire data ------------------------------------------------------------------------


def show_data(customer: Customer) -> dict[str, Any]:
    owner = {"name": customer.name, "first_name": customer.first_name, "last_name": customer.last_name,
             "life_cycle_state": "FINANCIAL", "type": "PERSON"}
    if customer.title:
        owner["title"] = customer.title
    return {
        "wallet": {"number": customer.wallet_number, "balance": format_money(customer.balance)},
        "accounts_receivable": {"life_cycle_state": "ACTIVE", "number": customer.number, "name": customer.name,
                                "id": customer.id, "account_owner": owner},
    }


def preview_data(preview: Preview) -> dict[str, Any]:
    data: dict[str, Any] = {
        "total_award_amount": number(preview.award),
        "total_award_alternative_amount": 0,
        "total_instant_spend_amount": number(preview.instant_spend),
        "total_automatic_spend_amount": number(preview.automatic_spend),
        "total_additional_spend_amount": number(preview.additional_spend),
        "minimum_spend_amount_per_transaction": number(preview.minimum_spend),
        "reduction_method": preview.reduction_method,
        "rewards_participant_id": preview.customer.id,
        "rewards_participant_name": preview.customer.name,
        "wallet_balance": number(preview.customer.balance),
        "wallet_alternative_balance": 0,
    }
    if preview.maximum_spend is not None:
        data["maximum_spend_amount_per_transaction"] = number(preview.maximum_spend)
    return data


def purchase_data(purchase: Purchase) -> dict[str, Any]:
    return {
        "id": purchase.id,
        "number": purchase.number,
        "reference_number": purchase.reference_number,
        "life_cycle_state": purchase.state,
        "performed_on": purchase.details.performed_on,
        "external_system": purchase.details.external_system,
        "total_amount": number(purchase.total_amount),
        "net_amount": number(purchase.net_amount),
        "vat_amount": number(purchase.vat_amount),
        "total_awarded_amount": number(purchase.award),
        "total_award_amount": number(purchase.award),
        "total_awarded_alternative_amount": 0,
        "requested_spend_amount": 0,
        "requested_spend_alternative_amount": 0,
        "total_spend_amount": number(purchase.total_spend),
        "total_instant_spend_amount": number(purchase.instant_spend),
        "total_automatic_spend_amount": number(purchase.automatic_spend),
        "total_additional_spend_amount": 0,
        "reduction_method": purchase.reduction_method,
        "products_set": [
            {"id": line.product_id, "quantity": number(line.quantity), "net_amount": number(line.net_amount),
             "vat_amount": number(line.vat_amount), "total_amount": number(line.total_amount),
             "intended_product_identifier": line.intended_product_identifier,
             "intended_product_value": line.intended_product_value}
            for line in purchase.lines
        ],
        "performed_by_unit": dict(purchase.details.unit),
        "log_information": {"created_date": purchase.created_at.isoformat(),
                            "updated_date": purchase.updated_at.isoformat()},
    }


def spend_data(result: SpendResult) -> dict[str, Any]:
    return {
        "id": result.id,
        "number": result.number,
        "life_cycle_state": "POSTED",
        "performed_on": result.details.performed_on,
        "spend_amount": number(result.requested),
        "reduction_method": result.reduction_method,
        "spend_reward_transaction": {"id": result.reward_id, "number": result.reward_number,
                                     "total_amount": number(result.spent), "net_amount": number(result.spent),
                                     "vat_amount": 0, "life_cycle_state": "POSTED"},
    }


class WebApiProvider(Provider):
    api = API

    @property
    def handlers(self) -> Mapping[str, Handler]:
        return {
            "webApiLogin": self.login,
            "webApiKeyLogin": self.key_login,
            "webApiRewardsParticipantShow": self.show,
            "webApiPurchasePreview": self.preview,
            "webApiPurchaseCreate": self.create,
            "webApiSpendRequestCreate": self.spend,
            "webApiPurchaseCancel": self.cancel,
        }

    # --- shape ---

    def error_reply(self, status: int, code: str, message: str, parameters: Any = None) -> Reply:
        """HTTP 200 and a non-OK status.code for every refusal of a Web API method (DESIGN 9)."""
        http = status if code in HTTP_LEVEL else 200
        return Reply(http, {"status": {"code": HTTP_LEVEL.get(code) or wire_code(code), "message": message,
                                       "description": None}, "data": None})

    # --- state ---

    def _engine(self) -> WebApi:
        program_id = self.state.ledger.get_setting(API, "program", DEFAULT_PROGRAM)
        program = self.state.programs.get(program_id)
        if program is None:
            raise ProviderError(500, "InternalError", f"reward program {program_id!r} is not loaded")
        return WebApi(self.state.ledger, program)

    def _run(self, action: Callable[[WebApi], T]) -> T:
        try:
            return action(self._engine())
        except BusinessError as exc:
            raise refusal(exc) from None

    def apply_fixtures(self, fixtures: Mapping[str, Any]) -> dict[str, Any]:
        program_id = fixtures.get("program", DEFAULT_PROGRAM)
        program = self.state.programs.get(program_id)
        if program is None or program.api != API:
            raise ProviderError(400, "UnknownProgram", f"no {API} program {program_id!r}")
        credentials = [self._credential(index, c) for index, c in enumerate(fixtures.get("credentials") or [])]
        products = [self._product(index, p) for index, p in enumerate(fixtures.get("products") or [])]
        try:
            customers = [CustomerFixture.from_mapping(c) for c in fixtures.get("customers") or []]
            engine = WebApi(self.state.ledger, program)
            ledger = self.state.ledger
            merged = {_credential_key(c): c for c in [*ledger.get_setting(API, "credentials", []), *credentials]}
            known = {p["code"]: p for p in [*ledger.get_setting(API, "products", []), *products]}
            engine.put_customers(customers, settings={"program": program_id, "credentials": list(merged.values()),
                                                      "products": list(known.values())})
            for credential in credentials:
                if credential.get("token"):
                    engine.register_token(credential["token"])
        except BusinessError as exc:
            raise ProviderError(400, "InvalidFixture", exc.message) from None
        return {"customers": len(customers), "credentials": len(credentials), "products": len(products)}

    @staticmethod
    def _credential(index: int, credential: Any) -> dict[str, Any]:
        fields = ("username", "password", "organisation", "api_key", "token", "unit")
        if not isinstance(credential, Mapping) or any(not isinstance(credential.get(k, ""), str) for k in fields):
            raise ProviderError(400, "InvalidFixture", f"credentials[{index}]: {', '.join(fields)} are strings")
        login = all(credential.get(k) for k in ("username", "password", "organisation"))
        if not (login or credential.get("api_key") or credential.get("token")):
            raise ProviderError(400, "InvalidFixture",
                                f"credentials[{index}] needs username, password and organisation, or api_key")
        return dict(credential)

    @staticmethod
    def _product(index: int, product: Any) -> dict[str, str]:
        if not isinstance(product, Mapping) or not isinstance(product.get("code"), str) or not product["code"]:
            raise ProviderError(400, "InvalidFixture", f"products[{index}] needs a `code`")
        return {k: str(product[k]) for k in ("code", "id", "alternative_code") if product.get(k) is not None}

    def reset(self) -> None:
        self.state.ledger.reset(API)

    # --- auth ---

    def authenticate(self, call: Call) -> Any:
        """The key login's Basic credentials, or the body's token: both before the body is validated."""
        operation = call.operation.operation_id
        if operation == "webApiLogin":
            return None
        if operation == "webApiKeyLogin":
            key = _basic_key(call.headers.get("authorization"))
            self._run(lambda engine: engine.key_principal(key))
            return key
        token = call.body.get("token") if isinstance(call.body, Mapping) else None
        if not isinstance(token, str) or not token:
            raise ProviderError(200, "INVALID_TOKEN", "A token is required in the request body")
        return self._run(lambda engine: engine.session(token))

    # --- handlers ---

    def login(self, call: Call) -> Reply:
        body = call.body
        return ok({"token": self._run(lambda engine: engine.login(body["username"], body["password"],
                                                                  body["organisation"], body.get("unit")))})

    def key_login(self, call: Call) -> Reply:
        unit = (call.body or {}).get("unit")
        return ok({"token": self._run(lambda engine: engine.key_login(call.principal, unit))})

    def show(self, call: Call) -> Reply:
        ref = customer_ref(call.body["rewards_participant_identifier"])
        return ok(trim(show_data(self._run(lambda engine: engine.customer(ref))), call.body.get("fields_set")))

    def preview(self, call: Call) -> Reply:
        ref, lines = body_customer(call.body), product_lines(call.body)
        return ok(trim(preview_data(self._run(lambda engine: engine.preview(ref, lines))), call.body.get("fields_set")))

    def create(self, call: Call) -> Reply:
        body = call.body
        ref, lines, details = body_customer(body), product_lines(body), event_details(body)
        purchase = self._run(lambda engine: engine.create_purchase(ref, lines, body["reference_number"], details))
        return ok(trim(purchase_data(purchase), body.get("fields_set")))

    def spend(self, call: Call) -> Reply:
        body = call.body
        ref, event, details = body_customer(body), event_ref(body["purchase_customer_request_identifier"]), \
            event_details(body)
        result = self._run(lambda engine: engine.spend(ref, event, body.get("spend_amount"), details))
        return ok(trim(spend_data(result), body.get("fields_set")))

    def cancel(self, call: Call) -> Reply:
        event = event_ref(call.body["customer_event_identifier"])
        return ok(trim(purchase_data(self._run(lambda engine: engine.cancel(event))), call.body.get("fields_set")))


def _basic_key(header: str | None) -> str:
    """The web API key of ``Basic base64("<key>:")``; a missing header or a non-empty password is refused."""
    scheme, _, value = (header or "").partition(" ")
    try:
        user, colon, password = base64.b64decode(value.strip(), validate=True).decode("utf-8").partition(":")
    except ValueError:  # binascii.Error and UnicodeDecodeError are ValueErrors
        user, colon, password = "", "", ""
    if scheme.lower() != "basic" or not user or not colon or password:
        raise refusal(InvalidCredentials("Invalid web API key (HTTP Basic: the key as user name, an empty password)"))
    return user


def _credential_key(credential: Mapping[str, Any]) -> tuple[Any, ...]:
    return tuple(credential.get(k) for k in ("username", "organisation", "api_key", "token"))
