"""Who may use the console: the control token once, then a signed session cookie; forms carry a CSRF token.

The cookie is Starlette's signed session (itsdangerous), HttpOnly and SameSite=Strict, scoped to /_ui. It
holds a digest of the control token, so a simulator restarted with another token refuses old cookies. A
state-changing form must echo the session's CSRF token and, when the browser says where it came from
(Origin or Referer), come from this very origin.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from urllib.parse import parse_qsl, urlsplit

from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request

COOKIE = "conformance_ui"
FORM_LIMIT = 64 * 1024


def token_digest(token: str) -> str:
    return hashlib.sha256(("conformance-ui:" + token).encode()).hexdigest()


def logged_in(request: Request, token: str) -> bool:
    held = request.session.get("auth")
    return isinstance(held, str) and hmac.compare_digest(held, token_digest(token))


def log_in(request: Request, token: str, given: str) -> bool:
    """Open a session when `given` is the control token (compared in constant time)."""
    if not hmac.compare_digest(given.encode(), token.encode()):
        return False
    request.session.clear()
    request.session["auth"] = token_digest(token)
    request.session["csrf"] = secrets.token_urlsafe(24)
    return True


def csrf_token(request: Request) -> str:
    value = request.session.get("csrf")
    return value if isinstance(value, str) else ""


def same_origin(request: Request) -> bool:
    """False when the browser says the form came from another origin (no header: a non-browser client)."""
    claimed = request.headers.get("origin") or request.headers.get("referer")
    if not claimed or claimed == "null":
        return not claimed
    parts = urlsplit(claimed)
    return f"{parts.scheme}://{parts.netloc}" == f"{request.url.scheme}://{request.url.netloc}"


async def form(request: Request) -> FormData:
    """A url-encoded form body, parsed here (the console's forms are small: ids, names, a token)."""
    body = await request.body()
    if len(body) > FORM_LIMIT:
        return FormData()
    pairs: list[tuple[str, str | UploadFile]] = list(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
    return FormData(pairs)


def csrf_ok(request: Request, fields: FormData) -> bool:
    expected = csrf_token(request)
    given = fields.get("csrf")
    return bool(expected) and same_origin(request) and isinstance(given, str) and \
        hmac.compare_digest(given.encode(), expected.encode())
