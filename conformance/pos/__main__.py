"""`python -m conformance.pos`: the reference POS driver without loading the whole command line."""

from __future__ import annotations

import sys

from conformance.core.errors import HarnessError
from conformance.pos.stdio import perform

try:
    perform(sys.stdin.read())
except HarnessError as exc:
    sys.stderr.write(f"error: {exc}\n")
    sys.exit(exc.exit_code)
