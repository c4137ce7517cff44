"""A documented use case as frozen data: what to set up, what to send, what must come back (DESIGN section 5).

The YAML format is described in ``scenarios/README.md`` and enforced by
``conformance/loader/schemas/scenario.schema.json``; the loader builds these objects once it has checked
everything, so the runner never meets a malformed scenario.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

_EMPTY: Mapping[str, Any] = MappingProxyType({})

Auth = int | str | Mapping[str, Any] | None
"""How a step authenticates: an index into ``given.credentials``, ``"none"``, or a credential written out."""

NO_AUTH = "none"


def freeze(value: Any) -> Any:
    """A read-only copy of parsed YAML: mappings become views, lists become tuples."""
    if isinstance(value, Mapping):
        return MappingProxyType({key: freeze(item) for key, item in value.items()})
    if isinstance(value, list | tuple):
        return tuple(freeze(item) for item in value)
    return value


def thaw(value: Any) -> Any:
    """Plain dicts and lists again (what JSON serialisation and a request body need)."""
    if isinstance(value, Mapping):
        return {key: thaw(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [thaw(item) for item in value]
    return value


@dataclass(frozen=True)
class StepRequest:
    """What a step sends, before templates are filled in. Method and path come from the operation."""

    path: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)
    """Path parameters by name."""
    query: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)
    headers: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)
    body: Any = None
    auth: Auth = None
    """None: the first credential of ``given.credentials`` (if any)."""


@dataclass(frozen=True)
class Expectation:
    """What the response must hold: a status, body values (dotted path -> value or matcher), an error code."""

    status: int
    body: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)
    error: str | int | None = None


@dataclass(frozen=True)
class PosBlock:
    """The same step seen from the till: words for a QA person, and the driver action (DESIGN section 8)."""

    cashier: str
    action: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)


@dataclass(frozen=True)
class Step:
    id: str
    title: str
    operation: str
    """operationId in the scenario's api spec, or in the control spec (steps the control interface makes)."""
    request: StepRequest
    expect: Expectation
    capture: Mapping[str, str] = field(default_factory=lambda: _EMPTY)
    """Capture name -> dotted path into the response body."""
    pos: PosBlock | None = None
    control: bool = False
    """True when `operation` belongs to the test-control interface rather than the provider."""
    line: int = 0


@dataclass(frozen=True)
class Scenario:
    id: str
    title: str
    api: str
    requirements: tuple[str, ...]
    steps: tuple[Step, ...]
    given: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)
    """The fixture body of DESIGN section 6 without `api` and `program`; may hold a `clock` block."""
    program: str | None = None
    source: str = ""
    description: str = ""
    notes: str = ""
    path: Path = field(default=Path("."), compare=False)

    def __hash__(self) -> int:  # `given` is a read-only view; the id identifies a scenario
        return hash(self.id)

    @property
    def fixtures(self) -> dict[str, Any]:
        """The body of ``POST /_control/fixtures`` (the clock goes to ``/_control/clock`` instead)."""
        body: dict[str, Any] = {"api": self.api}
        if self.program:
            body["program"] = self.program
        body.update({key: thaw(value) for key, value in self.given.items() if key != "clock"})
        return body

    @property
    def clock(self) -> Mapping[str, Any] | None:
        clock = self.given.get("clock")
        return clock if isinstance(clock, Mapping) else None

    @property
    def operations(self) -> tuple[str, ...]:
        """The provider operations the steps exercise (control steps excluded), in order, without repeats."""
        return tuple(dict.fromkeys(step.operation for step in self.steps if not step.control))
