"""Helpers shared by the engine tests (a uniquely named module: several conftest.py files coexist)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from conformance.engine.rules import Line

ROOT = Path(__file__).resolve().parents[2]
PROGRAM_FILE = ROOT / "scenarios" / "programs" / "ackroo-reference.yaml"
CARD = "612573981949778930"


def line(price: str, quantity: str, sku: str, dept: str = "01") -> Line:
    return Line(sku, dept, Decimal(price), Decimal(quantity))


def tenders(*amounts: str) -> list[Decimal]:
    """Ackroo's five tender slots, missing ones zero."""
    padded = [*amounts, *["0"] * (5 - len(amounts))]
    return [Decimal(a) for a in padded]
