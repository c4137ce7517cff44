"""The vendor guide's two worked examples (docs/pos-driver.md) run as written: the Python driver is
certified; the shell driver passes the balance check and is caught reading a magstripe wrongly."""

from __future__ import annotations

import json
import re
import shutil
import stat
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, run_cli

GUIDE = ROOT / "docs" / "pos-driver.md"


def _block(language: str, after: str) -> str:
    text = GUIDE.read_text()
    start = text.index(after)
    match = re.search(rf"```{language}\n(.*?)```", text[start:], re.S)
    assert match, f"no {language} block after {after!r}"
    return match.group(1)


def test_the_python_example_is_certified(tmp_path: Path) -> None:
    driver = tmp_path / "driver.py"
    driver.write_text(_block("python", "## A driver in Python"))
    done = run_cli("certify", "pos", "--api", "crmcom", "--driver", f"{sys.executable} {driver}", "--scenario",
                   "crmcom.front-end-purchase", "--report-dir", str(tmp_path / "r"))
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.skipif(not (shutil.which("jq") and shutil.which("curl")), reason="the shell example needs jq and curl")
def test_the_shell_example_checks_balances_but_not_magstripes(tmp_path: Path) -> None:
    driver = tmp_path / "my-driver"
    driver.write_text(_block("sh", "## A driver in plain shell"))
    driver.chmod(driver.stat().st_mode | stat.S_IXUSR)
    done = run_cli("certify", "pos", "--api", "ackroo", "--driver", str(driver), "--scenario",
                   "ackroo.uc13-balance-check", "--scenario", "ackroo.uc14-magstripe-balance",
                   "--report-dir", str(tmp_path / "r"), env={"XDG_RUNTIME_DIR": str(tmp_path)})
    assert done.returncode == 1, done.stdout + done.stderr
    report = json.loads((tmp_path / "r" / "report.json").read_text())
    outcomes = {r["id"]: (r["outcome"], {f["check"] for f in r["findings"]}) for r in report["results"]}
    assert outcomes["ackroo.uc13-balance-check"] == ("pass", set())
    assert outcomes["ackroo.uc14-magstripe-balance"][0] == "fail"
    assert "pos.card" in outcomes["ackroo.uc14-magstripe-balance"][1]
