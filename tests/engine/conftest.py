"""Engine fixtures: the reference Ackroo program, an in-memory deterministic ledger, the Ackroo domain."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from conformance.engine.ackroo import Ackroo
from conformance.engine.clock import FixedClock
from conformance.engine.ledger import Ledger
from conformance.loader.programs import load_program
from conformance.model.program import Program
from tests.engine.engine_support import CARD, PROGRAM_FILE


@pytest.fixture(scope="session")
def program() -> Program:
    return load_program(PROGRAM_FILE)


@pytest.fixture
def ledger() -> Iterator[Ledger]:
    with Ledger(":memory:", clock=FixedClock(), sequential=True) as led:
        yield led


@pytest.fixture
def ackroo(ledger: Ledger, program: Program) -> Ackroo:
    domain = Ackroo(ledger, program)
    domain.put_card(CARD)
    return domain
