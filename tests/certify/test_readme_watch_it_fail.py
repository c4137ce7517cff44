"""README's "Watch it fail" steps, run as written (only the port is a free one, and the commands run in a
scratch folder): the simulator with a fault, a scenario and a certification that both exit 1, the report."""

from __future__ import annotations

import json
import os
import re
import shlex
import socket
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import ROOT, free_port


def _blocks() -> list[str]:
    section = (ROOT / "README.md").read_text().split("### Watch it fail", 1)[1].split("\n### ", 1)[0]
    return re.findall(r"```bash\n(.*?)```", section, re.S)


def _wait_for(port: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise AssertionError("the simulator did not listen")


def test_watch_it_fail_as_written(tmp_path: Path) -> None:
    start, runs = _blocks()
    port = str(free_port())
    bin_dir = str(Path(sys.executable).parent)
    env = {**os.environ, "PATH": bin_dir + os.pathsep + os.environ["PATH"]}
    simulate = [*shlex.split(start.strip()), "--port", port]
    proc = subprocess.Popen(simulate, env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            text=True)
    try:
        assert proc.stdout is not None and "ackroo" in proc.stdout.readline()
        _wait_for(int(port))
        for line in runs.strip().splitlines():
            done = subprocess.run(line.replace("8900", port), shell=True, env=env, cwd=tmp_path,
                                  capture_output=True, text=True, timeout=300)
            assert done.returncode == 1, line + "\n" + done.stdout + done.stderr
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    report = json.loads((tmp_path / "reports" / "double-earn" / "report.json").read_text())
    uc01 = next(r for r in report["results"] if r["id"] == "ackroo.uc01-cash-credit")
    assert uc01["outcome"] == "fail" and uc01["findings"][0]["actual"] == "2.60"
    assert (tmp_path / "reports" / "double-earn" / "report.html").is_file()
