"""The CLI reads well: help, version, a wrong flag, and no traceback ever."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from pathlib import Path
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


def test_a_broken_ref_is_named_once_at_its_line(data_copy: Path) -> None:
    spec = data_copy / "specs" / "ackroo" / "openapi.yaml"
    lines = spec.read_text(encoding="utf-8").splitlines(keepends=True)
    number = next(i for i, line in enumerate(lines, 1) if '$ref: "#/components/schemas/TokenResponse"' in line)
    lines[number - 1] = lines[number - 1].replace("TokenResponse", "TokenRespons")
    spec.write_text("".join(lines), encoding="utf-8")
    result = run_cli("specs", "check")
    assert result.returncode == 2
    assert result.stderr.splitlines() == [f"{spec}:{number}: $ref '#/components/schemas/TokenRespons' does not "
                                          "resolve", "1 problem(s)"]


def test_simulate_on_a_port_in_use_says_so_before_any_url() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_cli("simulate", "--api", "ackroo", "--port", str(port), timeout=60)
    assert result.returncode == 3
    assert result.stdout == ""
    assert result.stderr.splitlines() == [f"error: cannot listen on 127.0.0.1:{port}: Address already in use "
                                          "(another simulator? choose another --port)"]
