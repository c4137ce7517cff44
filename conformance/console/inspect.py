"""What the console shows of the simulator's state: read-only views, redacted as /_control serves them."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from conformance.core.redact import mask_cards_in_text, redact

EXCHANGES_SHOWN = 50


@dataclass(frozen=True)
class Balance:
    account: str
    """The card number (masked to its last four digits) or the customer id."""
    bucket: str
    amount: Decimal


def balances(app: Any, api: str) -> list[Balance]:
    """Every account bucket the ledger holds for `api`, in the program's unit."""
    return [Balance(mask_cards_in_text(account), bucket, Decimal(minor).scaleb(-scale))
            for account, bucket, scale, minor in app.state.ledger.accounts(api)]


def exchanges(app: Any, api: str | None) -> list[dict[str, Any]]:
    """The latest exchanges, newest first (already redacted when they were logged)."""
    entries: list[dict[str, Any]] = app.state.exchanges.entries(0, api or None)
    return entries[-EXCHANGES_SHOWN:][::-1]


def deliveries(app: Any, api: str | None) -> list[dict[str, Any]]:
    """Webhook deliveries and their attempts, payloads redacted."""
    return [redact(item) for item in app.state.deliveries.list(api or None)]


def faults(app: Any, api: str) -> tuple[frozenset[str], list[dict[str, Any]]]:
    """The named profiles switched on for `api`, and every other fault in force (latency, status, drop)."""
    board = app.state.faults
    others = [f.as_dict() for f in board.faults.get(api, ()) if f.kind != "named"]
    return board.profiles(api), others
