"""The report layer renders one dict three ways; a failure carries its diff; nothing secret gets through."""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

from junitparser import Failure, JUnitXml

from conformance import __version__
from conformance.loader.specs import spec_file, spec_for
from conformance.model.result import Finding, Outcome, ScenarioResult, StepResult, Verdict
from conformance.report.build import build_report, combine_reports, verdict_of
from conformance.report.write import write_report


def _results() -> list[ScenarioResult]:
    finding = Finding("body", "el_balance differs", expected=Decimal("1.30"), actual="2.60", step_id="credit",
                      field="el_balance")
    failed = ScenarioResult("ackroo.uc01", "Use case 1", "ackroo", Outcome.FAIL, ("ACK-UC01",),
                            (StepResult("credit", "credit", Outcome.FAIL, (Verdict("el_balance", finding),)),))
    passed = ScenarioResult("ackroo.uc02", "Use case 2 for card 612573981949778930", "ackroo", Outcome.PASS,
                            ("ACK-UC02",))
    return [failed, passed]


def test_report_holds_the_pinned_fields_and_the_diff(tmp_path: Path) -> None:
    report = build_report(kind="provider", api="ackroo", target="http://127.0.0.1:1/ackroo?api_key=secret",
                          results=_results(), spec=spec_for("ackroo"), plan="documented use cases",
                          exercised=["loyaltyCreditMulti", "notAnOperation"])
    assert report["verdict"] == "not-certified"
    assert report["summary"] == {"pass": 1, "fail": 1, "skip": 0, "omit": 0, "error": 0}
    finding = report["results"][0]["findings"][0]
    assert finding == {"check": "body", "message": "el_balance differs", "expected": "1.30", "actual": "2.60",
                       "step": "credit", "field": "el_balance"}
    assert report["coverage"]["operations"]["exercised"] == 1
    assert report["coverage"]["requirements"]["covered"] == 2
    html = write_report(tmp_path, report)
    for name in ("report.json", "junit.xml", "report.html"):
        text = (tmp_path / name).read_text()
        assert "secret" not in text  # the target's api_key is masked
        assert "612573981949778930" not in text
    assert json.loads((tmp_path / "report.json").read_text()) == json.loads(json.dumps(report))
    suite = ET.parse(tmp_path / "junit.xml").getroot()
    assert suite.get("failures") == "1" and suite.find("testsuite/testcase/failure") is not None
    assert "<th>expected</th><td><code>&quot;1.30&quot;</code>" in html.read_text()


def test_verdicts() -> None:
    ok = ScenarioResult("a", "a", "ackroo", Outcome.PASS)
    skipped = ScenarioResult("b", "b", "ackroo", Outcome.SKIP)
    broken = ScenarioResult("c", "c", "ackroo", Outcome.ERROR)
    assert verdict_of([ok, skipped]) == "certified"
    assert verdict_of([ok, broken]) == "error"
    assert verdict_of([]) == "error"
    assert verdict_of([skipped]) == "error"


def _antavo_pass() -> ScenarioResult:
    return ScenarioResult("antavo.checkout", "Checkout", "antavo", Outcome.PASS, ("ANT-CHECKOUT",), duration_ms=12.0)


def _combined() -> dict[str, object]:
    ackroo = build_report(kind="provider", api="ackroo", target="http://127.0.0.1:1/ackroo", results=_results(),
                          spec=spec_for("ackroo"), plan="documented use cases", started="2026-12-05T10:00:00+00:00",
                          inputs=[spec_file("ackroo")])
    antavo = build_report(kind="provider", api="antavo", target="http://127.0.0.1:1/antavo",
                          results=[_antavo_pass()], spec=spec_for("antavo"), plan="documented use cases",
                          inputs=[spec_file("antavo"), spec_file("ackroo")])
    return combine_reports([ackroo, antavo], target="http://127.0.0.1:1")


def test_a_run_over_several_apis_is_one_report_naming_its_inputs() -> None:
    report = _combined()
    assert report["verdict"] == "not-certified" and report["summary"]["pass"] == 2
    assert [line["api"] for line in report["apis"]] == ["ackroo", "antavo"]
    assert report["suite_version"] == __version__ and report["started"] == "2026-12-05T10:00:00+00:00"
    assert report["finished"] >= report["started"]
    digest = hashlib.sha256(spec_file("ackroo").read_bytes()).hexdigest()
    assert {"path": str(spec_file("ackroo")), "sha256": digest} in report["inputs"]
    assert len(report["inputs"]) == 2  # each file once
    uncovered = report["apis"][0]["coverage"]["requirements"]["uncovered"]
    assert "ACK-UC01" not in uncovered and len(uncovered) > 10


def test_junit_is_one_file_whose_failure_message_is_the_finding(tmp_path: Path) -> None:
    write_report(tmp_path, _combined())
    xml = JUnitXml.fromfile(str(tmp_path / "junit.xml"))
    suites = list(xml)
    assert [suite.tests for suite in suites] == [2, 1]
    failing = next(case for case in suites[0] if case.name == "ackroo.uc01")
    (failure,) = failing.result
    assert isinstance(failure, Failure)
    assert failure.message == 'step credit field el_balance: el_balance differs (expected "1.30", actual "2.60")'
    assert "requirement: ACK-UC01" in (failure.text or "")
    assert all(not case.result for case in suites[1])


def test_report_page_summary_first_and_the_filter_hides_passes(tmp_path: Path, page: Any) -> None:
    page.goto(write_report(tmp_path, _combined()).as_uri())
    summary = page.locator("#summary tr")
    assert summary.count() == 3  # the heading and one line per api
    assert "ackroo" in summary.nth(1).inner_text() and "not-certified" in summary.nth(1).inner_text()
    rows = page.locator("table.results tr:not(.head)")
    assert "fail" in rows.nth(0).inner_text()  # failures first
    assert page.locator("table.results tr.o-pass").count() == 2
    finding = page.locator("table.results tr.o-fail table.finding").inner_text()
    assert "credit" in finding and "el_balance" in finding and "ACK-UC01" in finding
    page.click("label[for=only-fail]")
    assert page.locator("table.results tr.o-pass").first.is_hidden()
    assert page.locator("table.results tr.o-fail").is_visible()
    page.click("label[for=only-all]")
    page.click("label[for=api-antavo]")
    assert page.locator("table.results tr.o-fail").is_hidden()
    assert page.locator("table.results tr.a-antavo").is_visible()
