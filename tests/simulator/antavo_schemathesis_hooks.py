"""Schemathesis CLI hooks that sign as a POS: `SCHEMATHESIS_HOOKS=tests.simulator.antavo_schemathesis_hooks`.

The CLI cannot Escher-sign by itself. This registers a `requests` auth that keeps schemathesis's intent, as
the in-process test does: a generated `api_key` becomes the fixture's key, a generated `Authorization` becomes a
fresh signature (its `Date` with it); a credential schemathesis left out stays out. `ignored_auth` probes are
derived without this auth, so they reach the simulator unsigned and unkeyed as they mean to.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import requests
import schemathesis

from conformance.core import jsonio
from tests.simulator.antavo_fixtures import KEY, EscherAuth, Signer


class IntentAuth(EscherAuth):
    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        parts = urlsplit(request.url or "")
        query = parse_qsl(parts.query, keep_blank_values=True)
        if any(name == "api_key" for name, _ in query):
            query = [(name, KEY if name == "api_key" else value) for name, value in query]
            request.url = urlunsplit(parts._replace(query=urlencode(query)))
        if "Authorization" not in request.headers:
            return request
        return super().__call__(request)


schemathesis.auth.set_from_requests(IntentAuth(Signer()))


@schemathesis.deserializer("text/javascript")
def javascript(ctx: object, response: object) -> object:
    """The seed prints the customer profile as `Content-Type: text/javascript`; its body is JSON."""
    return jsonio.loads(response.content)  # type: ignore[attr-defined]
