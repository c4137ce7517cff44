"""The simulator against Prism's mock and a bare Starlette endpoint, same operations, same load, one run.

`python bench/side_by_side.py [--seconds 5] [--rounds 3] [--connections 16]`: for each operation, the
three targets take turns (interleaved rounds, so a busy moment on the shared machine hits all alike);
the figure is the median round. Ratios: simulator / Prism mock and simulator / Starlette (throughput).
"""

from __future__ import annotations

import argparse
import json
from typing import Any

import loadgen
import targets

KINDS = ("simulator", "prism", "starlette")


def measure(kind: str, name: str, *, seconds: float, connections: int) -> dict[str, Any]:
    op = targets.OPERATIONS[name]
    with targets.serve(kind, op.api) as server:
        requests = op.requests(int(seconds * 8000), server.prefix, f"{targets.HOST}:{server.port}")
        return loadgen.run(server.origin, server.prefix, requests, connections=connections, seconds=seconds)


def run(seconds: float = 5, rounds: int = 3, connections: int = 16) -> dict[str, Any]:
    rows = []
    for name in targets.OPERATIONS:
        samples: dict[str, list[dict[str, Any]]] = {kind: [] for kind in KINDS}
        for _ in range(rounds):
            for kind in KINDS:
                samples[kind].append(measure(kind, name, seconds=seconds, connections=connections))
        row: dict[str, Any] = {"operation": name}
        for kind in KINDS:
            best = sorted(samples[kind], key=lambda s: s["rps"])[len(samples[kind]) // 2]
            row[kind] = {**best, "rounds_rps": [s["rps"] for s in samples[kind]]}
        row["ratio_vs_prism"] = round(row["simulator"]["rps"] / row["prism"]["rps"], 2)
        row["ratio_vs_starlette"] = round(row["simulator"]["rps"] / row["starlette"]["rps"], 2)
        rows.append(row)
        print(
            f"{name:<22} simulator {row['simulator']['rps']:>7.0f}/s p50 {row['simulator']['p50_ms']:6.2f} ms | "
            f"prism {row['prism']['rps']:>7.0f}/s | starlette {row['starlette']['rps']:>7.0f}/s | "
            f"x prism {row['ratio_vs_prism']:.2f}  x starlette {row['ratio_vs_starlette']:.2f}  "
            f"(errors {row['simulator']['errors']}/{row['prism']['errors']}/{row['starlette']['errors']})"
        )
    return {"seconds": seconds, "rounds": rounds, "connections": connections, "rows": rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    print(json.dumps(run(args.seconds, args.rounds, args.connections), indent=1))


if __name__ == "__main__":
    main()
