"""Antavo's request signatures (Escher, `ANTAVO-HMAC-SHA256`), signed and verified with `escherauth`.

One place holds Antavo's settings so the suite's signer (playing the POS) and the simulator's verifier
(playing Antavo) can never drift apart. The window is 900 s (escherauth's default is 300 s).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from escherauth import Escher, EscherException

WINDOW_SECONDS = 900
OPTIONS = {
    "algo_prefix": "ANTAVO",
    "vendor_key": "Antavo",
    "hash_algo": "SHA256",
    "auth_header_name": "Authorization",
    "date_header_name": "Date",
}

__all__ = ["WINDOW_SECONDS", "EscherException", "credential_scope", "sign", "verify"]


def credential_scope(region: str) -> str:
    return f"{region}/api/antavo_request"


def _escher(key: str, secret: str, region: str, now: datetime | None, window: int) -> Escher:
    return Escher(key, secret, credential_scope(region),
                  {**OPTIONS, "clock_skew": window, "current_time": (now or datetime.now(UTC)).astimezone(UTC)})


def sign(method: str, path_and_query: str, host: str, body: bytes | str, *, api_key: str, secret: str, region: str,
         now: datetime | None = None) -> dict[str, str]:
    """The headers (`Date`, `Authorization`, `Host`) that sign this request as Antavo expects."""
    text = body.decode("utf-8") if isinstance(body, bytes) else body
    signed = _escher(api_key, secret, region, now, WINDOW_SECONDS).sign_request(
        {"method": method.upper(), "url": path_and_query, "host": host, "headers": [["Host", host]], "body": text})
    return {name: value for name, value in signed["headers"]}


def verify(method: str, path_and_query: str, headers: Mapping[str, str], body: bytes | str, *,
           secrets: Mapping[str, str], region: str, now: datetime | None = None,
           window: int = WINDOW_SECONDS) -> str:
    """The api key that signed the request; raises EscherException when the signature does not hold."""
    text = body.decode("utf-8") if isinstance(body, bytes) else body
    request = {"method": method.upper(), "url": path_and_query, "host": headers.get("host", ""),
               "headers": [[k, v] for k, v in headers.items()], "body": text}
    return str(_escher("", "", region, now, window).authenticate(request, dict(secrets)))
