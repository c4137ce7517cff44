"""Read a `--vars FILE`: a YAML mapping of variable names (or dotted paths into `given`) to values."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path

from conformance.loader.yamlio import load_yaml


def load_vars_file(path: Path | str) -> dict[str, str]:
    """Name -> value as text; nested mappings become dotted names (`cards: {0: {cardnumber: ...}}`)."""
    located = load_yaml(path)
    if not isinstance(located.data, Mapping):
        raise located.error((), "a vars file is a mapping of names to values, e.g. `token: env:ACKROO_TOKEN`")
    found: dict[str, str] = {}

    def walk(value: object, where: tuple[str | int, ...]) -> None:
        if isinstance(value, Mapping):
            for key, item in value.items():
                walk(item, (*where, key))
        elif isinstance(value, list):
            for index, item in enumerate(value):
                walk(item, (*where, index))
        elif value is None or isinstance(value, bool):
            raise located.error(where, f"{'.'.join(map(str, where))}: give a value (text or number)")
        else:
            found[".".join(map(str, where))] = str(Decimal(repr(value))) if isinstance(value, float) else str(value)

    walk(located.data, ())
    return found
