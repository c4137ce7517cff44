"""`response_schema`: a response must be one the spec documents for its operation, and its body must fit.

Pure: (spec, operationId, response) -> findings. Validators are compiled once per (operation, status,
media type) and reused, so scenario runs and certification plans can call it on every exchange.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jsonschema import Draft202012Validator

from conformance.checks.registry import check
from conformance.core.exchange import HttpResponse
from conformance.loader.specs import deref, schema_registry, validator_for
from conformance.model.result import Finding
from conformance.model.spec import ApiSpec

Pointer = tuple[str | int, ...]
CHECK = "response_schema"
MAX_PROBLEMS = 5


@check()
def response_schema(spec: ApiSpec, operation_id: str, response: HttpResponse) -> list[Finding]:
    """The response's status is documented for the operation and its body validates against that response's schema."""
    return schemas_of(spec).check(operation_id, response)


_BY_SPEC: dict[tuple[str, int], ResponseSchemas] = {}


def schemas_of(spec: ApiSpec) -> ResponseSchemas:
    """The compiled response schemas of a spec (one per loaded document)."""
    key = (spec.api, id(spec.document))
    if key not in _BY_SPEC:
        _BY_SPEC[key] = ResponseSchemas(spec)
    return _BY_SPEC[key]


class ResponseSchemas:
    """The documented responses of one api, looked up by operation and status, validators compiled lazily."""

    def __init__(self, spec: ApiSpec) -> None:
        self.spec = spec
        self.base = f"urn:conformance:responses:{spec.api}"
        self.registry = schema_registry(self.base, spec.document)
        self._validators: dict[Pointer, Draft202012Validator] = {}

    def check(self, operation_id: str, response: HttpResponse) -> list[Finding]:
        label = f"{operation_id} {response.status}"
        found = self.documented(operation_id, response.status)
        if found is None:
            documented = ", ".join(self.statuses(operation_id)) or "none"
            return [Finding(CHECK, f"{label}: status {response.status} is not a documented response "
                            f"(documented: {documented})", expected=documented, actual=response.status)]
        pointer, declared = found
        content = declared.get("content") or {}
        if not response.body:
            if any(isinstance(c, Mapping) and "schema" in c for c in content.values()):
                return [Finding(CHECK, f"{label}: the body is empty; the spec documents a body",
                                expected=", ".join(content), actual="")]
            return []
        media = _media(response.headers)
        if content and media not in content:
            return [Finding(CHECK, f"{label}: content-type {media or '(none)'} is not documented "
                            f"(documented: {', '.join(content)})", expected=", ".join(content), actual=media)]
        if media is None or "schema" not in content.get(media, {}):
            return []
        body = response.json()
        if body is None and response.body.strip() != b"null":
            return [Finding(CHECK, f"{label}: the body is not valid JSON", expected=media, actual=response.text[:200])]
        validator = self._validator((*pointer, "content", media, "schema"))
        errors = sorted(validator.iter_errors(body), key=lambda e: [str(p) for p in e.absolute_path])
        findings = []
        for error in errors[:MAX_PROBLEMS]:
            at = ".".join(str(p) for p in error.absolute_path) or "$"
            findings.append(Finding(CHECK, f"{label}: body {at}: {error.message[:300]}",
                                    expected=f"{error.validator}: {_short(error.validator_value)}",
                                    actual=error.instance, field=at))
        if len(errors) > MAX_PROBLEMS:
            findings.append(Finding(CHECK, f"{label}: and {len(errors) - MAX_PROBLEMS} more schema problem(s)"))
        return findings

    def statuses(self, operation_id: str) -> list[str]:
        return [str(key) for key in self._responses(operation_id)]

    def documented(self, operation_id: str, status: int) -> tuple[Pointer, Mapping[str, Any]] | None:
        """The response object documented for `status` (exact code, then `4XX`, then `default`), $refs followed."""
        responses = self._responses(operation_id)
        for key in (str(status), f"{status // 100}XX", "default"):
            if key in responses:
                return self._follow((*self.spec.operation(operation_id).pointer, "responses", key))
        return None

    def _responses(self, operation_id: str) -> Mapping[str, Any]:
        node = self._at(self.spec.operation(operation_id).pointer).get("responses") or {}
        return {str(key): value for key, value in node.items()}

    def _validator(self, pointer: Pointer) -> Draft202012Validator:
        if pointer not in self._validators:
            self._validators[pointer] = validator_for(self.base, self.registry, pointer)
        return self._validators[pointer]

    def _at(self, pointer: Pointer) -> Any:
        node: Any = self.spec.document
        for part in pointer:
            node = node[part]
        return node

    def _follow(self, pointer: Pointer) -> tuple[Pointer, Mapping[str, Any]]:
        """The response at `pointer`, following a shared one under components/responses."""
        node, target = deref(self.spec.document, self._at(pointer), pointer)
        return target, node


def _media(headers: Mapping[str, str]) -> str | None:
    for name, value in headers.items():
        if name.lower() == "content-type":
            return value.split(";")[0].strip().lower() or None
    return None


def _short(value: Any) -> Any:
    text = repr(value)
    return value if len(text) <= 120 else text[:117] + "..."
