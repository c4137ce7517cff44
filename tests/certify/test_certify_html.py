"""The certification page in headless Chromium: the verdict, failures first with evidence, warnings apart,
and the outcome filter hiding passes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from conformance.loader.specs import spec_for
from conformance.model.result import Finding, Outcome, ScenarioResult
from conformance.report.build import build_report
from conformance.report.certification import certification_extras, render_certification
from conformance.runner.plans.certify import run_plans
from conformance.runner.plans.verdicts import apply_confidence
from conformance.runner.scenarios import Target
from conformance.runner.setup import ControlSetup
from conformance.simulator.server import build_app
from conformance.simulator.state import SimulatorConfig
from conformance.transport.inprocess import AsgiTransport


def _report(tmp_path: Path) -> Path:
    app = build_app(SimulatorConfig(control_token="t", fault_profiles=("stack-trace",)), ["ackroo"])
    control = ControlSetup(AsgiTransport(app, "http://testserver/_control"), "t")
    target = Target(AsgiTransport(app, "http://testserver/ackroo"), control, control)
    results = run_plans("ackroo", target, ["security"], seed=0, max_examples=2, report_dir=None)
    guess = Finding("spec.negative-data", "a 200-character name was accepted", confidence="inferred")
    results.append(ScenarioResult("ackroo.spec.negative-data", "schema-invalid requests are refused", "ackroo",
                                  Outcome.FAIL, setup_findings=(guess,)))
    results, warnings = apply_confidence(results, strict=False)
    spec = spec_for("ackroo")
    report = build_report(kind="provider", api="ackroo", target="in-process", results=results, spec=spec,
                          plan="security")
    report = certification_extras(report, results, warnings, strict=False, seed=0,
                                  requirement_ids=[r.id for r in spec.requirements])
    page = tmp_path / "report.html"
    page.write_text(render_certification(report), encoding="utf-8")
    return page


def test_certification_page_reads_and_filters(tmp_path: Path, page: Any) -> None:
    page.goto(_report(tmp_path).as_uri())
    assert page.inner_text("#verdict") == "not-certified"
    rows = page.locator("table.results tr:not(.head)")
    assert "fail" in rows.nth(0).inner_text()  # failures first
    assert page.locator("table.results tr.o-pass").count() >= 1
    assert "a 200-character name was accepted" in page.inner_text("#warnings + table")
    page.locator("details summary").first.click()
    assert "Traceback" in page.locator("details pre").nth(1).inner_text()
    page.click("label[for=only-fail]")
    assert page.locator("table.results tr.o-pass").first.is_hidden()
    assert page.locator("table.results tr.o-fail").first.is_visible()
    page.click("label[for=only-all]")
    assert page.locator("table.results tr.o-pass").first.is_visible()
