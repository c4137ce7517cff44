"""The POS driver protocol's published JSON Schemas (`specs/driver/`): read, checked, and used to validate.

They are what a POS vendor builds a driver against, so they live with the specs rather than inside the
package; `specs check` checks them and every scenario's `pos` action is validated against them.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any, cast

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from conformance.core.errors import DataError
from conformance.loader.paths import specs_dir

DRIVER_DIR = "driver"
KINDS = ("action", "result")


def driver_schema_path(kind: str, root: Path | None = None) -> Path:
    return (root or specs_dir()) / DRIVER_DIR / f"{kind}.schema.json"


def load_driver_schema(kind: str, root: Path | None = None) -> dict[str, Any]:
    """``specs/driver/<kind>.schema.json`` (kind: action or result); a DataError names the file and line."""
    path = driver_schema_path(kind, root)
    try:
        return cast(dict[str, Any], json.loads(path.read_text("utf-8")))
    except OSError as exc:
        raise DataError(path, None, f"cannot read the driver {kind} schema: {exc.strerror}") from None
    except json.JSONDecodeError as exc:
        raise DataError(path, exc.lineno, f"not JSON: {exc.msg}") from None


@cache
def driver_validator(kind: str) -> Draft202012Validator:
    schema = load_driver_schema(kind)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def driver_problems(kind: str, value: Any) -> list[str]:
    """Why `value` is not a valid driver action (or result): one line per problem, empty when valid.

    An action is judged against its own branch (`$defs/<action>`), so the message names the field at
    fault rather than "is not valid under any of the given schemas"."""
    schema = load_driver_schema(kind)
    validator = driver_validator(kind)
    name = value.get("action") if isinstance(value, dict) else None
    if isinstance(name, str) and name in schema.get("$defs", {}):
        validator = Draft202012Validator({"$ref": f"#/$defs/{name}", "$defs": schema["$defs"]})
    return [f"{'/'.join(map(str, error.absolute_path)) or '(top level)'}: {error.message}"
            for error in sorted(validator.iter_errors(value), key=lambda e: [str(p) for p in e.absolute_path])]


def check_driver_schemas(root: Path | None = None) -> list[DataError]:
    """`specs check`'s part: both schemas exist, parse, and are valid JSON Schemas (draft 2020-12)."""
    problems: list[DataError] = []
    for kind in KINDS:
        try:
            schema = load_driver_schema(kind, root)
            Draft202012Validator.check_schema(schema)
        except DataError as exc:
            problems.append(exc)
        except SchemaError as exc:
            problems.append(DataError(driver_schema_path(kind, root), None, f"not a valid JSON Schema: {exc.message}"))
        else:
            for key in ("x-source", "x-confidence"):
                if key not in schema:
                    problems.append(DataError(driver_schema_path(kind, root), None,
                                              f"the driver {kind} schema has no {key}"))
    return problems
