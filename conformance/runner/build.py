"""Turn a step's `request` block into the HTTP request it stands for: templates filled in, path and query
built from the operation, the body serialised (JSON, or a form when the step's content-type says so)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote, urlencode

from conformance.core import jsonio
from conformance.core.exchange import HttpRequest
from conformance.model.scenario import NO_AUTH, Step
from conformance.model.spec import Operation
from conformance.model.template import as_text, render

FORM = "application/x-www-form-urlencoded"
Resolve = Callable[[str], Any]


def build_request(step: Step, operation: Operation, resolve: Resolve) -> HttpRequest:
    """The unauthenticated request of a step (`path` relative to the api's base URL, query included)."""
    request = step.request
    path = operation.path
    for name, value in render(request.path, resolve).items():
        path = path.replace("{" + name + "}", quote(as_text(value), safe=""))
    pairs: list[tuple[str, str]] = []
    for name, value in render(request.query, resolve).items():
        for item in value if isinstance(value, list) else [value]:
            pairs.append((name, as_text(item)))
    if pairs:
        path += "?" + urlencode(pairs)
    headers = {str(name): as_text(value) for name, value in render(request.headers, resolve).items()}
    body = render(request.body, resolve)
    if body is None:
        return HttpRequest(operation.method.upper(), path, headers)
    media = next((v for k, v in headers.items() if k.lower() == "content-type"), None)
    if media is None:
        headers["content-type"] = "application/json"
    if media is not None and media.split(";")[0].strip().lower() == FORM and isinstance(body, Mapping):
        encoded = urlencode([(str(k), as_text(v)) for k, v in body.items()]).encode()
    else:
        encoded = jsonio.dumps(body).encode()
    return HttpRequest(operation.method.upper(), path, headers, encoded)


def credential_of(step: Step, given: Mapping[str, Any], resolve: Resolve) -> Mapping[str, Any] | None:
    """The credential a step authenticates with: an index into given.credentials (default the first),
    `none`, or a credential written out in the step (templates filled in)."""
    auth = step.request.auth
    if auth == NO_AUTH:
        return None
    if isinstance(auth, Mapping):
        rendered: Mapping[str, Any] = render(auth, resolve)
        return rendered
    credentials = given.get("credentials") or ()
    index = auth if isinstance(auth, int) else 0
    if index >= len(credentials):
        return None
    chosen: Mapping[str, Any] = credentials[index]
    return chosen
