"""The double-entry-style ledger every simulated api keeps its state in: SQLite, one transaction per change.

Why it looks like this:
- The entries are the source of truth; each account also keeps a running ``balance``, changed in the
  same SQLite transaction as the entry, so a read or a write costs the same at 100 or 100,000 entries.
  :meth:`Ledger.check` proves the running balance equals the SUM of the entries.
- Amounts are INTEGER minor units (10^-scale of the program's unit) in STRICT tables: sums are exact; an
  amount or balance past 64 bits is refused (InvalidRequest) before anything is written.
- Every state change runs in one ``BEGIN IMMEDIATE ... COMMIT`` (WAL, ``synchronous=FULL``): a write
  that was acknowledged survives kill -9 (and power loss), and a refused operation changes nothing.
- Every table is namespaced by api, so ``reset(api)`` empties one api and a restarted simulator finds
  everything (fixtures, credentials, the program id live in ``settings``).

Tables: ``accounts`` (api, account key, bucket, scale, running balance), ``holders`` (api, account key, attributes JSON:
a card's ``active`` flag, a customer's name), ``transactions`` (api, number, kind, account, reference,
created_at, status, reverses/reversed_by, data JSON), ``entries`` (transaction, account row, amount),
``settings`` (api, key, JSON value), ``sequences`` (api, last sequential number), ``nonces`` (api, kind,
digest, expiry: replay and idempotency state such as Antavo's accepted signatures, pruned once expired).
"""

from __future__ import annotations

import hashlib
import json
import secrets
import sqlite3
import threading
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from conformance.engine.clock import Clock, SystemClock
from conformance.engine.errors import (
    AlreadyReversed,
    InsufficientFunds,
    InvalidRequest,
    NotReversible,
    TransactionNotFound,
)

SCHEMA_VERSION = 2
MAX_MINOR = 2**63 - 1
"""SQLite INTEGER's range: no amount or balance may pass it."""
RANDOM_DIGITS = 10  # shorter than any card number (12-19 digits), so redaction never masks it

_SCHEMA = """
CREATE TABLE IF NOT EXISTS accounts (
    id INTEGER PRIMARY KEY,
    api TEXT NOT NULL,
    account TEXT NOT NULL,
    bucket TEXT NOT NULL,
    scale INTEGER NOT NULL,
    balance INTEGER NOT NULL DEFAULT 0,
    UNIQUE (api, account, bucket)
) STRICT;
CREATE TABLE IF NOT EXISTS holders (
    api TEXT NOT NULL,
    account TEXT NOT NULL,
    attrs TEXT NOT NULL,
    PRIMARY KEY (api, account)
) STRICT;
CREATE TABLE IF NOT EXISTS transactions (
    id INTEGER PRIMARY KEY,
    api TEXT NOT NULL,
    number TEXT NOT NULL,
    kind TEXT NOT NULL,
    account TEXT,
    reference TEXT,
    created_at TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('posted', 'reversed')),
    reverses TEXT,
    reversed_by TEXT,
    data TEXT NOT NULL,
    UNIQUE (api, number)
) STRICT;
CREATE INDEX IF NOT EXISTS transactions_by_reference ON transactions (api, reference);
CREATE INDEX IF NOT EXISTS transactions_by_account ON transactions (api, account);
CREATE TABLE IF NOT EXISTS entries (
    id INTEGER PRIMARY KEY,
    txn INTEGER NOT NULL REFERENCES transactions (id),
    account INTEGER NOT NULL REFERENCES accounts (id),
    amount INTEGER NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS entries_by_account ON entries (account, amount);
CREATE INDEX IF NOT EXISTS entries_by_txn ON entries (txn);
CREATE TABLE IF NOT EXISTS settings (
    api TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (api, key)
) STRICT;
CREATE TABLE IF NOT EXISTS sequences (
    api TEXT PRIMARY KEY,
    last INTEGER NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS nonces (
    api TEXT NOT NULL,
    kind TEXT NOT NULL,
    digest TEXT NOT NULL,
    expires_at REAL NOT NULL,
    PRIMARY KEY (api, kind, digest)
) STRICT;
CREATE INDEX IF NOT EXISTS nonces_by_expiry ON nonces (api, expires_at);
"""

_TXN_COLUMNS = "number, kind, account, reference, created_at, status, reverses, reversed_by, data"


_GROUPED: ContextVar[bool] = ContextVar("ledger_grouped", default=False)
"""Set by `Ledger.grouped()`: this task's changes join the open batch (group commit)."""

class LedgerUnavailable(Exception):
    """The ledger file cannot be opened or used (a missing folder, a folder, not SQLite, read-only, newer)."""


@dataclass(frozen=True)
class Posting:
    """One entry: ``amount`` minor units into (positive) or out of (negative) an account's bucket."""

    account: str
    bucket: str
    amount: int


@dataclass(frozen=True)
class TxRecord:
    """A stored transaction. ``data`` holds the request summary and result the domain recorded."""

    api: str
    number: str
    kind: str
    account: str | None
    reference: str | None
    created_at: datetime
    status: Literal["posted", "reversed"]
    reverses: str | None
    reversed_by: str | None
    data: Mapping[str, Any] = field(repr=False)


class LedgerTx:
    """The operations available inside one SQLite transaction of one api (see :meth:`Ledger.transaction`)."""

    def __init__(self, ledger: Ledger, api: str, now: datetime) -> None:
        self._ledger = ledger
        self._db = ledger._db
        self.api = api
        self.now = now
        """The transaction's time, read once from the clock, so every row it writes agrees."""

    # --- accounts and holders ---

    def open_account(self, account: str, bucket: str, scale: int) -> None:
        """Create an account bucket if missing; an existing one must have the same scale."""
        self._db.execute(
            "INSERT OR IGNORE INTO accounts (api, account, bucket, scale) VALUES (?, ?, ?, ?)",
            (self.api, account, bucket, scale),
        )
        (existing,) = self._db.execute(
            "SELECT scale FROM accounts WHERE api = ? AND account = ? AND bucket = ?", (self.api, account, bucket)
        ).fetchone()
        if existing != scale:
            raise ValueError(f"{self.api} account {account}/{bucket} has scale {existing}, not {scale}")

    def balances(self, account: str) -> dict[str, int]:
        """Every bucket of an account and its balance in minor units (the running balance: see `check`)."""
        rows = self._db.execute(
            "SELECT bucket, balance FROM accounts WHERE api = ? AND account = ? ORDER BY id", (self.api, account)
        )
        return {bucket: int(total) for bucket, total in rows}

    def summed_balances(self, account: str) -> dict[str, int]:
        """The same balances as the SUM of the entries (O(history): for `Ledger.check`, not for serving)."""
        rows = self._db.execute(
            "SELECT a.bucket, COALESCE(SUM(e.amount), 0) FROM accounts a LEFT JOIN entries e ON e.account = a.id"
            " WHERE a.api = ? AND a.account = ? GROUP BY a.id",
            (self.api, account),
        )
        return {bucket: int(total) for bucket, total in rows}

    def holder(self, account: str) -> dict[str, Any] | None:
        """The attributes of an account's holder (a card, a customer), or None when unknown."""
        row = self._db.execute(
            "SELECT attrs FROM holders WHERE api = ? AND account = ?", (self.api, account)
        ).fetchone()
        return dict(json.loads(row[0])) if row else None

    def put_holder(self, account: str, attrs: Mapping[str, Any]) -> None:
        """Create or replace a holder's attributes."""
        self._db.execute(
            "INSERT INTO holders (api, account, attrs) VALUES (?, ?, ?)"
            " ON CONFLICT (api, account) DO UPDATE SET attrs = excluded.attrs",
            (self.api, account, _dumps(attrs)),
        )

    # --- transactions ---

    def post(
        self,
        kind: str,
        account: str | None,
        amounts: Mapping[str, int] | Sequence[Posting],
        *,
        reference: str | None = None,
        data: Mapping[str, Any] | None = None,
        reverses: str | None = None,
    ) -> TxRecord:
        """Record a transaction and its entries; InsufficientFunds if any balance would go below zero.

        ``amounts`` is either ``{bucket: minor}`` for ``account`` or explicit postings (several accounts).
        Zero amounts are dropped; a transaction without entries is kept (a partial debit of nothing).
        """
        if isinstance(amounts, Mapping):
            if account is None:
                raise ValueError("bucket amounts need the transaction's account")
            postings = [Posting(account, bucket, amount) for bucket, amount in amounts.items()]
        else:
            postings = list(amounts)
        for posting in postings:
            if type(posting) is not Posting or type(posting.amount) is not int:
                raise TypeError(f"ledger amounts are int minor units, not {posting!r}")
            if abs(posting.amount) > MAX_MINOR:
                raise InvalidRequest("the amount is out of range")
        number = self._next_number()
        stored = _dumps(data or {})
        cursor = self._db.execute(
            f"INSERT INTO transactions (api, {_TXN_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, 'posted', ?, NULL, ?)",
            (self.api, number, kind, account, reference, self.now.isoformat(), reverses, stored),
        )
        txn_id = cursor.lastrowid
        for posting in postings:
            if posting.amount:
                account_id, balance = self._account_row(posting.account, posting.bucket)
                if abs(balance + posting.amount) > MAX_MINOR:
                    raise InvalidRequest("the resulting balance is out of range")
                self._db.execute(
                    "INSERT INTO entries (txn, account, amount) VALUES (?, ?, ?)", (txn_id, account_id, posting.amount)
                )
                self._db.execute("UPDATE accounts SET balance = balance + ? WHERE id = ?", (posting.amount, account_id))
        for debited in {p.account for p in postings if p.amount < 0}:
            short = {bucket: total for bucket, total in self.balances(debited).items() if total < 0}
            if short:
                raise InsufficientFunds(f"the {' and '.join(sorted(short))} balance would go below zero")
        return TxRecord(
            self.api, number, kind, account, reference, self.now, "posted", reverses, None, json.loads(stored)
        )

    def reverse(self, number: str, kind: str = "reversal", *, data: Mapping[str, Any] | None = None) -> TxRecord:
        """Post the negated entries of a transaction and link the two; the original's balances come back.

        Refused (and nothing changes) when the transaction is unknown, already reversed, itself a
        reversal, or when a balance would go below zero (its funds were spent since).
        """
        original = self.get(number)
        if original is None:
            raise TransactionNotFound(f"transaction {number} not found")
        if original.reverses is not None:
            raise NotReversible(f"transaction {number} is a {original.kind} of {original.reverses}")
        if original.reversed_by is not None:
            raise AlreadyReversed(f"transaction {number} was reversed by {original.reversed_by}")
        negated = [Posting(p.account, p.bucket, -p.amount) for p in self.entries(number)]
        record = self.post(kind, original.account, negated, reference=original.reference, data=data, reverses=number)
        self._db.execute(
            "UPDATE transactions SET status = 'reversed', reversed_by = ? WHERE api = ? AND number = ?",
            (record.number, self.api, number),
        )
        return record

    def get(self, number: str) -> TxRecord | None:
        row = self._db.execute(
            f"SELECT {_TXN_COLUMNS} FROM transactions WHERE api = ? AND number = ?", (self.api, number)
        ).fetchone()
        return _record(self.api, row) if row else None

    def find(self, *, reference: str | None = None, account: str | None = None) -> list[TxRecord]:
        """Transactions by POS reference and/or account, oldest first."""
        sql = f"SELECT {_TXN_COLUMNS} FROM transactions WHERE api = ?"
        args: list[Any] = [self.api]
        if reference is not None:
            sql, args = sql + " AND reference = ?", [*args, reference]
        if account is not None:
            sql, args = sql + " AND account = ?", [*args, account]
        return [_record(self.api, row) for row in self._db.execute(sql + " ORDER BY id", args)]

    def entries(self, number: str) -> list[Posting]:
        rows = self._db.execute(
            "SELECT a.account, a.bucket, e.amount FROM entries e JOIN transactions t ON e.txn = t.id"
            " JOIN accounts a ON e.account = a.id WHERE t.api = ? AND t.number = ? ORDER BY e.id",
            (self.api, number),
        )
        return [Posting(account, bucket, amount) for account, bucket, amount in rows]

    # --- settings ---

    def get_setting(self, key: str, default: Any = None) -> Any:
        row = self._db.execute("SELECT value FROM settings WHERE api = ? AND key = ?", (self.api, key)).fetchone()
        return json.loads(row[0]) if row else default

    def set_setting(self, key: str, value: Any) -> None:
        self._db.execute(
            "INSERT INTO settings (api, key, value) VALUES (?, ?, ?)"
            " ON CONFLICT (api, key) DO UPDATE SET value = excluded.value",
            (self.api, key, _dumps(value)),
        )

    # --- replay and idempotency state ---

    def remember(self, kind: str, value: str, until: datetime) -> bool:
        """Note `value` (stored as a digest) until `until`; False when it was already noted and unexpired.
        Expired notes of this api are pruned first, so the table stays as small as the window allows."""
        self._db.execute("DELETE FROM nonces WHERE api = ? AND expires_at <= ?", (self.api, self.now.timestamp()))
        cursor = self._db.execute(
            "INSERT OR IGNORE INTO nonces (api, kind, digest, expires_at) VALUES (?, ?, ?, ?)",
            (self.api, kind, _digest(value), until.timestamp()),
        )
        return cursor.rowcount == 1

    def noted(self, kind: str, value: str) -> bool:
        """Whether `value` is noted and unexpired (see `remember`)."""
        row = self._db.execute(
            "SELECT 1 FROM nonces WHERE api = ? AND kind = ? AND digest = ? AND expires_at > ?",
            (self.api, kind, _digest(value), self.now.timestamp()),
        ).fetchone()
        return row is not None

    # --- internals ---

    def _account_row(self, account: str, bucket: str) -> tuple[int, int]:
        row = self._db.execute(
            "SELECT id, balance FROM accounts WHERE api = ? AND account = ? AND bucket = ?", (self.api, account, bucket)
        ).fetchone()
        if row is None:
            raise KeyError(f"{self.api} account {account}/{bucket} was never opened")
        return int(row[0]), int(row[1])

    def _next_number(self) -> str:
        """Sequential per api in deterministic mode (a rollback gives the number back), else random digits."""
        if self._ledger.sequential:
            (last,) = self._db.execute(
                "INSERT INTO sequences (api, last) VALUES (?, 1)"
                " ON CONFLICT (api) DO UPDATE SET last = last + 1 RETURNING last",
                (self.api,),
            ).fetchone()
            return str(last)
        while True:
            number = str(10 ** (RANDOM_DIGITS - 1) + secrets.randbelow(9 * 10 ** (RANDOM_DIGITS - 1)))
            if self.get(number) is None:
                return number


class Ledger:
    """The SQLite ledger: a file path or ``":memory:"``; one connection guarded by a lock."""

    def __init__(
        self,
        path: str | Path = ":memory:",
        *,
        clock: Clock | None = None,
        sequential: bool = False,
        synchronous: Literal["FULL", "NORMAL"] = "FULL",
    ) -> None:
        self.path = str(path)
        self.clock: Clock = clock or SystemClock()
        self.sequential = sequential
        """Deterministic mode: transaction numbers 1, 2, 3... per api (with a fixed clock, runs repeat exactly)."""
        self._lock = threading.RLock()
        self._in_transaction = False
        self.on_batch: Callable[[], bool] | None = None
        """Called when a grouped change opens a batch; True when a COMMIT of it is scheduled (else it commits)."""
        try:
            self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=10.0)
        except sqlite3.Error as exc:
            raise LedgerUnavailable(f"{self.path}: cannot open the ledger ({exc})") from None
        try:
            self._db.execute("PRAGMA journal_mode = WAL")
            self._db.execute(f"PRAGMA synchronous = {synchronous}")
            self._db.execute("PRAGMA foreign_keys = ON")
            self._migrate()
        except sqlite3.Error as exc:
            self._db.close()
            raise LedgerUnavailable(f"{self.path}: cannot use the ledger ({exc})") from None

    def _migrate(self) -> None:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                (version,) = self._db.execute("PRAGMA user_version").fetchone()
                if version > SCHEMA_VERSION:
                    raise LedgerUnavailable(f"{self.path}: ledger schema {version} is newer than {SCHEMA_VERSION}")
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        self._db.execute(statement)
                columns = {row[1] for row in self._db.execute("PRAGMA table_info(accounts)")}
                if "balance" not in columns:  # a version 1 file: add the running balances, from the entries
                    self._db.execute("ALTER TABLE accounts ADD COLUMN balance INTEGER NOT NULL DEFAULT 0")
                    self._db.execute("UPDATE accounts SET balance ="
                                     " (SELECT COALESCE(SUM(amount), 0) FROM entries WHERE account = accounts.id)")
                self._db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def close(self) -> None:
        with self._lock:
            if self._db.in_transaction and not self._in_transaction:
                self._db.execute("COMMIT")
            self._db.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self, api: str) -> Iterator[LedgerTx]:
        """One atomic, durable change: BEGIN IMMEDIATE, then COMMIT, or ROLLBACK if the body raises.

        Inside `grouped()` (the simulator's request pipeline) the change is a SAVEPOINT of one open batch
        instead, made durable for every request of the batch by one COMMIT (`on_batch` schedules it; the
        simulator answers only after it): one fsync for many requests, the same all-or-nothing per change.
        """
        with self._lock:
            if self._in_transaction:
                raise RuntimeError("ledger transactions do not nest")
            self._in_transaction = True
            try:
                if _GROUPED.get():
                    with self._savepoint(api) as tx:
                        yield tx
                    return
                if self._db.in_transaction:  # a batch still open (grouped writes): durable before this change
                    self._db.execute("COMMIT")
                self._db.execute("BEGIN IMMEDIATE")
                try:
                    yield LedgerTx(self, api, self.clock.now())
                    self._db.execute("COMMIT")
                except BaseException:
                    if self._db.in_transaction:
                        self._db.execute("ROLLBACK")
                    raise
            finally:
                self._in_transaction = False

    @contextmanager
    def _savepoint(self, api: str) -> Iterator[LedgerTx]:
        opened = not self._db.in_transaction
        if opened:
            self._db.execute("BEGIN IMMEDIATE")
        self._db.execute("SAVEPOINT change")
        try:
            yield LedgerTx(self, api, self.clock.now())
            self._db.execute("RELEASE change")
        except BaseException:
            if self._db.in_transaction:
                self._db.execute("ROLLBACK TO change")
                self._db.execute("RELEASE change")
            raise
        finally:
            if opened and self._db.in_transaction and not (self.on_batch is not None and self.on_batch()):
                self._db.execute("COMMIT")  # nobody will commit the batch later: this change commits it now

    @contextmanager
    def grouped(self) -> Iterator[None]:
        """Changes made in this context (this asyncio task) join the open batch: see `transaction`."""
        token = _GROUPED.set(True)
        try:
            yield
        finally:
            _GROUPED.reset(token)

    def commit_batch(self) -> None:
        """Make the open batch of grouped changes durable (one COMMIT); nothing when none is open."""
        with self._lock:
            if self._db.in_transaction and not self._in_transaction:
                self._db.execute("COMMIT")

    @contextmanager
    def view(self, api: str) -> Iterator[LedgerTx]:
        """Consistent reads under the lock (no other thread writes meanwhile); inside a running
        transaction of this thread they see its uncommitted rows. Do not write through it."""
        with self._lock:
            yield LedgerTx(self, api, self.clock.now())

    # --- reads and small writes outside a domain operation ---

    def balances(self, api: str, account: str) -> dict[str, int]:
        with self.view(api) as tx:
            return tx.balances(account)

    def holder(self, api: str, account: str) -> dict[str, Any] | None:
        with self.view(api) as tx:
            return tx.holder(account)

    def get_transaction(self, api: str, number: str) -> TxRecord | None:
        with self.view(api) as tx:
            return tx.get(number)

    def transactions(self, api: str, *, reference: str | None = None, account: str | None = None) -> list[TxRecord]:
        with self.view(api) as tx:
            return tx.find(reference=reference, account=account)

    def entries(self, api: str, number: str) -> list[Posting]:
        with self.view(api) as tx:
            return tx.entries(number)

    def accounts(self, api: str) -> list[tuple[str, str, int, int]]:
        """Every account bucket of an api as (account, bucket, scale, running balance), for inspection."""
        with self.view(api):
            rows = self._db.execute("SELECT account, bucket, scale, balance FROM accounts WHERE api = ? ORDER BY id",
                                    (api,)).fetchall()
        return [(str(account), str(bucket), int(scale), int(balance)) for account, bucket, scale, balance in rows]

    def get_setting(self, api: str, key: str, default: Any = None) -> Any:
        with self.view(api) as tx:
            return tx.get_setting(key, default)

    def set_setting(self, api: str, key: str, value: Any) -> None:
        with self.transaction(api) as tx:
            tx.set_setting(key, value)

    def reset(self, api: str) -> None:
        """Empty one api's state (accounts, holders, transactions, entries, settings, numbering)."""
        with self.transaction(api):
            self._db.execute("DELETE FROM entries WHERE txn IN (SELECT id FROM transactions WHERE api = ?)", (api,))
            for table in ("transactions", "accounts", "holders", "settings", "sequences", "nonces"):
                self._db.execute(f"DELETE FROM {table} WHERE api = ?", (api,))

    # --- invariants ---

    def check(self, api: str | None = None) -> list[str]:
        """Every broken invariant, as sentences (empty when the ledger is sound).

        Checked: each account's running balance (what :meth:`balances` serves) equals the SUM of its
        entry rows and is >= 0; every amount is an integer; entries belong to their transaction's api;
        reversal links go both ways and a reversal's entries are exactly the negated original's.
        """
        with self._lock:
            every = "SELECT api FROM accounts UNION SELECT api FROM transactions"
            apis = [api] if api is not None else [row[0] for row in self._db.execute(every)]
            problems: list[str] = []
            for name in apis:
                problems += self._check_api(name)
            for (kind,) in self._db.execute("SELECT DISTINCT typeof(amount) FROM entries"):
                if kind != "integer":
                    problems.append(f"entries hold {kind} amounts, not integers")
            mixed = self._db.execute(
                "SELECT COUNT(*) FROM entries e JOIN transactions t ON e.txn = t.id"
                " JOIN accounts a ON e.account = a.id WHERE a.api != t.api"
            ).fetchone()[0]
            if mixed:
                problems.append(f"{mixed} entries post to another api's account")
            return problems

    def _check_api(self, api: str) -> list[str]:
        problems: list[str] = []
        summed: Counter[tuple[str, str]] = Counter()
        rows = self._db.execute(
            "SELECT a.account, a.bucket, e.amount FROM entries e JOIN accounts a ON e.account = a.id WHERE a.api = ?",
            (api,),
        )
        for account, bucket, amount in rows:
            summed[(account, bucket)] += amount
        accounts = [r[0] for r in self._db.execute("SELECT DISTINCT account FROM accounts WHERE api = ?", (api,))]
        with self.view(api) as tx:
            for account in accounts:
                for bucket, balance in tx.balances(account).items():
                    if balance != summed[(account, bucket)]:
                        problems.append(
                            f"{api} {account}/{bucket}: balance {balance} != entries {summed[(account, bucket)]}"
                        )
                    if min(balance, summed[(account, bucket)]) < 0:
                        problems.append(f"{api} {account}/{bucket}: balance {balance} (entries"
                                        f" {summed[(account, bucket)]}) is below zero")
            for record in tx.find():
                problems += _check_links(tx, record)
        return problems


def _check_links(tx: LedgerTx, record: TxRecord) -> list[str]:
    where = f"{tx.api} transaction {record.number}"
    if (record.status == "reversed") != (record.reversed_by is not None):
        return [f"{where}: status {record.status} but reversed_by {record.reversed_by}"]
    if record.reversed_by is not None:
        reversal = tx.get(record.reversed_by)
        if reversal is None or reversal.reverses != record.number:
            return [f"{where}: reversed by {record.reversed_by}, which does not point back"]
        negated = Counter(Posting(p.account, p.bucket, -p.amount) for p in tx.entries(record.number))
        if negated != Counter(tx.entries(reversal.number)):
            return [f"{where}: reversal {reversal.number} does not post exactly the negated entries"]
    if record.reverses is not None:
        original = tx.get(record.reverses)
        if original is None or original.reversed_by != record.number:
            return [f"{where}: reverses {record.reverses}, which does not point back"]
    return []


def _record(api: str, row: Sequence[Any]) -> TxRecord:
    number, kind, account, reference, created_at, status, reverses, reversed_by, data = row
    return TxRecord(
        api,
        number,
        kind,
        account,
        reference,
        datetime.fromisoformat(created_at),
        status,
        reverses,
        reversed_by,
        json.loads(data),
    )


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()


def _dumps(value: Any) -> str:
    """JSON for the data/settings columns: Decimals as strings; a float is refused (it is not exact)."""
    return json.dumps(_plain(value), sort_keys=True, separators=(",", ":"))


def _plain(value: Any) -> Any:
    if isinstance(value, float):
        raise TypeError(f"{value!r}: floats are not stored (use Decimal or a string)")
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value
