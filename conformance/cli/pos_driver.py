"""`conformance pos-driver`: the reference POS speaking the driver protocol on stdin/stdout (DESIGN section 8).

One action JSON on stdin; the till's state (provider, token, its sales, the queue) is kept in a file
between runs (`CONFORMANCE_POS_STATE`, default in the temporary directory); the result on stdout.
"""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from conformance.pos.stdio import perform


def pos_driver(
    state: Path | None = typer.Option(None, "--state", help="Where the till keeps its state between actions "
                                      "(default: $CONFORMANCE_POS_STATE or a file in the temporary directory)."),
) -> None:
    """The reference POS as a driver: one action JSON on stdin, the till's result JSON on stdout."""
    perform(sys.stdin.read(), state)
