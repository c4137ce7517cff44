"""Injected faults for POS resilience tests: latency, a chosen status for N calls, drop-after-commit, profiles."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Fault:
    kind: str
    operation: str | None = None
    ms: int = 0
    status: int | None = None
    count: int | None = None
    name: str | None = None

    def applies(self, operation_id: str | None) -> bool:
        return (self.operation is None or self.operation == operation_id) and (self.count is None or self.count > 0)

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None and not (k == "ms" and v == 0)}


@dataclass
class Plan:
    """What the pipeline must do to one call."""

    latency_ms: int = 0
    status: int | None = None
    drop_after_commit: bool = False
    profiles: frozenset[str] = frozenset()


@dataclass
class FaultBoard:
    """The faults in force per api; `plan` consumes one use of each counted fault that applies."""

    faults: dict[str, list[Fault]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def replace(self, api: str, faults: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
        with self._lock:
            self.faults[api] = [Fault(**dict(f)) for f in faults]
            return [f.as_dict() for f in self.faults[api]]

    def profiles(self, api: str) -> frozenset[str]:
        return frozenset(f.name for f in self.faults.get(api, ()) if f.kind == "named" and f.name)

    def plan(self, api: str, operation_id: str | None) -> Plan:
        plan = Plan(profiles=self.profiles(api))
        with self._lock:
            for fault in self.faults.get(api, ()):
                if fault.kind == "named" or not fault.applies(operation_id):
                    continue
                if fault.kind == "latency":
                    plan.latency_ms += fault.ms
                elif fault.kind == "status" and plan.status is None:
                    plan.status = fault.status or 503
                elif fault.kind == "drop_after_commit":
                    plan.drop_after_commit = True
                else:
                    continue
                if fault.count is not None:
                    fault.count -= 1
        return plan
