"""`conformance certify provider` as a user runs it: exit codes, the three report files, junit.xml read back,
a live target over real HTTP, capabilities, and confidence-aware verdicts."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from junitparser import JUnitXml

from conformance.model.result import Finding, Outcome, ScenarioResult
from conformance.runner.plans.verdicts import apply_confidence, omit
from tests.cassettes.test_evidence import leaks, shipped_secrets
from tests.conftest import CONTROL_TOKEN, free_port, run_cli, start_simulate


def test_in_process_certification_writes_three_reports_and_junit_reads_back(tmp_path: Path) -> None:
    done = run_cli("certify", "provider", "--api", "crmcom", "--plan", "scenarios,security",
                   "--report-dir", str(tmp_path), "--quiet")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "crmcom: certified" in done.stdout
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["kind"] == "provider" and report["verdict"] == "certified"
    assert set(report["summary"]) == {"pass", "fail", "skip", "omit", "error"}
    assert any(r["id"] == "crmcom.security.missing-credentials" for r in report["results"])
    assert report["requirements"] and report["warnings"] == []
    xml = JUnitXml.fromfile(str(tmp_path / "junit.xml"))
    cases = [case for suite in xml for case in suite]
    assert len(cases) == len(report["results"])
    assert {case.name for case in cases} >= {"crmcom.security.wrong-credentials", "crmcom.void-purchase"}
    assert all(case.is_passed for case in cases)


def test_live_simulator_over_http_is_certified(tmp_path: Path, live_simulator: object) -> None:
    origin = live_simulator.origin  # type: ignore[attr-defined]
    done = run_cli("certify", "provider", "--api", "antavo", "--base-url", f"{origin}/antavo", "--control-token",
                   CONTROL_TOKEN, "--plan", "security,robustness", "--report-dir", str(tmp_path))
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["target"] == f"{origin}/antavo" and report["verdict"] == "certified"


def test_a_fault_given_at_start_survives_the_plans_resets_and_fails_the_target(tmp_path: Path) -> None:
    port, token = free_port(), "fault-token"
    proc = start_simulate("--api", "ackroo", "--fault", "stack-trace", port=port, token=token)
    try:
        done = run_cli("certify", "provider", "--api", "ackroo", "--base-url", f"http://127.0.0.1:{port}/ackroo",
                       "--control-token", token, "--plan", "security", "--report-dir", str(tmp_path))
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    assert done.returncode == 1, done.stdout + done.stderr
    report = json.loads((tmp_path / "report.json").read_text())
    failed = {r["id"] for r in report["results"] if r["outcome"] == "fail"}
    assert failed == {"ackroo.security.no-stack-trace"}
    evidence = next(r for r in report["results"] if r["id"] == "ackroo.security.no-stack-trace")["evidence"]
    assert evidence and "Traceback" in evidence[0]["response"]
    assert "FAIL ackroo.security.no-stack-trace" in done.stdout


def test_a_request_slower_than_the_timeout_is_a_finding(tmp_path: Path) -> None:
    port, token = free_port(), "slow-token"
    proc = start_simulate("--api", "crmcom", "--fault", "slow-response", port=port, token=token)
    try:
        done = run_cli("certify", "provider", "--api", "crmcom", "--base-url", f"http://127.0.0.1:{port}/crmcom",
                       "--control-token", token, "--plan", "security", "--timeout", "0.5", "--report-dir",
                       str(tmp_path))
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    assert done.returncode == 1, done.stdout + done.stderr
    report = json.loads((tmp_path / "report.json").read_text())
    (failed,) = [r for r in report["results"] if r["outcome"] == "fail"]
    assert failed["id"] == "crmcom.security.timeout" and failed["findings"][0]["check"] == "transport.timeout"


def test_with_setup_a_check_whose_state_is_missing_is_skipped_with_the_reason(tmp_path: Path) -> None:
    port = free_port()
    proc = start_simulate("--api", "crmcom", port=port, token="unused")
    try:
        done = run_cli("certify", "provider", "--api", "crmcom", "--base-url", f"http://127.0.0.1:{port}/crmcom",
                       "--setup", "true", "--plan", "robustness", "--report-dir", str(tmp_path), "-q")
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads((tmp_path / "report.json").read_text())
    once = next(r for r in report["results"] if r["id"] == "crmcom.robust.once")
    assert once["outcome"] == "skip" and "not in the scenario's state" in once["reason"]


def test_unreachable_target_is_exit_3_with_one_line(tmp_path: Path) -> None:
    port = free_port()
    done = run_cli("certify", "provider", "--api", "ackroo", "--base-url", f"http://127.0.0.1:{port}/ackroo",
                   "--report-dir", str(tmp_path))
    assert done.returncode == 3
    assert done.stderr.count("\n") == 1 and "unreachable" in done.stderr and "Traceback" not in done.stderr


def test_unknown_plan_is_a_usage_error_with_a_suggestion() -> None:
    done = run_cli("certify", "provider", "--api", "ackroo", "--plan", "secruity")
    assert done.returncode == 2 and "did you mean 'security'" in done.stderr


def test_the_stateful_plan_certifies_the_simulator(tmp_path: Path) -> None:
    done = run_cli("certify", "provider", "--api", "antavo", "--plan", "stateful", "--max-examples", "3",
                   "--report-dir", str(tmp_path), "--quiet")
    report = json.loads((tmp_path / "report.json").read_text())
    outcomes = {r["id"]: r["outcome"] for r in report["results"]}
    assert done.returncode == 0 and outcomes["antavo.stateful.balance"] == "pass"
    assert set(outcomes.values()) == {"pass"} and not (tmp_path / "stateful").exists()


def test_capabilities_omit_a_check(tmp_path: Path) -> None:
    caps = tmp_path / "caps.yaml"
    caps.write_text("omit: [robust.overdraw]\n")
    done = run_cli("certify", "provider", "--api", "ackroo", "--plan", "robustness", "--capabilities", str(caps),
                   "--report-dir", str(tmp_path / "out"), "--quiet")
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert done.returncode == 0, done.stdout + done.stderr
    assert next(r for r in report["results"] if r["id"] == "ackroo.robust.overdraw")["outcome"] == "omit"
    bad = tmp_path / "bad.yaml"
    bad.write_text("omit: robust.overdraw\n")
    done = run_cli("certify", "provider", "--api", "ackroo", "--capabilities", str(bad))
    assert done.returncode == 2 and f"{bad}:1:" in done.stderr


def _failed(confidence: str | None) -> ScenarioResult:
    finding = Finding("spec.negative-data", "a length limit was not enforced", confidence=confidence)
    return ScenarioResult("x.spec.negative-data", "t", "x", Outcome.FAIL, setup_findings=(finding,))


def test_inferred_is_a_warning_unless_strict_and_unknown_confidence_binds() -> None:
    kept, warnings = apply_confidence([_failed("inferred")], strict=False)
    assert kept[0].outcome is Outcome.PASS and len(warnings) == 1
    kept, warnings = apply_confidence([_failed("inferred")], strict=True)
    assert kept[0].outcome is Outcome.FAIL and not warnings
    for binding in ("documented", "observed", "decided", "made-up", None):
        kept, warnings = apply_confidence([_failed(binding)], strict=False)
        assert kept[0].outcome is Outcome.FAIL and not warnings, binding
    assert omit([_failed("documented")], ["spec.negative-data"], "caps.yaml")[0].outcome is Outcome.OMIT


def test_a_signed_bundle_holds_the_certification_and_verifies(tmp_path: Path) -> None:
    env = {"XDG_CONFIG_HOME": str(tmp_path / "config")}  # the signing key is made there on first use
    bundle = tmp_path / "evidence.zip"
    done = run_cli("certify", "provider", "--api", "ackroo", "--plan", "stateful,security", "--max-examples", "3",
                   "--report-dir", str(tmp_path / "r"), "--bundle", str(bundle), "--quiet", env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert run_cli("verify", str(bundle), env=env).returncode == 0
    with zipfile.ZipFile(bundle) as archive:
        texts = {name: archive.read(name).decode() for name in archive.namelist()}
    report = json.loads(texts["reports/report.json"])
    assert report["evidence"]["algorithm"] == "Ed25519" and "ackroo.stateful.balance" in {
        r["id"] for r in report["results"]}
    assert "reports/report.html" in texts and "reports/junit.xml" in texts
    problems = [p for name, text in texts.items() for p in leaks(name, text, shipped_secrets())]
    assert not problems, problems[:5]
