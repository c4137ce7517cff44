"""`conformance certify provider|pos`: the two certification roles (DESIGN sections 1 and 3)."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="certify",
    help="Certify a provider implementation (the suite plays the POS). Certifying a POS integration "
    "(`certify pos`) is not built yet.",
    no_args_is_help=True,
)

from conformance.cli import certify_provider  # noqa: E402 - the sub-commands register on `app`

app.command("provider")(certify_provider.provider)
