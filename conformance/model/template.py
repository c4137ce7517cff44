"""The two small languages of the scenario format: dotted paths into JSON, and `{{name}}` templates.

One grammar serves the loader (which checks that every template names something) and the runner
(which fills them in), so the two can never disagree about what a template is.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from decimal import Decimal
from typing import Any, Final

ROOT: Final = "$"
"""The dotted path of the whole body."""

_NAME = r"[A-Za-z_][A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]+)*"
TEMPLATE = re.compile(r"\{\{\s*(" + _NAME + r")\s*\}\}")
_WHOLE = re.compile(r"^\{\{\s*(" + _NAME + r")\s*\}\}$")


class Missing:
    """The value at a path that leads nowhere (distinct from a JSON null)."""

    _instance: Missing | None = None

    def __new__(cls) -> Missing:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "<missing>"

    def __bool__(self) -> bool:
        return False


MISSING: Final = Missing()


def split(path: str) -> tuple[str, ...]:
    return () if path == ROOT else tuple(path.split("."))


def dig(value: Any, path: str | tuple[str, ...]) -> Any:
    """The value at a dotted path (`data.items.0.id`); list items by index. MISSING when absent."""
    for part in split(path) if isinstance(path, str) else path:
        if isinstance(value, Mapping):
            if part not in value:
                return MISSING
            value = value[part]
        elif isinstance(value, list | tuple) and part.lstrip("-").isdigit():
            index = int(part)
            if not -len(value) <= index < len(value):
                return MISSING
            value = value[index]
        else:
            return MISSING
    return value


def malformed(text: str) -> bool:
    """True when a string has template braces that do not form a template (`{{ 1x }}`, `{{txn}`)."""
    return "{{" in TEMPLATE.sub("", text) or "}}" in TEMPLATE.sub("", text)


def references(value: Any) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """Every template name inside a value, with the pointer of the string that holds it."""
    yield from _references(value, ())


def _references(value: Any, where: tuple[str | int, ...]) -> Iterator[tuple[tuple[str | int, ...], str]]:
    if isinstance(value, str):
        for match in TEMPLATE.finditer(value):
            yield where, match.group(1)
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from _references(item, (*where, key))
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from _references(item, (*where, index))


def render(value: Any, resolve: Callable[[str], Any]) -> Any:
    """Fill in templates. A string that is exactly one template takes the value's own type; a template
    inside longer text is written as text. Mappings and lists come back as plain dicts and lists."""
    if isinstance(value, str):
        whole = _WHOLE.match(value)
        if whole:
            return resolve(whole.group(1))
        return TEMPLATE.sub(lambda m: as_text(resolve(m.group(1))), value)
    if isinstance(value, Mapping):
        return {key: render(item, resolve) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [render(item, resolve) for item in value]
    return value


def as_text(value: Any) -> str:
    """How a value reads inside a string: `true`, `1.30`, `` for null (never a Python repr)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | Decimal):
        return str(value)
    raise TypeError(f"a {type(value).__name__} cannot be written inside text")
