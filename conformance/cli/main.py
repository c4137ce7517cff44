"""The `conformance` command: every sub-command is wired here; errors become pinned exit codes."""

from __future__ import annotations

import sys

import typer

from conformance import __version__
from conformance.cli import (
    cards,
    cassettes,
    certify,
    coverage,
    demo,
    load,
    pos_driver,
    scenario,
    simulate,
    specs,
    verify,
)
from conformance.cli.output import err, out, readable_help
from conformance.core.errors import HarnessError
from conformance.loader.paths import set_overlay

readable_help()

app = typer.Typer(
    name="conformance",
    help="Contract tests and certification for POS <-> loyalty-provider integrations "
    "(Ackroo, CRM.COM Web API, CRM.COM REST, Antavo).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.command("demo")(demo.demo)
app.add_typer(specs.app, name="specs")
app.add_typer(scenario.app, name="scenario")
app.add_typer(certify.app, name="certify")
app.command("coverage")(coverage.coverage)
app.command("simulate")(simulate.simulate)
app.command("cards")(cards.cards)
app.add_typer(cassettes.app, name="cassettes")
app.command("verify")(verify.verify)
app.command("pos-driver")(pos_driver.pos_driver)
app.command("load")(load.load)


def _version(value: bool) -> None:
    if value:
        out.print(f"conformance {__version__}", markup=False)
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version."),
) -> None:
    """Exit codes: 0 conforms, 1 does not conform, 2 bad usage or data file, 3 target unreachable."""


def main() -> None:
    """Console-script entry point: a HarnessError is a message and an exit code, never a traceback."""
    set_overlay(None)  # `--data` holds for one command
    try:
        app()
    except HarnessError as exc:
        err.print(f"error: {exc}", markup=False)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        err.print("interrupted", markup=False)
        sys.exit(130)
