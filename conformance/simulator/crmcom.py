"""CRM.COM REST for POS and eCommerce, simulated: every operation of specs/crmcom/openapi.yaml over the engine's
CRM.COM domain (conformance.engine.crmcom), plus the order webhook.

Auth (DESIGN 9): the `api_key` header on every operation, 401 when missing or wrong. Errors are
{"status", "message", "error", "parameters"} with `status` the HTTP code: 400 invalid (a body reference that
names nothing is 400 CRM.EXCEPTIONS.NOTFOUNDEXCEPTION with [entity, value], as seed 001 prints), 401, 403
wrong pass code (inferred), 404 unknown id in the path, 409 duplicate reference_number / id or a second
cancel. Money in responses is a two-decimal string. The order webhook goes to the fixture's `webhook_url`
through the shared WebhookSender (attempts and delay from the fixture's `settings`).
"""

from __future__ import annotations

import asyncio
import dataclasses
import hmac
import re
import uuid
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from conformance.core.money import MoneyError, format_money, to_decimal
from conformance.core.redact import mask_cards_in_text
from conformance.engine.crmcom import (
    API,
    CancellationReason,
    ContactFixture,
    CrmCom,
    CrmError,
    Fixture,
    Merchant,
    Order,
    OrderItem,
    Outlet,
    ProductLine,
    PurchaseRequest,
    Receipt,
    ReturnRequest,
    SpendRequest,
    SyncProcess,
    SyncProduct,
    TapRef,
    unit_id,
)
from conformance.engine.errors import BusinessError
from conformance.simulator.forms import FormError, form_body
from conformance.simulator.provider import Call, Handler, Provider, ProviderError, Reply
from conformance.simulator.webhooks import WebhookSender

DEFAULT_PROGRAM = "crmcom-reference"
NOT_FOUND = "CRM.EXCEPTIONS.NOTFOUNDEXCEPTION"
INVALID = "CRM.EXCEPTIONS.INVALIDVALUEEXCEPTION"
ERRORS = {
    # engine and pipeline codes -> CRM.COM's `error` (seed 001 prints NOTFOUNDEXCEPTION; the others inferred)
    "UnknownReference": NOT_FOUND, "UnknownResource": NOT_FOUND, "NotFound": NOT_FOUND,
    "TapMismatch": INVALID, "ReceiptMismatch": INVALID, "InvalidRequest": INVALID,
    "MandatoryParameter": "CRM.EXCEPTIONS.MANDATORYPARAMETEREXCEPTION",
    "AlreadyExists": "CRM.EXCEPTIONS.ALREADYEXISTSEXCEPTION",
    "InvalidState": "CRM.EXCEPTIONS.INVALIDSTATEEXCEPTION",
    "WrongPassCode": "CRM.EXCEPTIONS.INVALIDPASSCODEEXCEPTION",
    "Unauthorized": "CRM.EXCEPTIONS.UNAUTHORIZEDEXCEPTION",
    "MethodNotAllowed": "CRM.EXCEPTIONS.METHODNOTALLOWEDEXCEPTION",
    "InjectedFault": "CRM.EXCEPTIONS.SERVICEUNAVAILABLEEXCEPTION",
    "InternalError": "CRM.EXCEPTIONS.INTERNALSERVEREXCEPTION",
}
STATUS = {"UnknownReference": 400, "UnknownResource": 404, "TapMismatch": 400, "ReceiptMismatch": 400,
          "InvalidRequest": 400, "AlreadyExists": 409, "InvalidState": 409, "WrongPassCode": 403}
WEBHOOK_EVENT = "orderCreated"
_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_REQUIRED = re.compile(r"'([^']+)' is a required property")
_QUERY_PARAM = re.compile(r"parameter '([^']+)'")


def business(exc: BusinessError) -> ProviderError:
    """An engine refusal in CRM.COM's terms: [entity, value] parameters for references and conflicts."""
    parameters = list(exc.parameters) if isinstance(exc, CrmError) else None
    if parameters and parameters[0] == "cim":  # an identification medium may be a card number: last 4 digits only
        parameters = [mask_cards_in_text(p) for p in parameters]
    return ProviderError(STATUS.get(exc.code, 400), exc.code, exc.message, parameters)


def fixture_error(message: str) -> ProviderError:
    return ProviderError(400, "InvalidFixture", message)


def money(value: Decimal) -> str:
    return format_money(value)


class CrmProvider(Provider):
    api = API

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._sender: WebhookSender | None = None
        self._sender_loop: asyncio.AbstractEventLoop | None = None

    @property
    def handlers(self) -> Mapping[str, Handler]:
        return {
            "crmPurchaseCreate": self.purchase_create,
            "crmPurchaseCancel": self.purchase_cancel,
            "crmPurchaseAdHocReturn": self.ad_hoc_return,
            "crmCustomerSearch": self.customer_search,
            "crmContactWalletGet": self.wallet,
            "crmProductsSynchronise": self.synchronise,
            "crmProductSyncGet": self.sync_get,
            "crmOrderList": self.order_list,
            "crmOrderAction": self.order_action,
            "crmOrderCancellationReasonList": self.reason_list,
        }

    # --- shape ---

    def error_reply(self, status: int, code: str, message: str, parameters: Any = None) -> Reply:
        fallback = INVALID if status < 500 else ERRORS["InternalError"]
        name = code if code.startswith("CRM.") else ERRORS.get(code, fallback)
        return Reply(status, {"status": status, "message": message, "error": name, "parameters": parameters})

    def bad_request(self, problems: list[str]) -> Reply:
        """400 for a request that breaks the spec: MANDATORYPARAMETER naming what is missing, else INVALIDVALUE
        naming where; messages never repeat the offending values."""
        missing = [m.group(1) for p in problems if (m := _REQUIRED.search(p))]
        if missing and len(missing) == len(problems):
            return self.error_reply(400, "MandatoryParameter", "A mandatory parameter is missing: "
                                    + "; ".join(problems), missing)
        return self.error_reply(400, "InvalidRequest", "The input request is invalid: " + "; ".join(problems),
                                [_where(p) for p in problems])

    def prepare(self, call: Call) -> None:
        """Seed 003's semi-optional rules, checked before the schema (which refuses the same bodies) so that the
        refusal names the documented rule instead of a generic "does not match any allowed shape"."""
        if call.media == FORM:
            call.body = self._form(call)
        check = _SEMI_OPTIONAL.get(call.operation.operation_id)
        broken = check(call.body) if check is not None and isinstance(call.body, Mapping) else None
        if broken is not None:
            code, message, parameters = broken
            raise ProviderError(400, code, message, parameters)

    def _form(self, call: Call) -> Any:
        """A form-encoded body as the JSON body it stands for (seed 001: "accepts form-encoded request bodies")."""
        pointer = call.operation.pointer
        operation = self.spec.document[pointer[0]][pointer[1]][pointer[2]]
        content = ((operation.get("requestBody") or {}).get("content") or {}).get(FORM) or {}
        try:
            return form_body(call.raw_body, content.get("schema") or {}, self.spec.document)
        except FormError as exc:
            raise ProviderError(400, "InvalidRequest", f"body: {exc}", ["body"]) from None

    # --- state ---

    def _engine(self) -> CrmCom:
        return CrmCom(self.state.ledger, self._program(self.state.ledger.get_setting(API, "program",
                                                                                     DEFAULT_PROGRAM)))

    def _program(self, program_id: str) -> Any:
        program = self.state.programs.get(program_id)
        if program is None or program.api != API:
            raise ProviderError(400, "UnknownProgram", f"no {API} program {program_id!r}")
        return program

    def reset(self) -> None:
        self.state.ledger.reset(API)

    def apply_fixtures(self, fixtures: Mapping[str, Any]) -> dict[str, Any]:
        program = self._program(str(fixtures.get("program", DEFAULT_PROGRAM)))
        credentials = _credentials(fixtures.get("credentials") or [])
        merged = {c["api_key"]: c for c in self.state.ledger.get_setting(API, "credentials", [])}
        merged.update({c["api_key"]: c for c in credentials})
        settings: dict[str, Any] = {"program": program.id, "credentials": list(merged.values())}
        options = _mapping(fixtures.get("settings") or {}, "settings")
        if "webhook_url" in fixtures:
            settings["webhook_url"] = _webhook_url(fixtures["webhook_url"])
        webhook = dict(self.state.ledger.get_setting(API, "webhook", {}))
        for key in ("webhook_attempts", "webhook_retry_delay"):
            if key in options:
                webhook[key] = _positive(options[key], key, integer=key == "webhook_attempts")
        settings["webhook"] = webhook
        default_product = options.get("default_product")
        if default_product is not None and (not isinstance(default_product, str) or not default_product):
            raise fixture_error("settings.default_product is a product code")
        reasons = fixtures.get("cancellation_reasons", fixtures.get("order_cancellation_reasons"))
        fixture = Fixture(
            contacts=_contacts(fixtures.get("customers") or [], _mapping(fixtures.get("pass_codes") or {},
                                                                         "pass_codes")),
            merchants=tuple(_merchant(m, i) for i, m in enumerate(_list(fixtures.get("merchants"), "merchants"))),
            products=tuple(_sync_product(p, f"products[{i}]") for i, p in
                           enumerate(_list(fixtures.get("products"), "products"))),
            orders=tuple(_order(o, f"orders[{i}]") for i, o in enumerate(_list(fixtures.get("orders"), "orders"))),
            reasons=None if reasons is None else tuple(_reason(r, i) for i, r in enumerate(_list(reasons,
                                                                                                 "reasons"))),
            default_product=default_product,
        )
        try:
            placed = CrmCom(self.state.ledger, program).load(fixture, settings=settings)
        except BusinessError as exc:
            raise fixture_error(exc.message) from None
        deliveries = [self._fire(order) for order in placed if order.state == "NEW"]
        return {"customers": len(fixture.contacts), "merchants": len(fixture.merchants),
                "credentials": len(credentials), "orders": len(placed),
                "webhooks": [d for d in deliveries if d is not None]}

    # --- auth ---

    def authenticate(self, call: Call) -> Any:
        key = call.headers.get("api_key")
        if not key:
            raise ProviderError(401, "Unauthorized", "The api_key header is required.")
        for credential in self.state.ledger.get_setting(API, "credentials", []):
            if hmac.compare_digest(str(credential["api_key"]).encode(), key.encode()):
                return credential
        raise ProviderError(401, "Unauthorized", "The provided API Key or Token is invalid.")

    # --- purchases ---

    def purchase_create(self, call: Call) -> Reply:
        body = call.body
        classification = body.get("classification") or {}
        medium = body.get("payment_medium_identifier")
        lines = _lines(body["products"])
        if "earn-on-total" in self.state.faults.profiles(API):  # deliberately non-conformant profile
            lines = tuple(dataclasses.replace(line, net_amount=line.total_amount) for line in lines)
        request = PurchaseRequest(
            reference_number=body["reference_number"], lines=lines,
            contact_id=body.get("contact_id"), cim=body.get("cim"), id=body.get("id"), pass_code=body.get("pass_code"),
            classification_id=classification.get("id"), classification_code=classification.get("code"),
            currency_code=body.get("currency_code"),
            payment_medium_identifier=None if medium is None else mask_cards_in_text(medium),
            performed_on=epoch_seconds(body.get("performed_on")),
            merchant_tap=_tap(body.get("merchant_tap")), outlet_tap=_tap(body.get("outlet_tap")),
            spend=_spend(body.get("spend_request")),
        )
        try:
            result = self._engine().purchase(request)
        except BusinessError as exc:
            if exc.code != "AlreadyExists" or "duplicate-awarded" not in self.state.faults.profiles(API):
                raise business(exc) from None
            # deliberately non-conformant profile: the resubmission is booked as a new purchase
            result = self._engine().purchase(dataclasses.replace(request, id=None,
                                                                 reference_number=f"{request.reference_number}~"))
        return Reply(200, {"id": result.id, "number": result.number, "total_award_amount": money(result.award),
                           "total_spend_amount": money(result.spend), "reference_number": result.reference_number,
                           "performed_on": result.performed_on, "reduction_method": result.reduction_method})

    def purchase_cancel(self, call: Call) -> Reply:
        again = "cancel-twice" in self.state.faults.profiles(API)  # deliberately non-conformant profile
        try:
            result = self._engine().cancel(call.path_params["id"], again=again)
        except BusinessError as exc:
            raise business(exc) from None
        return Reply(200, {"id": result.id})

    def ad_hoc_return(self, call: Call) -> Reply:
        body = call.body
        request = ReturnRequest(
            reference_number=body["reference_number"], contact_id=body.get("contact_id"), cim=body.get("cim"),
            id=body.get("id"), lines=_lines(body.get("products") or []),
            total_amount=_decimal(body.get("total_amount")), net_amount=_decimal(body.get("net_amount")),
            merchant_tap=_tap(body.get("merchant_tap")), outlet_tap=_tap(body.get("outlet_tap")),
            currency_code=body.get("currency_code"), performed_on=epoch_seconds(body.get("performed_on")),
        )
        try:
            result = self._engine().ad_hoc_return(request)
        except BusinessError as exc:
            raise business(exc) from None
        return Reply(200, {"id": result.id, "number": result.number, "total_amount": money(result.total_amount),
                           "reversed_award_amount": money(result.reversed_award)})

    # --- contacts ---

    def customer_search(self, call: Call) -> Reply:
        params = call.params
        found = self._engine().contacts(email=params.get("email"), phone=params.get("phone"), cim=params.get("cim"),
                                        search=params.get("search_value"))
        rows = [{k: v for k, v in (("id", c.id), ("code", c.code), ("name", c.name), ("first_name", c.first_name),
                                   ("last_name", c.last_name), ("email", c.email), ("phone", c.phone),
                                   ("cim", c.cim)) if v is not None} for c in found]
        return Reply(200, _page(rows, params))

    def wallet(self, call: Call) -> Reply:
        engine = self._engine()
        try:
            contact, balance = engine.wallet(call.path_params["id"])
        except BusinessError as exc:
            raise business(exc) from None
        return Reply(200, {"contact_id": contact.id, "balance": money(balance),
                           "currency_code": contact.currency_code or engine.program.currency})

    # --- products ---

    def synchronise(self, call: Call) -> Reply:
        products = [_sync_product(p, f"products[{i}]") for i, p in enumerate(call.body["products"])]
        return Reply(200, {"id": self._engine().synchronise(products).id})

    def sync_get(self, call: Call) -> Reply:
        try:
            process = self._engine().sync_process(call.path_params["id"])
        except BusinessError as exc:
            raise business(exc) from None
        return Reply(200, _process(process))

    # --- orders ---

    def order_list(self, call: Call) -> Reply:
        orders = self._engine().orders(call.params.get("state"))
        return Reply(200, _page([_order_json(o) for o in orders], call.params))

    def order_action(self, call: Call) -> Reply:
        try:
            order = self._engine().order_action(call.path_params["id"], call.body["action"],
                                                call.body.get("cancellation_reason_id"))
        except BusinessError as exc:
            raise business(exc) from None
        return Reply(200, {"id": order.id, "state": order.state})

    def reason_list(self, call: Call) -> Reply:
        rows = [{k: v for k, v in vars(r).items() if v is not None} for r in self._engine().reasons()]
        return Reply(200, _page(rows, call.params))

    # --- things contacts do elsewhere (POST /_control/trigger) ---

    def trigger(self, event: str, data: Mapping[str, Any]) -> dict[str, Any]:
        engine = self._engine()
        contact = {"contact_id": _opt_str(data, "contact_id"), "cim": _opt_str(data, "cim")}
        try:
            if event == "otp_requested":
                amount = _decimal(data.get("amount"), "amount")
                otp = engine.issue_otp(amount=amount, **contact)
                return {"otp": otp.code, "contact_id": otp.contact_id,
                        "amount": None if otp.amount is None else money(otp.amount)}
            if event == "receipt_claimed":
                claim = engine.claim(_receipt(data), **contact)
                return {"purchase_id": claim.purchase_id, "claimed": claim.claimed, "award": money(claim.award),
                        "reason": claim.reason, "balance": money(claim.balance)}
            if event == "order_placed":
                order = engine.place_order(_order(data, "data"))
                return {"order_id": order.id, "order": _order_json(order), "webhook": self._fire(order)}
        except BusinessError as exc:
            refusal = business(exc)  # the control error body has no `parameters`: name them in the message
            detail = f" ({', '.join(refusal.parameters)})" if refusal.parameters else ""
            raise ProviderError(refusal.status, refusal.code, refusal.message + detail) from None
        raise ProviderError(400, "UnknownEvent", f"{API} has no trigger {event!r} "
                                                 "(otp_requested, receipt_claimed, order_placed)")

    # --- the order webhook ---

    def _fire(self, order: Order) -> str | None:
        """Queue the orderCreated webhook to the fixture's webhook_url; returns the delivery id (None: no url)."""
        url = self.state.ledger.get_setting(API, "webhook_url")
        if not url:
            return None
        item = self._webhooks().send(API, WEBHOOK_EVENT, url, _order_json(order))
        return str(item["id"])

    def _webhooks(self) -> WebhookSender:
        """The sender of the running loop (in-process clients may run each request on a loop of its own)."""
        loop = asyncio.get_running_loop()
        config = self.state.ledger.get_setting(API, "webhook", {})
        attempts = int(config.get("webhook_attempts", self.state.config.webhook_attempts))
        delay = float(to_decimal(config.get("webhook_retry_delay", str(self.state.config.webhook_retry_delay))))
        if self._sender is None or self._sender_loop is not loop:
            self._sender, self._sender_loop = WebhookSender(self.state.deliveries, attempts, delay), loop
        self._sender.attempts, self._sender.delay = attempts, delay
        return self._sender

    async def startup(self) -> None:
        """Nothing to start: the sender is created on first use, on the loop that serves the request."""

    async def shutdown(self) -> None:
        """Stop this loop's deliveries (idempotent; a sender of another, finished loop is just dropped)."""
        sender, loop = self._sender, self._sender_loop
        self._sender = self._sender_loop = None
        if sender is not None and loop is asyncio.get_running_loop():
            await sender.close()

    async def drain(self) -> None:
        """Wait for the webhook deliveries in flight (tests)."""
        if self._sender is not None:
            await self._sender.drain()


# --- seed 003's semi-optional rules -------------------------------------------------------------------------

Broken = tuple[str, str, list[str]]
"""(error code, message, parameters) of a broken rule."""
FORM = "application/x-www-form-urlencoded"
RECLAIM = "CONTACT_RECLAIM"
"""The classification code of a contact reclaim purchase, as the spec's schema pins it (inferred)."""


def _exactly_one(body: Mapping[str, Any], keys: tuple[str, ...], where: str, rule: str) -> Broken | None:
    present = [k for k in keys if k in body]
    names = [f"{where}.{k}" if where else k for k in keys]
    if not present:
        return "MandatoryParameter", f"{rule}: one of {', '.join(names)} must be specified.", names
    if len(present) > 1:
        return "InvalidRequest", f"{rule}: only one of {', '.join(names)} is allowed.", names
    return None


def _at_least_one(body: Mapping[str, Any], keys: tuple[str, ...], where: str, rule: str) -> Broken | None:
    """Seed 003's "semi-optional" (and "Either ... or ... must be specified"): one is needed, more are allowed."""
    if any(k in body for k in keys):
        return None
    names = [f"{where}.{k}" if where else k for k in keys]
    return "MandatoryParameter", f"{rule}: at least one of {', '.join(names)} must be specified.", names


def _identifiers(body: Mapping[str, Any], objects: tuple[str, ...]) -> Broken | None:
    """A tap or classification names its unit by id, code or both (both semi-optional in seed 003)."""
    for name in objects:
        if isinstance(body.get(name), Mapping):
            broken = _at_least_one(body[name], ("id", "code"), name, f"{name} identifies by id or code")
            if broken is not None:
                return broken
    return None


def _taps(body: Mapping[str, Any]) -> Broken | None:
    if "merchant_tap" not in body and "outlet_tap" not in body:
        return ("MandatoryParameter", "At least merchant_tap or outlet_tap should be specified.",
                ["merchant_tap", "outlet_tap"])
    return _identifiers(body, ("merchant_tap", "outlet_tap"))


def _purchase_rules(body: Mapping[str, Any]) -> Broken | None:
    classification = body.get("classification")
    reclaim = isinstance(classification, Mapping) and classification.get("code") == RECLAIM
    contact = [k for k in ("contact_id", "cim") if k in body]  # both are allowed: they must name one contact
    if not contact and not reclaim:
        return "MandatoryParameter", "Either contact_id or cim must be specified.", ["contact_id", "cim"]
    if not contact and "spend_request" in body:
        return ("InvalidRequest", "A contact reclaim purchase sent without a contact carries no spend_request.",
                ["spend_request"])
    spend = body.get("spend_request")
    if isinstance(spend, Mapping):
        broken = _exactly_one(spend, ("amount", "alternative_amount", "otp"), "spend_request",
                              "spend_request restrictions")
        if broken is not None:
            return broken
    return _taps(body) or _identifiers(body, ("classification",))


def _return_rules(body: Mapping[str, Any]) -> Broken | None:
    if "net_amount" in body and "total_amount" not in body:
        return "MandatoryParameter", "net_amount is given with total_amount.", ["total_amount"]
    return (_at_least_one(body, ("contact_id", "cim"), "", "The contact")
            or _taps(body)
            or _exactly_one(body, ("products", "total_amount"), "", "The returned goods"))


_SEMI_OPTIONAL = {"crmPurchaseCreate": _purchase_rules, "crmPurchaseAdHocReturn": _return_rules}


# --- wire -> engine --------------------------------------------------------------------------------------

LAST_EPOCH_SECOND = 253402300799
"""9999-12-31T23:59:59Z. Seed 003 says only "epoch format": a larger `performed_on` is epoch milliseconds
(what JavaScript and Java tills send). No second-based date a till sends comes near it, and the only
milliseconds it cannot tell apart are dates before 1978-01-12, which no purchase carries."""


def epoch_seconds(value: Any) -> int | None:
    """`performed_on` as whole epoch seconds: seconds as sent, milliseconds floored to the second."""
    if value is None:
        return None
    number = int(value)
    return number // 1000 if number > LAST_EPOCH_SECOND else number


def _where(problem: str) -> str:
    head = problem.split(":", 1)[0]
    found = _QUERY_PARAM.search(head)
    if found:
        return found.group(1)
    return head.removeprefix("body/") if head != "body" else "body"


def _tap(data: Mapping[str, Any] | None) -> TapRef | None:
    return None if data is None else TapRef(id=data.get("id"), code=data.get("code"))


def _spend(data: Mapping[str, Any] | None) -> SpendRequest | None:
    if data is None:
        return None
    return SpendRequest(amount=_decimal(data.get("amount")),
                        alternative_amount=_decimal(data.get("alternative_amount")), otp=data.get("otp"))


def _lines(products: Sequence[Mapping[str, Any]]) -> tuple[ProductLine, ...]:
    return tuple(ProductLine(str(p["product_sku"]), to_decimal(p["net_amount"]), to_decimal(p["tax_amount"]),
                             to_decimal(p["total_amount"]), to_decimal(p.get("quantity", 1))) for p in products)


def _decimal(value: Any, what: str = "amount") -> Decimal | None:
    if value is None:
        return None
    try:
        return to_decimal(value)
    except MoneyError:
        raise ProviderError(400, "InvalidRequest", f"{what} is not a decimal amount") from None


def _opt_str(data: Mapping[str, Any], key: str) -> str | None:
    value = data.get(key)
    if value is not None and not isinstance(value, str):
        raise ProviderError(400, "InvalidRequest", f"{key} is a string")
    return value


def _receipt(data: Mapping[str, Any]) -> Receipt:
    """The scanned receipt: its QR payload, its barcode payload, or its four fields."""
    try:
        if "qr" in data:
            return Receipt.from_qr(str(data["qr"]))
        if "barcode" in data:
            return Receipt.from_barcode(str(data["barcode"]))
        amount = _decimal(data.get("amount"))
        fields = [data.get(k) for k in ("reference_number", "merchant_code", "outlet_code")]
        if amount is None or not all(isinstance(f, str) and f for f in fields):
            raise ProviderError(400, "InvalidRequest", "receipt_claimed needs qr, barcode, or reference_number, "
                                                       "merchant_code, outlet_code and amount")
        return Receipt(str(fields[0]), str(fields[1]), str(fields[2]), amount)
    except BusinessError as exc:
        raise business(exc) from None


# --- fixtures -----------------------------------------------------------------------------------------------


def _list(value: Any, what: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise fixture_error(f"{what} is a list")
    return value


def _mapping(value: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise fixture_error(f"{what} is an object")
    return value


def _text(data: Mapping[str, Any], key: str, where: str, *, required: bool = False) -> str | None:
    value = data.get(key)
    if value is None:
        if required:
            raise fixture_error(f"{where} needs `{key}`")
        return None
    if not isinstance(value, str) or not value:
        raise fixture_error(f"{where}.{key} is a non-empty string")
    return value


def _credentials(items: Any) -> list[dict[str, Any]]:
    found = []
    for index, credential in enumerate(_list(items, "credentials")):
        where = f"credentials[{index}]"
        found.append({"api_key": _text(_mapping(credential, where), "api_key", where, required=True)})
    return found


def _webhook_url(value: Any) -> str:
    if not isinstance(value, str) or not re.match(r"^https?://[^\s/]+", value):
        raise fixture_error("webhook_url is an http(s) URL")
    return value


def _positive(value: Any, what: str, *, integer: bool) -> str | int:
    try:
        number = to_decimal(value)
    except MoneyError:
        raise fixture_error(f"settings.{what} is a number") from None
    if number < 0 or (integer and (number != number.to_integral_value() or number < 1)):
        raise fixture_error(f"settings.{what} is {'a whole number of 1 or more' if integer else 'zero or more'}")
    return int(number) if integer else str(number)


def _contacts(items: Any, pass_codes: Mapping[str, Any]) -> tuple[ContactFixture, ...]:
    found = []
    for index, item in enumerate(_list(items, "customers")):
        where = f"customers[{index}]"
        data = _mapping(item, where)
        contact_id = _text(data, "id", where, required=True)
        assert contact_id is not None
        if not _GUID.match(contact_id):
            raise fixture_error(f"{where}.id is a GUID")
        texts = {k: _text(data, k, where) for k in ("cim", "email", "phone", "name", "first_name", "last_name",
                                                    "code", "currency_code", "reduction_method", "pass_code")}
        if texts["pass_code"] is None and pass_codes.get(contact_id) is not None:
            texts["pass_code"] = str(pass_codes[contact_id])
        try:
            wallet = to_decimal(data.get("wallet", "0"))
        except MoneyError:
            raise fixture_error(f"{where}.wallet is an amount such as \"10.00\"") from None
        found.append(ContactFixture(id=contact_id, wallet=wallet, **texts))
    return tuple(found)


def _merchant(item: Any, index: int) -> Merchant:
    where = f"merchants[{index}]"
    data = _mapping(item, where)
    code = _text(data, "code", where, required=True)
    assert code is not None
    outlets = []
    for position, outlet in enumerate(_list(data.get("outlets"), f"{where}.outlets")):
        if isinstance(outlet, str) and outlet:
            outlets.append(Outlet(unit_id("outlet", outlet), outlet))
            continue
        spot = f"{where}.outlets[{position}]"
        detail = _mapping(outlet, spot)
        outlet_code = _text(detail, "code", spot, required=True)
        assert outlet_code is not None
        outlets.append(Outlet(_text(detail, "id", spot) or unit_id("outlet", outlet_code), outlet_code,
                              _text(detail, "name", spot)))
    return Merchant(_text(data, "id", where) or unit_id("merchant", code), code, _text(data, "name", where),
                    tuple(outlets))


def _sync_product(item: Any, where: str) -> SyncProduct:
    data = dict(_mapping(item, where))
    code = _text(data, "code", where, required=True)
    assert code is not None
    data.pop("code")
    return SyncProduct(code, data)


def _reason(item: Any, index: int) -> CancellationReason:
    where = f"cancellation_reasons[{index}]"
    data = _mapping(item, where)
    name = _text(data, "name", where, required=True)
    assert name is not None
    return CancellationReason(_text(data, "id", where) or str(uuid.uuid5(uuid.NAMESPACE_URL, f"crmcom:{name}")),
                              name, _text(data, "description", where))


def _order(item: Any, where: str) -> Order:
    """An order as a fixture or the order_placed trigger gives it (money as strings or numbers)."""
    data = _mapping(item, where)
    items = []
    for index, raw in enumerate(_list(data.get("items"), f"{where}.items")):
        spot = f"{where}.items[{index}]"
        line = _mapping(raw, spot)
        sku = _text(line, "product_sku", spot, required=True)
        assert sku is not None
        try:
            total = to_decimal(line["total_amount"]) if "total_amount" in line else None
            net = to_decimal(line.get("net_amount", total if total is not None else "0"))
            tax = to_decimal(line.get("tax_amount", "0"))
            quantity = to_decimal(line.get("quantity", 1))
        except MoneyError:
            raise fixture_error(f"{spot}: amounts are decimal strings or numbers") from None
        items.append(OrderItem(sku, quantity, net, tax, total if total is not None else net + tax,
                               _text(line, "description", spot), _text(line, "notes", spot)))
    contact = data.get("contact")
    contact_id = _text(data, "contact_id", where)
    if isinstance(contact, Mapping):
        contact_id = contact_id or _text(contact, "id", f"{where}.contact")
    created = data.get("created_on")
    if created is not None and (not isinstance(created, int) or created < 0):
        raise fixture_error(f"{where}.created_on is epoch seconds")
    return Order(
        id=_text(data, "id", where) or "", number=_text(data, "number", where) or "",
        state=_text(data, "state", where) or "NEW", items=tuple(items), created_on=created or 0,
        updated_on=created or 0, contact_id=contact_id,
        contact_name=_text(contact, "name", f"{where}.contact") if isinstance(contact, Mapping) else None,
        currency_code=_text(data, "currency_code", where), supply_method=_text(data, "supply_method", where),
        fulfilled_by=_strings(data.get("fulfilled_by"), ("id", "code", "name"), f"{where}.fulfilled_by"),
        notes=_text(data, "notes", where),
        delivery_address=_strings(data.get("delivery_address"), ("address_line_1", "address_line_2", "town",
                                                                  "postal_code", "country_code"),
                                  f"{where}.delivery_address"),
    )


def _strings(value: Any, keys: tuple[str, ...], where: str) -> dict[str, str] | None:
    if value is None:
        return None
    data = _mapping(value, where)
    unknown = set(data) - set(keys)
    if unknown or not all(isinstance(v, str) for v in data.values()):
        raise fixture_error(f"{where} holds strings named {', '.join(keys)}")
    return dict(data)


# --- engine -> wire --------------------------------------------------------------------------------------


def _page(rows: list[dict[str, Any]], params: Mapping[str, Any]) -> dict[str, Any]:
    page, size = int(params.get("page", 1)), int(params.get("size", 20))
    start = (page - 1) * size
    return {"content": rows[start:start + size],
            "paging": {"page": page, "size": size, "total": len(rows), "has_more": start + size < len(rows)}}


def _process(process: SyncProcess) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": process.id, "state": process.state, "total_products": process.total,
        "processed_products": process.processed, "created_products": process.created,
        "updated_products": process.updated, "failed_products": process.failed,
        "errors": [{"code": e.code, "message": e.message} for e in process.errors], "created_on": process.created_on}
    if process.completed_on is not None:
        body["completed_on"] = process.completed_on
    return body


def _order_json(order: Order) -> dict[str, Any]:
    """The order as GET /orders lists it and the orderCreated webhook carries it."""
    body: dict[str, Any] = {"id": order.id, "number": order.number, "state": order.state}
    if order.contact_id is not None:
        body["contact"] = {"id": order.contact_id, **({"name": order.contact_name} if order.contact_name else {})}
    for key in ("supply_method", "fulfilled_by"):
        if getattr(order, key) is not None:
            body[key] = getattr(order, key)
    body["items"] = [{k: v for k, v in (
        ("product_sku", i.product_sku), ("description", i.description), ("quantity", i.quantity),
        ("net_amount", money(i.net_amount)), ("tax_amount", money(i.tax_amount)),
        ("total_amount", money(i.total_amount)), ("notes", i.notes)) if v is not None} for i in order.items]
    if order.currency_code is not None:
        body["currency_code"] = order.currency_code
    body.update({"total_net_amount": money(order.total_net_amount), "total_tax_amount": money(order.total_tax_amount),
                 "total_amount": money(order.total_amount)})
    for key in ("notes", "delivery_address"):
        if getattr(order, key) is not None:
            body[key] = getattr(order, key)
    if order.cancellation_reason is not None:
        body["cancellation_reason"] = {k: v for k, v in vars(order.cancellation_reason).items() if v is not None}
    body.update({"created_on": order.created_on, "updated_on": order.updated_on})
    return body
