"""Every rendered code scans back to its exact payload, the PDF has its pages, and output is deterministic."""

from __future__ import annotations

import base64
import io
import re
import shutil
import subprocess
import zlib
from pathlib import Path

import pytest
import zxingcpp
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from conformance.core.media import (
    DEFAULT_CARD_NUMBER,
    card_media,
    card_number_from,
    parse_receipt_barcode,
    parse_receipt_qr,
)
from conformance.report.cards import (
    PDF_NAME,
    RECEIPTS,
    Medium,
    ackroo_media,
    code128_png,
    crmcom_media,
    qr_png,
    write_cards,
)

CARD = DEFAULT_CARD_NUMBER
ACKROO = ackroo_media(card_media(CARD))
CRMCOM = crmcom_media()
FORMATS = {"qr": zxingcpp.BarcodeFormat.QRCode, "code128": zxingcpp.BarcodeFormat.Code128}


@pytest.fixture(scope="module")
def sheet(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("cards")
    write_cards(out, CARD)
    return out


def decode(path: Path) -> list[tuple[str, zxingcpp.BarcodeFormat]]:
    with Image.open(path) as image:
        return [(b.text, b.format) for b in zxingcpp.read_barcodes(image)]


def test_files_written(sheet: Path) -> None:
    names = sorted(p.name for p in sheet.iterdir())
    assert names == sorted([*(m.file for m in ACKROO), *(m.file for m in CRMCOM), PDF_NAME])


@pytest.mark.parametrize("medium", [m for m in ACKROO if m.kind != "magstripe"], ids=lambda m: m.file)
def test_card_codes_scan_back_to_the_card_number(sheet: Path, medium: Medium) -> None:
    assert decode(sheet / medium.file) == [(medium.payload, FORMATS[medium.kind])]
    identify = "barcode" if medium.kind == "code128" else "qr"
    assert card_number_from(identify, medium.payload) == CARD


def test_receipt_codes_scan_back_to_the_receipt(sheet: Path) -> None:
    for key, (_, receipt) in RECEIPTS.items():
        [(qr_text, qr_format)] = decode(sheet / f"crmcom-{key}-qr.png")
        [(bar_text, bar_format)] = decode(sheet / f"crmcom-{key}-barcode.png")
        assert (qr_format, bar_format) == (FORMATS["qr"], FORMATS["code128"])
        assert parse_receipt_qr(qr_text) == receipt
        assert parse_receipt_barcode(bar_text) == receipt
    assert decode(sheet / "crmcom-reclaim-qr.png")[0][0] == "R1001;M1;O1;2540"
    assert decode(sheet / "crmcom-reclaim-barcode.png")[0][0] == "M1;R1001;2540;O1"


def test_magstripe_card_is_id1_at_300_dpi(sheet: Path) -> None:
    with Image.open(sheet / "ackroo-uc14-uc16-magstripe.png") as image:
        assert image.size == (1011, 638)
        assert image.info["dpi"] == pytest.approx((300, 300), abs=0.01)
    assert card_number_from("magstripe", ACKROO[0].payload) == CARD


@pytest.mark.parametrize("number", ["12345678", "1234567890123456789", "9999999999999"])
def test_other_card_numbers_scan_back(tmp_path: Path, number: str) -> None:
    write_cards(tmp_path, number)
    assert decode(tmp_path / "ackroo-uc15-barcode.png")[0][0] == number
    assert decode(tmp_path / "ackroo-uc17-qr-front.png")[0][0] == number
    assert decode(tmp_path / "ackroo-uc19-virtual-card-qr.png")[0][0] == f"ackroo:card:{number}"


def _decode_png(png: bytes) -> list[str]:
    """Decode at the printed resolution, as a scanner held to the card does: zxing's downscaled retries
    can misread a Code 128 into a second, checksum-valid text (seen with ':530y300000')."""
    with Image.open(io.BytesIO(png)) as image:
        return [b.text for b in zxingcpp.read_barcodes(image, try_downscale=False)]


@pytest.mark.parametrize("payload", ["9912345678", "99", "990", "0099", "M1;99;100;O1", "R1;M1;O1;0"])
def test_code128_keeps_a_leading_99(payload: str) -> None:
    """python-barcode 0.16 drops a leading "99" pair (its issue #251); the renderer works around it."""
    assert _decode_png(code128_png(payload)) == [payload]


@settings(max_examples=40, deadline=None)
@given(st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=1, max_size=30)
       | st.from_regex(r"(99)?[0-9]{1,19}", fullmatch=True))
def test_any_printable_payload_scans_back(payload: str) -> None:
    assert _decode_png(code128_png(payload)) == [payload]
    assert _decode_png(qr_png(payload)) == [payload]


def _pdf_text(pdf: bytes) -> str:
    """Content streams of a reportlab PDF (ASCII85 then Flate), decoded; images are skipped."""
    texts = []
    for match in re.finditer(rb"<<([^>]*?)>>\s*stream\r?\n(.*?)endstream", pdf, re.S):
        if b"/Subtype /Image" in match.group(1):
            continue
        data = match.group(2).strip()
        if b"ASCII85Decode" in match.group(1):
            data = base64.a85decode(data, adobe=True)
        if b"FlateDecode" in match.group(1):
            data = zlib.decompress(data)
        texts.append(data.decode("latin-1"))
    return "\n".join(texts)


def test_pdf_has_one_page_per_sheet_and_the_test_card_footer(sheet: Path) -> None:
    pdf = (sheet / PDF_NAME).read_bytes()
    assert pdf.startswith(b"%PDF-")
    assert len(re.findall(rb"/Type /Page(?!s)", pdf)) == 2  # Ackroo cards, CRM.COM receipts
    text = _pdf_text(pdf)
    assert text.count("TEST CARD - not a payment card. Full card numbers") == 2
    for use_case in ("use cases 14 and 16", "use case 15", "use case 17", "use case 18", "use case 19"):
        assert f"Ackroo {use_case}" in text
    assert "Contact Reclaim Purchase" in text and "Contact Self-Service Purchase" in text


def test_same_input_same_files(sheet: Path, tmp_path: Path) -> None:
    write_cards(tmp_path, CARD)
    for path in sheet.iterdir():
        assert (tmp_path / path.name).read_bytes() == path.read_bytes(), path.name


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="needs pdftoppm (poppler-utils)")
def test_printed_sheet_scans(sheet: Path, tmp_path: Path) -> None:
    """The PDF as printed (rendered at 200 dpi) still scans: every code on both pages, exact payloads."""
    subprocess.run(["pdftoppm", "-r", "200", "-gray", "-png", str(sheet / PDF_NAME), str(tmp_path / "p")],
                   check=True, timeout=60)
    found = sorted(text for page in sorted(tmp_path.glob("p-*.png")) for text, _ in decode(page))
    expected = sorted(m.payload for m in [*ACKROO, *CRMCOM] if m.kind != "magstripe")
    assert found == expected
