"""The CRM.COM Web API domain over the ledger: sessions, customers' wallets, purchases and spend requests.

A customer is a ledger holder keyed by its number, with one bucket, ``wallet``; a settings index maps every
identification mean (number, id, name, access token) to that number. Every operation is one ledger
transaction: it commits whole, or raises a :class:`BusinessError` (its ``code`` is the Web API's
``status.code``) and changes nothing. Ledger transaction kinds:

- ``fixture``: an opening balance set by ``POST /_control/fixtures``;
- ``purchase``: the purchase customer event, crediting its award; ``reference`` = its reference_number;
- ``spend_request`` (no entries) and ``spend_reward`` (the wallet debit): a spend request and its spend
  reward transaction, both with their purchase's reference_number as ``reference``;
- ``spend_reversal`` (a ledger reversal of a ``spend_reward``) and ``purchase_cancel`` (the award taken
  back): what a cancel posts.

The rules are those of ``crmcom-webapi-reference`` (DESIGN section 7); ids are GUID-shaped and map back
to the ledger number, so a purchase named by id is found without a scan.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any, Literal

from conformance.core.money import MoneyError, from_minor, to_decimal, to_minor
from conformance.engine.errors import BusinessError, InvalidRequest
from conformance.engine.ledger import Ledger, LedgerTx, TxRecord
from conformance.engine.rules import Amount, Line, evaluate, round_amount
from conformance.model.program import Program

API = "crmcom-webapi"
WALLET = "wallet"
FIXTURE, PURCHASE, CANCEL = "fixture", "purchase", "purchase_cancel"
SPEND_REQUEST, SPEND_REWARD, SPEND_REVERSAL = "spend_request", "spend_reward", "spend_reversal"
FRONT_END, BACK_END = "FRONT_END_REDUCTION", "BACK_END_REDUCTION"
REDUCTION_METHODS = (FRONT_END, BACK_END)
DEFAULT_PRODUCT = "DEFAULT"
TOKEN_LIFETIME = timedelta(hours=2)
"""R12 and later: a token lasts 2 hours from issue, whatever the use (providers.md section 2.1)."""
MAX_TOKENS = 1000
"""Live tokens kept; the oldest go first (a fuzzer logs in thousands of times within two hours)."""
MAX_AMOUNT = Decimal("1000000000000.00")
"""The largest amount, quantity or wallet balance taken (inferred: the documents set no limit; SQLite integers
stop near 9.2e16 EUR in cents, and Decimal arithmetic overflows on exponents a JSON number may carry)."""
_ID_HIGH = 0x5F0C2A9E1B7D4E61
"""The high 64 bits of every id; the low 64 bits are the ledger number."""

CustomerKind = Literal["number", "id", "name", "authentication_code", "identifier", "one_time_password"]
UNIQUE_KINDS: tuple[CustomerKind, ...] = ("number", "id", "authentication_code", "identifier", "one_time_password")


class NotFound(BusinessError):
    code = "NOT_FOUND"
    kind = "not_found"


class DuplicateReference(BusinessError):
    code = "DUPLICATE_REFERENCE_NUMBER"
    kind = "conflict"


class SpendBelowMinimum(BusinessError):
    code = "SPEND_BELOW_MINIMUM"


class NothingToSpend(BusinessError):
    code = "NOTHING_TO_SPEND"


class AlreadyCancelled(BusinessError):
    code = "ALREADY_CANCELLED"
    kind = "conflict"


class AmountOutOfRange(BusinessError):
    """A schema-valid amount, quantity or award beyond MAX_AMOUNT: no purchase or wallet holds it."""

    code = "AMOUNT_OUT_OF_RANGE"
    kind = "invalid"


class InvalidCredentials(BusinessError):
    code = "INVALID_CREDENTIALS"
    kind = "invalid"


class InvalidToken(BusinessError):
    code = "INVALID_TOKEN"
    kind = "invalid"


# --- what callers pass in -------------------------------------------------------------------------------


@dataclass(frozen=True)
class CustomerRef:
    """One identification mean of a customer, as a POS gives it (``pass_code`` goes with ``identifier``)."""

    kind: CustomerKind
    value: str
    pass_code: str | None = None


@dataclass(frozen=True)
class EventRef:
    """A purchase customer event named by its ``number`` or its ``id``."""

    kind: Literal["number", "id"]
    value: str


@dataclass(frozen=True)
class ProductLine:
    """One ``products_set`` line: the product identifier as sent (one of code, id, alternative_code) and amounts."""

    product: Mapping[str, str] | None
    quantity: Decimal
    net_amount: Decimal
    vat_amount: Decimal
    total_amount: Decimal


@dataclass(frozen=True)
class EventDetails:
    """What a purchase or spend request records as sent: when, where, by which POS."""

    performed_on: str
    unit: Mapping[str, str] = field(default_factory=dict)
    external_system: str | None = None
    description: str | None = None


@dataclass(frozen=True)
class CustomerFixture:
    """A customer as ``POST /_control/fixtures`` gives it (DESIGN section 6; the rest is optional)."""

    number: str
    name: str
    wallet: Amount = Decimal(0)
    authentication_code: str | None = None
    id: str | None = None
    reduction_method: str | None = None
    title: str | None = None
    identifier: str | None = None
    pass_code: str | None = None
    one_time_password: str | None = None
    wallet_number: str | None = None

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> CustomerFixture:
        """Read one fixture entry; InvalidRequest names what is wrong."""
        if not isinstance(data, Mapping):
            raise InvalidRequest("a customer is an object")
        texts = {}
        for name in ("number", "name", "authentication_code", "id", "reduction_method", "title", "identifier",
                     "pass_code", "one_time_password", "wallet_number"):
            value = data.get(name)
            if value is not None and (not isinstance(value, str) or not value):
                raise InvalidRequest(f"customer `{name}` must be a non-empty string")
            texts[name] = value
        if not texts["number"] or not texts["name"]:
            raise InvalidRequest("a customer needs `number` and `name`")
        if texts["reduction_method"] not in (None, *REDUCTION_METHODS):
            raise InvalidRequest(f"reduction_method must be one of {', '.join(REDUCTION_METHODS)}")
        if (texts["identifier"] is None) != (texts["pass_code"] is None):
            raise InvalidRequest("`identifier` and `pass_code` go together")
        return cls(wallet=data.get("wallet", "0"), **texts)  # type: ignore[arg-type]

    def keys(self) -> dict[CustomerKind, str]:
        """Every identification mean of this customer (the id defaults to the number)."""
        keys: dict[CustomerKind, str] = {"number": self.number, "id": self.id or self.number, "name": self.name}
        for kind in ("authentication_code", "identifier", "one_time_password"):
            value = getattr(self, kind)
            if value is not None:
                keys[kind] = value
        return keys


# --- what operations return ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Customer:
    number: str
    id: str
    name: str
    first_name: str
    last_name: str
    title: str | None
    wallet_number: str
    reduction_method: str
    balance: Decimal


@dataclass(frozen=True)
class Preview:
    """What a purchase would award and what could be spent on it; nothing recorded."""

    customer: Customer
    award: Decimal
    instant_spend: Decimal
    automatic_spend: Decimal
    additional_spend: Decimal
    minimum_spend: Decimal
    maximum_spend: Decimal | None
    reduction_method: str


@dataclass(frozen=True)
class RecordedLine:
    """A purchase line as recorded: the product it was booked to (unknown ones go to the default product)."""

    product_id: str
    quantity: Decimal
    net_amount: Decimal
    vat_amount: Decimal
    total_amount: Decimal
    intended_product_identifier: Mapping[str, str] | None
    intended_product_value: str | None


@dataclass(frozen=True)
class Purchase:
    id: str
    number: str
    reference_number: str
    customer: str
    state: Literal["POSTED", "CANCELLED"]
    details: EventDetails
    total_amount: Decimal
    net_amount: Decimal
    vat_amount: Decimal
    award: Decimal
    instant_spend: Decimal
    automatic_spend: Decimal
    reduction_method: str
    lines: tuple[RecordedLine, ...]
    created_at: datetime
    updated_at: datetime

    @property
    def total_spend(self) -> Decimal:
        """instant + automatic + additional (spend made with the purchase itself; none is additional here)."""
        return self.instant_spend + self.automatic_spend


@dataclass(frozen=True)
class SpendResult:
    """A spend request and its spend reward transaction: ``spent`` may be less than ``requested``."""

    id: str
    number: str
    purchase_number: str
    requested: Decimal
    spent: Decimal
    reduction_method: str
    reward_id: str
    reward_number: str
    details: EventDetails
    created_at: datetime


@dataclass(frozen=True)
class Session:
    """Who a token was issued to and until when."""

    principal: str
    unit: str | None
    expires_at: datetime


def event_id(number: str) -> str:
    """The GUID-shaped id of a ledger transaction (its number in the low 64 bits)."""
    return str(uuid.UUID(int=(_ID_HIGH << 64) | int(number)))


def number_of(event_id_text: str) -> str | None:
    """The ledger number behind an id made by :func:`event_id`, or None for any other text."""
    try:
        value = uuid.UUID(event_id_text).int
    except ValueError:
        return None
    return str(value & (2**64 - 1)) if value >> 64 == _ID_HIGH else None


class WebApi:
    """The CRM.COM Web API over a shared :class:`Ledger`, rewarding by a :class:`Program`."""

    api = API

    def __init__(self, ledger: Ledger, program: Program) -> None:
        if program.api != API:
            raise ValueError(f"program {program.id} is for {program.api}, not {API}")
        extra = program.extra
        self.instant_spend = to_decimal(extra.get("instant_spend_amount", "0"))
        self.automatic_spend = to_decimal(extra.get("automatic_spend_amount", "0"))
        if self.instant_spend or self.automatic_spend:
            raise ValueError(f"program {program.id}: only zero instant and automatic spend are supported")
        self.default_reduction = str(extra.get("default_reduction_method", FRONT_END))
        if self.default_reduction not in REDUCTION_METHODS:
            raise ValueError(f"program {program.id}: default_reduction_method must be one of {REDUCTION_METHODS}")
        self.ledger = ledger
        self.program = program

    # --- fixtures -----------------------------------------------------------------------------------------

    def put_customers(self, customers: Sequence[CustomerFixture], *, settings: Mapping[str, Any] | None = None
                      ) -> list[Customer]:
        """Create or update customers in one transaction (with ``settings``: a fixture load is all or nothing).

        A wallet is set by an opening ``fixture`` transaction posting the difference, so the balance still
        equals the sum of its entries. Every identification mean but the name must name one customer only.
        """
        with self.ledger.transaction(API) as tx:
            for key, value in (settings or {}).items():
                tx.set_setting(key, value)
            index: dict[str, list[str]] = tx.get_setting("customer_index", {})
            for customer in customers:
                old = tx.holder(customer.number)
                if old is not None:
                    _unindex(index, old["keys"], customer.number)
                for kind, value in customer.keys().items():
                    owners = index.setdefault(f"{kind}:{value}", [])
                    if kind in UNIQUE_KINDS and owners:
                        raise InvalidRequest(f"{kind} {value!r} already names customer {owners[0]}")
                    owners.append(customer.number)
                tx.open_account(customer.number, WALLET, self.program.scale)
                tx.put_holder(customer.number, self._holder(customer))
                delta = self._minor(customer.wallet) - tx.balances(customer.number)[WALLET]
                if delta:
                    tx.post(FIXTURE, customer.number, {WALLET: delta}, data={"request": {"wallet": customer.wallet}})
            tx.set_setting("customer_index", index)
        return [self.customer(CustomerRef("number", c.number)) for c in customers]

    def _holder(self, customer: CustomerFixture) -> dict[str, Any]:
        first, _, last = customer.name.partition(" ")
        number = customer.number
        return {
            "keys": customer.keys(), "name": customer.name, "first_name": first, "last_name": last or first,
            "title": customer.title, "pass_code": customer.pass_code,
            "reduction_method": customer.reduction_method or self.default_reduction,
            "wallet_number": customer.wallet_number or (f"W{int(number):010d}" if number.isdigit() else f"W{number}"),
        }

    # --- sessions -----------------------------------------------------------------------------------------

    def login(self, username: str, password: str, organisation: str, unit: str | None = None) -> str:
        """A token for a user of an organisation; InvalidCredentials otherwise."""
        for cred in self._credentials():
            if all(_same(cred.get(k), v) for k, v in
                   (("username", username), ("password", password), ("organisation", organisation))):
                return self._issue(f"user:{username}@{organisation}", unit)
        raise InvalidCredentials("Invalid username, password or organisation")

    def key_principal(self, api_key: str) -> str:
        """Who a web API key belongs to; InvalidCredentials for an unknown key."""
        if any(_same(cred.get("api_key"), api_key) for cred in self._credentials()):
            return f"key:{_digest(api_key)[:12]}"
        raise InvalidCredentials("Invalid web API key")

    def key_login(self, api_key: str, unit: str | None = None) -> str:
        return self._issue(self.key_principal(api_key), unit)

    def session(self, token: str) -> Session:
        """The live session of a token; InvalidToken when unknown, released or expired."""
        with self.ledger.view(API) as tx:
            entry = tx.get_setting("tokens", {}).get(_digest(token))
            now = tx.now
        if entry is None or datetime.fromisoformat(entry["expires_at"]) <= now:
            raise InvalidToken("Invalid or expired token")
        return Session(entry["principal"], entry.get("unit"), datetime.fromisoformat(entry["expires_at"]))

    def register_token(self, token: str, principal: str = "fixture") -> None:
        """Accept a token given by a fixture, for the usual lifetime from now."""
        with self.ledger.transaction(API) as tx:
            self._store_token(tx, token, principal, None)

    def _issue(self, principal: str, unit: str | None) -> str:
        token = secrets.token_hex(16).upper()
        with self.ledger.transaction(API) as tx:
            self._store_token(tx, token, principal, unit)
        return token

    @staticmethod
    def _store_token(tx: LedgerTx, token: str, principal: str, unit: str | None) -> None:
        """Only a digest of the token is stored; expired tokens are dropped, then the oldest logins beyond
        MAX_TOKENS (a token a fixture gave is kept to its expiry: a harness relies on it while fuzzing logins)."""
        stored: dict[str, dict[str, Any]] = tx.get_setting("tokens", {})
        live = {k: v for k, v in stored.items() if datetime.fromisoformat(v["expires_at"]) > tx.now}
        expires = (tx.now + TOKEN_LIFETIME).isoformat()
        issued = 1 + max((v.get("issued", 0) for v in live.values()), default=0)  # settings keep no key order
        live[_digest(token)] = {"principal": principal, "unit": unit, "expires_at": expires, "issued": issued}
        newest = sorted(live.items(), key=lambda item: (item[1]["principal"] == "fixture",
                                                        datetime.fromisoformat(item[1]["expires_at"]),
                                                        item[1].get("issued", 0)))[-MAX_TOKENS:]
        tx.set_setting("tokens", dict(newest))

    def _credentials(self) -> list[dict[str, Any]]:
        return list(self.ledger.get_setting(API, "credentials", []))

    # --- reads --------------------------------------------------------------------------------------------

    def customer(self, ref: CustomerRef) -> Customer:
        """The customer a POS names; NotFound when nobody (or more than one customer) answers to it."""
        with self.ledger.view(API) as tx:
            return self._customer(tx, self._find(tx, ref))

    def purchase(self, ref: EventRef) -> Purchase:
        with self.ledger.view(API) as tx:
            return self._purchase(tx, self._purchase_record(tx, ref))

    # --- operations ---------------------------------------------------------------------------------------

    def preview(self, ref: CustomerRef, lines: Sequence[ProductLine]) -> Preview:
        """Award and spendable amount of a purchase, recording nothing (DESIGN 7: additional spend =
        min(wallet, maximum per transaction, basket total_amount))."""
        customer = self.customer(ref)
        award = self._award(_bounded(lines))
        bounds = [customer.balance, sum((line.total_amount for line in lines), Decimal(0))]
        if self.program.spend.maximum is not None:
            bounds.append(self.program.spend.maximum)
        return Preview(customer, award, self.instant_spend, self.automatic_spend, self._cents(min(bounds)),
                       self.program.spend.minimum or Decimal(0), self.program.spend.maximum,
                       customer.reduction_method)

    def create_purchase(self, ref: CustomerRef, lines: Sequence[ProductLine], reference_number: str,
                        details: EventDetails) -> Purchase:
        """Post a purchase and credit its award; DuplicateReference when the reference_number was used."""
        award = self._award(_bounded(lines))
        recorded = self._record_lines(lines)
        with self.ledger.transaction(API) as tx:
            number = self._find(tx, ref)
            if any(record.kind == PURCHASE for record in tx.find(reference=reference_number)):
                raise DuplicateReference(f"Reference number {reference_number} already exists")
            holder = tx.holder(number) or {}
            purchase = {
                "total_amount": sum((line.total_amount for line in lines), Decimal(0)),
                "net_amount": sum((line.net_amount for line in lines), Decimal(0)),
                "vat_amount": sum((line.vat_amount for line in lines), Decimal(0)),
                "award": award, "reduction_method": holder["reduction_method"],
                "lines": [_line_data(line) for line in recorded], "details": _details_data(details),
            }
            if self._decimal(tx.balances(number)[WALLET]) + award > MAX_AMOUNT:
                raise AmountOutOfRange(f"The award {award} would lift the wallet above {MAX_AMOUNT}")
            record = tx.post(PURCHASE, number, {WALLET: self._minor(award)}, reference=reference_number,
                             data={"purchase": purchase})
            return self._purchase(tx, record)

    def spend(self, ref: CustomerRef, event: EventRef, requested: Amount | None, details: EventDetails
              ) -> SpendResult:
        """Spend wallet money on a purchase of the same customer (DESIGN 7): min(requested, wallet, maximum,
        what is left of the purchase's total), rounded half up to cents; a request below the minimum, or one
        that can spend nothing, is refused. Without ``requested`` the request asks for the purchase's total."""
        with self.ledger.transaction(API) as tx:
            number = self._find(tx, ref)
            record = self._purchase_record(tx, event)
            if record.account != number:
                raise NotFound("Purchase customer event not found for this customer")
            family = tx.find(reference=record.reference)
            if any(r.kind == CANCEL for r in family):
                raise AlreadyCancelled(f"Purchase customer event {record.number} is cancelled")
            total = to_decimal(record.data["purchase"]["total_amount"])
            wanted = total if requested is None else to_decimal(requested)
            if wanted > MAX_AMOUNT:
                raise AmountOutOfRange(f"A spend amount above {MAX_AMOUNT} is not taken")
            minimum = self.program.spend.minimum
            if minimum is not None and wanted < minimum:
                raise SpendBelowMinimum(f"The minimum spend amount per transaction is {minimum}")
            spent_before = -sum(p.amount for r in family if r.kind == SPEND_REWARD and r.status == "posted"
                                for p in tx.entries(r.number))
            bounds = [wanted, self._decimal(tx.balances(number)[WALLET]), total - self._decimal(spent_before)]
            if self.program.spend.maximum is not None:
                bounds.append(self.program.spend.maximum)
            spend = self._cents(max(min(bounds), Decimal(0)))
            if spend <= 0:
                raise NothingToSpend("Nothing can be spent on this purchase")
            reduction = (tx.holder(number) or {})["reduction_method"]
            summary = {"purchase": record.number, "requested": wanted, "spent": spend, "reduction_method": reduction,
                       "details": _details_data(details)}
            request = tx.post(SPEND_REQUEST, number, {}, reference=record.reference, data=summary)
            reward = tx.post(SPEND_REWARD, number, {WALLET: -self._minor(spend)}, reference=record.reference,
                             data={"purchase": record.number, "spend_request": request.number})
            return SpendResult(event_id(request.number), request.number, record.number, wanted, spend, reduction,
                               event_id(reward.number), reward.number, details, request.created_at)

    def cancel(self, event: EventRef) -> Purchase:
        """Cancel a posted purchase: return what was spent on it, then take back its award, never more than
        the wallet then holds (inferred, as crmcom-reference). AlreadyCancelled the second time."""
        with self.ledger.transaction(API) as tx:
            record = self._purchase_record(tx, event)
            assert record.account is not None and record.reference is not None
            family = tx.find(reference=record.reference)
            if any(r.kind == CANCEL for r in family):
                raise AlreadyCancelled(f"Purchase customer event {record.number} is already cancelled")
            returned = 0
            for spend in family:
                if spend.kind == SPEND_REWARD and spend.status == "posted":
                    returned -= sum(p.amount for p in tx.entries(spend.number))
                    tx.reverse(spend.number, SPEND_REVERSAL, data={"purchase": record.number})
            award = self._minor(to_decimal(record.data["purchase"]["award"]))
            taken = min(award, tx.balances(record.account)[WALLET])
            tx.post(CANCEL, record.account, {WALLET: -taken}, reference=record.reference,
                    data={"purchase": record.number, "spend_returned": self._decimal(returned),
                          "award_taken_back": self._decimal(taken)})
            return self._purchase(tx, record)

    # --- internals ----------------------------------------------------------------------------------------

    def _find(self, tx: LedgerTx, ref: CustomerRef) -> str:
        owners = tx.get_setting("customer_index", {}).get(f"{ref.kind}:{ref.value}", [])
        if len(owners) != 1:
            raise NotFound("Rewards participant not found" if not owners else "Several customers answer to that name")
        holder = tx.holder(owners[0]) or {}
        if ref.kind == "identifier" and not _same(holder.get("pass_code"), ref.pass_code or ""):
            raise NotFound("Rewards participant not found")
        return str(owners[0])

    def _customer(self, tx: LedgerTx, number: str) -> Customer:
        holder = tx.holder(number) or {}
        return Customer(number, holder["keys"]["id"], holder["name"], holder["first_name"], holder["last_name"],
                        holder.get("title"), holder["wallet_number"], holder["reduction_method"],
                        self._decimal(tx.balances(number)[WALLET]))

    def _purchase_record(self, tx: LedgerTx, ref: EventRef) -> TxRecord:
        number = ref.value if ref.kind == "number" else number_of(ref.value)
        record = tx.get(number) if number is not None else None
        if record is None or record.kind != PURCHASE:
            raise NotFound("Purchase customer event not found")
        return record

    def _purchase(self, tx: LedgerTx, record: TxRecord) -> Purchase:
        assert record.account is not None and record.reference is not None
        data = record.data["purchase"]
        cancels = [r for r in tx.find(reference=record.reference) if r.kind == CANCEL]
        return Purchase(
            event_id(record.number), record.number, record.reference, record.account,
            "CANCELLED" if cancels else "POSTED", EventDetails(**data["details"]),
            to_decimal(data["total_amount"]), to_decimal(data["net_amount"]), to_decimal(data["vat_amount"]),
            to_decimal(data["award"]), self.instant_spend, self.automatic_spend, data["reduction_method"],
            tuple(_recorded_line(line) for line in data["lines"]), record.created_at,
            cancels[0].created_at if cancels else record.created_at)

    def _award(self, lines: Sequence[ProductLine]) -> Decimal:
        """The program's earn: each line's net_amount, keyed by its product code (DESIGN 7)."""
        known = self._products()
        basket = [Line(self._resolve(known, line.product)[0] or "", "", line.net_amount, line.quantity,
                       line.net_amount) for line in lines]
        return evaluate(self.program, basket).earn

    def _record_lines(self, lines: Sequence[ProductLine]) -> list[RecordedLine]:
        known = self._products()
        recorded = []
        for line in lines:
            _, product_id = self._resolve(known, line.product)
            intended = None if product_id != DEFAULT_PRODUCT or not line.product else dict(line.product)
            recorded.append(RecordedLine(product_id, line.quantity, line.net_amount, line.vat_amount,
                                         line.total_amount, intended,
                                         next(iter(intended.values())) if intended else None))
        return recorded

    def _products(self) -> list[dict[str, str]]:
        """Known products: the fixture's, and every product code the program names (its id is its code)."""
        fixture = list(self.ledger.get_setting(API, "products", []))
        return fixture + [{"code": code, "id": code} for code in self.program.earn.skus]

    @staticmethod
    def _resolve(known: Iterable[Mapping[str, str]], product: Mapping[str, str] | None) -> tuple[str | None, str]:
        """(product code, product id) of a line; an unknown product is booked to the default product."""
        for item in known if product else ():
            if any(item.get(kind) == value for kind, value in (product or {}).items()):
                return item.get("code"), item.get("id") or item["code"]
        return None, DEFAULT_PRODUCT

    def _cents(self, value: Decimal) -> Decimal:
        return round_amount(Fraction(value), self.program.rounding)

    def _minor(self, amount: Amount) -> int:
        try:
            value = to_decimal(amount)
            if not 0 <= value <= MAX_AMOUNT:
                raise MoneyError(f"{amount} is not between 0 and {MAX_AMOUNT}")
            return to_minor(value, self.program.scale)
        except MoneyError as exc:
            raise InvalidRequest(str(exc)) from None

    def _decimal(self, minor: int) -> Decimal:
        return from_minor(minor, self.program.scale)


def _bounded(lines: Sequence[ProductLine]) -> Sequence[ProductLine]:
    """The lines, once every amount and quantity is known to be at most MAX_AMOUNT (and so are their sums
    for any basket a POS sends: at most a million lines are needed to reach Decimal's limits)."""
    for line in lines:
        if max(line.quantity, line.net_amount, line.vat_amount, line.total_amount) > MAX_AMOUNT:
            raise AmountOutOfRange(f"Amounts and quantities above {MAX_AMOUNT} are not taken")
    return lines


def _details_data(details: EventDetails) -> dict[str, Any]:
    return {"performed_on": details.performed_on, "unit": dict(details.unit),
            "external_system": details.external_system, "description": details.description}


def _line_data(line: RecordedLine) -> dict[str, Any]:
    return {"product_id": line.product_id, "quantity": line.quantity, "net_amount": line.net_amount,
            "vat_amount": line.vat_amount, "total_amount": line.total_amount,
            "intended_product_identifier": line.intended_product_identifier,
            "intended_product_value": line.intended_product_value}


def _recorded_line(data: Mapping[str, Any]) -> RecordedLine:
    return RecordedLine(data["product_id"], to_decimal(data["quantity"]), to_decimal(data["net_amount"]),
                        to_decimal(data["vat_amount"]), to_decimal(data["total_amount"]),
                        data["intended_product_identifier"], data["intended_product_value"])


def _unindex(index: dict[str, list[str]], keys: Mapping[str, str], number: str) -> None:
    for kind, value in keys.items():
        owners = index.get(f"{kind}:{value}", [])
        if number in owners:
            owners.remove(number)
        if not owners:
            index.pop(f"{kind}:{value}", None)


def _same(stored: Any, given: str) -> bool:
    """Constant-time comparison of a stored secret and a presented one."""
    return isinstance(stored, str) and hmac.compare_digest(stored.encode(), given.encode())


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


__all__ = [
    "API",
    "AlreadyCancelled",
    "AmountOutOfRange",
    "Customer",
    "CustomerFixture",
    "CustomerRef",
    "DuplicateReference",
    "EventDetails",
    "EventRef",
    "InvalidCredentials",
    "InvalidToken",
    "NotFound",
    "NothingToSpend",
    "Preview",
    "ProductLine",
    "Purchase",
    "SpendBelowMinimum",
    "SpendResult",
    "WebApi",
    "event_id",
    "number_of",
]
