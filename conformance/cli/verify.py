"""`conformance verify BUNDLE.zip [--public-key K]`: is an evidence bundle intact, and if not, which file changed?"""

from __future__ import annotations

from pathlib import Path

import typer

from conformance.cli.output import out
from conformance.core.errors import EXIT_NONCONFORMANT, EXIT_OK
from conformance.report.bundle import public_key_text, verify_bundle


def verify(
    bundle: Path = typer.Argument(..., metavar="BUNDLE.zip", help="An evidence bundle (--bundle of a run)."),
    public_key: str | None = typer.Option(None, "--public-key", help="The signer's Ed25519 public key: hex, as the "
                                          "report prints it, or a file (hex or PEM); default: the key in the bundle."),
) -> None:
    """Check the signature and every file's hash. Exit 0 intact, 1 altered (each altered file named)."""
    verdict = verify_bundle(bundle, public_key_text(public_key) if public_key else None)
    for problem in verdict.problems:
        out.print(f"{bundle}: {problem}", markup=False)
    if verdict.intact:
        trust = "the key given" if public_key else "the key inside the bundle (pass --public-key to pin the signer)"
        out.print(f"{bundle}: intact; signed by {verdict.public_key}, checked with {trust}", markup=False)
    raise typer.Exit(EXIT_OK if verdict.intact else EXIT_NONCONFORMANT)
