"""The data files' own JSON Schemas (shipped in loader/schemas/), and errors a person can act on.

Programs and scenarios are checked the same way: the first problem by line, pointing at the offending
value (an unknown key at the key itself), with the schema's `x-error` hint or a "did you mean".
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable, Mapping
from functools import cache
from importlib import resources
from typing import Any, cast

from jsonschema import Draft202012Validator, ValidationError

from conformance.loader.yamlio import Located, Pointer


@cache
def bundled_schema(name: str) -> dict[str, Any]:
    """``conformance/loader/schemas/<name>.schema.json``."""
    text = resources.files("conformance.loader").joinpath(f"schemas/{name}.schema.json").read_text("utf-8")
    return cast(dict[str, Any], json.loads(text))


@cache
def bundled_validator(name: str) -> Draft202012Validator:
    schema = bundled_schema(name)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def check_schema(located: Located, name: str) -> None:
    """Raise a DataError at the first problem (by line) of `located` against the named schema."""
    errors = list(bundled_validator(name).iter_errors(located.data))
    if not errors:
        return
    # a misspelt key is said first: the `required` error it causes at the same object is its consequence
    described = sorted((describe(error) for error in errors),
                       key=lambda d: (" (did you mean " not in d[1], located.line_of(d[0])))
    pointer, message = described[0]
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    raise located.error(pointer, message + more)


def describe(error: ValidationError) -> tuple[Pointer, str]:
    """Point at the offending value (an unknown key at the key itself) and phrase the problem for a person."""
    pointer: Pointer = tuple(error.absolute_path)
    where = "/".join(str(p) for p in pointer) or "(top level)"
    schema = error.schema if isinstance(error.schema, Mapping) else {}
    if error.validator == "additionalProperties" and isinstance(error.instance, Mapping):
        known = set(schema.get("properties", {}))
        extra = [key for key in error.instance if key not in known]
        if extra:
            return (*pointer, extra[0]), f"{where}: unknown key {extra[0]!r}{suggest(str(extra[0]), known)}"
    if error.validator == "required":
        return pointer, f"{where}: {error.message}"
    hint = schema.get("x-error")
    if hint is None and error.parent is not None and isinstance(error.parent.schema, Mapping):
        hint = error.parent.schema.get("x-error")
    return pointer, f"{where}: {hint or error.message}"


def suggest(name: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, sorted(known), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""
