"""What the stateful oracle's api models share: a move is one scenario step (as YAML data) whose expected
amounts come from `conformance.engine`, run in lockstep on its own in-memory ledger with the api's program.

A model keeps the engine's state and the capture names of the target's transaction numbers, so that a
reversal or cancel drawn later names "the transaction of step 3" on both sides. Money is Decimal only.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from conformance.core.money import format_money
from conformance.engine.clock import FixedClock
from conformance.engine.errors import BusinessError
from conformance.engine.ledger import Ledger
from conformance.loader.programs import load_programs
from conformance.model.program import Program

BALANCE = "stateful.balance"
AWARD = "stateful.award"
REDEMPTION = "stateful.redemption"
REFUND = "stateful.refund"
REVERSAL = "stateful.reversal"

CHECK_TITLES = {
    BALANCE: "stateful oracle: every balance the target returns equals the engine's after the same sequence",
    AWARD: "stateful oracle: every award (earn, load) equals the engine's under the same program",
    REDEMPTION: "stateful oracle: every redemption (debit, spend, burn) takes what the engine takes",
    REFUND: "stateful oracle: every refund or return takes back what the engine takes back, never below zero",
    REVERSAL: "stateful oracle: a reversal or cancel restores what the engine restores, and only once",
}
"""Stable check ids of the stateful plan and what each one promises."""

STATUS_BY_KIND = {"invalid": 400, "not_found": 404, "conflict": 409, "rule": 422}
"""DESIGN section 9: the status of each kind of business refusal (REST apis)."""


@dataclass(frozen=True)
class Draw:
    """The random parameters of one move: an amount in cents, a pick among earlier transactions, a basket
    (product index, quantity) and a tender slot. One shape for every api keeps shrinking simple."""

    cents: int
    pick: int
    basket: tuple[tuple[int, int], ...]
    tender: int

    @property
    def amount(self) -> Decimal:
        return Decimal(self.cents) / 100


@dataclass
class Move:
    """One operation of the sequence: its scenario step(s) as YAML data (a money step, then perhaps a balance
    read), the check its findings belong to, and per body path the checks that differ (balances...)."""

    steps: list[dict[str, Any]]
    check: str
    fields: dict[str, str] = field(default_factory=dict)

    def check_of(self, field_path: str | None) -> str:
        return self.fields.get(field_path or "", self.check)


@dataclass
class Model:
    """The engine side of one api: subclasses define `given`, the moves and how each one is sent."""

    program: Program
    ledger: Ledger = field(init=False)
    index: int = 0
    done: list[tuple[str, str]] = field(default_factory=list)
    """(engine transaction number, target capture name) of every accepted transaction, in order."""
    undone: list[tuple[str, str]] = field(default_factory=list)
    """The same pairs for the transactions reversed or cancelled so far (a move tries them again)."""

    api = ""
    program_id = ""
    given: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.ledger = Ledger(":memory:", clock=FixedClock(), sequential=True)

    @property
    def moves(self) -> dict[str, Callable[[Draw], Move]]:
        raise NotImplementedError

    def prelude(self) -> list[dict[str, Any]]:
        """Steps every sequence starts with (a login), before any move."""
        return []

    def next_id(self, name: str) -> str:
        self.index += 1
        return f"s{self.index}-{name}"

    def picked(self, draw: Draw) -> tuple[str, str] | None:
        return self.done[draw.pick % len(self.done)] if self.done else None

    def again(self, draw: Draw) -> Draw:
        """A draw that picks the last undone transaction again (to undo it twice), or the draw as it is."""
        if not self.undone:
            return draw
        return Draw(draw.cents, self.done.index(self.undone[-1]), draw.basket, draw.tender)

    def close(self) -> None:
        self.ledger.close()


def step(step_id: str, title: str, operation: str, request: Mapping[str, Any], status: int,
         body: Mapping[str, Any] | None = None, *, error: str | None = None,
         capture: Mapping[str, str] | None = None) -> dict[str, Any]:
    """A scenario step as YAML data (scenarios/README.md)."""
    out: dict[str, Any] = {"id": step_id, "title": title, "operation": operation, "request": dict(request)}
    if capture:
        out["capture"] = dict(capture)
    expect: dict[str, Any] = {"status": status}
    if body:
        expect["body"] = dict(body)
    if error is not None:
        expect["error"] = error
    out["expect"] = expect
    return out


def money(value: Decimal) -> dict[str, str]:
    return {"$money": format_money(value)}


def refusal_of(exc: BusinessError, names: Mapping[str, str] | None = None) -> tuple[int, str]:
    """(status, error code) a REST api answers an engine refusal with (DESIGN section 9)."""
    return STATUS_BY_KIND[exc.kind], (names or {}).get(exc.code, exc.code)


def program(program_id: str) -> Program:
    return load_programs()[program_id]
