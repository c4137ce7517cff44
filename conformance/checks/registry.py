"""Checks are plain functions registered by name; each may declare the requirement ids it verifies.

The registry is how `conformance coverage` counts a requirement as covered by a check rather than by a
scenario (style practices 3 and 8): ``@check(requirements=("ACK-ERR-SHAPE",))`` above the function.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class CheckInfo:
    name: str
    description: str
    requirements: tuple[str, ...] = ()


_REGISTRY: dict[str, CheckInfo] = {}


def check(*, requirements: tuple[str, ...] = (), name: str | None = None) -> Callable[[F], F]:
    """Register a check under its function name (or `name`), with the requirements it verifies."""

    def register(function: F) -> F:
        doc = (function.__doc__ or "").strip().splitlines()
        info = CheckInfo(name or function.__name__, doc[0] if doc else "", tuple(requirements))
        if info.name in _REGISTRY and _REGISTRY[info.name] != info:
            raise ValueError(f"check {info.name!r} is registered twice")
        _REGISTRY[info.name] = info
        return function

    return register


@cache
def _discover() -> None:
    """Import every module of this package once, so each `@check` has registered itself."""
    package = importlib.import_module(__package__ or "conformance.checks")
    for module in pkgutil.iter_modules(package.__path__, f"{package.__name__}."):
        importlib.import_module(module.name)


def registered() -> dict[str, CheckInfo]:
    """Every check of the package, by name."""
    _discover()
    return dict(_REGISTRY)


def requirements_declared() -> dict[str, tuple[str, ...]]:
    """Requirement id -> the checks that declare they verify it."""
    declared: dict[str, list[str]] = {}
    for info in registered().values():
        for requirement in info.requirements:
            declared.setdefault(requirement, []).append(info.name)
    return {requirement: tuple(names) for requirement, names in declared.items()}
