"""Where each provider puts its error code, so a scenario can say `error: InsufficientFunds` for any api.

DESIGN section 9: Ackroo and the control interface answer ``{"error": "Name", ...}``; CRM.COM REST
``{"error": "CRM.EXCEPTIONS...", ...}``; the CRM.COM Web API answers HTTP 200 with ``status.code``;
Antavo nests ``{"error": {"type", "code", "message"}}`` (its points preview's 400 is flat) and names
``ERR_...`` tokens only inside the message.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

_ERR_TOKEN = re.compile(r"\bERR_[A-Z0-9_]+\b")


def error_codes(api: str, body: Any) -> tuple[str, ...]:
    """Every code the response names, as text (an expected code matches any of them)."""
    if not isinstance(body, Mapping):
        return ()
    return tuple(dict.fromkeys(str(code) for code in _codes(api, body) if code not in (None, "")))


def _codes(api: str, body: Mapping[str, Any]) -> Iterator[Any]:
    if api == "crmcom-webapi":
        status = body.get("status")
        if isinstance(status, Mapping) and status.get("code") != "OK":
            yield status.get("code")
        return
    error = body.get("error")
    if isinstance(error, Mapping):  # Antavo's nested shape
        yield error.get("code")
        yield error.get("type")
        yield from _ERR_TOKEN.findall(str(error.get("message") or ""))
        return
    yield error
    if api == "antavo":  # the points preview's flat 400: {"code", "error", "type"}
        yield body.get("code")
        yield body.get("type")
        yield from _ERR_TOKEN.findall(str(body.get("message") or ""))
