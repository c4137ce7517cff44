"""Everything a running simulator holds: its config, the clock, the ledger, logs and faults."""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from conformance.engine.clock import FixedClock, SystemClock
from conformance.engine.ledger import Ledger
from conformance.loader.programs import load_program, load_programs
from conformance.model.program import Program
from conformance.simulator.exchanges import ExchangeLog
from conformance.simulator.faults import FaultBoard, ProgramShelf
from conformance.simulator.groupcommit import GroupCommit
from conformance.simulator.webhooks import DeliveryLog


@dataclass(frozen=True)
class SimulatorConfig:
    db: str = ":memory:"
    """SQLite file path, or ':memory:'."""
    control_token: str = field(default_factory=lambda: secrets.token_urlsafe(18))
    fault_profiles: tuple[str, ...] = ()
    """Named fault profiles switched on for every api at start (`--fault NAME`)."""
    program_overrides: tuple[Path, ...] = ()
    """Extra program files (`--program FILE`), loaded over the shipped ones."""
    webhook_retry_delay: float = 10.0
    webhook_attempts: int = 5
    access_log: str | None = None
    """`--access-log`: a file (or `-`, stderr) receiving one redacted line per request with its validation result."""


class ControlledClock:
    """The wall clock until frozen through /_control/clock; then it moves only when told to."""

    def __init__(self) -> None:
        self._system = SystemClock()
        self._fixed: FixedClock | None = None
        self._lock = threading.Lock()

    @property
    def frozen(self) -> bool:
        return self._fixed is not None

    def now(self) -> datetime:
        fixed = self._fixed
        return fixed.now() if fixed is not None else self._system.now()

    def freeze(self, when: datetime) -> None:
        with self._lock:
            self._fixed = FixedClock(when if when.tzinfo else when.replace(tzinfo=UTC))

    def advance(self, delta: timedelta) -> None:
        with self._lock:
            if self._fixed is None:
                self._fixed = FixedClock(self._system.now())
            self._fixed.advance(delta)

    def release(self) -> None:
        with self._lock:
            self._fixed = None


class SimulatorState:
    def __init__(self, config: SimulatorConfig) -> None:
        self.config = config
        self.clock = ControlledClock()
        self.exchanges = ExchangeLog()
        self.faults = FaultBoard()
        self.deliveries = DeliveryLog()
        self.ledger = Ledger(config.db, clock=self.clock)
        self.group = GroupCommit(self.ledger)
        self.programs: dict[str, Program] = ProgramShelf(load_programs(), self.faults)
        for path in config.program_overrides:
            program = load_program(path)
            self.programs[program.id] = program

    @property
    def deterministic(self) -> bool:
        return self.ledger.sequential

    def set_deterministic(self, on: bool) -> None:
        """Sequential transaction numbers; with a frozen clock a run repeats byte for byte."""
        self.ledger.sequential = on

    def close(self) -> None:
        """Release the ledger (called at shutdown)."""
        self.ledger.close()
