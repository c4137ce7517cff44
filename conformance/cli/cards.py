"""`conformance cards`: write the printable test media (PNGs and cards.pdf) for the card-media use cases."""

from __future__ import annotations

from pathlib import Path

import typer

from conformance.cli.output import out
from conformance.core.errors import UsageError
from conformance.core.media import DEFAULT_CARD_NUMBER, MediaError, check_card_number
from conformance.report.cards import write_cards


def _card(value: str) -> str:
    try:
        return check_card_number(value)
    except MediaError as exc:
        raise typer.BadParameter(str(exc)) from None


def cards(
    out_dir: Path = typer.Option(..., "--out", help="Directory to write the PNGs and cards.pdf into (created)."),
    card: str = typer.Option(DEFAULT_CARD_NUMBER, "--card", callback=_card,
                             help="Card number printed on every card medium (8-19 digits)."),
) -> None:
    """Printable test cards: Ackroo use cases 14-19 and the CRM.COM receipt codes, as PNGs and one PDF."""
    if out_dir.exists() and not out_dir.is_dir():
        raise UsageError(f"cannot write to --out {out_dir}: it exists and is not a directory")
    try:
        written = write_cards(out_dir, card)
    except OSError as exc:
        raise UsageError(f"cannot write to --out {out_dir}: {exc.strerror or exc}") from None
    for path in written:
        out.print(str(path), markup=False)
    out.print(f"# {len(written)} files written to {out_dir} (full card numbers: test media, not payment cards)",
              markup=False)
