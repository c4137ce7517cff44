"""Running scenarios: every shipped one passes in-process and over real HTTP; a wrong figure fails with a
diff; captures flow into later steps; setup by control interface or by command; errors are exit 3."""

from __future__ import annotations

import json
import socket
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from conformance.loader.scenarios import load_scenario, load_scenarios
from conformance.loader.specs import spec_for
from conformance.model.result import Outcome, ScenarioResult
from conformance.runner.events import RunFinished, RunStarted, ScenarioFinished, ScenarioStarted, StepFinished, StepSent
from conformance.runner.scenarios import Target, run
from conformance.simulator.server import available_apis
from tests.conftest import CONTROL_TOKEN, run_cli
from tests.runner.scenario_support import CARD, GIFT_LOAD, step

SHIPPED = sorted(load_scenarios())


def simulated(scenario_id: str) -> str:
    api = scenario_id.split(".", 1)[0]
    if api not in available_apis():
        pytest.skip(f"{api} is not simulated in this build yet")
    return api


def run_one(path: Path, target: Target) -> tuple[ScenarioResult, list[object]]:
    scenario = load_scenario(path)
    events = list(run([scenario], {"ackroo": spec_for("ackroo")}, {"ackroo": target}))
    finished = [e for e in events if isinstance(e, ScenarioFinished)]
    return finished[0].result, events


@pytest.mark.parametrize("scenario_id", SHIPPED)
def test_every_shipped_scenario_passes_in_process(scenario_id: str, cli: Callable[..., object]) -> None:
    simulated(scenario_id)
    result = cli("scenario", "run", scenario_id)
    assert result.code == 0, result.stdout + result.stderr  # type: ignore[attr-defined]
    assert f"pass {scenario_id}" in result.stdout  # type: ignore[attr-defined]


@pytest.mark.parametrize("scenario_id", SHIPPED)
def test_every_shipped_scenario_passes_over_http(scenario_id: str, live_simulator: object,
                                                 cli: Callable[..., object]) -> None:
    api = simulated(scenario_id)
    origin = live_simulator.origin  # type: ignore[attr-defined]
    result = cli("scenario", "run", scenario_id, "--base-url", f"{origin}/{api}", "--control-token", CONTROL_TOKEN)
    assert result.code == 0, result.stdout + result.stderr  # type: ignore[attr-defined]
    assert f"> POST {origin}/{api}/" in result.stdout or f"> GET {origin}/{api}/" in result.stdout  # type: ignore


def test_events_tell_the_story_in_order(ackroo_target: Target) -> None:
    scenario = load_scenarios("ackroo")["ackroo.uc08-refund"]
    events = list(run([scenario], {"ackroo": spec_for("ackroo")}, {"ackroo": ackroo_target}, "sim"))
    kinds = [type(e).__name__ for e in events]
    assert kinds == ["RunStarted", "ScenarioStarted", "StepSent", "StepFinished", "StepSent", "StepFinished",
                     "ScenarioFinished", "RunFinished"]
    assert isinstance(events[0], RunStarted) and events[0].scenario_ids == ("ackroo.uc08-refund",)
    assert isinstance(events[1], ScenarioStarted) and "ACK-UC08" in events[1].requirements
    sent = events[2]
    assert isinstance(sent, StepSent) and CARD not in sent.request.body.decode()
    finished = events[3]
    assert isinstance(finished, StepFinished) and finished.result.outcome is Outcome.PASS
    assert finished.result.exchange is not None and CARD not in finished.result.exchange.request.body.decode()
    assert finished.result.exchange.request.headers["Authorization"] == "***"
    last = events[-1]
    assert isinstance(last, RunFinished) and last.summary["pass"] == 1


def test_a_captured_transaction_number_is_sent_back(ackroo_target: Target) -> None:
    scenario = load_scenarios("ackroo")["ackroo.uc12-gift-reversal"]
    results = [e.result for e in run([scenario], {"ackroo": spec_for("ackroo")}, {"ackroo": ackroo_target})
               if isinstance(e, ScenarioFinished)]
    assert results[0].outcome is Outcome.PASS, results[0].findings
    sent = ackroo_target.transport.sent  # type: ignore[attr-defined]
    load = next(json.loads(r.body) for q, r in sent if q.path == "/transaction/gift/credit")
    reversal = next(json.loads(q.body) for q, _ in sent if q.path == "/transaction/reversal")
    assert reversal["transaction_number"] == load["transaction_number"]


def test_a_missing_capture_fails_its_step_and_skips_the_steps_needing_it(
        write_scenario: Callable[..., Path], ackroo_target: Target) -> None:
    later = step("""\
        - id: reverse
          title: Reverse
          operation: transactionReversal
          request:
            body: {"device_id": "0d373af2942291bf", "transaction_number": "{{nothing}}", "clerk_id": ""}
          expect: {status: 200}
    """)
    path = write_scenario(GIFT_LOAD.replace("txn: transaction_number", "nothing: no_such_field") + later)
    result, _ = run_one(path, ackroo_target)
    assert [s.outcome for s in result.steps] == [Outcome.FAIL, Outcome.SKIP]
    assert result.outcome is Outcome.FAIL
    assert result.steps[0].findings[0].check == "capture" and "no_such_field" in result.steps[0].findings[0].message
    assert "no earlier step got" in result.steps[1].reason


def test_steps_on_the_control_interface(write_scenario: Callable[..., Path], ackroo_target: Target) -> None:
    look = step("""\
        - id: exchanges
          title: What the provider saw
          operation: controlExchanges
          request: {query: {api: ackroo}}
          expect:
            status: 200
            body: {exchanges.0.operation_id: giftCredit, exchanges: {$len: 1}}
    """)
    path = write_scenario(GIFT_LOAD + look)
    result, _ = run_one(path, ackroo_target)
    assert result.outcome is Outcome.PASS, result.findings
    without_control = Target(ackroo_target.transport, ackroo_target.setup, None)
    result, _ = run_one(path, without_control)
    assert [s.outcome for s in result.steps] == [Outcome.PASS, Outcome.SKIP]
    assert "test-control interface" in result.steps[1].reason


def test_auth_none_and_a_written_out_credential(write_scenario: Callable[..., Path], ackroo_target: Target) -> None:
    refused = step("""\
        - id: no-token
          title: Without a token
          operation: cardBalanceQuery
          request: {query: {device_id: "0d373af2942291bf", cardnumber: "{{given.cards.0.cardnumber}}"}, auth: none}
          expect: {status: 401}
        - id: wrong-token
          title: With a wrong token
          operation: cardBalanceQuery
          request: {query: {device_id: "0d373af2942291bf", cardnumber: "{{given.cards.0.cardnumber}}"},
                    auth: {token: not-a-token}}
          expect: {status: 401}
    """)
    result, _ = run_one(write_scenario(refused), ackroo_target)
    assert result.outcome is Outcome.PASS, result.findings
    sent = ackroo_target.transport.sent  # type: ignore[attr-defined]
    assert "authorization" not in {k.lower() for k in sent[0][0].headers}
    assert sent[1][0].headers["Authorization"] == "Bearer not-a-token"
    assert f"cardnumber={CARD}" in sent[0][0].path


def test_a_changed_figure_fails_with_a_diff_naming_step_and_field(data_copy: Path, cli: Callable[..., object]) -> None:
    path = data_copy / "scenarios" / "ackroo" / "uc01-cash-credit.yaml"
    path.write_text(path.read_text().replace('amount_funded: "1.30"', 'amount_funded: "1.31"'))
    result = cli("scenario", "run", "ackroo.uc01-cash-credit")
    assert result.code == 1, result.stdout  # type: ignore[attr-defined]
    out = result.stdout  # type: ignore[attr-defined]
    assert "FAIL  amount_funded = \"1.31\"" in out
    assert "step credit: amount_funded: expected \"1.31\", is \"1.30\"" in out
    assert '- expected: "1.31"' in out and '+ actual:   "1.30"' in out
    assert "0 pass, 1 fail" in out


def test_output_masks_card_numbers_and_tokens(cli: Callable[..., object]) -> None:
    result = cli("scenario", "run", "ackroo.uc12-gift-reversal")
    out = result.stdout  # type: ignore[attr-defined]
    assert result.code == 0  # type: ignore[attr-defined]
    assert CARD not in out and "t-1" not in out and "**************8930" in out


SETUP_SCRIPT = """\
import json, sys, urllib.request
given = json.load(sys.stdin)
with open(sys.argv[3], "a") as log:
    log.write(json.dumps(given) + "\\n")
control, token = sys.argv[1], sys.argv[2]
given.pop("scenario")
for path, body in (("/reset", {"api": given["api"]}), ("/fixtures", given)):
    request = urllib.request.Request(control + path, json.dumps(body).encode(), method="POST", headers={
        "Authorization": "Bearer " + token, "Content-Type": "application/json"})
    urllib.request.urlopen(request).close()
"""


def test_setup_by_command(tmp_path: Path, live_simulator: object, cli: Callable[..., object]) -> None:
    script, log = tmp_path / "setup.py", tmp_path / "given.jsonl"
    script.write_text(SETUP_SCRIPT)
    origin = live_simulator.origin  # type: ignore[attr-defined]
    command = f"{sys.executable} {script} {origin}/_control {CONTROL_TOKEN} {log}"
    result = cli("scenario", "run", "ackroo.uc08-refund", "ackroo.uc12-gift-reversal", "--base-url",
                 f"{origin}/ackroo", "--setup", command)
    assert result.code == 0, result.stdout + result.stderr  # type: ignore[attr-defined]
    received = [json.loads(line) for line in log.read_text().splitlines()]
    assert [g["scenario"] for g in received] == ["ackroo.uc08-refund", "ackroo.uc12-gift-reversal"]
    assert received[1]["api"] == "ackroo" and received[1]["cards"][0]["gift"] == "15.00"


def test_a_failing_setup_command_is_an_error(live_simulator: object, cli: Callable[..., object]) -> None:
    origin = live_simulator.origin  # type: ignore[attr-defined]
    result = cli("scenario", "run", "ackroo.uc01-cash-credit", "--base-url", f"{origin}/ackroo", "--setup",
                 f"{sys.executable} -c \"import sys; sys.exit('no fixtures here')\"")
    assert result.code == 3  # type: ignore[attr-defined]
    assert "setup could not be applied" in result.stdout and "no fixtures here" in result.stdout  # type: ignore


def test_a_wrong_control_token_is_an_error(live_simulator: object, cli: Callable[..., object]) -> None:
    origin = live_simulator.origin  # type: ignore[attr-defined]
    result = cli("scenario", "run", "ackroo.uc01-cash-credit", "--base-url", f"{origin}/ackroo",
                 "--control-token", "wrong")
    assert result.code == 3  # type: ignore[attr-defined]
    assert "/_control/reset answered 401 (is --control-token right?)" in result.stdout  # type: ignore


def test_an_unreachable_target_stops_the_run_with_one_line_and_exit_3(cli: Callable[..., object]) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = cli("scenario", "run", "--api", "ackroo", "--base-url", f"http://127.0.0.1:{port}/ackroo")
    assert result.code == 3  # type: ignore[attr-defined]
    said = result.stdout + result.stderr  # type: ignore[attr-defined]
    assert said.count("cannot connect") == 1 and said.count("Connection refused") == 1
    assert result.stderr.startswith(f"error: cannot connect to http://127.0.0.1:{port}/_control")  # type: ignore
    assert "run stopped at the first connection error" in result.stderr  # type: ignore[attr-defined]
    result = cli("scenario", "run", "ackroo.uc12-gift-reversal", "ackroo.uc01-cash-credit", "--base-url",
                 f"http://127.0.0.1:{port}/ackroo", "--setup", "true", "-q")
    assert result.code == 3  # type: ignore[attr-defined]
    assert result.stdout == ""  # type: ignore[attr-defined]
    assert result.stderr.count("\n") == 1 and "cannot connect to http://127.0.0.1" in result.stderr  # type: ignore
    assert CARD not in result.stderr  # type: ignore[attr-defined]


def test_bad_usage_is_exit_2_without_a_traceback(cli: Callable[..., object]) -> None:
    result = cli("scenario", "run", "ackroo.no-such-scenario")
    assert result.code == 2 and "unknown scenario id 'ackroo.no-such-scenario' (see" in result.stderr  # type: ignore
    result = cli("scenario", "run", "--setup", "true")
    assert result.code == 2 and "--base-url" in result.stderr  # type: ignore[attr-defined]
    done = run_cli("scenario", "run", "--api", "nope")
    assert done.returncode == 2 and "unknown api" in done.stderr and "Traceback" not in done.stderr


def test_a_broken_scenario_file_is_exit_2_naming_file_and_line(data_copy: Path, cli: Callable[..., object]) -> None:
    path = data_copy / "scenarios" / "ackroo" / "uc01-cash-credit.yaml"
    text = path.read_text()
    path.write_text(text.replace("operation: loyaltyCreditMulti", "operation: loyaltyCreditMany"))
    line = text[:text.index("operation: loyaltyCreditMulti")].count("\n") + 1
    result = cli("scenario", "run", "ackroo.uc01-cash-credit")
    assert result.code == 2  # type: ignore[attr-defined]
    assert f"error: {path}:{line}: unknown operationId 'loyaltyCreditMany'" in result.stderr  # type: ignore

