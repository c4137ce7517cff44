"""Where the data files live: beside the package in a wheel, at the repository root in a checkout."""

from __future__ import annotations

import os
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent.parent


def data_root() -> Path:
    """The folder holding specs/, scenarios/ and cassettes/.

    ``CONFORMANCE_DATA`` overrides it (for testing a modified copy); a wheel carries the data in
    ``conformance/_data``; an editable install or a checkout reads the repository root.
    """
    override = os.environ.get("CONFORMANCE_DATA")
    if override:
        return Path(override)
    bundled = _PACKAGE / "_data"
    if (bundled / "specs").is_dir():
        return bundled
    return _PACKAGE.parent


def specs_dir() -> Path:
    return data_root() / "specs"


def scenarios_dir() -> Path:
    return data_root() / "scenarios"


def cassettes_dir() -> Path:
    return data_root() / "cassettes"
