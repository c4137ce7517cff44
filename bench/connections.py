"""How throughput and latency move with concurrent connections (1 to 64), simulator and Prism's mock.

`python bench/connections.py [--levels 1,4,16,64] [--seconds 5]`: Ackroo `credit/multi` (a durable
write for the simulator), wrk with that many keep-alive connections.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

import loadgen
import targets


def run(levels: tuple[int, ...] = (1, 4, 16, 64), seconds: float = 5) -> dict[str, Any]:
    op = targets.OPERATIONS["ackroo-credit-multi"]
    rows: list[dict[str, Any]] = []
    for kind in ("simulator", "prism"):
        with targets.serve(kind, op.api) as server:
            requests = op.requests(1, server.prefix, "")
            for level in levels:
                figure = loadgen.run(server.origin, server.prefix, requests, connections=level, seconds=seconds)
                rows.append({"target": kind, **figure})
                print(
                    f"{kind:<10} {level:>3} connections: {figure['rps']:>7.0f}/s, p50 {figure['p50_ms']:.2f} ms, "
                    f"p99 {figure['p99_ms']:.2f} ms, errors {figure['errors']}"
                )
    return {"operation": op.name, "seconds": seconds, "rows": rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--levels", default="1,4,16,64")
    parser.add_argument("--seconds", type=float, default=5)
    args = parser.parse_args()
    print(json.dumps(run(tuple(int(x) for x in args.levels.split(",")), args.seconds), indent=1))


if __name__ == "__main__":
    main()
