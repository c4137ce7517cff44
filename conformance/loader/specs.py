"""Read specs/<api>/openapi.yaml and requirements.yaml into the model, and compile schema validators."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

from jsonschema import Draft202012Validator, validators
from jsonschema.exceptions import ValidationError
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from conformance.core.errors import DataError
from conformance.loader.paths import data_file, data_key, specs_dir
from conformance.loader.yamlio import Located, load_yaml
from conformance.model.spec import API_IDS, HTTP_METHODS, ApiSpec, Operation, Requirement


def spec_file(api: str, root: Path | None = None) -> Path:
    return root / api / "openapi.yaml" if root else data_file("specs", api, "openapi.yaml")


def requirements_file(api: str, root: Path | None = None) -> Path:
    return root / api / "requirements.yaml" if root else data_file("specs", api, "requirements.yaml")


def iter_operations(api: str, document: Mapping[str, Any]) -> Iterator[Operation]:
    """Every operation under ``paths`` and every webhook, with its pointer into the document."""
    for section, webhook in (("paths", False), ("webhooks", True)):
        for path, item in (document.get(section) or {}).items():
            if not isinstance(item, Mapping):
                continue
            for method in HTTP_METHODS:
                op = item.get(method)
                if not isinstance(op, Mapping):
                    continue
                yield Operation(
                    api=api,
                    operation_id=str(op.get("operationId", "")),
                    method=method,
                    path=str(path),
                    summary=str(op.get("summary", "")),
                    source=str(op.get("x-source", "")),
                    confidence=str(op.get("x-confidence", "")),
                    pointer=(section, str(path), method),
                    webhook=webhook,
                )


def load_located_spec(api: str, root: Path | None = None) -> Located:
    located = load_yaml(spec_file(api, root))
    if not isinstance(located.data, Mapping):
        raise located.error((), "an OpenAPI document must be a mapping")
    return located


def load_located_requirements(api: str, root: Path | None = None) -> Located:
    located = load_yaml(requirements_file(api, root))
    if not isinstance(located.data, Mapping) or not isinstance(located.data.get("requirements"), list):
        raise located.error((), "expected a mapping with a `requirements` list")
    return located


def requirements_from(located: Located) -> tuple[Requirement, ...]:
    result = []
    for index, item in enumerate(located.data["requirements"]):
        if not isinstance(item, Mapping):
            raise located.error(("requirements", index), "a requirement must be a mapping")
        try:
            result.append(
                Requirement(
                    id=str(item["id"]),
                    text=str(item["text"]),
                    level=str(item["level"]),
                    actor=str(item["actor"]),
                    source=str(item["source"]),
                    operations=tuple(str(o) for o in item.get("operations") or ()),
                    not_tested_reason=item.get("not_tested_reason"),
                    confidence=str(item.get("confidence", "")),
                    quote=(item["quote"],) if isinstance(item.get("quote"), str) else tuple(item.get("quote") or ()),
                )
            )
        except KeyError as exc:
            raise located.error(("requirements", index), f"requirement lacks `{exc.args[0]}`") from None
    return tuple(result)


def load_spec(api: str, root: Path | None = None) -> ApiSpec:
    """Load one api's spec and requirements (structure only; `specs check` validates the content)."""
    if api not in API_IDS and root is None:
        raise DataError(specs_dir() / api, None, f"unknown api {api!r}; known: {', '.join(API_IDS)}")
    spec = load_located_spec(api, root)
    reqs = load_located_requirements(api, root)
    return ApiSpec(
        api=api,
        path=spec.path,
        document=spec.data,
        operations=tuple(iter_operations(api, spec.data)),
        requirements=requirements_from(reqs),
    )


@cache
def load_control_spec() -> ApiSpec:
    """The test-control interface (it has operations but no requirements of its own)."""
    spec = load_located_spec("control")
    return ApiSpec(api="control", path=spec.path, document=spec.data,
                   operations=tuple(iter_operations("control", spec.data)), requirements=())


def spec_for(api: str) -> ApiSpec:
    """One api's spec from the data in use (cached per data folder: specs are read-only at run time)."""
    if api not in API_IDS:
        raise DataError(specs_dir() / api, None, f"unknown api {api!r}; known: {', '.join(API_IDS)}")
    return _cached_spec(api, data_key())


@cache
def _cached_spec(api: str, key: tuple[Path, Path | None]) -> ApiSpec:
    return load_spec(api)


def load_all_specs() -> dict[str, ApiSpec]:
    """The four apis' specs from the installed data."""
    return {api: spec_for(api) for api in API_IDS}


def deref(document: Mapping[str, Any], node: Any, pointer: tuple[str | int, ...]) -> tuple[Any, tuple[str | int, ...]]:
    """Follow local `$ref`s (`#/components/...`) from `node` at `pointer`; return the target and its pointer."""
    for _ in range(20):
        ref = node.get("$ref") if isinstance(node, Mapping) else None
        if not isinstance(ref, str) or not ref.startswith("#/"):
            return node, pointer
        pointer = tuple(unquote(p).replace("~1", "/").replace("~0", "~") for p in ref[2:].split("/"))
        node = document
        for part in pointer:
            node = node[part]
    raise ValueError(f"reference cycle at {pointer}")


def pointer_uri(base: str, pointer: tuple[str | int, ...]) -> str:
    """A JSON-pointer fragment URI (`base#/paths/~1x/post`) into a registered document."""
    escaped = (quote(str(p).replace("~", "~0").replace("/", "~1"), safe="~") for p in pointer)
    return f"{base}#/" + "/".join(escaped)


def schema_registry(base: str, document: Mapping[str, Any]) -> Registry[Any]:
    """A referencing registry holding the whole OpenAPI document, so `#/components/...` refs resolve."""
    resource: Resource[Any] = DRAFT202012.create_resource(dict(document))
    registry: Registry[Any] = Registry().with_resource(base, resource)
    return registry


def _pattern(validator: Any, pattern: str, instance: Any, schema: Any) -> Iterator[ValidationError]:
    """ECMA-262 patterns, as OpenAPI means them: `$` ends the input (Python's also matches before a newline)."""
    if not isinstance(instance, str):
        return
    if pattern.endswith("$") and not pattern.endswith("\\$"):
        pattern = pattern[:-1] + r"\Z"
    if re.search(pattern, instance) is None:
        yield ValidationError(f"{instance!r} does not match {schema['pattern']!r}")


def _is_integer(checker: Any, instance: Any) -> bool:
    """JSON numbers arrive as Decimal (core.jsonio); `5.0` is an integer as JSON Schema counts them."""
    if isinstance(instance, Decimal):
        return instance.is_finite() and instance == instance.to_integral_value()
    return bool(Draft202012Validator.TYPE_CHECKER.is_type(instance, "integer"))


OpenApiValidator: Any = validators.extend(  # type: ignore[no-untyped-call]
    Draft202012Validator, {"pattern": _pattern},
    type_checker=Draft202012Validator.TYPE_CHECKER.redefine("integer", _is_integer))


def validator_for(base: str, registry: Registry[Any], pointer: tuple[str | int, ...]) -> Draft202012Validator:
    """Compile once a validator for the schema at `pointer` inside the registered document."""
    validator: Draft202012Validator = OpenApiValidator(
        {"$ref": pointer_uri(base, pointer)},
        registry=registry,
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )
    return validator
