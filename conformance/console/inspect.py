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


def refusal(status: Any, count: Any, operation: Any, known: set[str]) -> dict[str, Any] | str | None:
    """The status fault a form asks for (the next `count` calls, of one operation or any, get `status`),
    None when it asks for none, or why it is refused (a sentence)."""
    if not status:
        return None
    if not str(status).isdigit() or not 400 <= int(status) <= 599:
        return "status: a number from 400 to 599"
    if not str(count or "1").isdigit() or not 1 <= int(count or 1) <= 1000:
        return "count: a number from 1 to 1000"
    if operation and operation not in known:
        return f"operation: {operation!r} is not an operation of this api"
    fault: dict[str, Any] = {"kind": "status", "status": int(status), "count": int(count or 1)}
    if operation:
        fault["operation"] = operation
    return fault
