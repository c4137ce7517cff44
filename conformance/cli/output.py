"""One console for the CLI: rich on a terminal, plain lines when piped or in CI."""

from __future__ import annotations

import sys

from rich.console import Console

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


def interactive() -> bool:
    """True on a terminal; then tables and progress bars, otherwise quiet line-oriented output."""
    return sys.stdout.isatty()
