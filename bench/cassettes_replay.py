"""Time `conformance cassettes replay` of every cassette (target: 5 s or less on the project's machine).

Two figures: the whole command as a user runs it (a fresh interpreter, reports written), and the replay
alone in this process (every scenario through the cassette transport, no reports). Run:
    python bench/cassettes_replay.py [--rounds N]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time

from conformance.cli.cassettes import replay_targets
from conformance.cli.scenario import select
from conformance.loader.paths import cassettes_dir
from conformance.loader.specs import spec_for
from conformance.runner.events import RunFinished
from conformance.runner.scenarios import run
from conformance.transport.cassette import as_recorded


def in_process() -> tuple[float, int, int]:
    scenarios = select([], [])
    started = time.perf_counter()
    _, targets = replay_targets({s.api for s in scenarios}, cassettes_dir())
    specs = {api: spec_for(api) for api in targets}
    passed = 0
    for event in run([as_recorded(s) for s in scenarios], specs, targets, "bench"):
        if isinstance(event, RunFinished):
            passed = sum(r.outcome.value == "pass" for r in event.results)
    return time.perf_counter() - started, len(scenarios), passed


def command() -> float:
    with tempfile.TemporaryDirectory() as reports:
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "conformance", "cassettes", "replay", "--report-dir", reports],
                              capture_output=True, text=True, check=False)
        elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"replay exited {done.returncode}: {done.stdout[-500:]}{done.stderr[-500:]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    rounds = parser.parse_args().rounds
    whole = sorted(command() for _ in range(rounds))
    inner = sorted(in_process() for _ in range(rounds))
    seconds, count, passed = inner[0]
    print(f"cassettes replay (command, {count} cassettes, reports written): best {whole[0]:.2f} s, "
          f"median {whole[len(whole) // 2]:.2f} s over {rounds} round(s); target 5 s")
    print(f"replay alone (in-process, {passed}/{count} passed): best {seconds:.2f} s, "
          f"{1000 * seconds / count:.1f} ms per scenario")


if __name__ == "__main__":
    main()
