"""The stateful oracle (issue 15): the clean simulator agrees with the engine for every api (in-process, and
over real HTTP), a fault profile is caught and shrunk to a scenario YAML that loads, fails the same way
when run against the faulty simulator, and passes against the clean one."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest

from conformance.loader.scenarios import load_scenario
from conformance.loader.specs import spec_for
from conformance.model.result import Outcome, ScenarioResult
from conformance.model.spec import API_IDS
from conformance.report.certification import provider_report, write_certification
from conformance.runner.events import ScenarioFinished
from conformance.runner.plans.certify import closing, live_target
from conformance.runner.plans.stateful import stateful_checks
from conformance.runner.plans.verdicts import apply_confidence
from conformance.runner.scenarios import Target, run_scenario
from conformance.runner.setup import ControlSetup
from conformance.simulator.server import build_app
from conformance.simulator.state import SimulatorConfig
from conformance.transport.inprocess import AsgiTransport
from tests.conftest import CONTROL_TOKEN, free_port, run_cli, start_simulate


@contextmanager
def simulator(api: str, *profiles: str) -> Iterator[Target]:
    with ExitStack() as stack:
        app = build_app(SimulatorConfig(control_token="t", fault_profiles=profiles), [api])
        stack.callback(app.close)
        control = ControlSetup(closing(stack, AsgiTransport(app, "http://testserver/_control")), "t")
        yield Target(closing(stack, AsgiTransport(app, f"http://testserver/{api}")), control, control)


def oracle(api: str, *profiles: str, report_dir: Path | None = None, examples: int = 5) -> list[ScenarioResult]:
    with simulator(api, *profiles) as target:
        return stateful_checks(api, target, spec_for(api), seed=1, max_examples=examples, report_dir=report_dir)


def replay(path: Path, api: str, *profiles: str) -> ScenarioResult:
    scenario = load_scenario(path)  # the loader's checks and the shipped JSON Schema
    with simulator(api, *profiles) as target:
        finished = [e for e in run_scenario(scenario, spec_for(api), target) if isinstance(e, ScenarioFinished)]
    return finished[0].result


@pytest.mark.parametrize("api", API_IDS)
def test_the_clean_simulator_agrees_with_the_engine(api: str, tmp_path: Path) -> None:
    results = oracle(api, report_dir=tmp_path)
    assert {r.id for r in results} >= {f"{api}.stateful.balance", f"{api}.stateful.award"}
    assert [r.id for r in results if r.outcome is not Outcome.PASS] == []
    assert all(r.requirements for r in results)
    assert not (tmp_path / "stateful").exists()


def test_over_real_http(live_simulator: object) -> None:
    origin = live_simulator.origin  # type: ignore[attr-defined]
    with ExitStack() as stack:
        target, _ = live_target(f"{origin}/crmcom", None, CONTROL_TOKEN, None, 10.0, stack)
        results = stateful_checks("crmcom", target, spec_for("crmcom"), seed=3, max_examples=3, report_dir=None)
    assert [r.outcome for r in results] == [Outcome.PASS] * len(results) and len(results) >= 4


def test_a_fault_is_shrunk_to_a_scenario_that_fails_the_same_way(tmp_path: Path) -> None:
    results = oracle("ackroo", "refund-no-clawback", report_dir=tmp_path, examples=10)
    failed = {r.id: r for r in results if r.outcome is Outcome.FAIL}
    assert set(failed) == {"ackroo.stateful.refund", "ackroo.stateful.balance"}
    written = tmp_path / "stateful" / "ackroo-stateful-divergence.yaml"
    finding = failed["ackroo.stateful.refund"].findings[0]
    assert str(written) in finding.message and finding.field == "amount_redeemed"
    assert failed["ackroo.stateful.refund"].steps[0].exchange is not None  # the evidence
    scenario = load_scenario(written)
    assert [s.operation for s in scenario.steps] == ["loyaltyRefundMulti"]  # shrunk to the one refund
    again = replay(written, "ackroo", "refund-no-clawback")
    assert again.outcome is Outcome.FAIL
    assert {f.field for f in again.findings} >= {"amount_redeemed", "el_balance"}
    assert replay(written, "ackroo").outcome is Outcome.PASS  # the engine's expectations hold on a clean target
    kept, warnings = apply_confidence(results, strict=False)
    report = provider_report(api="ackroo", target="simulator", results=kept, warnings=warnings,
                             spec=spec_for("ackroo"), plans=["stateful"], strict=False, seed=1)
    assert report["verdict"] == "not-certified"
    page = write_certification(tmp_path, report).read_text()
    assert "stateful/ackroo-stateful-divergence.yaml" in page  # the report page names the shrunk scenario


def test_a_cancel_that_works_twice_needs_an_earlier_purchase(tmp_path: Path) -> None:
    results = oracle("crmcom", "duplicate-awarded", report_dir=tmp_path, examples=10)
    failed = [r.id for r in results if r.outcome is Outcome.FAIL]
    assert failed == ["crmcom.stateful.award"]
    scenario = load_scenario(tmp_path / "stateful" / "crmcom-stateful-divergence.yaml")
    operations = [s.operation for s in scenario.steps]
    assert operations[0] == "crmPurchaseCreate" and operations[-1] == "crmPurchaseCreate" and len(operations) <= 3


def test_the_same_seed_writes_the_same_scenario(tmp_path: Path) -> None:
    texts = []
    for run in ("a", "b"):
        oracle("crmcom-webapi", "spend-past-cap", report_dir=tmp_path / run, examples=5)
        texts.append((tmp_path / run / "stateful" / "crmcom-webapi-stateful-divergence.yaml").read_text())
    assert texts[0] == texts[1]


def test_scenario_run_reruns_the_written_file(tmp_path: Path, live_simulator: object) -> None:
    oracle("crmcom", "earn-on-total", report_dir=tmp_path)
    written = tmp_path / "stateful" / "crmcom-stateful-divergence.yaml"
    origin = live_simulator.origin  # type: ignore[attr-defined]
    clean = run_cli("scenario", "run", str(written), "--base-url", f"{origin}/crmcom", "--control-token",
                    CONTROL_TOKEN)
    assert clean.returncode == 0, clean.stdout + clean.stderr  # the clean simulator does what the engine does
    port = free_port()
    faulty = start_simulate("--api", "crmcom", "--fault", "earn-on-total", port=port, token="t")
    try:
        again = run_cli("scenario", "run", str(written), "--base-url", f"http://127.0.0.1:{port}/crmcom",
                        "--control-token", "t")
    finally:
        faulty.terminate()
        faulty.wait(10)
    assert again.returncode == 1 and "total_award_amount" in again.stdout, again.stdout + again.stderr
