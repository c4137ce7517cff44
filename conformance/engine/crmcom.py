"""The CRM.COM REST domain (seeds 001 and 003) over the ledger: contacts' wallets, purchases, voids, returns,
OTP spends, contact-reclaim and self-service receipts, product synchronisation and orders.

A contact is a ledger account (its GUID) with one ``wallet`` bucket; its attributes (cim, email, phone,
name, pass code) are the account's holder. Everything else the api keeps lives in holders keyed by kind
(``purchase:<id>``, ``return:<id>``, ``otp:<code>``, ``product:<code>``, ``sync:<id>``, ``order:<id>``,
``receipt:<merchant>;<receipt>``) or in the api's settings (the contact and order directories, merchants,
cancellation reasons). Each operation is one ledger transaction: it commits whole, or raises a
:class:`BusinessError` and changes nothing. The reward rules are DESIGN section 7's ``crmcom-reference``
(see scenarios/programs/crmcom-reference.yaml); inferred rules are marked "Inferred".
"""

from __future__ import annotations

import dataclasses
import hmac
import secrets
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from conformance.core.money import MoneyError, cents, from_minor, to_decimal, to_minor
from conformance.engine.errors import BusinessError, InvalidRequest
from conformance.engine.ledger import Ledger, LedgerTx, Posting
from conformance.engine.rules import Line, evaluate
from conformance.model.program import Program

API = "crmcom"
WALLET = "wallet"
FIXTURE = "fixture"
NEW, IN_PROGRESS, COMPLETED, CANCELLED = "NEW", "IN_PROGRESS", "COMPLETED", "CANCELLED"
ORDER_STATES = (NEW, IN_PROGRESS, COMPLETED, CANCELLED)
SUPPLY_METHODS = ("PICK_UP", "DELIVERY", "DIRECT_SALE")
REDUCTION_METHODS = ("FRONT_END_REDUCTION", "BACK_END_REDUCTION")
_IDS = uuid.UUID("6f1d2c3b-4a59-4e8d-9c7b-0a1b2c3d4e5f")
"""Namespace of the deterministic GUIDs (merchant and outlet ids, ids in deterministic mode)."""
DEFAULT_REASONS = (
    {"id": "3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f", "name": "Contact changed his/her mind"},
    {"id": "6f7a8b9c-0d1e-4f2a-9b3c-4d5e6f7a8b9c", "name": "Out of stock",
     "description": "An ordered item is not available"},
)
"""The reasons GET /order_cancellation_reasons lists when the fixture configures none (the spec's example)."""


# --- refusals ------------------------------------------------------------------------------------------


class CrmError(BusinessError):
    """A CRM.COM refusal; ``parameters`` are what the error body's ``parameters`` list carries."""

    def __init__(self, message: str, *parameters: str) -> None:
        super().__init__(message)
        self.parameters = parameters


class UnknownReference(CrmError):
    """A reference inside a request (contact, cim, tap, OTP, reason) names nothing known: [entity, value]."""

    code = "UnknownReference"
    kind = "invalid"


class UnknownResource(CrmError):
    """The id in the path names nothing: [entity, id]."""

    code = "UnknownResource"
    kind = "not_found"


class TapMismatch(CrmError):
    """The outlet does not have the merchant as its parent business unit (seed 003)."""

    code = "TapMismatch"
    kind = "invalid"


class ReceiptMismatch(CrmError):
    """A claimed receipt does not match the purchase it names (merchant, venue or amount differ)."""

    code = "ReceiptMismatch"
    kind = "invalid"


class AlreadyExists(CrmError):
    """A reference_number or id already used: [field, value]."""

    code = "AlreadyExists"
    kind = "conflict"


class InvalidState(CrmError):
    """A second cancel, or an action on a closed order: [entity, id]."""

    code = "InvalidState"
    kind = "conflict"


class WrongPassCode(CrmError):
    """The pass code does not match the contact's (inferred: 403)."""

    code = "WrongPassCode"
    kind = "rule"


# --- requests and results ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProductLine:
    """A purchased (or returned) line: the seed 003 product item."""

    sku: str
    net_amount: Decimal
    tax_amount: Decimal
    total_amount: Decimal
    quantity: Decimal = Decimal(1)


@dataclass(frozen=True)
class TapRef:
    """A merchant or an outlet named by its id or its code."""

    id: str | None = None
    code: str | None = None

    @property
    def value(self) -> str:
        return self.id if self.id is not None else str(self.code)


@dataclass(frozen=True)
class SpendRequest:
    """Exactly one of an amount, an amount in points, or an OTP spend token."""

    amount: Decimal | None = None
    alternative_amount: Decimal | None = None
    otp: str | None = None


@dataclass(frozen=True)
class PurchaseRequest:
    reference_number: str
    lines: tuple[ProductLine, ...]
    contact_id: str | None = None
    cim: str | None = None
    id: str | None = None
    pass_code: str | None = None
    classification_id: str | None = None
    classification_code: str | None = None
    currency_code: str | None = None
    payment_medium_identifier: str | None = None
    performed_on: int | None = None
    merchant_tap: TapRef | None = None
    outlet_tap: TapRef | None = None
    spend: SpendRequest | None = None


@dataclass(frozen=True)
class PurchaseResult:
    id: str
    number: str
    reference_number: str
    contact_id: str | None
    award: Decimal
    spend: Decimal
    requested_spend: Decimal | None
    performed_on: int
    reduction_method: str
    reclaim: bool
    balance: Decimal | None


@dataclass(frozen=True)
class CancelResult:
    id: str
    number: str
    returned_spend: Decimal
    reversed_award: Decimal
    balance: Decimal | None


@dataclass(frozen=True)
class ReturnRequest:
    reference_number: str
    contact_id: str | None = None
    cim: str | None = None
    id: str | None = None
    lines: tuple[ProductLine, ...] = ()
    total_amount: Decimal | None = None
    net_amount: Decimal | None = None
    merchant_tap: TapRef | None = None
    outlet_tap: TapRef | None = None
    currency_code: str | None = None
    performed_on: int | None = None


@dataclass(frozen=True)
class ReturnResult:
    id: str
    number: str
    total_amount: Decimal
    reversed_award: Decimal
    balance: Decimal


@dataclass(frozen=True, kw_only=True)
class ContactDetails:
    """What identifies and describes a contact, shared by what the api shows and what a fixture gives."""

    cim: str | None = None
    email: str | None = None
    phone: str | None = None
    name: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    code: str | None = None
    currency_code: str | None = None
    reduction_method: str | None = None


@dataclass(frozen=True)
class Contact(ContactDetails):
    """A contact as the api shows it (never its pass code)."""

    id: str


@dataclass(frozen=True)
class ContactFixture(ContactDetails):
    """A contact as ``POST /_control/fixtures`` gives it; ``wallet`` is the balance to hold."""

    id: str
    wallet: Decimal = Decimal(0)
    pass_code: str | None = None


@dataclass(frozen=True)
class Outlet:
    id: str
    code: str
    name: str | None = None


@dataclass(frozen=True)
class Merchant:
    id: str
    code: str
    name: str | None = None
    outlets: tuple[Outlet, ...] = ()


@dataclass(frozen=True)
class Receipt:
    """What a contact-reclaim or self-service receipt carries (seed 001 QR/BARCODE FORMAT)."""

    reference_number: str
    merchant_code: str
    outlet_code: str
    amount: Decimal

    def qr(self) -> str:
        """Receipt number; merchant number; venue number; purchase amount x 100."""
        return ";".join((self.reference_number, self.merchant_code, self.outlet_code, self._hundredths()))

    def barcode(self) -> str:
        """Merchant number; receipt number; purchase amount x 100; venue number."""
        return ";".join((self.merchant_code, self.reference_number, self._hundredths(), self.outlet_code))

    def _hundredths(self) -> str:
        return str(to_minor(cents(self.amount), 2))

    @classmethod
    def from_qr(cls, text: str) -> Receipt:
        (receipt, merchant, venue), amount = _fields(text, amount_at=3)
        return cls(receipt, merchant, venue, amount)

    @classmethod
    def from_barcode(cls, text: str) -> Receipt:
        (merchant, receipt, venue), amount = _fields(text, amount_at=2)
        return cls(receipt, merchant, venue, amount)


def _fields(text: str, amount_at: int) -> tuple[list[str], Decimal]:
    """The three text fields (in payload order) and the amount (x 100 in the payload) of a receipt payload."""
    parts = text.split(";")
    if len(parts) != 4 or not all(parts) or not parts[amount_at].isdigit():
        raise InvalidRequest("a receipt payload is four non-empty fields separated by ';', the amount x 100 an integer")
    return [p for i, p in enumerate(parts) if i != amount_at], Decimal(int(parts[amount_at])).scaleb(-2)


@dataclass(frozen=True)
class Otp:
    code: str
    contact_id: str
    amount: Decimal | None


@dataclass(frozen=True)
class ClaimResult:
    purchase_id: str
    claimed: bool
    award: Decimal
    reason: str | None
    balance: Decimal


@dataclass(frozen=True)
class SyncProduct:
    """A product to create or update: its code and the other fields as sent (rates as Decimal)."""

    code: str
    attributes: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SyncError:
    code: str
    message: str


@dataclass(frozen=True)
class SyncProcess:
    id: str
    state: str
    total: int
    processed: int
    created: int
    updated: int
    failed: int
    errors: tuple[SyncError, ...]
    created_on: int
    completed_on: int | None


@dataclass(frozen=True)
class OrderItem:
    product_sku: str
    quantity: Decimal
    net_amount: Decimal
    tax_amount: Decimal
    total_amount: Decimal
    description: str | None = None
    notes: str | None = None


@dataclass(frozen=True)
class CancellationReason:
    id: str
    name: str
    description: str | None = None


@dataclass(frozen=True)
class Order:
    id: str
    number: str
    state: str
    items: tuple[OrderItem, ...]
    created_on: int
    updated_on: int
    contact_id: str | None = None
    contact_name: str | None = None
    currency_code: str | None = None
    supply_method: str | None = None
    fulfilled_by: Mapping[str, str] | None = None
    notes: str | None = None
    delivery_address: Mapping[str, str] | None = None
    cancellation_reason: CancellationReason | None = None

    @property
    def total_net_amount(self) -> Decimal:
        return sum((i.net_amount for i in self.items), Decimal(0))

    @property
    def total_tax_amount(self) -> Decimal:
        return sum((i.tax_amount for i in self.items), Decimal(0))

    @property
    def total_amount(self) -> Decimal:
        return sum((i.total_amount for i in self.items), Decimal(0))


@dataclass(frozen=True)
class Fixture:
    """Everything ``POST /_control/fixtures`` loads into the domain, in one transaction."""

    contacts: tuple[ContactFixture, ...] = ()
    merchants: tuple[Merchant, ...] = ()
    products: tuple[SyncProduct, ...] = ()
    orders: tuple[Order, ...] = ()
    reasons: tuple[CancellationReason, ...] | None = None
    default_product: str | None = None


# --- the domain ----------------------------------------------------------------------------------------


class CrmCom:
    """CRM.COM contacts, wallets and purchases over a shared :class:`Ledger`, rewarding by a :class:`Program`."""

    api = API

    def __init__(self, ledger: Ledger, program: Program) -> None:
        if program.api != API:
            raise ValueError(f"program {program.id} is for {program.api}, not {API}")
        self.ledger = ledger
        self.program = program
        extra = program.extra
        self.points_per_unit = to_decimal(extra.get("points_per_unit", 100))
        self.reclaim_code = str(extra.get("reclaim_classification", "CONTACT_RECLAIM"))
        self.reduction_method = str(extra.get("reduction_method", "BACK_END_REDUCTION"))
        self.award_orders = bool(extra.get("award_completed_orders", True))

    # --- fixtures ---

    def load(self, fixture: Fixture, *, settings: Mapping[str, Any] | None = None) -> list[Order]:
        """Load contacts (wallets set by an opening ``fixture`` transaction posting the difference), merchants,
        products, orders and reasons, plus the caller's settings, all or nothing. Returns the orders placed."""
        with self.ledger.transaction(API) as tx:
            for key, value in (settings or {}).items():
                tx.set_setting(key, value)
            if fixture.default_product is not None:
                tx.set_setting("default_product", fixture.default_product)
            self._put_merchants(tx, fixture.merchants)
            for contact in fixture.contacts:
                self._put_contact(tx, contact)
            if fixture.products:
                self._sync(tx, fixture.products)
            if fixture.reasons is not None:
                tx.set_setting("cancellation_reasons", [_reason_dict(r) for r in fixture.reasons])
            return [self._place(tx, order) for order in fixture.orders]

    def _put_merchants(self, tx: LedgerTx, merchants: Sequence[Merchant]) -> None:
        known = {m["code"]: m for m in tx.get_setting("merchants", [])}
        for merchant in merchants:
            known[merchant.code] = _merchant_dict(merchant)
        outlets = [o["code"] for m in known.values() for o in m["outlets"]]
        if len(outlets) != len(set(outlets)):
            raise InvalidRequest("an outlet code belongs to one merchant only")
        tx.set_setting("merchants", list(known.values()))

    def _put_contact(self, tx: LedgerTx, contact: ContactFixture) -> None:
        key = contact.id.lower()
        if contact.reduction_method not in (None, *REDUCTION_METHODS):
            raise InvalidRequest(f"contact {key}: reduction_method is one of {', '.join(REDUCTION_METHODS)}")
        tx.open_account(key, WALLET, self.program.scale)
        attrs = {k: v for k, v in vars(contact).items() if v is not None and k not in ("wallet", "id")}
        tx.put_holder(key, {"kind": "contact", "id": key, **attrs})
        directory = list(tx.get_setting("contacts", []))
        if key not in directory:
            tx.set_setting("contacts", [*directory, key])
        target = self._minor(contact.wallet, "wallet")
        delta = target - tx.balances(key)[WALLET]
        if delta:
            tx.post(FIXTURE, key, {WALLET: delta}, data={"request": {"fixture": {"wallet": contact.wallet}}})

    # --- contacts ---

    def contacts(self, *, email: str | None = None, phone: str | None = None, cim: str | None = None,
                 search: str | None = None) -> list[Contact]:
        """Contacts matching every given criterion: email (case-insensitive), phone and cim exactly; ``search``
        as case-insensitive text inside email, phone, cim, code or name. No criterion lists everyone."""
        with self.ledger.view(API) as tx:
            found = []
            for attrs in self._contact_attrs(tx):
                if email is not None and str(attrs.get("email", "")).casefold() != email.casefold():
                    continue
                if phone is not None and attrs.get("phone") != phone:
                    continue
                if cim is not None and attrs.get("cim") != cim:
                    continue
                if search is not None and not _text_match(attrs, search):
                    continue
                found.append(_contact(attrs))
            return found

    def wallet(self, contact_ref: str) -> tuple[Contact, Decimal]:
        """A contact (by id or code) and its wallet balance; UnknownResource when nobody has that id."""
        with self.ledger.view(API) as tx:
            attrs = tx.holder(contact_ref.lower())
            if attrs is None or attrs.get("kind") != "contact":
                attrs = next((a for a in self._contact_attrs(tx) if a.get("code") == contact_ref), None)
            if attrs is None:
                raise UnknownResource("Record not found.", "contact", contact_ref)
            return _contact(attrs), self._balance(tx, attrs["id"])

    def merchants(self) -> list[Merchant]:
        with self.ledger.view(API) as tx:
            return [_merchant(m) for m in tx.get_setting("merchants", [])]

    # --- purchases ---

    def purchase(self, request: PurchaseRequest) -> PurchaseResult:
        """Submit a purchase: award 5 % of the lines' net, spend min(requested, balance before, basket total).

        A purchase classified as the program's reclaim code awards and spends nothing until claimed
        (its award is kept pending); it may come without a contact.
        """
        reclaim = request.classification_code == self.reclaim_code
        with self.ledger.transaction(API) as tx:
            contact = self._resolve_contact(tx, request.contact_id, request.cim, required=not reclaim)
            contact_id = None if contact is None else str(contact["id"])
            if contact is not None and request.pass_code is not None:
                _check_pass_code(contact, request.pass_code)
            merchant, outlet = self._resolve_taps(tx, request.merchant_tap, request.outlet_tap)
            purchase_id = request.id or self._new_id(tx, "purchase")
            self._check_unique(tx, "purchase", _purchase_key(purchase_id), purchase_id, request.reference_number)
            spend_request = None if reclaim or contact_id is None else request.spend
            otp = None
            if request.spend is not None and request.spend.otp is not None and contact_id is not None:
                otp = self._live_otp(tx, request.spend.otp, contact_id)  # refused even when a reclaim ignores it
            booked = self._acquire(tx, request.lines)
            award = self._minor(evaluate(self.program, [line for line, _ in booked]).earn, "award")
            total = sum((ln.total_amount for ln in request.lines), Decimal(0))
            balance = 0 if contact_id is None else self._balance_minor(tx, contact_id)
            wanted = self._wanted(spend_request, otp, balance)
            spend = 0 if wanted is None else to_minor(cents(min(wanted, from_minor(balance), total)))
            awarded = 0 if reclaim else award
            postings = [] if contact_id is None else [Posting(contact_id, WALLET, -spend),
                                                      Posting(contact_id, WALLET, awarded)]
            performed_on = request.performed_on if request.performed_on is not None else int(tx.now.timestamp())
            summary = {"id": purchase_id, "reference_number": request.reference_number, "performed_on": performed_on,
                       "classification": request.classification_code or request.classification_id,
                       "currency_code": request.currency_code,
                       "payment_medium_identifier": request.payment_medium_identifier,
                       "merchant": merchant and merchant.code, "outlet": outlet and outlet.code,
                       "lines": [row for _, row in booked], "requested_spend": wanted}
            record = tx.post("purchase", contact_id, postings, reference=request.reference_number,
                             data={"request": summary, "result": {"award": from_minor(awarded),
                                                                  "spend": from_minor(spend)}})
            if otp is not None and wanted is not None:
                tx.put_holder(_otp_key(otp["code"]), {**otp, "used_by": purchase_id})
            tx.put_holder(_purchase_key(purchase_id), {
                "kind": "purchase", "id": purchase_id, "number": record.number,
                "reference_number": request.reference_number, "contact_id": contact_id,
                "merchant": merchant and merchant.code, "outlet": outlet and outlet.code,
                "total": to_minor(cents(total)), "award": awarded, "spend": spend,
                "pending_award": award if reclaim else 0, "reclaim": reclaim, "state": "POSTED"})
            reduction = str((contact or {}).get("reduction_method") or self.reduction_method)
            return PurchaseResult(purchase_id, record.number, request.reference_number, contact_id,
                                  from_minor(awarded), from_minor(spend), wanted, performed_on, reduction, reclaim,
                                  None if contact_id is None else self._balance(tx, contact_id))

    @staticmethod
    def _check_unique(tx: LedgerTx, kind: str, key: str, given_id: str, reference_number: str) -> None:
        """An id or a reference_number already used by the same kind of event is refused (409)."""
        if tx.holder(key) is not None:
            raise AlreadyExists(f"A {kind.replace('_', ' ')} with this id already exists.", "id", given_id)
        if any(r.kind == kind for r in tx.find(reference=reference_number)):
            raise AlreadyExists(f"A {kind.replace('_', ' ')} with this reference number already exists.",
                                "reference_number", reference_number)

    def cancel(self, purchase_id: str, *, again: bool = False) -> CancelResult:
        """Void a purchase: return its spend, then take back its award, never more than the balance then holds.
        ``again`` skips the already-cancelled refusal: only the simulator's `cancel-twice` fault profile sets it."""
        with self.ledger.transaction(API) as tx:
            record = tx.holder(_purchase_key(purchase_id))
            if record is None or record.get("kind") != "purchase":
                raise UnknownResource("Record not found.", "purchase", purchase_id)
            if record["state"] == CANCELLED and not again:
                raise InvalidState("The purchase is already cancelled.", "purchase", record["id"])
            contact_id = record["contact_id"]
            spend, award = int(record["spend"]), int(record["award"])
            taken = 0
            postings: list[Posting] = []
            if contact_id is not None:
                taken = min(award, self._balance_minor(tx, contact_id) + spend)
                postings = [Posting(contact_id, WALLET, spend), Posting(contact_id, WALLET, -taken)]
            cancel = tx.post("purchase_cancel", contact_id, postings, reference=record["reference_number"],
                             data={"request": {"purchase_id": record["id"]},
                                   "result": {"returned_spend": from_minor(spend), "reversed_award":
                                              from_minor(taken)}})
            tx.put_holder(_purchase_key(purchase_id), {**record, "state": CANCELLED, "cancelled_by": cancel.number})
            balance = None if contact_id is None else self._balance(tx, contact_id)
            return CancelResult(record["id"], cancel.number, from_minor(spend), from_minor(taken), balance)

    def ad_hoc_return(self, request: ReturnRequest) -> ReturnResult:
        """Take back 5 % of the returned net amount (the lines' net, else ``net_amount``, else ``total_amount``),
        never more than the wallet holds. No purchase is cancelled."""
        if bool(request.lines) == (request.total_amount is not None):
            raise InvalidRequest("an ad hoc return has either products or total_amount")
        with self.ledger.transaction(API) as tx:
            contact = self._resolve_contact(tx, request.contact_id, request.cim, required=True)
            assert contact is not None
            self._resolve_taps(tx, request.merchant_tap, request.outlet_tap)
            return_id = request.id or self._new_id(tx, "return")
            self._check_unique(tx, "ad_hoc_return", _return_key(return_id), return_id, request.reference_number)
            if request.lines:
                lines = [self._earn_line(tx, ln) for ln in request.lines]
                total = sum((ln.total_amount for ln in request.lines), Decimal(0))
            else:
                assert request.total_amount is not None
                total = request.total_amount
                net = request.net_amount if request.net_amount is not None else total
                lines = [Line("", "", net, Decimal(1), net)]
            wanted = self._minor(evaluate(self.program, lines).earn, "return")
            taken = min(wanted, self._balance_minor(tx, contact["id"]))
            record = tx.post("ad_hoc_return", contact["id"], {WALLET: -taken}, reference=request.reference_number,
                             data={"request": {"id": return_id, "total_amount": total, "wanted": from_minor(wanted),
                                               "performed_on": int(request.performed_on or tx.now.timestamp()),
                                               "currency_code": request.currency_code},
                                   "result": {"reversed_award": from_minor(taken)}})
            tx.put_holder(_return_key(return_id), {"kind": "return", "id": return_id, "number": record.number})
            return ReturnResult(return_id, record.number, total, from_minor(taken), self._balance(tx, contact["id"]))

    # --- OTP spend tokens and receipts ---

    def issue_otp(self, *, contact_id: str | None = None, cim: str | None = None,
                  amount: Decimal | None = None) -> Otp:
        """An OTP spend token for a contact, worth ``amount`` (or the whole wallet at spend time when None)."""
        if amount is not None and (amount < 0 or cents(amount) != amount):
            raise InvalidRequest("an OTP amount is zero or more, in cents")
        with self.ledger.transaction(API) as tx:
            contact = self._resolve_contact(tx, contact_id, cim, required=True)
            assert contact is not None
            while True:
                if self.ledger.sequential:
                    code = str(100000 + self._next(tx, "otp"))
                else:
                    code = str(100000 + secrets.randbelow(900000))
                if tx.holder(_otp_key(code)) is None:
                    break
            tx.put_holder(_otp_key(code), {"kind": "otp", "code": code, "contact_id": contact["id"],
                                           "amount": None if amount is None else to_minor(amount), "used_by": None})
            return Otp(code, contact["id"], amount)

    def claim(self, receipt: Receipt, *, contact_id: str | None = None, cim: str | None = None) -> ClaimResult:
        """A contact scans a receipt: a contact-reclaim purchase is awarded once; a receipt no purchase was
        submitted for (self-service) becomes a purchase awarded 5 % of its amount, once (inferred: the
        receipt has no net amount). Any other purchase was awarded when submitted: nothing more."""
        with self.ledger.transaction(API) as tx:
            contact = self._resolve_contact(tx, contact_id, cim, required=True)
            assert contact is not None
            submitted = [r for r in tx.find(reference=receipt.reference_number) if r.kind == "purchase"]
            if submitted:
                return self._claim_submitted(tx, contact["id"], receipt, submitted[0].data["request"]["id"])
            return self._claim_self_service(tx, contact["id"], receipt)

    def _claim_submitted(self, tx: LedgerTx, contact_id: str, receipt: Receipt, purchase_id: str) -> ClaimResult:
        record = tx.holder(_purchase_key(purchase_id))
        assert record is not None
        for name, expected, given in (("merchant", record["merchant"], receipt.merchant_code),
                                      ("outlet", record["outlet"], receipt.outlet_code)):
            if expected is not None and expected != given:
                raise ReceiptMismatch(f"The receipt's {name} is not the purchase's.", name, given)
        if to_minor(cents(receipt.amount)) != record["total"]:
            raise ReceiptMismatch("The receipt's amount is not the purchase's.", "amount", str(receipt.amount))
        balance = self._balance(tx, contact_id)
        reason = ("awarded when submitted" if not record["reclaim"] else "cancelled" if record["state"] == CANCELLED
                  else "already claimed" if record.get("claimed_by") else None)
        if reason is not None:
            return ClaimResult(purchase_id, False, Decimal("0.00"), reason, balance)
        award = int(record["pending_award"])
        tx.post("reclaim_award", contact_id, {WALLET: award}, reference=receipt.reference_number,
                data={"request": {"purchase_id": purchase_id}, "result": {"award": from_minor(award)}})
        tx.put_holder(_purchase_key(purchase_id), {**record, "contact_id": contact_id, "claimed_by": contact_id,
                                                   "award": award, "pending_award": 0})
        return ClaimResult(purchase_id, True, from_minor(award), None, self._balance(tx, contact_id))

    def _claim_self_service(self, tx: LedgerTx, contact_id: str, receipt: Receipt) -> ClaimResult:
        merchant, _ = self._resolve_taps(tx, TapRef(code=receipt.merchant_code), TapRef(code=receipt.outlet_code))
        key = f"receipt:{receipt.merchant_code};{receipt.reference_number}"
        known = tx.holder(key)
        if known is not None:
            return ClaimResult(known["purchase_id"], False, Decimal("0.00"), "already claimed",
                               self._balance(tx, contact_id))
        purchase_id = self._new_id(tx, "purchase")
        award = self._minor(evaluate(self.program, [Line("", "", receipt.amount, Decimal(1), receipt.amount)]).earn,
                            "award")
        record = tx.post("self_service_purchase", contact_id, {WALLET: award}, reference=receipt.reference_number,
                         data={"request": {"id": purchase_id, "receipt": receipt.qr()},
                               "result": {"award": from_minor(award)}})
        tx.put_holder(key, {"kind": "receipt", "purchase_id": purchase_id})
        tx.put_holder(_purchase_key(purchase_id), {
            "kind": "purchase", "id": purchase_id, "number": record.number,
            "reference_number": receipt.reference_number, "contact_id": contact_id, "merchant": merchant and
            merchant.code, "outlet": receipt.outlet_code, "total": to_minor(cents(receipt.amount)), "award": award,
            "spend": 0, "pending_award": 0, "reclaim": False, "state": "POSTED", "self_service": True})
        return ClaimResult(purchase_id, True, from_minor(award), None, self._balance(tx, contact_id))

    # --- products ---

    def synchronise(self, products: Sequence[SyncProduct]) -> SyncProcess:
        """Create the products whose code is new and update the others; a later entry of a code wins.
        The process runs at once: it is COMPLETED when this returns (its id still reports it)."""
        with self.ledger.transaction(API) as tx:
            return self._sync(tx, products)

    def sync_process(self, process_id: str) -> SyncProcess:
        with self.ledger.view(API) as tx:
            record = tx.holder(f"sync:{process_id.lower()}")
        if record is None:
            raise UnknownResource("Record not found.", "process", process_id)
        return self._process(record)

    def product(self, code: str) -> dict[str, Any] | None:
        """A product's stored attributes (None when unknown)."""
        return self.ledger.holder(API, f"product:{code}")

    def _sync(self, tx: LedgerTx, products: Sequence[SyncProduct]) -> SyncProcess:
        process_id = self._new_id(tx, "sync")
        now = int(tx.now.timestamp())
        created = updated = 0
        errors: list[SyncError] = []
        for product in products:
            attrs = dict(product.attributes)
            start, end = attrs.get("product_validity_from"), attrs.get("product_validity_to")
            if start is not None and end is not None and start > end:
                errors.append(SyncError(product.code, "product_validity_from is after product_validity_to"))
                continue
            key = f"product:{product.code}"
            existing = tx.holder(key)
            tx.put_holder(key, {**(existing or {}), **attrs, "code": product.code, "source": "synchronisation"})
            for kind in ("brand", "family"):
                if attrs.get(kind):
                    tx.put_holder(f"{kind}:{attrs[kind]}", {"code": attrs[kind]})
            if existing is None:
                created += 1
            else:
                updated += 1
        record = {"id": process_id, "state": "COMPLETED", "total": len(products), "processed": len(products),
                  "created": created, "updated": updated, "failed": len(errors),
                  "errors": [vars(e) for e in errors], "created_on": now, "completed_on": now}
        tx.put_holder(f"sync:{process_id}", record)
        return self._process(record)

    @staticmethod
    def _process(record: Mapping[str, Any]) -> SyncProcess:
        return SyncProcess(record["id"], record["state"], record["total"], record["processed"], record["created"],
                           record["updated"], record["failed"], tuple(SyncError(**e) for e in record["errors"]),
                           record["created_on"], record["completed_on"])

    def _acquire(self, tx: LedgerTx, lines: Iterable[ProductLine]) -> list[tuple[Line, dict[str, Any]]]:
        """Earn lines of a purchase and how each was booked. An unknown SKU is created (synchronisation during
        transaction acquiring, seed 001), or, when the fixture names a default product, booked against it with
        the SKU kept as ``intended_product_identifier`` (Web API R14, providers.md 2.1)."""
        default = tx.get_setting("default_product")
        booked_lines = []
        for line in lines:
            booked: dict[str, Any] = {"product_sku": line.sku, "quantity": line.quantity,
                                      "net_amount": line.net_amount}
            if tx.holder(f"product:{line.sku}") is None:
                if default:
                    booked = {**booked, "product_sku": str(default), "intended_product_identifier": line.sku}
                    if tx.holder(f"product:{default}") is None:
                        tx.put_holder(f"product:{default}", {"code": str(default), "source": "default"})
                else:
                    tx.put_holder(f"product:{line.sku}", {"code": line.sku, "source": "purchase"})
            booked_lines.append((self._earn_line(tx, replace(line, sku=booked["product_sku"])), booked))
        return booked_lines

    def _earn_line(self, tx: LedgerTx, line: ProductLine) -> Line:
        """A rules line: earns on ``net_amount``; the product's family stands in for the department."""
        family = (tx.holder(f"product:{line.sku}") or {}).get("family") or ""
        return Line(line.sku, str(family), line.net_amount, line.quantity, line.net_amount)

    # --- orders ---

    def place_order(self, order: Order) -> Order:
        """A contact places an order in a CRM.COM app (it is NEW; the api then fires the order webhook)."""
        with self.ledger.transaction(API) as tx:
            return self._place(tx, order)

    def _place(self, tx: LedgerTx, order: Order) -> Order:
        if not order.items:
            raise InvalidRequest("an order has at least one item")
        if order.state not in ORDER_STATES:
            raise InvalidRequest(f"order state is one of {', '.join(ORDER_STATES)}")
        if order.supply_method not in (None, *SUPPLY_METHODS):
            raise InvalidRequest(f"supply_method is one of {', '.join(SUPPLY_METHODS)}")
        for item in order.items:
            for amount in (item.net_amount, item.tax_amount, item.total_amount):
                self._minor(amount, "order item amount")
            if item.quantity <= 0:
                raise InvalidRequest("an order item's quantity is above zero")
        contact_id = order.contact_id.lower() if order.contact_id else None
        if contact_id is not None:
            attrs = tx.holder(contact_id)
            if attrs is None or attrs.get("kind") != "contact":
                raise InvalidRequest(f"order contact {contact_id} is not a known contact")
            order = replace(order, contact_name=order.contact_name or _contact(attrs).name)
        order_id = order.id or self._new_id(tx, "order")
        directory = list(tx.get_setting("orders", []))
        if order_id in directory:
            raise InvalidRequest(f"order {order_id} already exists")
        now = int(tx.now.timestamp())
        number = order.number or f"ORD-{len(directory) + 1:04d}"
        placed = replace(order, id=order_id, number=number, contact_id=contact_id,
                         created_on=order.created_on or now, updated_on=order.updated_on or order.created_on or now)
        tx.put_holder(f"order:{order_id}", _order_dict(placed))
        tx.set_setting("orders", [*directory, order_id])
        return placed

    def orders(self, state: str | None = None) -> list[Order]:
        """Orders newest first (by created_on, then the later placed first), optionally in one state."""
        with self.ledger.view(API) as tx:
            ids = list(tx.get_setting("orders", []))
            found = [_order(tx.holder(f"order:{i}") or {}) for i in ids]
        ranked = sorted(enumerate(found), key=lambda pair: (pair[1].created_on, pair[0]), reverse=True)
        return [o for _, o in ranked if state is None or o.state == state]

    def reasons(self) -> list[CancellationReason]:
        with self.ledger.view(API) as tx:
            return [_reason(r) for r in tx.get_setting("cancellation_reasons", DEFAULT_REASONS)]

    def order_action(self, order_id: str, action: str, reason_id: str | None = None) -> Order:
        """COMPLETE (awarding the contact as a purchase of the lines would: inferred) or CANCEL with a reason.
        Only a NEW or IN_PROGRESS order can be acted on."""
        if (action == "CANCEL") != (reason_id is not None) or action not in ("COMPLETE", "CANCEL"):
            raise InvalidRequest("COMPLETE takes no reason; CANCEL needs a cancellation_reason_id")
        with self.ledger.transaction(API) as tx:
            stored = tx.holder(f"order:{order_id}")
            if stored is None:
                raise UnknownResource("Record not found.", "order", order_id)
            order = _order(stored)
            if order.state not in (NEW, IN_PROGRESS):
                raise InvalidState(f"The order is already {order.state.lower()}.", "order", order_id)
            now = int(tx.now.timestamp())
            if action == "CANCEL":
                reasons = [_reason(r) for r in tx.get_setting("cancellation_reasons", DEFAULT_REASONS)]
                reason = next((r for r in reasons if r.id == reason_id), None)
                if reason is None:
                    raise UnknownReference("Record not found.", "cancellation_reason", str(reason_id))
                done = replace(order, state=CANCELLED, cancellation_reason=reason, updated_on=now)
            else:
                done = replace(order, state=COMPLETED, updated_on=now)
                if self.award_orders and order.contact_id is not None:
                    lines = [Line(i.product_sku, "", i.net_amount, i.quantity, i.net_amount) for i in order.items]
                    award = self._minor(evaluate(self.program, lines).earn, "award")
                    tx.post("order_award", order.contact_id, {WALLET: award}, reference=order.number,
                            data={"request": {"order_id": order.id}, "result": {"award": from_minor(award)}})
            tx.put_holder(f"order:{order_id}", _order_dict(done))
            return done

    # --- internals ---

    def _contact_attrs(self, tx: LedgerTx) -> list[dict[str, Any]]:
        return [a for a in (tx.holder(i) for i in tx.get_setting("contacts", [])) if a is not None]

    def _resolve_contact(self, tx: LedgerTx, contact_id: str | None, cim: str | None, *,
                         required: bool) -> dict[str, Any] | None:
        """The contact named by ``contact_id`` or ``cim`` (its primary account: the only one here). Seed 003 does
        not forbid both; then they must name the same contact, or the cim names nothing known (inferred)."""
        if contact_id is not None:
            attrs = tx.holder(contact_id.lower())
            if attrs is None or attrs.get("kind") != "contact":
                raise UnknownReference("Record not found.", "contact", contact_id)
            if cim is not None and attrs.get("cim") != cim:
                raise UnknownReference("Record not found.", "cim", cim)
            return attrs
        if cim is not None:
            found = next((a for a in self._contact_attrs(tx) if a.get("cim") == cim), None)
            if found is None:
                raise UnknownReference("Record not found.", "cim", cim)
            return found
        if required:
            raise InvalidRequest("either contact_id or cim must be specified")
        return None

    def _resolve_taps(self, tx: LedgerTx, merchant_tap: TapRef | None,
                      outlet_tap: TapRef | None) -> tuple[Merchant | None, Outlet | None]:
        """The merchant and outlet named (at least one); the outlet must have the merchant as its parent."""
        if merchant_tap is None and outlet_tap is None:
            raise InvalidRequest("at least merchant_tap or outlet_tap should be specified")
        merchants = [_merchant(m) for m in tx.get_setting("merchants", [])]
        merchant = outlet = parent = None
        if merchant_tap is not None:
            merchant = next((m for m in merchants if _names(m, merchant_tap)), None)
            if merchant is None:
                raise UnknownReference("Record not found.", "merchant", merchant_tap.value)
        if outlet_tap is not None:
            pairs = [(m, o) for m in merchants for o in m.outlets if _names(o, outlet_tap)]
            if not pairs:
                raise UnknownReference("Record not found.", "outlet", outlet_tap.value)
            parent, outlet = pairs[0]
            if merchant is not None and parent.code != merchant.code:
                raise TapMismatch("The outlet does not belong to the merchant.", "outlet_tap", outlet_tap.value)
        return merchant or parent, outlet

    def _live_otp(self, tx: LedgerTx, code: str, contact_id: str) -> dict[str, Any]:
        """An OTP issued to this contact and not used yet; anything else is refused like an unknown OTP."""
        otp = tx.holder(_otp_key(code))
        if otp is None or otp.get("used_by") is not None or not hmac.compare_digest(otp["contact_id"], contact_id):
            raise UnknownReference("Record not found.", "otp", "***")
        return otp

    def _wanted(self, spend: SpendRequest | None, otp: Mapping[str, Any] | None, balance: int) -> Decimal | None:
        """What a spend request asks for, before the caps."""
        if spend is None:
            return None
        if spend.amount is not None:
            return spend.amount
        if spend.alternative_amount is not None:
            return spend.alternative_amount / self.points_per_unit
        assert otp is not None
        return from_minor(otp["amount"] if otp["amount"] is not None else balance)

    def _new_id(self, tx: LedgerTx, kind: str) -> str:
        """A GUID: random, or in deterministic mode derived from a per-kind counter (runs repeat exactly)."""
        if self.ledger.sequential:
            return str(uuid.uuid5(_IDS, f"{kind}:{self._next(tx, kind)}"))
        return str(uuid.uuid4())

    @staticmethod
    def _next(tx: LedgerTx, kind: str) -> int:
        number = int(tx.get_setting(f"seq:{kind}", 0)) + 1
        tx.set_setting(f"seq:{kind}", number)
        return number

    def _balance_minor(self, tx: LedgerTx, contact_id: str) -> int:
        return tx.balances(contact_id).get(WALLET, 0)

    def _balance(self, tx: LedgerTx, contact_id: str) -> Decimal:
        return from_minor(self._balance_minor(tx, contact_id), self.program.scale)

    def _minor(self, amount: Decimal, what: str) -> int:
        try:
            value = to_decimal(amount)
            if value < 0:
                raise InvalidRequest(f"{what} {amount} is negative")
            return to_minor(value, self.program.scale)
        except MoneyError:
            raise InvalidRequest(f"{what} {amount} is not an amount in cents") from None


# --- storage helpers -----------------------------------------------------------------------------------


def _purchase_key(purchase_id: str) -> str:
    return f"purchase:{purchase_id.lower()}"


def _return_key(return_id: str) -> str:
    return f"return:{return_id.lower()}"


def _otp_key(code: str) -> str:
    return f"otp:{code}"


def _check_pass_code(contact: Mapping[str, Any], given: str) -> None:
    expected = contact.get("pass_code")
    if expected is not None and not hmac.compare_digest(str(expected).encode(), given.encode()):
        raise WrongPassCode("The pass code is not valid.", "pass_code")


def _text_match(attrs: Mapping[str, Any], text: str) -> bool:
    wanted = text.casefold()
    fields = ("email", "phone", "cim", "code", "name", "first_name", "last_name")
    return any(wanted in str(attrs[f]).casefold() for f in fields if attrs.get(f))


def _contact(attrs: Mapping[str, Any]) -> Contact:
    name = attrs.get("name") or " ".join(str(attrs[k]) for k in ("first_name", "last_name") if attrs.get(k)) or None
    details = {f.name: attrs.get(f.name) for f in dataclasses.fields(ContactDetails)}
    return Contact(id=attrs["id"], **{**details, "name": name})


def _names(unit: Merchant | Outlet, tap: TapRef) -> bool:
    """A tap names a unit by id, code or both (seed 003: both semi-optional); both must then agree."""
    if tap.id is None and tap.code is None:
        return False
    return ((tap.id is None or unit.id.lower() == tap.id.lower())
            and (tap.code is None or unit.code == tap.code))


def unit_id(kind: str, code: str) -> str:
    """The stable GUID of a merchant or outlet the fixture names by code only."""
    return str(uuid.uuid5(_IDS, f"{kind}:{code}"))


def _merchant_dict(merchant: Merchant) -> dict[str, Any]:
    return {"id": merchant.id, "code": merchant.code, "name": merchant.name,
            "outlets": [{"id": o.id, "code": o.code, "name": o.name} for o in merchant.outlets]}


def _merchant(data: Mapping[str, Any]) -> Merchant:
    return Merchant(data["id"], data["code"], data.get("name"),
                    tuple(Outlet(o["id"], o["code"], o.get("name")) for o in data["outlets"]))


def _reason_dict(reason: CancellationReason) -> dict[str, Any]:
    return {k: v for k, v in vars(reason).items() if v is not None}


def _reason(data: Mapping[str, Any]) -> CancellationReason:
    return CancellationReason(str(data["id"]), str(data["name"]), data.get("description"))


def _order_dict(order: Order) -> dict[str, Any]:
    data = {k: v for k, v in vars(order).items() if v is not None and k not in ("items", "cancellation_reason")}
    data["items"] = [{k: v for k, v in vars(i).items() if v is not None} for i in order.items]
    if order.cancellation_reason is not None:
        data["cancellation_reason"] = _reason_dict(order.cancellation_reason)
    return data


def _order(data: Mapping[str, Any]) -> Order:
    items = tuple(OrderItem(i["product_sku"], to_decimal(i["quantity"]), to_decimal(i["net_amount"]),
                            to_decimal(i["tax_amount"]), to_decimal(i["total_amount"]), i.get("description"),
                            i.get("notes")) for i in data["items"])
    reason = data.get("cancellation_reason")
    plain = {k: v for k, v in data.items() if k not in ("items", "cancellation_reason")}
    return Order(**{**plain, "items": items, "cancellation_reason": None if reason is None else _reason(reason)})


__all__ = [
    "API",
    "AlreadyExists",
    "CancellationReason",
    "ClaimResult",
    "Contact",
    "ContactFixture",
    "CrmCom",
    "CrmError",
    "Fixture",
    "InvalidState",
    "Merchant",
    "Order",
    "OrderItem",
    "Otp",
    "Outlet",
    "ProductLine",
    "PurchaseRequest",
    "PurchaseResult",
    "Receipt",
    "ReceiptMismatch",
    "ReturnRequest",
    "ReturnResult",
    "SpendRequest",
    "SyncProcess",
    "SyncProduct",
    "TapMismatch",
    "TapRef",
    "UnknownReference",
    "UnknownResource",
    "WrongPassCode",
    "unit_id",
]
