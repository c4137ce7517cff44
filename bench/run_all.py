"""Every figure of docs/performance.md in one command, written as JSON, a summary and a chart.

    .venv/bin/pip install -e '.[bench]' && npm install --prefix bench && apt-get install wrk
    .venv/bin/python -W ignore bench/run_all.py [--quick] [--out bench/results]

Writes `results.json` (every figure), `summary.md` (the tables, with ratios) and `chart.png` into the
out folder. `--quick` takes shorter runs and smaller ledgers (minutes instead of a quarter hour).
Loopback only; nothing here is run by pytest.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import connections
import ledger_size
import loadgen
import side_by_side
import validation

HERE = Path(__file__).resolve().parent


def _script(name: str, *args: str) -> dict[str, Any]:
    """An older bench script run as a user runs it: its printed lines and wall time."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-W", "ignore", str(HERE / name), *args], capture_output=True, text=True, timeout=1800
    )
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    for line in lines:
        print(f"  {line}")
    return {
        "script": name,
        "args": list(args),
        "wall_s": round(time.perf_counter() - started, 1),
        "exit": done.returncode,
        "output": lines,
    }


def summary(results: dict[str, Any]) -> str:
    out = [f"# Benchmark summary ({results['when']})", "", f"Machine: {results['machine']}", ""]
    side = results["side_by_side"]
    out += [
        f"## Side by side (wrk -t1 -c{side['connections']}, {side['seconds']} s, median of {side['rounds']} "
        "interleaved rounds)",
        "",
        "| operation | simulator req/s | p50 ms | Prism mock req/s | p50 ms | Starlette req/s | "
        "simulator / Prism | simulator / Starlette |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in side["rows"]:
        s, p, b = row["simulator"], row["prism"], row["starlette"]
        out.append(
            f"| {row['operation']} | {s['rps']:,.0f} | {s['p50_ms']:.2f} | {p['rps']:,.0f} | {p['p50_ms']:.2f} | "
            f"{b['rps']:,.0f} | {row['ratio_vs_prism']:.2f}x | {row['ratio_vs_starlette']:.2f}x |"
        )
    val = results["validation"]
    out += [
        "",
        "## Validation",
        "",
        f"- in process, {val['in_process']['operation']}: compiled (jsonschema-rs) p50 "
        f"{val['in_process']['compiled_p50_us']} µs, jsonschema alone {val['in_process']['jsonschema_p50_us']} µs",
        f"- {val['prism_proxy']['operation']}: direct p50 {val['prism_proxy']['direct_p50_ms']} ms, through "
        f"`prism proxy` {val['prism_proxy']['via_prism_proxy_p50_ms']} ms (adds {val['prism_proxy']['added_ms']} ms)",
    ]
    out += [
        "",
        "## Ledger size (in process, durable file)",
        "",
        "| transactions | balance p50 ms | credit/multi p50 ms |",
        "|---:|---:|---:|",
    ]
    for row in results["ledger_size"]["rows"]:
        out.append(
            f"| {row['transactions']:,} | {row['balance']['p50_ms']:.2f} | {row['credit_multi']['p50_ms']:.2f} |"
        )
    out += [
        "",
        "## Concurrent connections (Ackroo credit/multi)",
        "",
        "| target | connections | req/s | p50 ms | p99 ms |",
        "|---|---:|---:|---:|---:|",
    ]
    for row in results["connections"]["rows"]:
        out.append(
            f"| {row['target']} | {row['connections']} | {row['rps']:,.0f} | {row['p50_ms']:.2f} | "
            f"{row['p99_ms']:.2f} |"
        )
    for key in ("certify", "cassettes_replay"):
        item = results[key]
        out += ["", f"## `bench/{item['script']}` ({item['wall_s']} s wall)", "", "```", *item["output"], "```"]
    return "\n".join(out) + "\n"


def chart(results: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5))
    rows = results["side_by_side"]["rows"]
    kinds = side_by_side.KINDS
    width = 0.27
    for i, kind in enumerate(kinds):
        left.bar([x + (i - 1) * width for x in range(len(rows))], [r[kind]["rps"] for r in rows], width, label=kind)
    left.set_xticks(range(len(rows)), [r["operation"] for r in rows], rotation=15, fontsize=8)
    left.set_ylabel("requests / s (higher is better)")
    left.set_title("Same operation, same load (wrk, loopback)")
    left.legend()
    for kind in ("simulator", "prism"):
        points = [r for r in results["connections"]["rows"] if r["target"] == kind]
        right.plot([p["connections"] for p in points], [p["rps"] for p in points], marker="o", label=kind)
    right.set_xscale("log", base=2)
    right.set_xlabel("concurrent connections")
    right.set_ylabel("requests / s")
    right.set_title("Ackroo credit/multi vs connections")
    right.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--out", type=Path, default=HERE / "results")
    args = parser.parse_args()
    if not loadgen.available():
        sys.exit("wrk is not installed (apt-get install wrk): the HTTP figures need it")
    quick = args.quick
    results: dict[str, Any] = {
        "when": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{platform.machine()}, {platform.python_implementation()} "
        f"{platform.python_version()}, {platform.system()}",
    }
    print("side by side")
    results["side_by_side"] = side_by_side.run(seconds=3 if quick else 5, rounds=1 if quick else 3)
    print("validation")
    results["validation"] = validation.run(calls=1000 if quick else 5000, seconds=3 if quick else 5)
    print("ledger size")
    results["ledger_size"] = ledger_size.run(
        (1000, 10_000, 100_000) if quick else (1000, 10_000, 100_000, 1_000_000), calls=50 if quick else 200
    )
    print("connections")
    results["connections"] = connections.run((1, 4, 16, 64), seconds=3 if quick else 5)
    print("certify")
    results["certify"] = _script("certify.py", "--max-examples", "5" if quick else "10")
    print("cassettes replay")
    results["cassettes_replay"] = _script("cassettes_replay.py", "--rounds", "1" if quick else "3")
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(results, indent=1) + "\n")
    (args.out / "summary.md").write_text(summary(results))
    chart(results, args.out / "chart.png")
    print(f"wrote {args.out}/results.json, summary.md, chart.png")


if __name__ == "__main__":
    main()
