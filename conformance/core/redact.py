"""Secrets, tokens and full card numbers never leave the harness: one redaction for logs, reports, cassettes."""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl, urlencode

MASK = "***"
SECRET_KEYS = frozenset({
    "authorization", "api_key", "api-key", "x-api-key", "token", "access_token", "refresh_token", "password",
    "secret", "client_secret", "pass_code", "otp", "one_time_password", "control_token", "cookie", "set-cookie",
    "authentication_code", "device_code",
})
QUERY_SECRET_KEYS = SECRET_KEYS | {"code"}  # the OAuth authorisation code of Ackroo's GET /device
CARD_KEYS = frozenset({"cardnumber", "card_number", "card", "pan"})
OAUTH_MARK = "grant_type"
"""A body holding this is an OAuth token request: its `code` is the authorisation code (elsewhere a
`code` is an error or status code, kept)."""
MAX_DEPTH = 100
"""Deeper than this, a value is masked whole rather than walked (redaction never exhausts the stack)."""
_CARD_DIGITS = re.compile(r"(?<![0-9])([0-9]{12,19})(?![0-9])")
_GROUPED_CARD = re.compile(r"(?<![0-9A-Fa-f-])[0-9]{2,6}(?:[ -][0-9]{2,6}){1,5}(?![0-9A-Fa-f-])")
"""A card number written in groups (``4111 1111 1111 1111``, ``4111-1111-1111-1111``): 12-19 digits."""
_UUID_TAIL = re.compile(r"(?<![0-9A-Fa-f-])[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-\Z")
"""What precedes the last group of a UUID: twelve digits there are an id, not a card number."""


def mask_card(number: str) -> str:
    """Keep only the last four digits: ``612573981949778930`` -> ``**************8930``."""
    digits = str(number)
    return "*" * max(len(digits) - 4, 0) + digits[-4:]


def _mask_grouped(match: re.Match[str]) -> str:
    text = match.group(0)
    digits = sum(c.isdigit() for c in text)
    if not 12 <= digits <= 19:
        return text
    keep = digits - 4
    out = []
    for char in text:
        if char.isdigit() and keep > 0:
            out.append("*")
            keep -= 1
        else:
            out.append(char)
    return "".join(out)


def mask_cards_in_text(text: str) -> str:
    """Mask every card-length run of digits (12-19, plain or in groups split by spaces or dashes)
    inside free text such as a URL or a message, keeping the last four digits; the last group of a
    UUID is an id, not a card number."""
    def mask(m: re.Match[str]) -> str:
        in_uuid = len(m.group(1)) == 12 and _UUID_TAIL.search(text, max(m.start() - 24, 0), m.start())
        return m.group(0) if in_uuid else mask_card(m.group(1))

    return _GROUPED_CARD.sub(_mask_grouped, _CARD_DIGITS.sub(mask, text))


def redact(value: Any, key: str | None = None) -> Any:
    """A copy of `value` with secret fields masked and card numbers cut to their last four digits."""
    return _redact(value, key, 0)


def _redact(value: Any, key: str | None, depth: int) -> Any:
    lowered = key.lower() if isinstance(key, str) else None
    if lowered in SECRET_KEYS and value not in (None, ""):
        return MASK
    if depth > MAX_DEPTH and isinstance(value, Mapping | list | tuple):
        return MASK
    if isinstance(value, Mapping):
        oauth = OAUTH_MARK in value
        return {k: MASK if oauth and k == "code" and v not in (None, "") else _redact(v, k, depth + 1)
                for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_redact(v, key, depth + 1) for v in value]
    if isinstance(value, str):
        if lowered in CARD_KEYS:
            return mask_card(value)
        return mask_cards_in_text(value)
    if isinstance(value, int | Decimal) and not isinstance(value, bool) and (
            lowered in CARD_KEYS or _CARD_DIGITS.fullmatch(str(value))):
        return mask_card(str(value))  # a card number sent as a JSON number is still a card number
    return value


def redact_query(query: str) -> str:
    """Redact a raw query string (``api_key=...&cardnumber=...``)."""
    if not query:
        return query
    pairs = parse_qsl(query, keep_blank_values=True)
    return urlencode([(k, MASK if k.lower() in QUERY_SECRET_KEYS else redact(v, k)) for k, v in pairs], safe="*")


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    return {k: (MASK if k.lower() in SECRET_KEYS else v) for k, v in headers.items()}


def redact_url(url: str) -> str:
    """A URL with its secret query parameters masked and card numbers cut (for report targets and logs)."""
    base, sep, query = url.partition("?")
    return mask_cards_in_text(base) + (sep + redact_query(query) if sep else "")
