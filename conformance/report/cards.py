"""Printable test media: PNGs of every card medium and receipt code, and one PDF sheet to print and cut.

The cards carry full card numbers on purpose (they are scanned at a till); every page says so. Output is
deterministic: no timestamps, bundled fonts only, reportlab's invariant mode, so the same card number
always gives the same bytes.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Literal

import segno
from barcode import Code128
from barcode.charsets import code128
from barcode.writer import ImageWriter
from PIL import Image, ImageDraw, ImageFont
from reportlab.lib.colors import Color, black, white
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen.canvas import Canvas

from conformance.core.media import (
    DEFAULT_CARD_NUMBER,
    CardMedia,
    ReceiptCode,
    card_media,
    receipt_barcode_payload,
    receipt_qr_payload,
)

DPI = 300
CARD_W_MM, CARD_H_MM = 85.60, 53.98  # ISO/IEC 7810 ID-1
START_C, TO_A, TO_B = 105, 101, 100  # Code 128 codewords
MODULE_PX = 4  # Code 128 module: 4 px at 300 dpi = 0.34 mm, whole pixels so every bar has the same width
FOOTER = ("TEST CARD - not a payment card. Full card numbers are printed on purpose: these are test media "
          "meant to be scanned (reports and cassettes mask them).")
PDF_NAME = "cards.pdf"

Kind = Literal["qr", "code128", "magstripe"]

# Inferred sample receipts: merchant and venue match the crmcom fixture of DESIGN section 6 (M1 / O1).
RECEIPTS: dict[str, tuple[str, ReceiptCode]] = {
    "reclaim": ("Contact Reclaim Purchase", ReceiptCode("R1001", "M1", "O1", Decimal("25.40"))),
    "self-service": ("Contact Self-Service Purchase", ReceiptCode("R1002", "M1", "O1", Decimal("12.05"))),
}


@dataclass(frozen=True)
class Medium:
    """One PNG: its file, what it encodes, and the use case it belongs to."""

    file: str
    kind: Kind
    payload: str  # what the symbol encodes; for the magstripe, the swipe (track 1 + track 2)
    label: str


def ackroo_media(card: CardMedia) -> list[Medium]:
    """The Ackroo card media of use cases 14-19 (14 and 16 are the same magstripe swipe in seed 002)."""
    return [
        Medium("ackroo-uc14-uc16-magstripe.png", "magstripe", card.swipe,
               "Ackroo use cases 14 and 16 - magstripe on the back (swipe)"),
        Medium("ackroo-uc15-barcode.png", "code128", card.barcode,
               "Ackroo use case 15 - barcode on the back (Code 128)"),
        Medium("ackroo-uc17-qr-front.png", "qr", card.qr_front, "Ackroo use case 17 - QR code on the front"),
        Medium("ackroo-uc18-qr-back.png", "qr", card.qr_back, "Ackroo use case 18 - QR code on the back"),
        Medium("ackroo-uc19-virtual-card-qr.png", "qr", card.virtual_qr,
               "Ackroo use case 19 - mobile app virtual card (QR print-out)"),
    ]


def crmcom_media() -> list[Medium]:
    """QR and barcode of each CRM.COM receipt (seed 001), in the documented field orders."""
    items: list[Medium] = []
    for key, (title, receipt) in RECEIPTS.items():
        items.append(Medium(f"crmcom-{key}-qr.png", "qr", receipt_qr_payload(receipt), f"CRM.COM {title} - QR"))
        items.append(Medium(f"crmcom-{key}-barcode.png", "code128", receipt_barcode_payload(receipt),
                            f"CRM.COM {title} - barcode"))
    return items


# --- PNG rendering --------------------------------------------------------------------------------


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", dpi=(DPI, DPI))
    return buffer.getvalue()


def qr_png(payload: str) -> bytes:
    """A QR code (never Micro QR: few phone or POS scanners read it), 4-module quiet zone, 0.85 mm modules."""
    buffer = io.BytesIO()
    segno.make_qr(payload, error="m").save(buffer, kind="png", scale=10, border=4, dpi=DPI)
    return buffer.getvalue()


class _Code128(Code128):  # type: ignore[misc]
    """python-barcode 0.16 drops a leading "99" digit pair (issue #251, fixed upstream by PR #263, unreleased).

    It starts in set C, where codeword 99 is the digits "99", yet folds it into the start code as if it were a
    CODE C switch. Only a switch to set A or B after START C can be folded.
    """

    def _try_to_optimize(self, encoded: list[int]) -> list[int]:
        if encoded[0] == START_C and encoded[1] in (TO_A, TO_B):
            encoded[:2] = [code128.TO[encoded[1]]]
        return encoded


def code128_png(payload: str) -> bytes:
    """Code 128 with its text under it; 10-module quiet zones as the symbology asks."""
    module_mm = MODULE_PX * 25.4 / DPI
    options = {"module_width": module_mm, "module_height": 12.0, "quiet_zone": 10 * module_mm,
               "font_size": 9, "text_distance": 4.0, "dpi": DPI}
    image = _Code128(payload, writer=ImageWriter(dpi=DPI)).render(options)
    return _png(image)


@cache
def _font_path() -> str:
    # python-barcode ships DejaVu Sans Mono: a fixed font file, so the drawing never depends on the system.
    return str(resources.files("barcode") / "fonts" / "DejaVuSansMono.ttf")


def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(_font_path(), size)


def _px(value_mm: float) -> int:
    return round(value_mm * DPI / 25.4)


def _fit(draw: ImageDraw.ImageDraw, text: str, width: int, size: int) -> ImageFont.FreeTypeFont:
    font = _font(size)
    while size > 8 and draw.textlength(text, font=font) > width:
        size -= 1
        font = _font(size)
    return font


def magstripe_png(card: CardMedia) -> bytes:
    """The back of an ID-1 card: the stripe where ISO/IEC 7811 puts it, the track data printed under it."""
    w, h = _px(CARD_W_MM), _px(CARD_H_MM)
    image = Image.new("RGB", (w, h), "white")
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((0, 0, w - 1, h - 1), radius=_px(3.18), outline=(160, 160, 160), width=3)
    draw.rectangle((0, _px(5.54), w - 1, _px(15.82)), fill=(40, 30, 25))
    margin = _px(4)
    draw.text((margin, _px(17.5)), "BACK - magnetic stripe, ISO 7813 tracks 1 and 2", font=_font(24),
              fill=(90, 90, 90))
    y = _px(22.5)
    for title, data in (("Track 1", card.track1), ("Track 2", card.track2)):
        draw.text((margin, y), title, font=_font(22), fill=(90, 90, 90))
        y += 28
        font = _fit(draw, data, w - 2 * margin, 30)
        draw.text((margin, y), data, font=font, fill="black")
        y += 46
    draw.text((margin, y + 6), group(card.number), font=_font(40), fill="black")
    note = "TEST CARD - not a payment card"
    draw.text((w - margin, h - margin), note, font=_font(24), fill=(170, 20, 20), anchor="rs")
    return _png(image)


def render(medium: Medium, card: CardMedia) -> bytes:
    """PNG bytes of one medium."""
    if medium.kind == "qr":
        return qr_png(medium.payload)
    if medium.kind == "code128":
        return code128_png(medium.payload)
    return magstripe_png(card)


def group(number: str) -> str:
    """Card number as printed on cards, in groups of four."""
    return " ".join(number[i:i + 4] for i in range(0, len(number), 4))


# --- the PDF sheet --------------------------------------------------------------------------------

GREY = Color(0.55, 0.55, 0.55)
TINT = Color(0.90, 0.94, 0.98)
RED = Color(0.67, 0.08, 0.08)
PAGE_W, PAGE_H = A4
MARGIN = 15 * mm
CARD_W, CARD_H = CARD_W_MM * mm, CARD_H_MM * mm


def _reader(png: bytes) -> ImageReader:
    # From bytes, not a path: reportlab then names the image by its content, so the PDF is path-independent.
    return ImageReader(io.BytesIO(png))


def _height(png: ImageReader, width: float) -> float:
    pw, ph = png.getSize()
    return float(width * ph / pw)


def _card_outline(c: Canvas, x: float, y: float, fill: Color = white) -> None:
    c.setStrokeColor(GREY)
    c.setFillColor(fill)
    c.setLineWidth(0.5)
    c.roundRect(x, y, CARD_W, CARD_H, 3.18 * mm, stroke=1, fill=1)
    c.setFillColor(black)


def _small(c: Canvas, x: float, y: float, text: str, size: float = 6.5, font: str = "Helvetica",
           color: Color = black, right: bool = False) -> None:
    c.setFont(font, size)
    c.setFillColor(color)
    (c.drawRightString if right else c.drawString)(x, y, text)
    c.setFillColor(black)


def _card_magstripe(c: Canvas, x: float, y: float, card: CardMedia, png: ImageReader) -> None:
    c.drawImage(png, x, y, CARD_W, CARD_H)


def _card_barcode(c: Canvas, x: float, y: float, card: CardMedia, png: ImageReader) -> None:
    _card_outline(c, x, y)
    _small(c, x + 4 * mm, y + CARD_H - 7 * mm, "BACK - ACKROO LOYALTY", 8, "Helvetica-Bold")
    width = 62 * mm
    height = _height(png, width)
    c.drawImage(png, x + (CARD_W - width) / 2, y + (CARD_H - height) / 2 - 2 * mm, width, height)
    _small(c, x + CARD_W - 4 * mm, y + 3.5 * mm, "TEST CARD - not a payment card", 6.5, color=RED, right=True)


def _card_qr_front(c: Canvas, x: float, y: float, card: CardMedia, png: ImageReader) -> None:
    _card_outline(c, x, y, TINT)
    _small(c, x + 5 * mm, y + CARD_H - 10 * mm, "ACKROO LOYALTY", 13, "Helvetica-Bold")
    _small(c, x + 5 * mm, y + CARD_H - 15 * mm, "FRONT", 7, color=GREY)
    c.drawImage(png, x + CARD_W - 33 * mm, y + CARD_H - 33 * mm, 29 * mm, 29 * mm)
    _small(c, x + 5 * mm, y + 9 * mm, group(card.number), 10.5, "Courier-Bold")
    _small(c, x + 5 * mm, y + 4 * mm, "TEST CARD - not a payment card", 6.5, color=RED)


def _card_qr_back(c: Canvas, x: float, y: float, card: CardMedia, png: ImageReader) -> None:
    _card_outline(c, x, y)
    c.drawImage(png, x + 4 * mm, y + (CARD_H - 33 * mm) / 2, 33 * mm, 33 * mm)
    left = x + 40 * mm
    _small(c, left, y + CARD_H - 12 * mm, "BACK - ACKROO LOYALTY", 8, "Helvetica-Bold")
    _small(c, left, y + CARD_H - 17 * mm, "Scan the code at the till", 7)
    _small(c, left, y + 22 * mm, group(card.number), 9, "Courier-Bold")
    _small(c, x + CARD_W - 4 * mm, y + 4 * mm, "TEST CARD - not a payment card", 6.5, color=RED, right=True)


def _card_virtual(c: Canvas, x: float, y: float, card: CardMedia, png: ImageReader) -> None:
    _card_outline(c, x, y)
    c.setFillColor(Color(0.15, 0.2, 0.3))
    c.roundRect(x + 3 * mm, y + CARD_H - 10 * mm, CARD_W - 6 * mm, 7 * mm, 1.5 * mm, stroke=0, fill=1)
    _small(c, x + 6 * mm, y + CARD_H - 7.7 * mm, "Ackroo app - my virtual card (print-out)", 8, "Helvetica-Bold",
           color=white)
    c.drawImage(png, x + 4 * mm, y + 3 * mm, 38 * mm, 38 * mm)
    left = x + 44 * mm
    _small(c, left, y + 30 * mm, "Card number", 6.5, color=GREY)
    _small(c, left, y + 25.5 * mm, group(card.number), 7.5, "Courier-Bold")
    _small(c, left, y + 17 * mm, "QR holds", 6.5, color=GREY)
    prefix, _, rest = card.virtual_qr.rpartition(":")
    _small(c, left, y + 13 * mm, prefix + ":", 6.5, "Courier")
    _small(c, left, y + 10 * mm, rest, 6.5, "Courier")
    _small(c, x + CARD_W - 4 * mm, y + 4 * mm, "TEST CARD - not a payment card", 6.5, color=RED, right=True)


def _legend(c: Canvas, x: float, y: float, card: CardMedia) -> None:
    lines = [
        ("Helvetica-Bold", "How to use this sheet"),
        ("Helvetica", "Print at actual size (100 %, no fit to page) and cut"),
        ("Helvetica", "along the grey outlines: cards are ID-1, 85.60 x 53.98 mm."),
        ("Helvetica", "Magstripe: swipe data as a keyboard-wedge reader types it"),
        ("Helvetica", "(encode a blank card with the printed tracks to swipe it)."),
        ("Helvetica-Bold", "Payloads (identify medium: what it holds)"),
        ("Courier", f"barcode   {card.barcode}"),
        ("Courier", f"qr front  {card.qr_front}"),
        ("Courier", f"qr back   {card.qr_back}"),
        ("Courier", f"qr app    {card.virtual_qr}"),
    ]
    top = y + CARD_H - 4 * mm
    for i, (font, text) in enumerate(lines):
        _small(c, x + 2 * mm, top - i * 4.6 * mm, text, 7, font)


CardDrawer = Callable[[Canvas, float, float, CardMedia, ImageReader], None]
_DRAWERS: dict[str, CardDrawer] = {
    "ackroo-uc14-uc16-magstripe.png": _card_magstripe,
    "ackroo-uc15-barcode.png": _card_barcode,
    "ackroo-uc17-qr-front.png": _card_qr_front,
    "ackroo-uc18-qr-back.png": _card_qr_back,
    "ackroo-uc19-virtual-card-qr.png": _card_virtual,
}


def _header_footer(c: Canvas, title: str, subtitle: str, page: int, pages: int) -> None:
    _small(c, MARGIN, PAGE_H - MARGIN - 4 * mm, title, 14, "Helvetica-Bold")
    _small(c, MARGIN, PAGE_H - MARGIN - 10 * mm, subtitle, 8.5, color=GREY)
    c.setStrokeColor(GREY)
    c.line(MARGIN, 16 * mm, PAGE_W - MARGIN, 16 * mm)
    _small(c, MARGIN, 11 * mm, FOOTER, 7, "Helvetica-Bold", color=RED)
    _small(c, PAGE_W - MARGIN, 7 * mm, f"conformance test media - page {page} of {pages}", 7, color=GREY, right=True)


def _ackroo_page(c: Canvas, card: CardMedia, media: Sequence[Medium], images: Mapping[str, ImageReader]) -> None:
    _header_footer(c, "Ackroo card media - use cases 14 to 19",
                   f"Card {group(card.number)} (seed 002). Each card is labelled with its use case; "
                   "the POS identifies the card from any of them.", 1, 2)
    gap_x = PAGE_W - 2 * MARGIN - 2 * CARD_W
    top = PAGE_H - MARGIN - 17 * mm
    row_h = (top - 20 * mm) / 3  # three rows share the page down to the footer
    cells = [*media, None]
    for i, medium in enumerate(cells):
        x = MARGIN + (i % 2) * (CARD_W + gap_x)
        y = top - i // 2 * row_h - CARD_H - 2 * mm
        if medium is None:
            _legend(c, x, y, card)
            continue
        _DRAWERS[medium.file](c, x, y, card, images[medium.file])
        _small(c, x, y - 4.5 * mm, medium.label, 8.5, "Helvetica-Bold")
        kind = {"magstripe": "magstripe", "code128": "barcode", "qr": "qr"}[medium.kind]
        _small(c, x, y - 8.5 * mm, f"identify medium: {kind}    file: {medium.file}", 6.5, color=GREY)


def _receipt(c: Canvas, x: float, top: float, key: str, title: str, receipt: ReceiptCode,
             images: Mapping[str, ImageReader]) -> None:
    width = 86 * mm
    rows = [("Helvetica-Bold", 10, f"CRM.COM - {title}"),
            ("Courier", 8.5, f"Merchant {receipt.merchant_number}   Venue {receipt.venue_number}"),
            ("Courier", 8.5, f"Receipt  {receipt.receipt_number}"),
            ("Courier-Bold", 8.5, f"TOTAL    {receipt.amount:.2f}"),
            ("Helvetica", 7.5, "Scan with the CRM.COM app to collect your award.")]
    y = top - 8 * mm
    for font, size, text in rows:
        _small(c, x + 4 * mm, y, text, size, font)
        y -= 4.8 * mm
    qr = 40 * mm
    y -= qr
    c.drawImage(images[f"crmcom-{key}-qr.png"], x + (width - qr) / 2, y, qr, qr)
    y -= 4 * mm
    _small(c, x + 4 * mm, y, f"QR: {receipt_qr_payload(receipt)}", 8, "Courier-Bold")
    y -= 3.8 * mm
    _small(c, x + 4 * mm, y, "receipt; merchant; venue; amount x100", 6.5, color=GREY)
    bar = images[f"crmcom-{key}-barcode.png"]
    bar_w = min(78 * mm, bar.getSize()[0] / DPI * 25.4 * mm)  # native size unless wider than the receipt
    bar_h = _height(bar, bar_w)
    y -= 4 * mm + bar_h
    c.drawImage(bar, x + (width - bar_w) / 2, y, bar_w, bar_h)
    y -= 4 * mm
    _small(c, x + 4 * mm, y, f"Barcode (Code 128): {receipt_barcode_payload(receipt)}", 8, "Courier-Bold")
    y -= 3.8 * mm
    _small(c, x + 4 * mm, y, "merchant; receipt; amount x100; venue", 6.5, color=GREY)
    y -= 5 * mm
    c.setStrokeColor(GREY)
    c.setDash(2, 2)
    c.rect(x, y, width, top - y, stroke=1, fill=0)
    c.setDash()
    _small(c, x, y - 5 * mm, f"CRM.COM seed 001 - {title}s", 8.5, "Helvetica-Bold")
    files = f"files: crmcom-{key}-qr.png, crmcom-{key}-barcode.png"
    _small(c, x, y - 9 * mm, files, 6.5, color=GREY)


def _crmcom_page(c: Canvas, images: Mapping[str, ImageReader]) -> None:
    _header_footer(c, "CRM.COM receipt codes - contact reclaim and self-service purchases",
                   "Seed 001: semicolon separated, order as documented (the QR and the barcode order differ); "
                   "amount x100 is an integer.", 2, 2)
    top = PAGE_H - MARGIN - 20 * mm
    for i, (key, (title, receipt)) in enumerate(RECEIPTS.items()):
        _receipt(c, MARGIN + i * 94 * mm, top, key, title, receipt, images)


def write_pdf(path: Path, card: CardMedia, media: Sequence[Medium], pngs: Mapping[str, bytes]) -> None:
    """The printable sheet: page 1 the Ackroo cards, page 2 the CRM.COM receipts; `pngs` by file name."""
    images = {name: _reader(png) for name, png in pngs.items()}
    c = Canvas(str(path), pagesize=A4, invariant=1, pageCompression=1)
    c.setTitle("conformance test media")
    c.setAuthor("conformance")
    c.setSubject(FOOTER)
    _ackroo_page(c, card, media, images)
    c.showPage()
    _crmcom_page(c, images)
    c.showPage()
    c.save()


def write_cards(out: Path, number: str = DEFAULT_CARD_NUMBER) -> list[Path]:
    """Write every PNG and cards.pdf into `out` (created if missing); return the paths written, in order."""
    card = card_media(number)
    ackroo = ackroo_media(card)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    pngs: dict[str, bytes] = {}
    for medium in [*ackroo, *crmcom_media()]:
        pngs[medium.file] = render(medium, card)
        path = out / medium.file
        path.write_bytes(pngs[medium.file])
        written.append(path)
    pdf = out / PDF_NAME
    write_pdf(pdf, card, ackroo, pngs)
    written.append(pdf)
    return written
