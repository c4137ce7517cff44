"""`certify pos --interactive` as a pseudo-terminal sees it, until the CLI dispatches to it: the session of
conformance.cli.pos_interactive over the given scenarios, judged by the status the step expects (the
exchange log is redacted, so card fields cannot be validated from it).

Usage: python tests/pos/interactive_till.py API TIMEOUT_S SCENARIO_ID...
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from conformance.cli.pos_interactive import interactive_session
from conformance.loader.scenarios import load_scenarios
from conformance.model.result import Finding
from conformance.model.scenario import Scenario, Step
from conformance.runner.pos.interactive import as_exchange


def main() -> None:
    api, timeout, *ids = sys.argv[1:]
    scenarios = load_scenarios()
    def judge(scenario: Scenario, step: Step, entry: Mapping[str, Any]) -> list[Finding]:
        exchange = as_exchange(entry)
        findings = []
        if exchange.response.status != step.expect.status:
            findings.append(Finding("status", f"step {step.id}: the simulator answered {exchange.response.status}",
                                    expected=step.expect.status, actual=exchange.response.status, field="status"))
        return findings

    results = interactive_session(api, [scenarios[i] for i in ids], judge, timeout_s=float(timeout))
    sys.exit(0 if all(r.outcome.value == "pass" for r in results) else 1)


if __name__ == "__main__":
    main()
