"""`--var name=value` and `--vars FILE`: a sandbox's own credentials, cards and customers instead of the ones
a scenario's `given` names, as Newman environments and Pact provider states do.

A variable is a key of `given` (`token`, `cardnumber`, `api_key`: every key of that name) or a dotted path
into it (`cards.0.cardnumber`). A value `env:NAME` is read from the environment, so secrets stay out of
command lines and files. The value replaces the one in `given` and every use of the old value in the
scenario's steps (request, expectations, cashier action), since the documented requests quote their card
numbers and devices literally. Amounts (`"0.00"`) are replaced only where the variable points.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

from conformance.core.errors import UsageError
from conformance.model.scenario import Expectation, PosBlock, Scenario, Step, StepRequest, freeze, thaw

ENV = "env:"
_AMOUNT = re.compile(r"-?\d+\.\d+")
_SUBSTRING_MIN = 8
"""An old value this long is also replaced inside longer strings (a card number inside magstripe data)."""


def parse_var(text: str) -> tuple[str, str]:
    """`name=value` (value `env:NAME` read from the environment)."""
    name, sep, value = text.partition("=")
    if not sep or not name.strip():
        raise UsageError(f"--var {text!r}: write name=value (e.g. token=env:ACKROO_TOKEN)")
    return name.strip().removeprefix("given."), value


def resolve(values: Mapping[str, str]) -> dict[str, str]:
    """Read every `env:NAME` value from the environment; an unset variable is a usage error."""
    resolved = {}
    for name, value in values.items():
        if value.startswith(ENV):
            env = value[len(ENV):]
            if env not in os.environ:
                raise UsageError(f"--var {name}: environment variable {env} is not set")
            value = os.environ[env]
        resolved[name] = value
    return resolved


def _places(given: Any, name: str) -> list[tuple[str | int, ...]]:
    """Where in `given` a variable points: its dotted path, or every key of that name."""
    parts: tuple[str | int, ...] = tuple(int(p) if p.isdigit() else p for p in name.split("."))
    if len(parts) > 1:
        node = given
        for part in parts:
            inside = part in node if isinstance(node, Mapping) else (
                isinstance(node, list) and isinstance(part, int) and part < len(node))
            if not inside:
                return []
            node = node[part]
        return [parts]
    found: list[tuple[str | int, ...]] = []

    def walk(node: Any, where: tuple[str | int, ...]) -> None:
        if isinstance(node, Mapping):
            for key, item in node.items():
                if key == name and not isinstance(item, Mapping | list):
                    found.append((*where, key))
                walk(item, (*where, key))
        elif isinstance(node, list):
            for index, item in enumerate(node):
                walk(item, (*where, index))

    walk(given, ())
    return found


def _set(node: Any, where: tuple[str | int, ...], value: Any) -> Any:
    for part in where[:-1]:
        node = node[part]
    old = node[where[-1]]
    whole = isinstance(old, int) and not isinstance(old, bool) and value.lstrip("-").isdigit()
    node[where[-1]] = int(value) if whole else value  # a number in `given` stays a number
    return old


def _swap(value: Any, swaps: Mapping[str, str]) -> Any:
    if isinstance(value, str):
        if value in swaps:
            return swaps[value]
        for old, new in swaps.items():
            if len(old) >= _SUBSTRING_MIN and old in value:
                value = value.replace(old, new)
        return value
    if isinstance(value, Mapping):
        return {key: _swap(item, swaps) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_swap(item, swaps) for item in value]
    return value


def _swap_frozen(value: Any, swaps: Mapping[str, str]) -> Any:
    return freeze(_swap(thaw(value), swaps))


def _swap_step(step: Step, swaps: Mapping[str, str]) -> Step:
    request = StepRequest(**{name: _swap_frozen(getattr(step.request, name), swaps)
                             for name in ("path", "query", "headers", "body", "auth")})
    expect = Expectation(step.expect.status, _swap_frozen(step.expect.body, swaps), step.expect.error)
    pos = PosBlock(step.pos.cashier, _swap_frozen(step.pos.action, swaps)) if step.pos else None
    return replace(step, request=request, expect=expect, pos=pos)


def apply_vars(scenario: Scenario, variables: Mapping[str, str]) -> tuple[Scenario, set[str]]:
    """The scenario with the variables in place, and the names of the variables it used."""
    given = thaw(scenario.given)
    swaps: dict[str, str] = {}
    used: set[str] = set()
    for name, value in variables.items():
        for where in _places(given, name):
            old = _set(given, where, value)
            used.add(name)
            if isinstance(old, str) and old != value and len(old) >= 3 and not _AMOUNT.fullmatch(old):
                swaps[old] = value
    if not used:
        return scenario, used
    steps = tuple(_swap_step(step, swaps) for step in scenario.steps) if swaps else scenario.steps
    given = _swap(given, swaps) if swaps else given
    return replace(scenario, given=freeze(given), steps=steps), used


def apply_all(scenarios: Iterable[Scenario], variables: Mapping[str, str]) -> list[Scenario]:
    """Every scenario with the variables in place; a variable no scenario's `given` has is a usage error."""
    result, used = [], set()
    for scenario in scenarios:
        changed, names = apply_vars(scenario, variables)
        result.append(changed)
        used |= names
    unused = sorted(set(variables) - used)
    if unused:
        raise UsageError(f"--var {unused[0]}: no chosen scenario's `given` has {unused[0]!r} "
                         "(a key such as token, cardnumber, api_key, or a path such as cards.0.cardnumber)")
    return result
