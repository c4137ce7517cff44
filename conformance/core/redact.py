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
})
QUERY_SECRET_KEYS = SECRET_KEYS | {"code"}  # the OAuth authorisation code of Ackroo's GET /device
CARD_KEYS = frozenset({"cardnumber", "card_number", "card", "pan"})
_CARD_DIGITS = re.compile(r"(?<![0-9])([0-9]{12,19})(?![0-9])")
_UUID_TAIL = re.compile(r"(?<![0-9A-Fa-f-])[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-\Z")
"""What precedes the last group of a UUID: twelve digits there are an id, not a card number."""


def mask_card(number: str) -> str:
    """Keep only the last four digits: ``612573981949778930`` -> ``**************8930``."""
    digits = str(number)
    return "*" * max(len(digits) - 4, 0) + digits[-4:]


def mask_cards_in_text(text: str) -> str:
    """Mask every run of 12-19 digits (card-number length) inside free text such as a URL or a message."""
    def mask(m: re.Match[str]) -> str:
        in_uuid = len(m.group(1)) == 12 and _UUID_TAIL.search(text, max(m.start() - 24, 0), m.start())
        return m.group(0) if in_uuid else mask_card(m.group(1))

    return _CARD_DIGITS.sub(mask, text)


def redact(value: Any, key: str | None = None) -> Any:
    """A copy of `value` with secret fields masked and card numbers cut to their last four digits."""
    lowered = key.lower() if isinstance(key, str) else None
    if lowered in SECRET_KEYS and value not in (None, ""):
        return MASK
    if isinstance(value, Mapping):
        return {k: redact(v, k) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact(v, key) for v in value]
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
