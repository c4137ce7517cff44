"""The CLI reads well: help, version, a wrong flag, and no traceback ever."""

from __future__ import annotations

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
