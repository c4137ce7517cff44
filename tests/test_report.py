"""The report layer renders one dict three ways; a failure carries its diff; nothing secret gets through."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from xml.etree import ElementTree as ET

from conformance.loader.specs import spec_for
from conformance.model.result import Finding, Outcome, ScenarioResult, StepResult, Verdict
from conformance.report.build import build_report, verdict_of
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
    assert suite.get("failures") == "1" and suite.find("testcase/failure") is not None
    assert "expected: &quot;1.30&quot;" in html.read_text() or 'expected: "1.30"' in html.read_text()


def test_verdicts() -> None:
    ok = ScenarioResult("a", "a", "ackroo", Outcome.PASS)
    skipped = ScenarioResult("b", "b", "ackroo", Outcome.SKIP)
    broken = ScenarioResult("c", "c", "ackroo", Outcome.ERROR)
    assert verdict_of([ok, skipped]) == "certified"
    assert verdict_of([ok, broken]) == "error"
    assert verdict_of([]) == "error"
    assert verdict_of([skipped]) == "error"
