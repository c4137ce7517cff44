"""The terminal of `certify pos --interactive`: what the cashier reads, and the keys that skip or end a step.

Plain lines (a till person reads them; pexpect tests them), the verdict of each step as soon as its
request arrives, a failed check shown as `field: expected ..., got ...`. The test credentials and test
cards are shown in full on purpose: the cashier keys them in. They never reach a report.
"""

from __future__ import annotations

import contextlib
import os
import select
import sys
import termios
import tty
from collections.abc import Iterable, Iterator, Mapping
from contextlib import ExitStack
from typing import Any, TextIO

from conformance.core.errors import UsageError
from conformance.loader.specs import spec_for
from conformance.model.result import Finding, ScenarioResult
from conformance.model.scenario import Scenario
from conformance.runner.events import RunFinished, ScenarioFinished, ScenarioStarted, StepFinished
from conformance.runner.expectations import show
from conformance.runner.pos.interactive import (
    QUIT_KEY,
    SKIP_KEY,
    InteractiveEvent,
    Keys,
    RequestSeen,
    StepAsked,
    TillSetUp,
    run_interactive,
)


@contextlib.contextmanager
def terminal_keys(stream: TextIO | None = None) -> Iterator[Keys]:
    """Single key presses from a terminal (no Enter needed), restored on exit; a pipe is a usage error."""
    stream = stream or sys.stdin
    if not stream.isatty():
        raise UsageError("--interactive needs a terminal (a person at the till presses keys to skip or end)")
    fd = stream.fileno()
    saved = termios.tcgetattr(fd)

    def key(timeout: float) -> str | None:
        ready, _, _ = select.select([fd], [], [], max(timeout, 0))
        if not ready:
            return None
        data = os.read(fd, 1)
        return data.decode("utf-8", "replace").lower() if data else None

    try:
        tty.setcbreak(fd)
        yield key
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)


def render(events: Iterable[InteractiveEvent], out: TextIO) -> list[ScenarioResult]:
    """Print the session as it happens; return the scenario results for the report."""
    results: list[ScenarioResult] = []
    for event in events:
        for line in _lines(event):
            out.write(line + "\n")
        out.flush()
        if isinstance(event, RunFinished):
            results = list(event.results)
    return results


def _lines(event: InteractiveEvent) -> list[str]:
    if isinstance(event, ScenarioStarted):
        return ["", f"== Scenario {event.scenario_id}: {event.title}"]
    if isinstance(event, TillSetUp):
        lines = [f"Simulator: point the till at {event.base_url}"]
        lines += [f"Test credentials: {_pairs(c)}" for c in event.credentials]
        lines += [f"Test card: {_pairs(c)}" for c in event.cards]
        return lines
    if isinstance(event, StepAsked):
        lines = [f"-- Step {event.number}/{event.total} ({event.step_id}): {event.cashier}"]
        if event.medium:
            lines.append(f"   Present: {event.medium.get('type', 'card')} {event.medium.get('data', '')}")
        lines.append(f"   Waiting for the till's {', '.join(event.operations)} ({SKIP_KEY} = skip this step, "
                     f"{QUIT_KEY} = end the session; {event.timeout_s:g} s)")
        return lines
    if isinstance(event, RequestSeen):
        note = "" if event.expected else f" (not this step's: {event.operation_id or 'unknown operation'})"
        return [f"   <- {event.method} {event.path} -> {event.status}{note}"]
    if isinstance(event, StepFinished):
        result = event.result
        head = f"   {result.outcome.value.upper()} {result.step_id}" + (f": {result.reason}" if result.reason else "")
        return [head] + [f"      {_diff(f)}" for f in result.findings]
    if isinstance(event, ScenarioFinished):
        return [f"== {event.result.outcome.value.upper()} {event.result.id}"]
    if isinstance(event, RunFinished):
        summary = ", ".join(f"{count} {name}" for name, count in event.summary.items() if count)
        return ["", f"Session over: {summary or 'nothing run'}"]
    return []


def _diff(finding: Finding) -> str:
    if finding.field and (finding.expected is not None or finding.actual is not None):
        return f"{finding.field}: expected {show(finding.expected)}, got {show(finding.actual)} ({finding.message})"
    return finding.message


def _pairs(values: Mapping[str, Any]) -> str:
    return " ".join(f"{key}={value}" for key, value in values.items())


def interactive_session(api: str, scenarios: Iterable[Scenario], *, timeout_s: float = 120.0,
                        out: TextIO | None = None, keys_from: TextIO | None = None) -> list[ScenarioResult]:
    """Serve the simulator on 127.0.0.1, then walk a person at the till through `scenarios`."""
    from conformance.cli.certify_pos import served_target  # certify_pos dispatches here: import when called

    out = out or sys.stdout
    with ExitStack() as stack:
        keys = stack.enter_context(terminal_keys(keys_from))
        target = served_target(api, stack)
        out.write(f"certify pos {api} --interactive: the simulator is at {target.base_url}\n"
                  f"Keys: {SKIP_KEY} skips a step, {QUIT_KEY} ends the session.\n")
        try:
            return render(run_interactive(scenarios, spec_for(api), target, keys, timeout_s=timeout_s), out)
        except KeyboardInterrupt:
            out.write("\nSession interrupted\n")
            return []
