"""`conformance certify provider|pos`: the two certification roles (DESIGN sections 1 and 3)."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="certify",
    help="Certify a provider implementation (`certify provider`: the suite plays the POS) or a POS integration "
    "(`certify pos`: the suite plays the provider and judges what the POS sends).",
    no_args_is_help=True,
)

from conformance.cli import certify_pos, certify_provider  # noqa: E402 - the sub-commands register on `app`

app.command("provider")(certify_provider.provider)
app.command("pos")(certify_pos.pos)
