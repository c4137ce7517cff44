"""Scenario text shared by the scenario-layer tests (imported as tests.runner.scenario_support)."""

from __future__ import annotations

import textwrap

CARD = "612573981949778930"
HEADER = """\
id: ackroo.sample
title: A sample scenario
api: ackroo
program: ackroo-reference
source: "002_f24dd93b81ea83d9.txt § Use Case 10"
requirements: [ACK-UC10]
given:
  credentials:
    - {token: t-1, device_id: 0d373af2942291bf}
  cards:
    - {cardnumber: "612573981949778930", gift: "5.00", earned: "0.00", promo: "0.00", active: true}
"""
GIFT_LOAD = """\
  - id: load
    title: Load 10
    operation: giftCredit
    request:
      body: {"device_id": "0d373af2942291bf", "cardnumber": "612573981949778930", "clerk_id": "", "ackroo_id": "",
             "amount": "10"}
    capture:
      txn: transaction_number
    expect:
      status: 200
      body:
        gc_balance: {$money: "15"}
"""


def step(text: str) -> str:
    """A step written flush-left in a test, indented to sit under `steps:`."""
    return textwrap.indent(textwrap.dedent(text), "  ")
