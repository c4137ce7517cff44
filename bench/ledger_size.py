"""How a request's cost grows with the ledger: 1e3 to 1e6 transactions on one card, durable SQLite file.

`python bench/ledger_size.py [--sizes 1000,10000,100000,1000000] [--calls 200]`: the history is written
straight into the ledger (latency.fill); the timed calls are Ackroo `credit/multi` and the balance check
through the whole simulator pipeline in process. p50 / p95 ms per size; flat is the target.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import targets
from latency import fill
from starlette.testclient import TestClient

from conformance.simulator.server import build_app
from conformance.simulator.state import SimulatorConfig


def _timed(action: Callable[[], int], calls: int) -> dict[str, float]:
    samples = []
    for _ in range(calls):
        start = time.perf_counter()
        status = action()
        samples.append((time.perf_counter() - start) * 1000)
        if status != 200:
            raise RuntimeError(f"status {status}")
    samples.sort()
    return {"p50_ms": round(statistics.median(samples), 3), "p95_ms": round(samples[int(len(samples) * 0.95) - 1], 3)}


def one_size(size: int, calls: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-ledger-") as scratch:
        app = build_app(
            SimulatorConfig(control_token=targets.TOKEN, db=str(Path(scratch) / "ledger.sqlite")), ["ackroo"]
        )
        try:
            with TestClient(app, base_url="http://127.0.0.1") as client:
                client.post(
                    "/_control/fixtures",
                    json=targets.FIXTURES["ackroo"],
                    headers={"authorization": f"Bearer {targets.TOKEN}"},
                ).raise_for_status()
                started = time.perf_counter()
                fill(app, "ackroo", targets.CARD, size)
                filled = time.perf_counter() - started
                auth = {"authorization": "Bearer t-1"}
                read = _timed(
                    lambda: (
                        client.get(
                            "/ackroo/device/card",
                            headers=auth,
                            params={"cardnumber": targets.CARD, "device_id": targets.DEVICE},
                        ).status_code
                    ),
                    calls,
                )
                write = _timed(
                    lambda: (
                        client.post(
                            "/ackroo/transaction/loyalty/credit/multi", headers=auth, json=targets.UC01
                        ).status_code
                    ),
                    calls,
                )
        finally:
            app.close()
    row = {"transactions": size, "balance": read, "credit_multi": write, "fill_s": round(filled, 1)}
    print(
        f"{size:>9,} transactions: balance p50 {read['p50_ms']:.2f} ms, credit/multi p50 {write['p50_ms']:.2f} ms "
        f"(history written in {filled:.1f} s)"
    )
    return row


def run(sizes: tuple[int, ...] = (1000, 10_000, 100_000, 1_000_000), calls: int = 200) -> dict[str, Any]:
    return {"calls": calls, "rows": [one_size(size, calls) for size in sizes]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000,1000000")
    parser.add_argument("--calls", type=int, default=200)
    args = parser.parse_args()
    print(json.dumps(run(tuple(int(s) for s in args.sizes.split(",")), args.calls), indent=1))


if __name__ == "__main__":
    main()
