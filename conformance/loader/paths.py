"""Where the data files live: beside the package in a wheel, at the repository root in a checkout, with an
optional overlay (`--data DIR`) that holds only the files it adds or replaces."""

from __future__ import annotations

import os
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent.parent
_overlay: list[Path] = []


def data_root() -> Path:
    """The folder holding specs/, scenarios/ and cassettes/.

    ``CONFORMANCE_DATA`` overrides it (a whole modified copy; tests break copies that way); a wheel carries
    the data in ``conformance/_data``; an editable install or a checkout reads the repository root.
    """
    override = os.environ.get("CONFORMANCE_DATA")
    if override:
        return Path(override)
    bundled = _PACKAGE / "_data"
    if (bundled / "specs").is_dir():
        return bundled
    return _PACKAGE.parent


def set_overlay(folder: Path | None) -> None:
    """`--data DIR`: a folder laid out as the data root (specs/<api>/..., scenarios/<api>/..., scenarios/
    programs/...) whose files replace the bundled ones of the same name or are added to them."""
    _overlay[:] = [folder] if folder is not None else []


def overlay() -> Path | None:
    return _overlay[0] if _overlay else None


def data_file(*parts: str) -> Path:
    """A data file by its path under the data root, taken from the overlay when the overlay has it."""
    top = overlay()
    if top is not None and top.joinpath(*parts).exists():
        return top.joinpath(*parts)
    return data_root().joinpath(*parts)


def data_folders(*parts: str) -> list[Path]:
    """A data folder and, after it, the overlay's folder of the same name (later files replace earlier)."""
    top = overlay()
    return [data_root().joinpath(*parts), *([top.joinpath(*parts)] if top is not None else [])]


def data_key() -> tuple[Path, Path | None]:
    """What the data in use depends on (a cache key)."""
    return data_root(), overlay()


def specs_dir() -> Path:
    return data_root() / "specs"


def scenarios_dir() -> Path:
    return data_root() / "scenarios"


def cassettes_dir() -> Path:
    return data_root() / "cassettes"
