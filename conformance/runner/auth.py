"""How a step proves who it is, per api, with one entry of `given.credentials` (DESIGN sections 6 and 9).

- ackroo: ``Authorization: Bearer <token>``.
- crmcom: the ``api_key`` header.
- crmcom-webapi: ``token`` inside the JSON body; a fixture credential has none (it logs in with
  username and password), so a step usually writes ``auth: {token: "{{token}}"}`` with the token an
  earlier login step captured.
- antavo: the ``api_key`` query parameter (left out when the credential says ``api_key_in_query: false``)
  plus an Escher signature over the path as sent on the wire,
  i.e. with the base URL's path prefix (``/antavo/events?api_key=...``) and the base URL's host.

Each signer is pure: request in, authenticated request out.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit

from conformance.core import escher, jsonio
from conformance.core.exchange import HttpRequest

Credential = Mapping[str, Any]
Signer = Callable[[HttpRequest, Credential, str, datetime | None], HttpRequest]


class CredentialError(ValueError):
    """The credential lacks what its api authenticates with (a scenario mistake, reported as a step error)."""


def _field(credential: Credential, name: str, api: str, how: str) -> str:
    value = credential.get(name)
    if value in (None, ""):
        raise CredentialError(f"the credential has no `{name}` ({api} authenticates with {how})")
    return str(value)


def _with_headers(request: HttpRequest, extra: Mapping[str, str]) -> HttpRequest:
    lowered = {name.lower() for name in extra}
    kept = {name: value for name, value in request.headers.items() if name.lower() not in lowered}
    return HttpRequest(request.method, request.path, {**kept, **extra}, request.body)


def bearer(request: HttpRequest, credential: Credential, base_url: str, now: datetime | None) -> HttpRequest:
    token = _field(credential, "token", "ackroo", "Authorization: Bearer <token>")
    return _with_headers(request, {"Authorization": f"Bearer {token}"})


def api_key_header(request: HttpRequest, credential: Credential, base_url: str, now: datetime | None) -> HttpRequest:
    return _with_headers(request, {"api_key": _field(credential, "api_key", "crmcom", "the api_key header")})


def body_token(request: HttpRequest, credential: Credential, base_url: str, now: datetime | None) -> HttpRequest:
    token = credential.get("token")
    if token in (None, ""):
        return request  # a login credential: the step's body carries what it needs
    payload = jsonio.loads(request.body) if request.body else {}
    if not isinstance(payload, dict):
        raise CredentialError("crmcom-webapi carries its token in a JSON object body; this body is not one")
    return HttpRequest.json(request.method, request.path, {**payload, "token": token},
                            {k: v for k, v in request.headers.items() if k.lower() != "content-type"})


def escher_signed(request: HttpRequest, credential: Credential, base_url: str, now: datetime | None) -> HttpRequest:
    api_key = _field(credential, "api_key", "antavo", "the api_key query parameter and an Escher signature")
    secret = credential.get("secret")
    path, _, query = request.path.partition("?")
    # `api_key_in_query: false` signs as Antavo's PHP SDK does: the key only in the signature's Credential=
    if credential.get("api_key_in_query", True) is not False or secret in (None, ""):
        query = "&".join(part for part in (query, urlencode({"api_key": api_key})) if part)
    signed_path = f"{path}?{query}" if query else path
    if secret in (None, ""):  # a key-only request (what signature enforcement must refuse)
        return HttpRequest(request.method, signed_path, dict(request.headers), request.body)
    base = urlsplit(base_url)
    wire = base.path.rstrip("/") + signed_path
    headers = escher.sign(request.method, wire, base.netloc, request.body, api_key=api_key, secret=str(secret),
                          region=str(credential.get("region") or "eu"), now=now)
    return _with_headers(HttpRequest(request.method, signed_path, dict(request.headers), request.body), headers)


SIGNERS: dict[str, Signer] = {
    "ackroo": bearer,
    "crmcom": api_key_header,
    "crmcom-webapi": body_token,
    "antavo": escher_signed,
}


def authenticate(api: str, request: HttpRequest, credential: Credential | None, base_url: str,
                 now: datetime | None = None) -> HttpRequest:
    """The request as `api` expects it authenticated with `credential` (None: sent without credentials)."""
    if credential is None:
        return request
    return SIGNERS[api](request, credential, base_url, now)


class SigningClock:
    """The instants requests are signed at: the target's frozen clock when `given` sets one, else the wall
    clock; never the same second twice, so two identical requests never carry a replayed signature."""

    def __init__(self, frozen: datetime | None = None) -> None:
        self.frozen = frozen
        self._last: datetime | None = None

    def next(self) -> datetime:
        now = (self.frozen or datetime.now(UTC)).replace(microsecond=0)
        if self._last is not None and now <= self._last:
            now = self._last + timedelta(seconds=1)
        self._last = now
        return now
