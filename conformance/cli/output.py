"""One console for the CLI: rich on a terminal, plain lines when piped or in CI."""

from __future__ import annotations

import sys
from typing import Any

from rich.console import Console

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


def interactive() -> bool:
    """True on a terminal; then tables and progress bars, otherwise quiet line-oriented output."""
    return sys.stdout.isatty()


PLACEHOLDERS = {"api": "ID", "base_url": "URL", "control_url": "URL", "control_token": "TOKEN", "setup": "CMD",
                "report_dir": "DIR", "data": "DIR", "var": "NAME=VALUE", "vars_files": "FILE", "seed": "N",
                "db": "FILE", "port": "PORT", "host": "HOST", "program": "FILE", "fault": "NAME",
                "bundle": "FILE.zip", "key": "FILE", "capabilities": "FILE", "out": "DIR", "access_log": "FILE"}
"""What `--help` shows after an option, instead of typer's `<str>`, `<list[str]>` or `<bool>`."""


def _placeholder(param: Any, ctx: Any) -> str | None:
    """An option's value in help: its metavar, a word for what it is, nothing for a flag or an argument."""
    if getattr(param, "param_type_name", "") == "argument" or getattr(param, "is_flag", False) \
            or getattr(param, "count", False):
        return None
    if param.metavar:
        return str(param.metavar)
    return PLACEHOLDERS.get(param.name or "", (param.name or "value").upper().replace("_", "-"))


def _usage_name(param: Any) -> str:
    """An argument in the usage line: `ID` when required, `[SCENARIO]...` when optional and repeatable."""
    name = str(param.display_name_raw)
    if not param.required and not name.startswith("["):
        name = f"[{name}]"
    return name + ("..." if param.nargs != 1 and not name.endswith("...") else "")


def readable_help() -> None:
    """Every command's help says `--base-url URL` and `ID`, never `<str>` or `{ID}` (typer's display types and
    usage names, replaced once)."""
    from typer.core import TyperArgument, TyperOption

    TyperArgument._usage_display_name = _usage_name  # type: ignore[method-assign,assignment]
    TyperOption.display_type_rich = _placeholder  # type: ignore[method-assign,assignment]
    TyperArgument.display_type_rich = _placeholder  # type: ignore[method-assign,assignment]
