"""The pytest plugin as a provider's own suite uses it: one test per check against a live server; inert
without its options."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from tests.conftest import CONTROL_TOKEN


def _pytest(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist",
                           "-rA", *args], capture_output=True, text=True, cwd=tmp_path, timeout=300)


def test_one_test_per_check_against_a_live_provider(tmp_path: Path, live_simulator: object) -> None:
    origin = live_simulator.origin  # type: ignore[attr-defined]
    done = _pytest(tmp_path, "--conformance-api", "antavo", "--conformance-url", f"{origin}/antavo",
                   "--conformance-control-token", CONTROL_TOKEN, "--conformance-plan", "security,stateful")
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(r"PASSED \S*antavo\.security\.escher-replay", done.stdout)
    assert re.search(r"PASSED \S*antavo\.stateful\.balance", done.stdout)
    assert "12 passed" in done.stdout


def test_inert_without_its_options(tmp_path: Path) -> None:
    (tmp_path / "test_own.py").write_text("def test_own():\n    assert True\n")
    done = _pytest(tmp_path)
    assert done.returncode == 0 and "1 passed" in done.stdout and "conformance" not in done.stdout
