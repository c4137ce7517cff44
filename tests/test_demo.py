"""`conformance demo`, the README's main job: reports with the pinned fields, no secrets, honest exit."""

from __future__ import annotations

import json
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from tests.conftest import run_cli

PINNED_RESULT_KEYS = {"id", "title", "outcome", "requirements", "findings"}


@pytest.mark.slow
def test_demo_certifies_the_simulator_and_writes_pinned_reports(tmp_path: Path) -> None:
    result = run_cli("demo", "--report-dir", str(tmp_path / "demo"), timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    index = tmp_path / "demo" / "report.html"
    assert f"report: {index}" in result.stdout
    assert index.read_text().startswith("<!doctype html>")
    certifications = sorted((tmp_path / "demo").glob("certify-*/report.json"))
    assert len(certifications) == len(sorted((tmp_path / "demo").glob("provider-*/report.json")))
    assert all(json.loads(path.read_text())["verdict"] == "certified" for path in certifications)
    pos_reports = [json.loads(path.read_text()) for path in sorted((tmp_path / "demo").glob("pos-*/report.json"))]
    assert len(pos_reports) == len(certifications), "the reference POS is certified for every api"
    assert all(r["kind"] == "pos" and r["verdict"] == "certified" for r in pos_reports)
    assert all(r["started"] < r["finished"] and any(i["path"].endswith(".yaml") for i in r["inputs"])
               for r in pos_reports)
    assert "certify pos (reference POS" in result.stdout
    reports = sorted((tmp_path / "demo").glob("provider-*/report.json"))
    assert reports, "one report per simulated api"
    for path in reports:
        report = json.loads(path.read_text())
        assert report["schema_version"] == 1 and report["kind"] == "provider"
        assert report["verdict"] == "certified"
        assert set(report["summary"]) == {"pass", "fail", "skip", "omit", "error"}
        assert report["summary"]["pass"] == len(report["results"]) > 0
        for item in report["results"]:
            assert set(item) >= PINNED_RESULT_KEYS
        cov = report["coverage"]
        assert 0 < cov["requirements"]["covered"] <= cov["requirements"]["total"]
        assert 0 < cov["operations"]["exercised"] <= cov["operations"]["total"]
        suite = ET.parse(path.parent / "junit.xml").getroot()
        assert int(suite.get("tests", "0")) == len(report["results"]) and suite.get("failures") == "0"
        for name in ("report.json", "junit.xml", "report.html"):
            text = (path.parent / name).read_text()
            assert "612573981949778930" not in text and "Bearer t-1" not in text
