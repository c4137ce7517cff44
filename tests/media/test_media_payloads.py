"""Card-media and receipt payloads: exact formats, and every medium reads back to what it carries."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conformance.core.media import (
    DEFAULT_CARD_NUMBER,
    MEDIUM_TYPES,
    MediaError,
    ReceiptCode,
    amount_x100,
    card_media,
    card_number_from,
    parse_receipt_barcode,
    parse_receipt_qr,
    receipt_barcode_payload,
    receipt_qr_payload,
    track1,
    track2,
)

CARD = DEFAULT_CARD_NUMBER
RECEIPT = ReceiptCode("R1001", "M1", "O1", Decimal("25.4"))


def test_tracks_follow_iso_7813() -> None:
    assert track1(CARD) == "%B612573981949778930^LOYALTY/TEST CARD^4912901000000?"
    assert track2(CARD) == ";612573981949778930=4912901000000?"
    assert track1(CARD, name="doe/jane") == "%B612573981949778930^DOE/JANE^4912901000000?"


def test_card_payloads() -> None:
    media = card_media(CARD)
    assert media.barcode == media.qr_front == media.qr_back == CARD
    assert media.virtual_qr == "ackroo:card:612573981949778930"
    assert media.swipe == media.track1 + media.track2


@pytest.mark.parametrize(("medium", "data"), [
    ("card_number", CARD),
    ("card_number", "6125 7398 1949 7789 30"),
    ("magstripe", card_media(CARD).swipe),
    ("magstripe", card_media(CARD).track1),
    ("magstripe", card_media(CARD).track2),
    ("magstripe", card_media(CARD).track1 + "\r\n" + card_media(CARD).track2 + "\r\n"),
    ("barcode", CARD + "\r\n"),
    ("qr", CARD),
    ("qr", "ackroo:card:" + CARD),
    ("qr", "ACKROO:CARD:" + CARD),
])
def test_every_medium_gives_the_card_number(medium: str, data: str) -> None:
    assert card_number_from(medium, data) == CARD


@pytest.mark.parametrize(("medium", "data", "message"), [
    ("nfc", CARD, "unknown medium type"),
    ("card_number", "61257398194977893X", "8 to 19 digits"),
    ("barcode", "1234567", "8 to 19 digits"),
    ("barcode", "1" * 20, "8 to 19 digits"),
    ("magstripe", "no tracks here", "no ISO 7813"),
    ("magstripe", "%B12345678^A/B^4912901?;87654321=4912901?", "disagree"),
    ("qr", "R1001;M1;O1;2540", "not a card number"),
    ("qr", "ackroo:card:abc", "8 to 19 digits"),
])
def test_bad_media_are_refused(medium: str, data: str, message: str) -> None:
    with pytest.raises(MediaError, match=message):
        card_number_from(medium, data)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"name": "X"}, "track 1 name"),
    ({"name": "A^B"}, "track 1 name"),
    ({"expiry": "4913"}, "YYMM"),
    ({"service_code": "90"}, "service code"),
    ({"discretionary": "12A"}, "discretionary"),
    ({"discretionary": "1" * 40}, "more than 79"),
])
def test_bad_track_fields_are_refused(kwargs: dict[str, str], message: str) -> None:
    with pytest.raises(MediaError, match=message):
        track1(CARD, **kwargs)


def test_track2_length_limit() -> None:
    with pytest.raises(MediaError, match="more than 39"):
        track2("1" * 19, discretionary="1" * 11)


def test_receipt_payloads_keep_the_documented_orders() -> None:
    assert receipt_qr_payload(RECEIPT) == "R1001;M1;O1;2540"  # receipt; merchant; venue; amount x100
    assert receipt_barcode_payload(RECEIPT) == "M1;R1001;2540;O1"  # merchant; receipt; amount x100; venue


def test_receipts_parse_back() -> None:
    assert parse_receipt_qr("R1001;M1;O1;2540\r\n") == RECEIPT
    assert parse_receipt_barcode("M1;R1001;2540;O1") == RECEIPT
    assert parse_receipt_qr("R1001;M1;O1;2540").amount == Decimal("25.40")


@pytest.mark.parametrize(("amount", "minor"), [
    (Decimal("25.4"), 2540), (Decimal("0.1"), 10), (Decimal("0"), 0), (Decimal("1E+2"), 10000),
    (Decimal("19.99"), 1999), (Decimal("1.10"), 110),
])
def test_amount_x100_is_exact(amount: Decimal, minor: int) -> None:
    assert amount_x100(amount) == minor


@pytest.mark.parametrize(("amount", "message"), [
    (0.1, "floats are refused"), (Decimal("1.005"), "more than 2 decimal places"),
    (Decimal("-1"), "negative"), (Decimal("NaN"), "finite"),
])
def test_bad_amounts_are_refused(amount: object, message: str) -> None:
    with pytest.raises(MediaError, match=message):
        amount_x100(amount)  # type: ignore[arg-type]


@pytest.mark.parametrize("receipt", [
    ReceiptCode("R;1", "M1", "O1", Decimal(1)),
    ReceiptCode("R1", "M;1", "O1", Decimal(1)),
    ReceiptCode("R1", "M1", "O;1", Decimal(1)),
    ReceiptCode("", "M1", "O1", Decimal(1)),
    ReceiptCode(" R1", "M1", "O1", Decimal(1)),
    ReceiptCode("R\u00e91", "M1", "O1", Decimal(1)),
])
def test_bad_receipt_fields_are_refused(receipt: ReceiptCode) -> None:
    with pytest.raises(MediaError):
        receipt_qr_payload(receipt)
    with pytest.raises(MediaError):
        receipt_barcode_payload(receipt)


@pytest.mark.parametrize("data", ["R1;M1;O1", "R1;M1;O1;25.40", "R1;M1;O1;-5", "R1;M1;O1;1;2", ";M1;O1;100"])
def test_malformed_receipt_codes_are_refused(data: str) -> None:
    with pytest.raises(MediaError):
        parse_receipt_qr(data)
    with pytest.raises(MediaError):
        parse_receipt_barcode(data)


@given(st.from_regex(r"[0-9]{8,19}", fullmatch=True))
def test_any_card_number_round_trips_through_every_medium(number: str) -> None:
    media = card_media(number)
    by_medium = {"card_number": number, "magstripe": media.swipe, "barcode": media.barcode, "qr": media.virtual_qr}
    assert set(by_medium) == set(MEDIUM_TYPES)
    for medium, data in by_medium.items():
        assert card_number_from(medium, data) == number
    assert card_number_from("qr", media.qr_front) == card_number_from("qr", media.qr_back) == number


_FIELD = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E, exclude_characters=";"), min_size=1,
                 max_size=12)


@given(_FIELD, _FIELD, _FIELD, st.decimals(min_value=0, max_value=10**7, places=2))
def test_any_receipt_round_trips(number: str, merchant: str, venue: str, amount: Decimal) -> None:
    receipt = ReceiptCode(number, merchant, venue, amount)
    assert parse_receipt_qr(receipt_qr_payload(receipt)) == receipt
    assert parse_receipt_barcode(receipt_barcode_payload(receipt)) == receipt
