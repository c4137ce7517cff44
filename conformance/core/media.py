"""Payloads of the card media (Ackroo use cases 14-19) and CRM.COM receipt codes, and their parsers.

Pure strings, no images: the card sheet renders them, and a POS that scans a medium reads them back
with :func:`card_number_from` (DESIGN section 8, ``identify``: card_number | magstripe | barcode | qr).

Formats (``documented`` where a seed prints them, ``inferred`` where it is silent):

- magstripe (inferred layout; ISO/IEC 7813 is the standard every reader speaks):
  track 1 format B ``%B<PAN>^<NAME>^<YYMM><service code><discretionary>?``,
  track 2 ``;<PAN>=<YYMM><service code><discretionary>?``; a swipe through a keyboard-wedge reader
  types track 1 then track 2 (``magstripe_swipe``). Sentinels are included, the LRC is not (readers drop it).
- barcode (inferred symbology): Code 128 of the bare card number.
- QR on the front and on the back (inferred): the bare card number; only the side of the card differs.
- mobile-app virtual card QR (inferred): ``ackroo:card:<number>``, so a POS can tell it from a printed card.
- CRM.COM receipt QR (documented order, seed 001): ``receipt;merchant;venue;amount x100``.
- CRM.COM receipt barcode (documented order, seed 001): ``merchant;receipt;amount x100;venue`` (Code 128, inferred).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal, get_args

from conformance.core.money import MoneyError, from_minor, to_decimal, to_minor

MediumType = Literal["card_number", "magstripe", "barcode", "qr"]
MEDIUM_TYPES: tuple[str, ...] = get_args(MediumType)

DEFAULT_CARD_NUMBER = "612573981949778930"  # seed 002, every Ackroo use case
VIRTUAL_CARD_PREFIX = "ackroo:card:"
# Inferred magstripe defaults: a far expiry so the test card never lapses, and service code 9xx ("test
# card": first digit 9 is ISO 7813's test value), so no payment terminal mistakes it for a payment card.
DEFAULT_NAME = "LOYALTY/TEST CARD"
DEFAULT_EXPIRY = "4912"
DEFAULT_SERVICE_CODE = "901"
DEFAULT_DISCRETIONARY = "000000"

_PAN = re.compile(r"[0-9]{8,19}")  # ISO/IEC 7812: 8 to 19 digits
_TRACK1 = re.compile(r"%B(?P<pan>[0-9]{1,19})\^(?P<name>[^^%?]{2,26})\^(?P<rest>[^^%?]*)\?")
_TRACK2 = re.compile(r";(?P<pan>[0-9]{1,19})=(?P<rest>[0-9]*)\?")
_TRACK1_NAME = re.compile(r"[ A-Z0-9/.\-']{2,26}")
TRACK1_MAX = 79  # characters including sentinels, ISO/IEC 7811-2
TRACK2_MAX = 40


class MediaError(ValueError):
    """A payload that cannot be built or read back (bad card number, unknown medium, malformed data)."""


def check_card_number(number: str) -> str:
    """The card number itself: 8-19 ASCII digits (ISO/IEC 7812), so every medium can carry it."""
    if not _PAN.fullmatch(number):
        raise MediaError(f"card number must be 8 to 19 digits, got {number!r}")
    return number


# --- Ackroo card media -------------------------------------------------------------------------


def track1(number: str, name: str = DEFAULT_NAME, expiry: str = DEFAULT_EXPIRY,
           service_code: str = DEFAULT_SERVICE_CODE, discretionary: str = DEFAULT_DISCRETIONARY) -> str:
    """ISO 7813 track 1 format B; the name is upper-cased (track 1 has no lower case)."""
    check_card_number(number)
    name = name.upper()
    if not _TRACK1_NAME.fullmatch(name):
        raise MediaError(f"track 1 name must be 2-26 of A-Z 0-9 space / . - ', got {name!r}")
    _check_tail(expiry, service_code, discretionary)
    data = f"%B{number}^{name}^{expiry}{service_code}{discretionary}?"
    if len(data) > TRACK1_MAX:
        raise MediaError(f"track 1 is {len(data)} characters, more than {TRACK1_MAX}")
    return data


def track2(number: str, expiry: str = DEFAULT_EXPIRY, service_code: str = DEFAULT_SERVICE_CODE,
           discretionary: str = DEFAULT_DISCRETIONARY) -> str:
    """ISO 7813 track 2 (digits only); the one track every magstripe reader returns."""
    check_card_number(number)
    _check_tail(expiry, service_code, discretionary)
    data = f";{number}={expiry}{service_code}{discretionary}?"
    if len(data) > TRACK2_MAX - 1:  # one character of the track is the LRC
        raise MediaError(f"track 2 is {len(data)} characters, more than {TRACK2_MAX - 1}")
    return data


def _check_tail(expiry: str, service_code: str, discretionary: str) -> None:
    if not re.fullmatch(r"[0-9]{2}(0[1-9]|1[0-2])", expiry):
        raise MediaError(f"expiry must be YYMM, got {expiry!r}")
    if not re.fullmatch(r"[0-9]{3}", service_code):
        raise MediaError(f"service code must be 3 digits, got {service_code!r}")
    if not re.fullmatch(r"[0-9]*", discretionary):
        raise MediaError(f"discretionary data must be digits (track 2 carries only digits), got {discretionary!r}")


def magstripe_swipe(number: str) -> str:
    """What a keyboard-wedge reader types for one swipe: track 1 then track 2, no separator."""
    return track1(number) + track2(number)


def barcode_payload(number: str) -> str:
    """Code 128 content of the barcode on the back (use case 15): the bare card number."""
    return check_card_number(number)


def qr_front_payload(number: str) -> str:
    """QR on the front (use case 17): the bare card number."""
    return check_card_number(number)


def qr_back_payload(number: str) -> str:
    """QR on the back (use case 18): the same bare card number; only where it is printed differs."""
    return check_card_number(number)


def virtual_card_payload(number: str) -> str:
    """QR of the mobile app's virtual card (use case 19), inferred: ``ackroo:card:<number>``."""
    return VIRTUAL_CARD_PREFIX + check_card_number(number)


@dataclass(frozen=True)
class CardMedia:
    """Every payload of one card, as the sheet prints them."""

    number: str
    track1: str
    track2: str
    barcode: str
    qr_front: str
    qr_back: str
    virtual_qr: str

    @property
    def swipe(self) -> str:
        return self.track1 + self.track2


def card_media(number: str = DEFAULT_CARD_NUMBER) -> CardMedia:
    """All media payloads of one card number."""
    check_card_number(number)
    return CardMedia(number=number, track1=track1(number), track2=track2(number), barcode=barcode_payload(number),
                     qr_front=qr_front_payload(number), qr_back=qr_back_payload(number),
                     virtual_qr=virtual_card_payload(number))


# --- reading a scanned medium back ---------------------------------------------------------------


def card_number_from(medium_type: str, data: str) -> str:
    """The card number a POS gets from one medium; surrounding whitespace (a scanner's CR/LF) is ignored."""
    text = data.strip()
    if medium_type == "card_number":
        return check_card_number(text.replace(" ", ""))  # keyed in, maybe in the printed groups of four
    if medium_type == "magstripe":
        return parse_magstripe(text)
    if medium_type == "barcode":
        return check_card_number(text)
    if medium_type == "qr":
        return parse_card_qr(text)
    raise MediaError(f"unknown medium type {medium_type!r}; known: {', '.join(MEDIUM_TYPES)}")


def parse_magstripe(data: str) -> str:
    """PAN from track 1, track 2, or both (any order, any whitespace between); both must agree."""
    pans = [m.group("pan") for m in _TRACK1.finditer(data)] + [m.group("pan") for m in _TRACK2.finditer(data)]
    if not pans:
        raise MediaError("no ISO 7813 track 1 (%B...?) or track 2 (;...=...?) in the swipe data")
    if len(set(pans)) > 1:
        raise MediaError(f"tracks disagree on the card number: {sorted(set(pans))}")
    return check_card_number(pans[0])


def parse_card_qr(data: str) -> str:
    """Card number from a card QR: a bare number (front, back) or ``ackroo:card:<number>`` (virtual card)."""
    if data[: len(VIRTUAL_CARD_PREFIX)].lower() == VIRTUAL_CARD_PREFIX:
        return check_card_number(data[len(VIRTUAL_CARD_PREFIX):])
    if ";" in data:
        raise MediaError("this QR holds semicolon-separated fields (a CRM.COM receipt?), not a card number")
    return check_card_number(data)


# --- CRM.COM contact reclaim and self-service receipts -------------------------------------------


@dataclass(frozen=True)
class ReceiptCode:
    """What a receipt's QR/barcode carries (seed 001): the contact's app claims the purchase with it."""

    receipt_number: str
    merchant_number: str
    venue_number: str
    amount: Decimal


def _field(name: str, value: str) -> str:
    # Printable ASCII only, so the same receipt fits Code 128 as well as QR; no separator, no edge spaces.
    if not value or value != value.strip():
        raise MediaError(f"{name} must be non-empty without leading or trailing spaces, got {value!r}")
    if ";" in value:
        raise MediaError(f"{name} must not contain ';' (the field separator), got {value!r}")
    if not all(" " <= ch <= "~" for ch in value):
        raise MediaError(f"{name} must be printable ASCII, got {value!r}")
    return value


def amount_x100(amount: Decimal) -> int:
    """Purchase amount x100 as an exact integer: cents, from a Decimal, never through a float."""
    try:
        minor = to_minor(to_decimal(amount))
    except MoneyError as exc:
        raise MediaError(f"purchase amount: {exc}") from None
    if minor < 0:
        raise MediaError(f"purchase amount must not be negative, got {amount}")
    return minor


def _fields(receipt: ReceiptCode) -> tuple[str, str, str, str]:
    return (_field("receipt number", receipt.receipt_number), _field("merchant number", receipt.merchant_number),
            _field("venue number", receipt.venue_number), str(amount_x100(receipt.amount)))


def receipt_qr_payload(receipt: ReceiptCode) -> str:
    """QR order (documented): receipt number; merchant number; venue number; purchase amount x100."""
    number, merchant, venue, amount = _fields(receipt)
    return ";".join((number, merchant, venue, amount))


def receipt_barcode_payload(receipt: ReceiptCode) -> str:
    """Barcode order (documented, not the QR's): merchant number; receipt number; purchase amount x100; venue."""
    number, merchant, venue, amount = _fields(receipt)
    return ";".join((merchant, number, amount, venue))


def _split(data: str, what: str) -> list[str]:
    parts = data.strip().split(";")
    if len(parts) != 4:
        raise MediaError(f"a receipt {what} has 4 semicolon-separated fields, got {len(parts)}")
    return parts


def _amount(text: str) -> Decimal:
    if not re.fullmatch(r"[0-9]+", text):
        raise MediaError(f"purchase amount x100 must be a non-negative integer, got {text!r}")
    return from_minor(int(text))


def parse_receipt_qr(data: str) -> ReceiptCode:
    """Read a receipt QR back: ``receipt;merchant;venue;amount x100``."""
    number, merchant, venue, amount = _split(data, "QR")
    receipt = ReceiptCode(number, merchant, venue, _amount(amount))
    _fields(receipt)
    return receipt


def parse_receipt_barcode(data: str) -> ReceiptCode:
    """Read a receipt barcode back: ``merchant;receipt;amount x100;venue``."""
    merchant, number, amount, venue = _split(data, "barcode")
    receipt = ReceiptCode(number, merchant, venue, _amount(amount))
    _fields(receipt)
    return receipt
