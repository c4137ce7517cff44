"""The harness's own exceptions. A target that does not conform is a finding, never an exception.

    HarnessError
    ├── DataError        a bad spec, scenario, program or cassette file (carries file and line) -> exit 2
    ├── UsageError       a bad command line or combination of options                          -> exit 2
    ├── TargetError      the harness could not reach or drive the target                       -> exit 3
    │   └── Unreachable  no connection at all: a run stops at the first one
    └── InternalError    a bug in the harness itself
"""

from __future__ import annotations

from pathlib import Path

EXIT_OK = 0
EXIT_NONCONFORMANT = 1
EXIT_USAGE = 2
EXIT_TARGET = 3


class HarnessError(Exception):
    """Root of the harness's exceptions."""

    exit_code = EXIT_USAGE


class DataError(HarnessError):
    """A data file is wrong; the message names the file and line."""

    def __init__(self, path: Path | str, line: int | None, message: str) -> None:
        self.path = Path(path)
        self.line = line
        self.message = message
        super().__init__(str(self))

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else f"{self.path}"
        return f"{where}: {self.message}"


class UsageError(HarnessError):
    """The command line asks for something that cannot be done."""


class TargetError(HarnessError):
    """The target could not be reached or driven (connection refused, timeout, driver crashed)."""

    exit_code = EXIT_TARGET


class Unreachable(TargetError):
    """No connection to the target at all (refused, unknown host): a run stops at the first one."""


class InternalError(HarnessError):
    """A bug in the harness."""

    exit_code = 70
