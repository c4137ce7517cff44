"""`conformance simulate`: serve the simulated providers and the control interface on loopback."""

from __future__ import annotations

import os
import secrets
import socket
from pathlib import Path

import typer
import uvicorn
from starlette.types import ASGIApp

from conformance.cli.output import err, out
from conformance.core.errors import TargetError, UsageError
from conformance.engine.ledger import LedgerUnavailable
from conformance.model.spec import API_IDS
from conformance.simulator.faults import PROFILES, unknown_profiles
from conformance.simulator.server import available_apis, build_app
from conformance.simulator.state import SimulatorConfig


def simulate(
    api: list[str] = typer.Option(None, "--api", help="Serve only this api (repeatable; default: all)."),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(8900, "--port", help="Port to listen on."),
    db: str = typer.Option(":memory:", "--db", help="SQLite ledger file (kept across restarts), or :memory:."),
    control_token: str = typer.Option(None, "--control-token", envvar="CONFORMANCE_CONTROL_TOKEN",
                                      help="Bearer token of /_control (default: a random one, printed)."),
    program: list[Path] = typer.Option(None, "--program", help="Extra reward program file (repeatable)."),
    fault: list[str] = typer.Option(None, "--fault", help="Named fault profile to switch on (repeatable); the "
                                    "profiles are listed below. A reset keeps them; /_control/faults clears them."),
    access_log: str | None = typer.Option(None, "--access-log", help="Write one line per request (redacted) with "
                                          "its validation result to FILE, or `-` for the terminal."),
    ui: bool = typer.Option(False, "--ui", help="Also serve the QA console at /_ui (log in with the control token)."),
    workers: int = typer.Option(1, "--workers", help="Only 1: the clock, faults and exchange log live in one process."),
) -> None:
    """Serve the simulated providers (each under /<api>) and the test-control interface (/_control)."""
    if workers != 1:  # one ledger file would stay correct, but /_control would reach only one worker's state
        raise UsageError(f"--workers {workers}: the simulator runs in one process (its clock, faults and exchange "
                         "log are held in memory); run several simulators on separate --db files instead")
    problems = unknown_profiles(fault or ())
    if problems:
        raise typer.BadParameter(problems[0], param_hint="--fault")
    served = available_apis()
    for name in api or ():
        if name not in API_IDS:
            raise typer.BadParameter(f"unknown api {name!r}; known: {', '.join(API_IDS)}", param_hint="--api")
        if name not in served:
            raise typer.BadParameter(f"{name!r} is not simulated in this build yet", param_hint="--api")
    for path in program or ():
        if not path.is_file():
            raise typer.BadParameter(f"{path}: no such file", param_hint="--program")
    token = control_token or secrets.token_urlsafe(18)
    config = SimulatorConfig(db=db, control_token=token, fault_profiles=tuple(fault or ()),
                             program_overrides=tuple(program or ()), access_log=access_log)
    _port_free(host, port)
    try:
        app = build_app(config, api or served)
    except LedgerUnavailable as exc:
        raise UsageError(f"--db {exc}") from None
    except OSError as exc:  # the access log's file
        raise UsageError(f"--access-log {access_log}: {exc.strerror or exc}") from None
    origin = f"http://{host}:{port}"
    for name in app.providers:
        out.print(f"{name:<14} {origin}/{name}")
    out.print(f"{'control':<14} {origin}/_control")
    if ui:
        out.print(f"{'console':<14} {origin}/_ui   (log in with the control token)")
    # A token the user gave is theirs already: never echoed (logs of a shared sandbox are read by others).
    shown = "(as given)" if control_token else f"{token}   (random; pass --control-token to fix it)"
    out.print(f"control token  {shown}")
    out.print(f"ledger         {db}")
    err.print("Ctrl-C stops the simulator", markup=False)
    os.environ.setdefault("PACT_DO_NOT_TRACK", "true")
    try:
        asgi: ASGIApp = app
        if ui:
            from conformance.console.app import with_console  # pulls in jinja2 and the card renderers

            asgi = with_console(app, token)
        uvicorn.run(asgi, host=host, port=port, log_level="warning", lifespan="on")
    finally:
        app.close()


def _port_free(host: str, port: int) -> None:
    """Say so in one line (exit 3) before any URL is printed when the port is taken."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise TargetError(f"cannot listen on {host}:{port}: {exc.strerror or exc} (another simulator? "
                              "choose another --port)") from None


simulate.__doc__ = (simulate.__doc__ or "") + "\n\nFault profiles (--fault NAME), each a realistic provider " \
    "bug:\n\n" + "\n\n".join(f"{name}: {text}" for name, text in PROFILES.items())
