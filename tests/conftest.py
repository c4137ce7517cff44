"""Shared fixtures: the repository root, a scratch copy of the data files, and the CLI runner."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture
def data_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private copy of specs/ and scenarios/ that a test may break; CONFORMANCE_DATA points at it."""
    for name in ("specs", "scenarios"):
        shutil.copytree(ROOT / name, tmp_path / name)
    monkeypatch.setenv("CONFORMANCE_DATA", str(tmp_path))
    return tmp_path


def run_cli(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None,
            stdin: str | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run `python -m conformance ...` as a user would, in a subprocess."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run([sys.executable, "-m", "conformance", *args], capture_output=True, text=True,
                          env=full_env, cwd=cwd or ROOT, input=stdin, timeout=timeout)
