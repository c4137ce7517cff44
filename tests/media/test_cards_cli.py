"""`conformance cards`: writes the media, prints what it wrote, and refuses bad input with exit 2."""

from __future__ import annotations

from pathlib import Path

import zxingcpp
from PIL import Image

from conformance.report.cards import PDF_NAME
from tests.conftest import run_cli


def test_cards_writes_every_file_and_lists_it(tmp_path: Path) -> None:
    out = tmp_path / "new" / "dir"
    result = run_cli("cards", "--out", str(out))
    assert result.returncode == 0, result.stderr
    listed = [line for line in result.stdout.splitlines() if not line.startswith("#")]
    assert sorted(Path(line).name for line in listed) == sorted(p.name for p in out.iterdir())
    assert (out / PDF_NAME).is_file()
    assert len(listed) == 10


def test_card_option_sets_the_number(tmp_path: Path) -> None:
    result = run_cli("cards", "--out", str(tmp_path), "--card", "4000123412341234")
    assert result.returncode == 0, result.stderr
    with Image.open(tmp_path / "ackroo-uc17-qr-front.png") as image:
        assert [b.text for b in zxingcpp.read_barcodes(image)] == ["4000123412341234"]


def test_bad_card_is_usage_error(tmp_path: Path) -> None:
    for bad in ("61257398194977893X", "1234"):  # the 8-19 digit range itself is tested on check_card_number
        result = run_cli("cards", "--out", str(tmp_path / "x"), "--card", bad)
        assert result.returncode == 2, bad
        assert "card number must be 8 to 19 digits" in result.stderr
        assert "Traceback" not in result.stderr
    assert not (tmp_path / "x").exists()


def test_unwritable_out_is_usage_error(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    for out in (blocker, blocker / "sub"):
        result = run_cli("cards", "--out", str(out))
        assert result.returncode == 2
        assert "error: cannot write to --out" in result.stderr
        assert "Traceback" not in result.stderr


def test_out_is_required() -> None:
    result = run_cli("cards")
    assert result.returncode == 2
    assert "--out" in result.stderr
