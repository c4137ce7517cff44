"""Antavo, simulated: every operation of specs/antavo/openapi.yaml over the engine's Antavo domain.

Auth (DESIGN 9): the `api_key` query parameter (optional on a signed request, whose `Credential=` names
the key), and an Escher signature
(`ANTAVO-HMAC-SHA256`, conformance.core.escher) over the path as sent on the wire, `/antavo` prefix
included. With signature enforcement on (the fixture's `signature_enforcement`, on by default), a request
carrying only the key is 403; a signature that does not verify, a `Date` outside the window (the
simulator's clock, 900 s unless the fixture's settings say otherwise) or a signature seen before within
the window is 401. Errors are `{"error": {"type", "code", "message"}}`, except the points preview's 400,
which is flat `{"code", "error", "type"}`. Business refusals come from the engine as BusinessError.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from jsonschema import Draft202012Validator

from conformance.core import escher
from conformance.engine.antavo import (
    Antavo,
    Basket,
    Customer,
    CustomerFixture,
    Event,
    EventResult,
    Item,
    exact,
)
from conformance.engine.errors import BusinessError
from conformance.loader.specs import schema_registry, validator_for
from conformance.model.spec import ApiSpec, Operation
from conformance.simulator.provider import Call, Handler, Provider, ProviderError, Reply
from conformance.simulator.state import SimulatorState
from conformance.simulator.validation import BadRequest, describe
from conformance.simulator.webhooks import WebhookSender

API = "antavo"
DEFAULT_PROGRAM = "antavo-reference"
EVENTS, BULK, CUSTOMER, PREVIEW = "antavoPostEvent", "antavoPostEventsBulk", "antavoGetCustomer", "antavoPointsPreview"
MISSING_PARAMETER = 113401
CUSTOMER_NOT_FOUND = 160212
NOT_ENOUGH_POINTS = 120241
TYPES = {400: "BadRequestException", 401: "UnauthorizedException", 403: "ForbiddenException",
         404: "NotFoundException", 405: "MethodNotAllowedException", 409: "ConflictException",
         413: "PayloadTooLargeException", 415: "UnsupportedMediaTypeException", 422: "UnprocessableEntityException",
         429: "TooManyRequestsException", 503: "ServiceUnavailableException"}
BUSINESS = {  # engine code -> (status, Antavo code)
    "CustomerNotFound": (404, CUSTOMER_NOT_FOUND),
    "AccountNotFound": (404, 0),
    "TransactionNotFound": (404, 0),
    "ERR_TX_ALREADY_EXISTS": (400, 0),
    "NotEnoughPoints": (409, NOT_ENOUGH_POINTS),
}
STATUS_BY_KIND = {"invalid": 400, "not_found": 404, "conflict": 409, "rule": 422}
SIGNATURE = re.compile(r"Signature=([0-9a-fA-F]+)")
CUSTOM = "*"
"""The validator of any action outside the discriminator's mapping (specs: `CustomEvent`)."""
SIGNED_BY = re.compile(r"Credential=([^/,\s]+)/")


def _presented_key(query_key: str | None, header: str | None) -> str | None:
    """The workspace key a request presents: the `api_key` query parameter, or the key of the signature's
    `Credential=` (Antavo's PHP SDK signs and sends no `api_key`; seed 004 asks only for signing). When
    both are sent they must name the same key, else the request names none (401)."""
    found = SIGNED_BY.search(header or "")
    signed_by = found.group(1) if found else None
    if query_key and signed_by and query_key != signed_by:
        return None
    return query_key or signed_by
REQUIRED = re.compile(r"^(?P<where>[^:]*): '(?P<name>[^']+)' is a required property$")
EXTERNAL = re.compile(r"^\{(?P<field>[^:{}]+):(?P<value>.*)\}$")
VOUCHER_DEFAULTS = {  # the seed's voucher-claimed example; the times come from the simulator clock
    "consentGuid": "otrpfk", "voucherCode": "COUPON-123456", "voucherStatus": "claimed", "voucherType": "percentage",
    "value": "10", "voucherName": "Welcome_10", "eventName": "voucher_claimed",
}
# fixture `settings` (all optional): name -> (type check, default)
WINDOW, ATTEMPTS, DELAY = "signature_window_seconds", "webhook_attempts", "webhook_retry_delay_seconds"


def refusal(status: int, message: str, *, code: int = 0, flat: bool = False) -> ProviderError:
    """A refusal in Antavo's terms: HTTP status, numeric code, message (flat: the points preview's 400)."""
    return ProviderError(status, TYPES.get(status, "InternalServerErrorException" if status >= 500 else "Exception"),
                         message, {"code": code, "flat": flat})


def business(exc: BusinessError, *, flat: bool = False) -> ProviderError:
    status, code = BUSINESS.get(exc.code, (STATUS_BY_KIND[exc.kind], 0))
    return refusal(status, exc.message, code=code, flat=flat)


class AntavoProvider(Provider):
    api = API
    prefix_params = frozenset({"api_key"})

    def __init__(self, spec: ApiSpec, state: SimulatorState) -> None:
        super().__init__(spec, state)
        self._senders: dict[tuple[int, float], WebhookSender] = {}
        self._sender_loop: asyncio.AbstractEventLoop | None = None
        self._events, self._voucher = _validators(spec)

    @property
    def handlers(self) -> Mapping[str, Handler]:
        return {EVENTS: self.post_event, BULK: self.post_bulk, CUSTOMER: self.get_customer, PREVIEW: self.preview}

    # --- shape ---

    def error_reply(self, status: int, code: str, message: str, parameters: Any = None) -> Reply:
        extra = parameters if isinstance(parameters, Mapping) else {}
        kind = code if code.endswith("Exception") else refusal(status, message).code
        number = int(extra.get("code", 0))
        if extra.get("flat"):
            return Reply(status, {"code": number, "error": message, "type": kind})
        return Reply(status, {"error": {"type": kind, "code": number, "message": message}})

    def bad_request_for(self, operation: Operation, problems: list[str]) -> Reply:
        """400 naming what is wrong; a missing attribute has Antavo's code 113401 (the preview's body is flat)."""
        missing = [m for m in (REQUIRED.match(p) for p in problems) if m]
        flat = operation.operation_id == PREVIEW
        if missing and flat:
            message = "; ".join(f"Property {m['name']} cannot be empty" for m in missing)
        else:
            message = "; ".join(f"Missing required parameter '{m['name']}' ({m['where']})" if m else p
                                for m, p in ((REQUIRED.match(p), p) for p in problems))
        return self.error_reply(400, TYPES[400], message, {"code": MISSING_PARAMETER if missing else 0,
                                                           "flat": flat})

    # --- state ---

    def _setting(self, key: str, default: Any = None) -> Any:
        return self.state.ledger.get_setting(API, key, default)

    def _engine(self) -> Antavo:
        program_id = self._setting("program", DEFAULT_PROGRAM)
        program = self.state.programs.get(program_id)
        if program is None or program.api != API:
            raise refusal(503, f"reward program {program_id!r} is not loaded")
        return Antavo(self.state.ledger, program)

    def apply_fixtures(self, fixtures: Mapping[str, Any]) -> dict[str, Any]:
        program = fixtures.get("program", self._setting("program", DEFAULT_PROGRAM))
        if program not in self.state.programs or self.state.programs[program].api != API:
            raise ProviderError(400, "UnknownProgram", f"no {API} program {program!r}")
        credentials = fixtures.get("credentials") or []
        for index, cred in enumerate(credentials):
            if not isinstance(cred, Mapping) or not cred.get("api_key"):
                raise ProviderError(400, "InvalidFixture", f"credentials[{index}] needs `api_key` (and `secret`)")
        merged = {c["api_key"]: c for c in self._setting("credentials", [])}
        merged.update({str(c["api_key"]): {"api_key": str(c["api_key"]), "secret": str(c.get("secret") or ""),
                                           "region": str(c.get("region") or "eu")} for c in credentials})
        settings: dict[str, Any] = {"program": program, "credentials": list(merged.values())}
        if "signature_enforcement" in fixtures:
            settings["signature_enforcement"] = bool(fixtures["signature_enforcement"])
        if "webhook_url" in fixtures:
            settings["webhook_url"] = str(fixtures["webhook_url"])
        settings.update(_fixture_settings(fixtures.get("settings") or {}))
        try:
            customers = [_customer_fixture(index, raw) for index, raw in enumerate(fixtures.get("customers") or [])]
            Antavo(self.state.ledger, self.state.programs[program]).put_customers(customers, settings=settings)
        except BusinessError as exc:
            raise ProviderError(400, "InvalidFixture", exc.message) from None
        return {"customers": len(customers), "credentials": len(credentials)}

    def reset(self) -> None:
        self.state.ledger.reset(API)  # the accepted signatures too (they live in the ledger's nonces)

    # --- auth ---

    def authenticate(self, call: Call) -> Any:
        header = call.headers.get("authorization")
        key = _presented_key(call.query.get("api_key"), header)
        if not key:
            raise refusal(401, "Missing API key: send the api_key query parameter or sign the request")
        credential = {c["api_key"]: c for c in self._setting("credentials", [])}.get(key)
        if credential is None:
            raise refusal(401, "Invalid API key")
        if header is None:
            if self._setting("signature_enforcement", True):
                raise refusal(403, "API signature required: this workspace refuses requests signed by key only")
            return credential
        self._verify(call, credential, header)
        return credential

    def _verify(self, call: Call, credential: Mapping[str, str], header: str) -> None:
        window = int(self._setting(WINDOW, escher.WINDOW_SECONDS))
        if "escher-window" in self.state.faults.profiles(API):  # deliberately non-conformant profile
            window = 10**9
        now = self.state.clock.now()
        target = call.wire_path + (f"?{call.query_string}" if call.query_string else "")
        try:
            signer = escher.verify(call.method, target, call.headers, call.raw_body,
                                   secrets={credential["api_key"]: credential["secret"]},
                                   region=credential["region"], now=now, window=window)
        except Exception as exc:  # whatever the signature cannot prove is a refusal, never a 500
            raise refusal(401, f"Invalid API signature: {str(exc)[:120]}") from None
        found = SIGNATURE.search(header)
        if signer != credential["api_key"] or found is None:
            raise refusal(401, "Invalid API signature: signed by another key")
        # Accepted signatures are kept in the ledger (a restart on the same --db still refuses a replay):
        # one dated within the window of `now` can be replayed until `now` + 2 x window at most.
        with self.state.ledger.transaction(API) as tx:
            fresh = tx.remember("signature", found.group(1).lower(), now + timedelta(seconds=2 * window))
        if not fresh and "escher-replay" not in self.state.faults.profiles(API):  # deliberately non-conformant
            raise refusal(401, "API signature already used: sign every request afresh")

    def prepare(self, call: Call) -> None:
        """Refuse NaN/Infinity, and name the attribute an event of a known action lacks (not "no shape matched")."""
        if _has_float(call.body):
            raise BadRequest(["body: NaN and Infinity are not JSON numbers"])
        op = call.operation.operation_id
        body = call.body if isinstance(call.body, Mapping) else {}
        events: list[tuple[str, Any]] = []
        if op == EVENTS:
            events = [("body", body)]
        elif op == BULK and isinstance(body.get("events"), list):
            events = [(f"body/events/{i}", event) for i, event in enumerate(body["events"])]
        problems = []
        for label, event in events:
            if not isinstance(event, Mapping) or not isinstance(event.get("action"), str):
                continue
            validator = self._events.get(event["action"], self._events[CUSTOM])
            for error in sorted(validator.iter_errors(event), key=lambda e: list(e.absolute_path))[:5]:
                at = "/".join(str(p) for p in error.absolute_path)
                problems.append(f"{label}{'/' + at if at else ''}: {describe(error)}")
        if problems:
            raise BadRequest(problems)

    # --- handlers ---

    def post_event(self, call: Call) -> Reply:
        try:
            return Reply(200, _event_body(self._apply(self._engine(), call.body)))
        except BusinessError as exc:
            raise business(exc) from None

    def post_bulk(self, call: Call) -> Reply:
        """Each event on its own, in order: a refused one is reported in its entry and does not stop the rest."""
        engine = self._engine()
        results: list[dict[str, Any]] = []
        for event in call.body["events"]:
            try:
                results.append({"events": [_event(e) for e in self._apply(engine, event).events]})
            except BusinessError as exc:
                refused = business(exc)
                results.append(self.error_reply(refused.status, refused.code, refused.message,
                                                refused.parameters).body)
        errors = sum(1 for r in results if "error" in r)
        return Reply(200, {"results": results, "total": len(results), "errors": errors})

    def get_customer(self, call: Call) -> Reply:
        engine = self._engine()
        wanted = str(call.path_params["customer_id"])
        external = EXTERNAL.match(wanted)
        if external:
            found = engine.find_by_external_id(external["value"]) if external["field"] == "external_id" else None
            if found is None:
                raise refusal(404, "Customer not found", code=CUSTOMER_NOT_FOUND)
            wanted = found
        try:
            customer = engine.customer(wanted)
        except BusinessError as exc:
            raise business(exc) from None
        body = _customer_body(customer, self._burn_rates(engine))
        fields = str(call.params.get("fields") or "")
        for name in filter(None, fields.split(",")):
            if name == "groups":
                body["groups"] = []
            elif name == "purchases.ytd":
                body["purchases"] = {"ytd": {"count": customer.purchase_count, "total": customer.purchase_total}}
            else:
                body["expiring_points"] = []
        return Reply(200, body, {"vary": "Accept"})

    def preview(self, call: Call) -> Reply:
        body = call.body
        engine = self._engine()
        try:
            basket = _basket(body["data"])
            result = engine.preview(str(body["customer"]), basket, account=body.get("account"))
            account = engine.account_of(str(body["customer"]), body.get("account")) if "account" in body else None
        except BusinessError as exc:
            raise business(exc, flat=exc.kind == "invalid") from None
        purchase = {"base": result.base, "bonus": result.bonus, "points": result.points}
        data: dict[str, Any] = {"campaigns": [], "purchase": purchase}
        if account is not None:
            data["accounts"] = [{"id": account.id, "name": account.name, "campaigns": [], "purchase": purchase}]
        return Reply(200, {"data": data})

    def _apply(self, engine: Antavo, event: Mapping[str, Any]) -> EventResult:
        """One event of `POST /events` (or of a bulk) through the engine."""
        action, customer, data = str(event["action"]), str(event["customer"]), event.get("data") or {}
        who: dict[str, Any] = {"account": event.get("account"), "external_id": event.get("external_id")}
        effective = _effective(data)
        if action == "opt_in":
            return engine.opt_in(customer, data, effective=effective, **who)
        if action == "opt_out":
            return engine.opt_out(customer, **who)
        if action == "profile":
            return engine.profile(customer, data, **who)
        if action == "checkout":
            summary = {k: data[k] for k in ("total", "total_quantity", "currency") if k in data}
            return engine.checkout(customer, _basket(data), points_burned=int(data.get("points_burned", 0)),
                                   effective=effective, request=summary, **who)
        if action == "refund":
            return engine.refund(customer, str(data["transaction_id"]), effective=effective, **who)
        if action == "partial_refund":
            return engine.partial_refund(customer, str(data["transaction_id"]), exact(data["total"], "total"),
                                         effective=effective, **who)
        if action == "checkout_accept":
            return engine.checkout_accept(customer, str(data["transaction_id"]), **who)
        if action == "checkout_reject":
            return engine.checkout_reject(customer, str(data["transaction_id"]), **who)
        if action == "point_spend":
            return engine.point_spend(customer, int(data["points"]), **who)
        return engine.custom_event(customer, action, data, **who)

    def _burn_rates(self, engine: Antavo) -> Sequence[Mapping[str, Any]]:
        return [dict(rate) for rate in engine.program.extra.get("burn_rates", ())]

    # --- webhooks ---

    def trigger(self, event: str, data: Mapping[str, Any]) -> dict[str, Any]:
        """`voucher_claimed`: queue the voucher message to the fixture's webhook_url (5 attempts, 10 s apart)."""
        if event != "voucher_claimed":
            raise ProviderError(400, "UnknownEvent", f"{API} has no trigger {event!r} (it has voucher_claimed)")
        url = self._setting("webhook_url")
        if not url:
            raise ProviderError(400, "NoWebhookUrl", "load a fixture with `webhook_url` first")
        now = self.state.clock.now().astimezone(UTC).replace(microsecond=0)
        payload = {**VOUCHER_DEFAULTS, "expiresAt": (now + timedelta(days=14)).isoformat(),
                   "createdAt": now.isoformat(), "claimedAt": now.isoformat(), **dict(data)}
        problems = [describe(e) for e in self._voucher.iter_errors(payload)]
        if problems:
            raise ProviderError(400, "InvalidRequest", "voucher message: " + "; ".join(problems[:5]))
        item = self._sender().send(API, event, str(url), payload)
        return {"ok": True, "delivery": {"id": item["id"], "url": item["url"], "state": item["state"]}}

    def _sender(self) -> WebhookSender:
        """One sender per retry policy on the running loop (a new loop, e.g. a new in-process client, starts anew)."""
        loop = asyncio.get_running_loop()
        if loop is not self._sender_loop:
            self._senders, self._sender_loop = {}, loop
        attempts = int(self._setting(ATTEMPTS, self.state.config.webhook_attempts))
        delay = float(self._setting(DELAY, self.state.config.webhook_retry_delay))
        sender = self._senders.get((attempts, delay))
        if sender is None:
            sender = self._senders[(attempts, delay)] = WebhookSender(self.state.deliveries, attempts, delay)
        return sender

    async def startup(self) -> None:
        """Nothing to start: senders are made on first use, on the loop that serves the trigger (idempotent)."""

    async def shutdown(self) -> None:
        """Stop deliveries in flight and close their clients; a second shutdown finds nothing to do."""
        senders, self._senders, self._sender_loop = list(self._senders.values()), {}, None
        for sender in senders:
            await sender.close()


# --- wire <-> engine ---------------------------------------------------------------------------------------


def _validators(spec: ApiSpec) -> tuple[dict[str, Draft202012Validator], Draft202012Validator]:
    """One validator per event action (the discriminator's mapping), and the voucher webhook's body."""
    document = spec.document
    base = f"urn:conformance:spec:{spec.api}:antavo"
    registry = schema_registry(base, document)
    mapping = document["components"]["schemas"]["EventRequest"]["discriminator"]["mapping"]
    events = {action: validator_for(base, registry, tuple(ref[2:].split("/"))) for action, ref in mapping.items()}
    events[CUSTOM] = validator_for(base, registry, ("components", "schemas", "CustomEvent"))
    return events, validator_for(base, registry, ("components", "schemas", "VoucherClaimed"))


def _basket(data: Mapping[str, Any]) -> Basket:
    lines = data.get("items") or ()
    items = tuple(Item(str(line["product_id"]), exact(line["subtotal"], "subtotal")) for line in lines)
    total = exact(data["total"], "total") if data.get("total") is not None else None
    return Basket(str(data["transaction_id"]), total, items)


def _effective(data: Mapping[str, Any]) -> datetime | None:
    stamp = data.get("effective_timestamp")
    return datetime.fromtimestamp(int(stamp), UTC) if isinstance(stamp, int) else None


def _has_float(value: Any) -> bool:
    if isinstance(value, float):
        return True
    if isinstance(value, Mapping):
        return any(_has_float(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_float(v) for v in value)
    return False


def _event(event: Event) -> dict[str, Any]:
    return {"id": event.id, "action": event.action, "points": event.points, "expdate": event.expdate,
            "account": {"id": event.account.id, "name": event.account.name}}


def _profile(customer: Customer, name: str) -> Any:
    return customer.profile.get(name)


def _event_body(result: EventResult) -> dict[str, Any]:
    """The customer object after the event, with the events it registered (seed § Rewarding purchases)."""
    customer = result.customer
    return {
        "id": customer.id, "created_at": customer.created_at, "handler": None,
        "email": _profile(customer, "email"), "first_name": _profile(customer, "first_name"),
        "last_name": _profile(customer, "last_name"), "status": customer.status, "score": customer.score,
        "spent": customer.spent, "expired": 0, "pending": 0, "reserved": 0, "image_url": None,
        "spendable": customer.spendable, "language": _profile(customer, "language"),
        "currency": _profile(customer, "currency"), "events": [_event(e) for e in result.events],
    }


def _customer_body(customer: Customer, burn_rates: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Every field of the seed's customer example, derived from the ledger (no tiers in the reference program)."""
    accounts = []
    for balance in customer.accounts:
        rates = []
        for rate in burn_rates:
            points, amount = int(rate["points"]), Decimal(str(rate["amount"]))
            rates.append({"amount": amount, "currency": rate["currency"], "points": points,
                          "converted_amount": (balance.spendable // points) * amount,
                          "unconverted_points": balance.spendable % points})
        accounts.append({"spendable": balance.spendable, "earned": balance.earned, "expired": 0, "reserved": 0,
                         "pending": 0, "spent": balance.spent, "name": balance.account.name, "burn_rates": rates,
                         "id": balance.account.id})
    profile = customer.profile
    return {
        "id": customer.id, "country": profile.get("country"), "spendable": customer.spendable, "tiers": [],
        "last_login_at": None, "gender": profile.get("gender"), "birth_date": profile.get("birth_date"),
        "pending": 0, "language": profile.get("language"), "score": customer.score, "expired": 0,
        "updated_at": customer.updated_at, "referrals": 0, "mobile_phone": profile.get("mobile_phone", ""),
        "nickname": profile.get("nickname"), "currency": profile.get("currency"),
        "first_name": profile.get("first_name"), "email": profile.get("email"), "spent": customer.spent,
        "membership_id": [], "last_name": profile.get("last_name"),
        "purchase_count": customer.purchase_count, "purchase_total": customer.purchase_total, "referrer": None,
        "optin_at": customer.optin_at, "reserved": 0, "accounts": accounts,
        "purchase_last_date": customer.purchase_last_date, "properties": dict(customer.properties),
        "status": customer.status, "image_url": None,
    }


def _customer_fixture(index: int, raw: Any) -> CustomerFixture:
    if not isinstance(raw, Mapping) or not raw.get("id"):
        raise ProviderError(400, "InvalidFixture", f"customers[{index}] needs an `id`")
    accounts = raw.get("accounts") or []
    if not isinstance(accounts, list) or not all(isinstance(a, Mapping) for a in accounts):
        raise ProviderError(400, "InvalidFixture", f"customers[{index}].accounts must be a list of objects")
    properties = raw.get("properties") or {}
    if not isinstance(properties, Mapping):
        raise ProviderError(400, "InvalidFixture", f"customers[{index}].properties must be an object")
    return CustomerFixture(
        id=str(raw["id"]), profile={k: v for k, v in raw.items() if isinstance(v, str)},
        spendable=raw.get("spendable", "0"), spent=raw.get("spent", "0"), accounts=tuple(accounts),
        status=str(raw.get("status", "active")),
        external_id=str(raw["external_id"]) if raw.get("external_id") else None, properties=properties)


def _fixture_settings(raw: Any) -> dict[str, Any]:
    """The fixture's `settings`: signature window (s), webhook attempts and retry delay (s)."""
    if not isinstance(raw, Mapping):
        raise ProviderError(400, "InvalidFixture", "settings must be an object")
    settings: dict[str, Any] = {}
    minimums = {WINDOW: 1, ATTEMPTS: 1, DELAY: 0}
    maximums = {WINDOW: 86_400, ATTEMPTS: 20, DELAY: 3_600}  # larger values wedge a sandbox (issue 13)
    for name, value in raw.items():
        if name not in minimums:
            raise ProviderError(400, "InvalidFixture", f"settings.{name} is unknown (known: {', '.join(minimums)})")
        whole = name != DELAY
        if isinstance(value, bool) or not isinstance(value, int if whole else int | Decimal) \
                or not minimums[name] <= value <= maximums[name]:
            raise ProviderError(400, "InvalidFixture", f"settings.{name} must be a {'whole ' if whole else ''}"
                                                       f"number from {minimums[name]} to {maximums[name]}")
        settings[name] = value
    return settings
