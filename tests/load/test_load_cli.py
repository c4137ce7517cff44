"""`conformance load` as a user runs it, against `conformance simulate`, both on 127.0.0.1 (subprocesses:
Locust patches the process it runs in with gevent, so it never runs inside pytest's)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from conformance.core.errors import UsageError
from conformance.load import slo
from tests.conftest import free_port, start_simulate

TOKEN = "load-test-token"


@pytest.fixture(scope="module")
def simulator(tmp_path_factory: pytest.TempPathFactory) -> Any:
    port = free_port()
    proc = start_simulate("--db", str(tmp_path_factory.mktemp("load") / "ledger.sqlite"), port=port, token=TOKEN)
    yield f"http://127.0.0.1:{port}"
    proc.terminate()
    proc.wait(10)


def _load(*args: str, timeout: float = 90) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "conformance", "load", *args], capture_output=True, text=True,
                          timeout=timeout)


def _report(folder: Path) -> dict[str, Any]:
    assert (folder / "junit.xml").exists() and (folder / "report.html").exists()
    report: dict[str, Any] = json.loads((folder / "report.json").read_text())
    return report


@pytest.mark.parametrize("api", ["ackroo", "crmcom", "antavo"])
def test_the_till_mix_runs_clean_and_reports(simulator: str, tmp_path: Path, api: str) -> None:
    done = _load("--api", api, "--base-url", f"{simulator}/{api}", "--users", "3", "--spawn-rate", "10",
                 "--duration", "2", "--control-token", TOKEN, "--slo", "p99=5s,errors=0%",
                 "--report-dir", str(tmp_path))
    assert done.returncode == 0, done.stdout + done.stderr
    report = _report(tmp_path)
    load = report["load"]
    assert report["verdict"] == "certified" and report["plan"] == "load"
    assert report["started"] < report["finished"] and any(i["path"].endswith("openapi.yaml") for i in report["inputs"])
    assert load["requests"] > 0 and load["failures"] == 0 and load["errors"] == []
    assert {row["step"] for row in load["by_step"]} >= {"identify", "sale", "balance"}
    assert load["p50_ms"] <= load["p95_ms"] <= load["p99_ms"]
    assert "users" in done.stderr and "requests" in done.stderr  # the progress display
    html = (tmp_path / "report.html").read_text()
    assert "By step" in html and "Errors by kind" in html


def test_an_impossible_slo_exits_1_and_says_why(simulator: str, tmp_path: Path) -> None:
    done = _load("--api", "ackroo", "--base-url", f"{simulator}/ackroo", "--users", "2", "--duration", "1",
                 "--control-token", TOKEN, "--slo", "p95=0ms", "--report-dir", str(tmp_path), "-q")
    assert done.returncode == 1, done.stdout + done.stderr
    report = _report(tmp_path)
    assert report["verdict"] == "not-certified"
    failed = [r for r in report["results"] if r["outcome"] == "fail"]
    assert [r["id"] for r in failed] == ["ackroo.load.slo.p95"]
    assert "not met" in failed[0]["findings"][0]["message"]
    assert 'failures="1"' in (tmp_path / "junit.xml").read_text()


def test_errors_are_counted_by_kind(simulator: str, tmp_path: Path) -> None:
    """A till with a credential the target does not know: every call is refused, the report says 401s."""
    fixture = tmp_path / "fixture.yaml"
    fixture.write_text("credentials: [{token: not-registered, device_id: 0d373af2942291bf}]\n")
    done = _load("--api", "ackroo", "--base-url", f"{simulator}/ackroo", "--users", "2", "--duration", "1",
                 "--fixture", str(fixture), "--slo", "errors=1%", "--report-dir", str(tmp_path / "r"), "-q")
    assert done.returncode == 1, done.stdout + done.stderr
    load = _report(tmp_path / "r")["load"]
    assert load["error_percent"] == 100.0
    assert {e["kind"] for e in load["errors"]} == {"HTTP 401"}


def test_a_master_and_a_worker_on_loopback(simulator: str, tmp_path: Path) -> None:
    port = free_port()
    common = ("--api", "crmcom", "--base-url", f"{simulator}/crmcom", "--master-host", "127.0.0.1",
              "--master-port", str(port))
    # DESIGN section 3 pins `--rate`; the other test spells it `--spawn-rate` (Locust's word): both are accepted.
    master = subprocess.Popen([sys.executable, "-m", "conformance", "load", *common, "--master", "--users", "4",
                               "--rate", "10", "--duration", "3", "--control-token", TOKEN, "--report-dir",
                               str(tmp_path), "-q"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        worker = _load(*common, "--worker")
        master_out, master_err = master.communicate(timeout=90)
    finally:
        if master.poll() is None:
            master.kill()
    assert worker.returncode == 0, worker.stderr
    assert master.returncode == 0, master_out + master_err
    load = _report(tmp_path)["load"]
    assert load["settings"]["mode"] == "master"
    assert load["requests"] > 0 and load["failures"] == 0


@pytest.mark.parametrize(("args", "code", "words"), [
    (("--slo", "p95=soon"), 2, "--slo"),
    (("--api", "crmcom-webapi"), 2, "no till mix"),
    (("--master", "--worker"), 2, "exclude"),
])
def test_usage_errors_are_one_line(args: tuple[str, ...], code: int, words: str) -> None:
    base = ["--api", "ackroo"] if "--api" not in args else []
    done = _load(*base, "--base-url", "http://127.0.0.1:9/ackroo", *args)
    assert done.returncode == code, done.stderr
    assert words in done.stderr and len(done.stderr.strip().splitlines()) == 1, done.stderr


def test_an_unreachable_target_exits_3() -> None:
    done = _load("--api", "ackroo", "--base-url", f"http://127.0.0.1:{free_port()}/ackroo", "--duration", "1")
    assert done.returncode == 3 and "unreachable" in done.stderr and "Traceback" not in done.stderr


def test_the_cli_does_not_import_locust_until_load_runs() -> None:
    probe = "import sys, conformance.cli.main; print(sorted(m for m in ('locust', 'gevent') if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "[]", done.stdout + done.stderr


def test_slo_terms() -> None:
    objectives = slo.parse("p95=200ms, errors=0.1%,p99=1.5s,rps=50")
    assert [(o.key, str(o.limit)) for o in objectives] == [("p95", "200"), ("errors", "0.1"), ("p99", "1500.0"),
                                                            ("rps", "50")]
    figures = {"requests": 10, "p95_ms": 250.0, "p99_ms": 900.0, "error_percent": 0.0, "throughput_rps": 49.9}
    outcomes = {r.id: r.outcome.value for r in slo.judge("ackroo", objectives, figures)}
    assert outcomes == {"ackroo.load.ran": "pass", "ackroo.load.slo.p95": "fail", "ackroo.load.slo.errors": "pass",
                        "ackroo.load.slo.p99": "pass", "ackroo.load.slo.rps": "fail"}
    with pytest.raises(UsageError):
        slo.parse("p95=200%")
