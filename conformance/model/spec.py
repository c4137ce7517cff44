"""What a provider's spec and requirements say, as plain frozen data read by every other layer."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

API_IDS = ("ackroo", "crmcom-webapi", "crmcom", "antavo")
"""The four provider apis, in the order the CLI lists them."""

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
CONFIDENCE = ("documented", "observed", "decided", "inferred")
"""How sure a fact is: the documents, third-party code, DESIGN.md where the documents are silent, or our guess.
The first three bind a certification; `inferred` only warns."""
LEVELS = ("MUST", "SHOULD", "MAY")
ACTORS = ("pos", "provider", "both")


@dataclass(frozen=True)
class Operation:
    """One documented operation (or webhook) of an api."""

    api: str
    operation_id: str
    method: str
    path: str
    summary: str
    source: str
    confidence: str
    pointer: tuple[str, ...]
    """JSON pointer of the operation object inside the spec document."""
    webhook: bool = False

    @property
    def label(self) -> str:
        return f"{self.method.upper()} {self.path}"


@dataclass(frozen=True)
class Requirement:
    """One numbered, testable statement taken from the documents."""

    id: str
    text: str
    level: str
    actor: str
    source: str
    operations: tuple[str, ...] = ()
    not_tested_reason: str | None = None
    confidence: str = "documented"
    """documented, observed, decided or inferred (CONFIDENCE); an inferred requirement is never MUST."""
    quote: tuple[str, ...] = ()
    """The seed text a documented requirement rests on, verbatim (or its source points at seed lines)."""


@dataclass(frozen=True)
class ApiSpec:
    """An api's OpenAPI document plus its requirements."""

    api: str
    path: Path
    document: Mapping[str, Any] = field(repr=False)
    operations: tuple[Operation, ...]
    requirements: tuple[Requirement, ...]

    def operation(self, operation_id: str) -> Operation:
        for op in self.operations:
            if op.operation_id == operation_id:
                return op
        raise KeyError(operation_id)

    @property
    def title(self) -> str:
        return str(self.document.get("info", {}).get("title", self.api))
