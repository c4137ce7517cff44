"""Running `schemathesis run` as a user does, against `conformance simulate` in its own process."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from tests.conftest import ROOT, free_port, start_simulate

TOKEN = "cli-control"
CONTROL = {"authorization": f"Bearer {TOKEN}"}


@contextmanager
def simulator_process(api: str, fixture: Mapping[str, Any]) -> Iterator[str]:
    """`conformance simulate --api API` with the fixture loaded; yields the origin, stops it with Ctrl-C."""
    port = free_port()
    proc = start_simulate("--api", api, port=port, token=TOKEN)
    origin = f"http://127.0.0.1:{port}"
    try:
        httpx.post(f"{origin}/_control/fixtures", json=dict(fixture), headers=CONTROL).raise_for_status()
        yield origin
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=10)


def run_schemathesis(api: str, base_url: str, *args: str, hooks: str | None = None,
                     env: Mapping[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The CLI from the repository root (so it reads schemathesis.toml), every check, a fixed seed."""
    cli = Path(sys.executable).with_name("schemathesis")
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    if hooks:
        full_env["SCHEMATHESIS_HOOKS"] = hooks
    return subprocess.run([str(cli), "run", f"specs/{api}/openapi.yaml", "--url", base_url, "--checks", "all",
                           "--seed", "1", "--no-color", *args],
                          cwd=ROOT, capture_output=True, text=True, timeout=300, env=full_env)


def assert_all_passed(result: subprocess.CompletedProcess[str], at_least: int) -> None:
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-1000:]
    counts = re.search(r"(\d+) generated, (\d+) passed", result.stdout)
    assert counts, result.stdout[-2000:]
    assert counts.group(1) == counts.group(2) and int(counts.group(1)) >= at_least, result.stdout[-2000:]
