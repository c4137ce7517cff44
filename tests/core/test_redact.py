"""Secrets and full card numbers never pass redaction, whatever their JSON type or place."""

from __future__ import annotations

from decimal import Decimal

from conformance.core.redact import redact, redact_query, redact_url

CARD = "612573981949778930"


def test_card_numbers_are_cut_to_the_last_four_as_strings_numbers_and_text() -> None:
    redacted = redact({"cardnumber": CARD, "card": int(CARD), "note": f"card {CARD} ok", "n": int(CARD)})
    assert CARD not in repr(redacted)
    assert redacted["cardnumber"].endswith("8930") and redacted["card"].endswith("8930")


def test_secrets_are_masked_and_money_and_short_numbers_kept() -> None:
    redacted = redact({"token": "t-1", "api_key": "ak", "password": "pw", "amount": Decimal("1.30"),
                       "transaction_number": "1234567890", "error": {"code": 160212}})
    assert redacted == {"token": "***", "api_key": "***", "password": "***", "amount": Decimal("1.30"),
                        "transaction_number": "1234567890", "error": {"code": 160212}}


def test_queries_and_urls() -> None:
    assert redact_query(f"cardnumber={CARD}&access_token=abc&code=x") == \
        "cardnumber=**************8930&access_token=***&code=***"
    assert redact_url("http://h/antavo/events?api_key=ak-1") == "http://h/antavo/events?api_key=***"
