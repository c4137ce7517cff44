"""The modes of `certify pos` other than `--driver`: a person at the till, recorded traffic, a pact.

Each takes the same arguments and returns the exit code; they judge with `conformance.runner.pos.judge`
and report with `certify_pos.pos_report`, so every mode has one plan and one report format.
"""

from __future__ import annotations

from pathlib import Path

from conformance.core.errors import UsageError
from conformance.model.scenario import Scenario


def interactive(*, api: str, scenarios: list[Scenario], plans: list[str], report_dir: Path,
                bundle: Path | None) -> int:
    """`--interactive`: a person at a real till, guided step by step."""
    raise UsageError("certify pos --interactive is not built yet")


def cassettes(path: Path, *, api: str, scenarios: list[Scenario], plans: list[str], report_dir: Path,
              bundle: Path | None) -> int:
    """`--cassettes PATH`: a POS's recorded vcrpy cassettes, matched to scenarios and judged offline."""
    raise UsageError("certify pos --cassettes is not built yet")


def har(path: Path, *, api: str, scenarios: list[Scenario], plans: list[str], report_dir: Path,
        bundle: Path | None) -> int:
    """`--har FILE`: a POS's traffic exported by a browser or a proxy, judged offline."""
    raise UsageError("certify pos --har is not built yet")


def pact(path: Path, *, api: str, scenarios: list[Scenario], plans: list[str], report_dir: Path,
         bundle: Path | None) -> int:
    """`--pact FILE`: a pact written by the POS's consumer tests, validated and verified against the simulator."""
    raise UsageError("certify pos --pact is not built yet")
