"""What request validation costs per request, against what `prism proxy` adds in front of a server.

`python bench/validation.py [--calls 2000] [--seconds 5]`:
- in process: `validate_request` on the Ackroo `credit/multi` body (valid), with the compiled
  jsonschema-rs validator as the simulator runs it, and with jsonschema alone (the fallback); p50 in µs;
- over HTTP (wrk, one connection): the simulator's balance check direct, and through `prism proxy`
  validating the same spec; the difference of the p50s is what Prism's validation adds.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from typing import Any

import loadgen
import targets

from conformance.core import jsonio
from conformance.loader.specs import spec_for
from conformance.simulator.validation import OperationSchema, compile_operations, validate_request


def _p50_us(schema: OperationSchema, body: Any, calls: int) -> float:
    samples = []
    for _ in range(calls):
        start = time.perf_counter()
        validate_request(schema, "application/json", body, {}, {}, {})
        samples.append((time.perf_counter() - start) * 1e6)
    return round(statistics.median(samples), 1)


def in_process(calls: int) -> dict[str, Any]:
    schema = compile_operations(spec_for("ackroo"))["loyaltyCreditMulti"]
    slow = OperationSchema(schema.params, schema.body_required, schema.body_validators, {})
    body = jsonio.loads(json.dumps(targets.UC01))
    return {
        "operation": "ackroo loyaltyCreditMulti body",
        "compiled_p50_us": _p50_us(schema, body, calls),
        "jsonschema_p50_us": _p50_us(slow, body, calls),
    }


def proxy_added(seconds: float) -> dict[str, Any]:
    op = targets.OPERATIONS["ackroo-balance"]
    with targets.serve("simulator", "ackroo") as sim:
        direct = loadgen.run(sim.origin, sim.prefix, op.requests(1, sim.prefix, ""), connections=1, seconds=seconds)
        with targets.serve("prism-proxy", "ackroo", upstream=f"{sim.origin}/ackroo") as proxy:
            via = loadgen.run(proxy.origin, "", op.requests(1, "", ""), connections=1, seconds=seconds)
    return {
        "operation": "ackroo balance check GET, 1 connection",
        "direct_p50_ms": direct["p50_ms"],
        "via_prism_proxy_p50_ms": via["p50_ms"],
        "added_ms": round(via["p50_ms"] - direct["p50_ms"], 3),
        "errors": direct["errors"] + via["errors"],
    }


def run(calls: int = 2000, seconds: float = 5) -> dict[str, Any]:
    result = {"in_process": in_process(calls), "prism_proxy": proxy_added(seconds)}
    print(json.dumps(result, indent=1))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=5)
    args = parser.parse_args()
    run(args.calls, args.seconds)


if __name__ == "__main__":
    main()
