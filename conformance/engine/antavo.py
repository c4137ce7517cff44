"""The Antavo domain over the ledger: enrolment, item-level earn, points burned, refunds, the points preview.

A customer is a ledger holder (profile, status, enrolment flags, its point accounts). Each point account
(``primary_account`` unless a fixture names others) has two buckets: ``<account>:spendable`` and
``<account>:spent``. ``score`` is derived, never stored: score = spendable + spent (the seed's customer
prints 15673 = 4556 + 11117, and its account ``earned`` 3077 = 2272 + 805). Every event is one ledger
transaction: it commits whole and returns an :class:`EventResult`, or raises a :class:`BusinessError`
and changes nothing. Rules of ``antavo-reference`` (DESIGN section 7):

- ``opt_in`` enrols (an unknown id becomes a customer) and earns ``extra.opt_in_points`` the first time only;
- ``checkout`` earns per item the program's earn of its ``subtotal`` (rate 1, rounded down per line: the
  integer part), without items the earn of ``total``; ``points_burned`` may not exceed the spendable
  balance before the checkout's own earn; a repeated ``transaction_id`` is refused;
- ``refund`` takes back what its checkout earned that no earlier refund took and returns the points it
  burned (once); ``partial_refund`` takes back floor(earned x refunded / original total), never more than
  was earned in all; a take-back never drives spendable below zero (it takes what is there).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any

from conformance.core.money import MoneyError, to_decimal, to_minor
from conformance.engine.errors import BusinessError, InvalidRequest, TransactionNotFound
from conformance.engine.ledger import Ledger, LedgerTx, Posting, TxRecord
from conformance.engine.rules import Line, evaluate, round_amount
from conformance.model.program import Program

API = "antavo"
FIXTURE = "fixture"
SPENDABLE, SPENT = "spendable", "spent"
CHECKOUT = "checkout"
TAKE_BACKS = frozenset({"refund", "partial_refund", "checkout_reject"})
"""Events that take a checkout's points back (a reject undoes a checkout exactly as a refund does)."""
FULL_TAKE_BACKS = frozenset({"refund", "checkout_reject"})
EXTERNAL_IDS = "external_ids"
"""Settings key: external id -> customer id (lookups written ``{external_id:value}``)."""
MIN_EXPONENT = -400
"""Numbers finer than 1e-400 (or above 1e400) are refused: no JSON float is, and exact arithmetic on them
would be unbounded."""
PROFILE_FIELDS = ("email", "first_name", "last_name", "nickname", "birth_date", "gender", "language", "currency",
                  "country", "mobile_phone")

Profile = Mapping[str, Any]


class CustomerNotFound(BusinessError):
    code = "CustomerNotFound"
    kind = "not_found"


class AccountNotFound(BusinessError):
    code = "AccountNotFound"
    kind = "not_found"


class TransactionAlreadyExists(BusinessError):
    """A checkout repeating a ``transaction_id`` (Antavo's token, DESIGN section 9)."""

    code = "ERR_TX_ALREADY_EXISTS"
    kind = "invalid"


class NotEnoughPoints(BusinessError):
    """``points_burned`` or ``point_spend`` above the spendable balance (409, DESIGN section 7)."""

    code = "NotEnoughPoints"
    kind = "conflict"


# --- values ----------------------------------------------------------------------------------------------


def exact(value: object, name: str) -> Decimal:
    """A request number as an exact, finite, non-negative Decimal (floats, NaN and absurd exponents refused)."""
    try:
        number = to_decimal(value)
    except MoneyError:
        raise InvalidRequest(f"{name} is not an exact number") from None
    if number < 0:
        raise InvalidRequest(f"{name} is negative")
    exponent = number.as_tuple().exponent
    if number and isinstance(exponent, int) and (exponent < MIN_EXPONENT or number.adjusted() > -MIN_EXPONENT):
        raise InvalidRequest(f"{name} is out of range")
    return number


@dataclass(frozen=True)
class Item:
    """One basket line: what identifies it and what the customer paid for it."""

    product_id: str
    subtotal: Decimal


@dataclass(frozen=True)
class Basket:
    """A checkout (or its preview): ``total`` may be absent when ``items`` are given."""

    transaction_id: str
    total: Decimal | None = None
    items: tuple[Item, ...] = ()

    def __post_init__(self) -> None:
        if self.total is None and not self.items:
            raise InvalidRequest("a checkout needs a total or items")

    @property
    def original_total(self) -> Decimal:
        """What a partial refund is measured against: ``total``, else the sum of the subtotals."""
        return self.total if self.total is not None else sum((i.subtotal for i in self.items), Decimal(0))


@dataclass(frozen=True)
class Account:
    id: str
    name: str


@dataclass(frozen=True)
class AccountBalance:
    account: Account
    spendable: int
    spent: int

    @property
    def earned(self) -> int:
        return self.spendable + self.spent


@dataclass(frozen=True)
class Event:
    """A registered event that changed (or could change) spendable points, as Antavo lists it."""

    id: str
    action: str
    points: int
    expdate: str | None
    account: Account


@dataclass(frozen=True)
class Customer:
    """Everything ``GET /customers/{id}`` and an event response derive from the ledger."""

    id: str
    profile: Mapping[str, Any]
    status: str
    created_at: int
    optin_at: int | None
    updated_at: int
    accounts: tuple[AccountBalance, ...]
    purchase_count: int = 0
    purchase_total: Decimal = Decimal(0)
    purchase_last_date: str | None = None
    properties: Mapping[str, Any] = field(default_factory=dict)

    @property
    def spendable(self) -> int:
        return sum(a.spendable for a in self.accounts)

    @property
    def spent(self) -> int:
        return sum(a.spent for a in self.accounts)

    @property
    def score(self) -> int:
        return self.spendable + self.spent


@dataclass(frozen=True)
class EventResult:
    customer: Customer
    events: tuple[Event, ...]
    transaction_number: str


@dataclass(frozen=True)
class Preview:
    """What the same checkout would earn: base from the rules, no campaign bonus in the reference program."""

    base: int
    bonus: int = 0

    @property
    def points(self) -> int:
        return self.base + self.bonus


@dataclass(frozen=True)
class CustomerFixture:
    """A customer as ``POST /_control/fixtures`` gives it (already enrolled)."""

    id: str
    profile: Mapping[str, Any] = field(default_factory=dict)
    spendable: object = 0
    spent: object = 0
    accounts: tuple[Mapping[str, Any], ...] = ()
    """Extra point accounts ``{id, name, spendable, spent}``; the program's default account otherwise."""
    status: str = "active"
    external_id: str | None = None
    properties: Mapping[str, Any] = field(default_factory=dict)


# --- the domain ------------------------------------------------------------------------------------------


class Antavo:
    def __init__(self, ledger: Ledger, program: Program) -> None:
        if program.api != API:
            raise ValueError(f"program {program.id} is for {program.api}, not {API}")
        if program.scale != 0:
            raise ValueError(f"program {program.id}: Antavo points need scale 0")
        self.ledger = ledger
        self.program = program
        extra = program.extra
        default = extra.get("default_account") or {}
        self.default_account = Account(str(default.get("id", "primary_account")),
                                       str(default.get("name", "Primary account")))
        self.opt_in_points = int(extra.get("opt_in_points", 0))
        self.expire_years = int(extra.get("points_expire_years", 1))

    # --- fixtures and reads ---

    def put_customers(self, customers: Sequence[CustomerFixture], *, settings: Mapping[str, Any] | None = None
                      ) -> list[Customer]:
        """Create or update enrolled customers in one transaction (with ``settings``: all or nothing).

        Balances are set by an opening ``fixture`` transaction posting the difference, so every balance
        still equals the sum of its entries.
        """
        with self.ledger.transaction(API) as tx:
            for key, value in (settings or {}).items():
                tx.set_setting(key, value)
            for fixture in customers:
                self._put_customer(tx, fixture)
        return [self.customer(c.id) for c in customers]

    def _put_customer(self, tx: LedgerTx, fixture: CustomerFixture) -> None:
        if not fixture.id:
            raise InvalidRequest("a customer needs an id")
        wanted: list[tuple[Account, int, int]] = []
        if fixture.accounts:
            for raw in fixture.accounts:
                if not raw.get("id"):
                    raise InvalidRequest(f"customer {fixture.id}: an account needs an id")
                account = Account(str(raw["id"]), str(raw.get("name") or raw["id"]))
                wanted.append((account, self._points(raw.get("spendable", 0)), self._points(raw.get("spent", 0))))
        else:
            wanted.append((self.default_account, self._points(fixture.spendable), self._points(fixture.spent)))
        holder = tx.holder(fixture.id) or {}
        stamp = _unix(tx.now)
        known = {a["id"]: a for a in holder.get("accounts", [])}
        known.update({a.id: {"id": a.id, "name": a.name} for a, _, _ in wanted})
        attrs = {
            **holder,
            "profile": {**holder.get("profile", {}), **_profile(fixture.profile)},
            "status": fixture.status,
            "rewarded_opt_in": True,
            "created_at": holder.get("created_at", stamp),
            "optin_at": holder.get("optin_at", stamp),
            "updated_at": stamp,
            "accounts": list(known.values()),
            "properties": dict(fixture.properties),
        }
        if fixture.external_id:
            attrs["external_id"] = fixture.external_id
            self._index_external_id(tx, fixture.external_id, fixture.id)
        if not holder:  # a new customer starts its purchase tally (see `_purchases`)
            attrs["purchases"] = {"count": 0, "total": "0", "last": None}
        tx.put_holder(fixture.id, attrs)
        postings: list[Posting] = []
        for account, spendable, spent in wanted:
            self._open(tx, fixture.id, account)
            current = tx.balances(fixture.id)
            for bucket, value in ((SPENDABLE, spendable), (SPENT, spent)):
                key = _bucket(account, bucket)
                postings.append(Posting(fixture.id, key, value - current[key]))
        if any(p.amount for p in postings):
            tx.post(FIXTURE, fixture.id, postings, data={"request": {"fixture": fixture.id}})

    def customer(self, customer_id: str) -> Customer:
        """The customer as the ledger holds it; CustomerNotFound when unknown."""
        with self.ledger.view(API) as tx:
            return self._view(tx, self._resolve(tx, customer_id, None))

    def find_by_external_id(self, external_id: str) -> str | None:
        with self.ledger.view(API) as tx:
            return dict(tx.get_setting(EXTERNAL_IDS, {})).get(external_id)

    # --- events ---

    def opt_in(self, customer_id: str, profile: Profile | None = None, *, account: str | None = None,
               external_id: str | None = None, effective: datetime | None = None) -> EventResult:
        """Enrol (an unknown id becomes a customer); the first opt_in earns the program's opt-in points."""
        with self.ledger.transaction(API) as tx:
            resolved = self._resolve(tx, customer_id, external_id, create=True)
            holder = tx.holder(resolved)
            stamp = _unix(tx.now)
            if holder is None:
                holder = {"profile": {}, "created_at": stamp, "accounts": [vars(self.default_account)],
                          "rewarded_opt_in": False, "properties": {}}
                self._open(tx, resolved, self.default_account)
            target = self._account(holder, resolved, account)
            holder = {**holder, "profile": {**holder.get("profile", {}), **_profile(profile or {})},
                      "status": "active", "optin_at": holder.get("optin_at") or stamp, "updated_at": stamp}
            if external_id:
                holder["external_id"] = external_id
                self._index_external_id(tx, external_id, resolved)
            earn = 0 if holder.get("rewarded_opt_in") else self.opt_in_points
            holder["rewarded_opt_in"] = True
            tx.put_holder(resolved, holder)
            plan = [("opt_in", earn)] if earn else []
            return self._commit(tx, "opt_in", resolved, target, {SPENDABLE: earn}, plan, effective,
                                request={"profile": dict(profile or {}), "account": account})

    def opt_out(self, customer_id: str, *, account: str | None = None,
                external_id: str | None = None) -> EventResult:
        """End the membership: status ``inactive`` (balances are kept)."""
        return self._attributes("opt_out", customer_id, account, external_id, {"status": "inactive"}, {})

    def profile(self, customer_id: str, profile: Profile, *, account: str | None = None,
                external_id: str | None = None) -> EventResult:
        """Update the profile attributes the event carries (unknown ones are kept as properties)."""
        known = {k: v for k, v in profile.items() if k in PROFILE_FIELDS}
        extra = {k: v for k, v in profile.items() if k not in PROFILE_FIELDS}
        return self._attributes("profile", customer_id, account, external_id, {}, known, extra)

    def custom_event(self, customer_id: str, action: str, data: Mapping[str, Any], *, account: str | None = None,
                     external_id: str | None = None) -> EventResult:
        """An action the program does not model (`checkout_update`, `point_add`, a workspace's own event):
        recorded for a known customer, changing no balance and earning nothing."""
        with self.ledger.transaction(API) as tx:
            resolved = self._resolve(tx, customer_id, external_id)
            target = self._account(tx.holder(resolved) or {}, resolved, account)
            return self._commit(tx, action, resolved, target, {}, [], None, request={"data": dict(data)})

    def checkout(self, customer_id: str, basket: Basket, *, points_burned: int = 0, account: str | None = None,
                 external_id: str | None = None, effective: datetime | None = None,
                 request: Mapping[str, Any] | None = None) -> EventResult:
        """Register a purchase: earn per item (or on the total), spend ``points_burned``."""
        if points_burned < 0:
            raise InvalidRequest("points_burned is negative")
        with self.ledger.transaction(API) as tx:
            resolved = self._resolve(tx, customer_id, external_id)
            target = self._account(tx.holder(resolved) or {}, resolved, account)
            if any(r.kind == CHECKOUT for r in tx.find(reference=basket.transaction_id)):
                raise TransactionAlreadyExists(
                    f"ERR_TX_ALREADY_EXISTS: transaction {basket.transaction_id} already exists")
            spendable = tx.balances(resolved)[_bucket(target, SPENDABLE)]
            if points_burned > spendable:
                raise NotEnoughPoints(f"Not enough points: {points_burned} burned, {spendable} spendable")
            plan = self._earn_plan(basket)
            earned = sum(points for _, points in plan)
            stored = {**(request or {}), "transaction_id": basket.transaction_id, "points_burned": points_burned,
                      "original_total": basket.original_total, "items": len(basket.items)}
            holder = tx.holder(resolved) or {}
            count, total, _ = self._purchases(tx, resolved, holder)
            tx.put_holder(resolved, {**holder, "purchases": {  # read back in O(1) by `_view` (issue 13)
                "count": count + 1, "total": str(total + basket.original_total), "last": tx.now.isoformat()}})
            return self._commit(tx, CHECKOUT, resolved, target, {SPENDABLE: earned - points_burned,
                                                                  SPENT: points_burned}, plan, effective,
                                request=stored, reference=basket.transaction_id,
                                facts={"earned": earned, "burned": points_burned,
                                       "original_total": basket.original_total})

    def preview(self, customer_id: str, basket: Basket, *, account: str | None = None) -> Preview:
        """What :meth:`checkout` would earn with this basket now (nothing is written, the id is not used)."""
        with self.ledger.view(API) as tx:
            resolved = self._resolve(tx, customer_id, None)
            self._account(tx.holder(resolved) or {}, resolved, account)
        return Preview(sum(points for _, points in self._earn_plan(basket)))

    def account_of(self, customer_id: str, account: str | None) -> Account:
        """The account an event naming ``account`` goes to (the default one when None)."""
        with self.ledger.view(API) as tx:
            resolved = self._resolve(tx, customer_id, None)
            return self._account(tx.holder(resolved) or {}, resolved, account)

    def refund(self, customer_id: str, transaction_id: str, *, account: str | None = None,
               external_id: str | None = None, effective: datetime | None = None,
               action: str = "refund") -> EventResult:
        """Take back what the checkout earned that no earlier refund took; return its burned points (once)."""
        return self._take_back(action, customer_id, transaction_id, None, account, external_id, effective)

    def partial_refund(self, customer_id: str, transaction_id: str, refunded: Decimal, *,
                       account: str | None = None, external_id: str | None = None,
                       effective: datetime | None = None) -> EventResult:
        """Take back floor(earned x refunded / original total), never more than was earned in all."""
        if refunded <= 0:
            raise InvalidRequest("the refunded total must be above zero")
        return self._take_back("partial_refund", customer_id, transaction_id, refunded, account, external_id,
                               effective)

    def checkout_accept(self, customer_id: str, transaction_id: str, *, account: str | None = None,
                        external_id: str | None = None) -> EventResult:
        """Confirm a checkout: without the Checkout accept module its points are already final."""
        with self.ledger.transaction(API) as tx:
            resolved = self._resolve(tx, customer_id, external_id)
            self._account(tx.holder(resolved) or {}, resolved, account)
            original = self._checkout_of(tx, resolved, transaction_id)
            target = Account(**original.data["result"]["account"])
            return self._commit(tx, "checkout_accept", resolved, target, {}, [], None,
                                request={"transaction_id": transaction_id}, reference=transaction_id)

    def checkout_reject(self, customer_id: str, transaction_id: str, *, account: str | None = None,
                        external_id: str | None = None) -> EventResult:
        """Reject a checkout: taken back exactly as a ``refund`` does."""
        return self.refund(customer_id, transaction_id, account=account, external_id=external_id,
                           action="checkout_reject")

    def point_spend(self, customer_id: str, points: int, *, account: str | None = None,
                    external_id: str | None = None) -> EventResult:
        """Spend points outside a checkout; NotEnoughPoints above the spendable balance."""
        if points <= 0:
            raise InvalidRequest("points must be above zero")
        with self.ledger.transaction(API) as tx:
            resolved = self._resolve(tx, customer_id, external_id)
            target = self._account(tx.holder(resolved) or {}, resolved, account)
            spendable = tx.balances(resolved)[_bucket(target, SPENDABLE)]
            if points > spendable:
                raise NotEnoughPoints(f"Not enough points: {points} to spend, {spendable} spendable")
            return self._commit(tx, "point_spend", resolved, target, {SPENDABLE: -points, SPENT: points},
                                [("point_spend", -points)], None, request={"points": points})

    # --- internals ---

    def _earn_plan(self, basket: Basket) -> list[tuple[str, int]]:
        """(event action, points) per earning unit: one ``checkout_item`` per item, else one ``checkout``."""
        if basket.items:
            lines = [Line(item.product_id, "", item.subtotal, Decimal(1), item.subtotal) for item in basket.items]
            evaluation = evaluate(self.program, lines)
            return [("checkout_item", int(round_amount(e.exact, self.program.rounding))) for e in evaluation.lines]
        assert basket.total is not None  # Basket guarantees a total or items
        return [(CHECKOUT, int(evaluate(self.program, [Line("", "", basket.total, Decimal(1))]).earn))]

    def _take_back(self, action: str, customer_id: str, transaction_id: str, refunded: Decimal | None,
                   account: str | None, external_id: str | None, effective: datetime | None) -> EventResult:
        with self.ledger.transaction(API) as tx:
            resolved = self._resolve(tx, customer_id, external_id)
            self._account(tx.holder(resolved) or {}, resolved, account)
            original = self._checkout_of(tx, resolved, transaction_id)
            facts = original.data["result"]
            target = Account(**facts["account"])
            earned, burned = int(facts["earned"]), int(facts["burned"])
            earlier = [r for r in tx.find(reference=transaction_id) if r.kind in TAKE_BACKS]
            taken_before = sum(int(r.data["result"]["taken"]) for r in earlier)
            left = earned - taken_before
            balances = tx.balances(resolved)
            if refunded is None:
                wanted = left
                # returned once, and never more than is recorded as spent (a fixture may have reset it)
                returned = 0 if any(r.kind in FULL_TAKE_BACKS for r in earlier) else min(
                    burned, balances[_bucket(target, SPENT)])
            else:
                total = Fraction(Decimal(str(facts["original_total"])))
                share = left if total == 0 else math.floor(Fraction(earned) * Fraction(refunded) / total)
                wanted, returned = min(share, left), 0
            spendable = balances[_bucket(target, SPENDABLE)]
            taken = min(wanted, spendable + returned)  # spendable never goes below zero
            plan = [(action, -taken)] if taken else []
            if returned:
                plan.append(("point_unspend", returned))
            request: dict[str, Any] = {"transaction_id": transaction_id}
            if refunded is not None:
                request["total"] = refunded
            return self._commit(tx, action, resolved, target, {SPENDABLE: returned - taken, SPENT: -returned},
                                plan, effective, request=request, reference=transaction_id,
                                facts={"taken": taken, "returned": returned, "wanted": wanted})

    def _attributes(self, action: str, customer_id: str, account: str | None, external_id: str | None,
                    changes: Mapping[str, Any], profile: Profile, properties: Profile | None = None) -> EventResult:
        with self.ledger.transaction(API) as tx:
            resolved = self._resolve(tx, customer_id, external_id)
            holder = tx.holder(resolved) or {}
            target = self._account(holder, resolved, account)
            tx.put_holder(resolved, {**holder, **changes, "updated_at": _unix(tx.now),
                                     "profile": {**holder.get("profile", {}), **_profile(profile)},
                                     "properties": {**holder.get("properties", {}), **dict(properties or {})}})
            return self._commit(tx, action, resolved, target, {}, [], None,
                                request={"profile": dict(profile), "properties": dict(properties or {})})

    def _commit(self, tx: LedgerTx, action: str, customer_id: str, account: Account, amounts: Mapping[str, int],
                plan: Sequence[tuple[str, int]], effective: datetime | None, *, request: Mapping[str, Any],
                reference: str | None = None, facts: Mapping[str, Any] | None = None) -> EventResult:
        """Post one event's entries and record what it registered; the customer is read back after it."""
        postings = [Posting(customer_id, _bucket(account, bucket), amount) for bucket, amount in amounts.items()]
        when = effective or tx.now
        record = tx.post(action, customer_id, postings, reference=reference,
                         data={"request": dict(request), "result": {"account": vars(account), **(facts or {})}})
        events = tuple(
            Event(_event_id(record, when, index), name, points,
                  self._expdate(when) if points > 0 else None, account)
            for index, (name, points) in enumerate(plan))
        return EventResult(self._view(tx, customer_id), events, record.number)

    def _checkout_of(self, tx: LedgerTx, customer_id: str, transaction_id: str) -> TxRecord:
        for record in tx.find(reference=transaction_id):
            if record.kind == CHECKOUT and record.account == customer_id:
                return record
        raise TransactionNotFound(f"Transaction {transaction_id} not found for this customer")

    def _resolve(self, tx: LedgerTx, customer_id: str, external_id: str | None, *, create: bool = False) -> str:
        """The stored customer an event is about: its id, else its external id; unknown -> CustomerNotFound."""
        if tx.holder(customer_id) is not None:
            return customer_id
        if external_id:
            found = dict(tx.get_setting(EXTERNAL_IDS, {})).get(external_id)
            if found is not None:
                return str(found)
        if create:
            return customer_id
        raise CustomerNotFound("Customer not found")

    def _account(self, holder: Mapping[str, Any], customer_id: str, wanted: str | None) -> Account:
        accounts = [Account(str(a["id"]), str(a["name"])) for a in holder.get("accounts", [])]
        if wanted is None:
            return accounts[0] if accounts else self.default_account
        for account in accounts:
            if account.id == wanted:
                return account
        if not accounts and wanted == self.default_account.id:
            return self.default_account  # a customer being created gets the default account
        raise AccountNotFound(f"Account {wanted} not found")

    def _view(self, tx: LedgerTx, customer_id: str) -> Customer:
        holder = tx.holder(customer_id)
        if holder is None:
            raise CustomerNotFound("Customer not found")
        balances = tx.balances(customer_id)
        accounts = tuple(
            AccountBalance(Account(str(a["id"]), str(a["name"])),
                           balances.get(_bucket(Account(a["id"], a["name"]), SPENDABLE), 0),
                           balances.get(_bucket(Account(a["id"], a["name"]), SPENT), 0))
            for a in holder.get("accounts", []))
        count, total, last = self._purchases(tx, customer_id, holder)
        return Customer(
            id=customer_id, profile=dict(holder.get("profile", {})), status=str(holder.get("status", "active")),
            created_at=int(holder.get("created_at", 0)), optin_at=holder.get("optin_at"),
            updated_at=int(holder.get("updated_at", 0)), accounts=accounts, purchase_count=count,
            purchase_total=total, purchase_last_date=last.astimezone(UTC).date().isoformat() if last else None,
            properties=dict(holder.get("properties", {})))

    @staticmethod
    def _purchases(tx: LedgerTx, customer_id: str, holder: Mapping[str, Any]) -> tuple[int, Decimal, datetime | None]:
        """Count, total and time of the customer's checkouts: the tally a checkout keeps in the holder, else
        (a customer a fixture replaced, a ledger written before the tally) counted from the transactions."""
        tally = holder.get("purchases")
        if isinstance(tally, Mapping):
            last = tally.get("last")
            return int(tally["count"]), Decimal(str(tally["total"])), datetime.fromisoformat(last) if last else None
        checkouts = [r for r in tx.find(account=customer_id) if r.kind == CHECKOUT]
        total = sum((Decimal(str(r.data["result"]["original_total"])) for r in checkouts), Decimal(0))
        return len(checkouts), total, checkouts[-1].created_at if checkouts else None

    def _open(self, tx: LedgerTx, customer_id: str, account: Account) -> None:
        for bucket in (SPENDABLE, SPENT):
            tx.open_account(customer_id, _bucket(account, bucket), self.program.scale)

    def _index_external_id(self, tx: LedgerTx, external_id: str, customer_id: str) -> None:
        index = dict(tx.get_setting(EXTERNAL_IDS, {}))
        index[external_id] = customer_id
        tx.set_setting(EXTERNAL_IDS, index)

    def _points(self, value: object) -> int:
        try:
            points = to_minor(to_decimal(value), self.program.scale)
        except MoneyError as exc:
            raise InvalidRequest(f"points {value!r}: {exc}") from None
        if points < 0:
            raise InvalidRequest(f"points {value!r} are negative")
        return points

    def _expdate(self, when: datetime) -> str:
        """Points expire on the same day ``points_expire_years`` later (seed: 2024-06-24 -> 2025-06-24)."""
        day = when.astimezone(UTC).date()
        try:
            return day.replace(year=day.year + self.expire_years).isoformat()
        except ValueError:  # 29 February
            return date(day.year + self.expire_years, 2, 28).isoformat()


def _bucket(account: Account, bucket: str) -> str:
    return f"{account.id}:{bucket}"


def _profile(values: Profile) -> dict[str, Any]:
    return {k: v for k, v in values.items() if k in PROFILE_FIELDS}


def _unix(when: datetime) -> int:
    return int(when.timestamp())


def _event_id(record: TxRecord, when: datetime, index: int) -> str:
    """A 24-hex id like Antavo's (a MongoDB ObjectId): the event's time, then a digest of where it was posted."""
    digest = hashlib.sha256(f"{record.api}:{record.number}:{index}".encode()).hexdigest()[:16]
    return f"{max(_unix(when), 0) & 0xFFFFFFFF:08x}{digest}"


__all__ = [
    "API",
    "Account",
    "AccountBalance",
    "AccountNotFound",
    "Antavo",
    "Basket",
    "Customer",
    "CustomerFixture",
    "CustomerNotFound",
    "Event",
    "EventResult",
    "Item",
    "NotEnoughPoints",
    "Preview",
    "TransactionAlreadyExists",
    "exact",
]
