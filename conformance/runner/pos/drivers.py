"""The two kinds of driver of the pinned protocol (DESIGN section 8), plus one in-process function.

A command gets the action as one JSON object on stdin and is done when it exits 0 (its stdout, if any, is
the result JSON); an HTTP URL gets the action POSTed and is done on a 2xx (its JSON body is the result).
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import httpx

from conformance.core import jsonio


@dataclass(frozen=True)
class DriverReply:
    """Whether the POS finished the action, what its till showed (the result), and what went wrong."""

    done: bool
    result: dict[str, Any] | None = None
    problem: str = ""
    unreachable: bool = False
    """The driver itself could not be started or reached (the harness cannot drive the target: exit 3)."""


class Driver(Protocol):
    label: str

    def perform(self, action: Mapping[str, Any]) -> DriverReply: ...


def _result(text: str) -> tuple[dict[str, Any] | None, str]:
    text = text.strip()
    if not text:
        return None, ""
    try:
        value = json.loads(text.splitlines()[-1] if not text.startswith("{") else text)
    except ValueError:
        return None, f"the driver's output is not a JSON result: {text[:200]!r}"
    return (value, "") if isinstance(value, dict) else (None, "the driver's result is not a JSON object")


class CommandDriver:
    def __init__(self, command: str, timeout: float = 60.0, env: Mapping[str, str] | None = None) -> None:
        self.command = command
        self.timeout = timeout
        self.env = dict(env) if env is not None else None
        self.label = f"command {command!r}"

    def perform(self, action: Mapping[str, Any]) -> DriverReply:
        try:
            done = subprocess.run(self.command, shell=True, input=jsonio.dumps(action), capture_output=True,
                                  text=True, timeout=self.timeout, env=self.env, check=False)
        except subprocess.TimeoutExpired:
            return DriverReply(False, problem=f"the driver did not finish within {self.timeout:g} s")
        except OSError as exc:
            return DriverReply(False, problem=f"the driver could not be started: {exc}", unreachable=True)
        if done.returncode == 127:
            return DriverReply(False, problem=f"the driver command was not found: {done.stderr.strip()[:200]}",
                               unreachable=True)
        result, problem = _result(done.stdout)
        if done.returncode != 0:
            return DriverReply(False, result, f"the driver exited {done.returncode}: {done.stderr.strip()[-300:]}")
        return DriverReply(True, result, problem)


class HttpDriver:
    def __init__(self, url: str, timeout: float = 60.0) -> None:
        self.url = url
        self.timeout = timeout
        self.label = f"URL {url}"

    def perform(self, action: Mapping[str, Any]) -> DriverReply:
        try:
            response = httpx.post(self.url, content=jsonio.dumps(action), timeout=self.timeout,
                                  headers={"content-type": "application/json"})
        except httpx.HTTPError as exc:
            return DriverReply(False, problem=f"the driver at {self.url} did not answer: {exc}", unreachable=True)
        result, problem = _result(response.text)
        if not 200 <= response.status_code < 300:
            return DriverReply(False, result, f"the driver answered {response.status_code}")
        return DriverReply(True, result, problem)


class FunctionDriver:
    """An in-process driver (the reference POS in the tests and the demo): action in, result out."""

    def __init__(self, perform: Callable[[Mapping[str, Any]], Mapping[str, Any] | None], label: str) -> None:
        self._perform = perform
        self.label = label

    def perform(self, action: Mapping[str, Any]) -> DriverReply:
        result = self._perform(json.loads(jsonio.dumps(action)))
        return DriverReply(True, dict(result) if result is not None else None)


def driver_for(spec: str, timeout: float = 60.0, env: Mapping[str, str] | None = None) -> Driver:
    """`--driver CMD_OR_URL`: an http(s) URL is an HTTP driver, anything else a shell command (run with `env`)."""
    if spec.startswith(("http://", "https://")):
        return HttpDriver(spec, timeout)
    return CommandDriver(spec, timeout, env)
