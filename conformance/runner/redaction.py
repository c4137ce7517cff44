"""Exchanges as they may be shown or stored: secrets masked, card numbers cut to their last four digits."""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from urllib.parse import parse_qsl

from conformance.core import jsonio
from conformance.core.exchange import Exchange, HttpRequest, HttpResponse
from conformance.core.redact import mask_cards_in_text, redact, redact_headers, redact_query
from conformance.model.result import Finding

_FORM = "application/x-www-form-urlencoded"


def redact_path(path: str) -> str:
    """A path with its query: card numbers in the path masked, secret query values masked."""
    bare, mark, query = path.partition("?")
    return mask_cards_in_text(bare) + (mark + redact_query(query) if mark else "")


def redact_body(body: bytes, content_type: str) -> bytes:
    if not body:
        return body
    if content_type.split(";")[0].strip().lower() == _FORM:
        return redact_query(body.decode("utf-8", "replace")).encode()
    try:
        parsed = jsonio.loads(body)
    except (ValueError, UnicodeDecodeError):
        return mask_cards_in_text(body.decode("utf-8", "replace")).encode()
    return jsonio.dumps(redact(parsed)).encode()


def _content_type(headers: dict[str, str] | Any) -> str:
    return next((value for name, value in headers.items() if name.lower() == "content-type"), "")


def redact_request(request: HttpRequest) -> HttpRequest:
    return HttpRequest(request.method, redact_path(request.path), redact_headers(request.headers),
                       redact_body(request.body, _content_type(request.headers)))


def redact_response(response: HttpResponse) -> HttpResponse:
    return HttpResponse(response.status, redact_headers(response.headers),
                        redact_body(response.body, _content_type(response.headers)), response.elapsed_ms)


def redact_exchange(exchange: Exchange) -> Exchange:
    return Exchange(redact_request(exchange.request), redact_response(exchange.response), exchange.operation_id)


def redact_finding(finding: Finding) -> Finding:
    """Expected and actual values of a finding, masked as the field they come from would be."""
    key = finding.field.rsplit(".", 1)[-1] if finding.field else None
    return replace(finding, expected=redact(finding.expected, key), actual=redact(finding.actual, key),
                   message=mask_cards_in_text(finding.message))


def query_pairs(path: str) -> list[tuple[str, str]]:
    """The query parameters of a path, in order (for display)."""
    return parse_qsl(path.partition("?")[2], keep_blank_values=True)
