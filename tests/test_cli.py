"""The CLI reads well: help, version, a wrong flag, and no traceback ever."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from typer.testing import CliRunner

from tests.conftest import run_cli


def test_help_lists_commands() -> None:
    result = run_cli("--help")
    assert result.returncode == 0
    assert "specs" in result.stdout


def test_version() -> None:
    result = run_cli("--version")
    assert result.returncode == 0
    assert result.stdout.startswith("conformance ")


def test_wrong_flag_is_usage_error() -> None:
    result = run_cli("specs", "list", "--no-such-flag")
    assert result.returncode == 2
    assert "No such option" in result.stderr
    assert "Traceback" not in result.stderr


def test_unknown_api_is_usage_error() -> None:
    result = run_cli("specs", "list", "--api", "nope")
    assert result.returncode == 2
    assert "unknown api" in result.stderr


def _commands(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    yield path
    for name, sub in getattr(command, "commands", {}).items():
        yield from _commands(sub, (*path, name))


def test_every_help_text_names_values_in_words() -> None:
    """No `<str>`, `<bool>`, `<list[str]>` or `{ID}` in any command's help: `--base-url URL`, `ID`."""
    import typer.main

    from conformance.cli.main import app

    runner = CliRunner()
    paths = list(_commands(typer.main.get_command(app)))
    assert ("scenario", "run") in paths and ("certify", "provider") in paths
    for path in paths:
        result = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "200"})
        assert result.exit_code == 0, path
        odd = re.findall(r"<(?:str|bool|int|float|path|list\[[a-z]+\])>|\{[A-Z_.]+\}", result.stdout)
        assert not odd, f"{' '.join(path)} --help shows {odd}"
    run_help = runner.invoke(app, ["scenario", "run", "--help"], env={"COLUMNS": "200"}).stdout
    assert "[SCENARIO]..." in run_help and re.search(r"--base-url\s+URL", run_help)
