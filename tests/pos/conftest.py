"""The simulator in-process and the reference POS wired to it, as `certify pos` wires them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import pytest

from conformance.cli.certify_pos import inprocess_target, reference_driver
from conformance.runner.pos.session import PosTarget
from conformance.simulator.server import build_app
from conformance.simulator.state import SimulatorConfig

TOKEN = "pos-test-token"


class Rig:
    """One simulator, a target per api, and the reference POS's way to reach it."""

    def __init__(self, stack: ExitStack) -> None:
        self.app = build_app(SimulatorConfig(db=":memory:", control_token=TOKEN))
        stack.callback(self.app.close)
        self.stack = stack

    def target(self, api: str) -> tuple[PosTarget, Any]:
        return inprocess_target(self.app, api, TOKEN, self.stack)

    def reference(self, api: str) -> tuple[PosTarget, Any]:
        target, send_for = self.target(api)
        return target, reference_driver(send_for)


@pytest.fixture(scope="module")
def rig() -> Iterator[Rig]:
    with ExitStack() as stack:
        yield Rig(stack)
