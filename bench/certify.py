"""Time a full provider certification of all four apis against the simulator (issue 15: target 60 s or less
on the 2-core machine). Measured, never asserted: `python bench/certify.py [--live] [--max-examples N]`.

In-process by default (the ASGI app, no socket); `--live` serves the simulator with uvicorn on 127.0.0.1
and certifies it over HTTP, as `conformance certify provider --base-url` would.
"""

from __future__ import annotations

import argparse
import socket
import threading
import time
from contextlib import ExitStack

import uvicorn

from conformance.model.result import Outcome
from conformance.model.spec import API_IDS
from conformance.runner.plans import PLAN_ORDER
from conformance.runner.plans.certify import closing, live_target, run_plans
from conformance.runner.scenarios import Target
from conformance.runner.setup import ControlSetup
from conformance.simulator.server import build_app
from conformance.simulator.state import SimulatorConfig
from conformance.transport.inprocess import AsgiTransport

TOKEN = "bench-control-token"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--live", action="store_true", help="over HTTP on 127.0.0.1 instead of in-process")
    parser.add_argument("--max-examples", type=int, default=10)
    args = parser.parse_args()
    app = build_app(SimulatorConfig(control_token=TOKEN))
    server = None
    if args.live:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
        threading.Thread(target=server.run, daemon=True).start()
        while not server.started:
            time.sleep(0.05)
    total = time.perf_counter()
    with ExitStack() as stack:
        for api in API_IDS:
            started = time.perf_counter()
            if server is not None:
                target, _ = live_target(f"http://127.0.0.1:{port}/{api}", None, TOKEN, None, 10.0, stack)
            else:
                control = ControlSetup(closing(stack, AsgiTransport(app, "http://bench/_control")), TOKEN)
                target = Target(closing(stack, AsgiTransport(app, f"http://bench/{api}")), control, control)
            results = run_plans(api, target, PLAN_ORDER, seed=0, max_examples=args.max_examples, report_dir=None)
            bad = sum(1 for r in results if r.outcome in (Outcome.FAIL, Outcome.ERROR))
            print(f"{api:<14} {len(results):>3} checks, {bad} not passing, {time.perf_counter() - started:6.1f} s")
    print(f"{'all four apis':<14} {time.perf_counter() - total:6.1f} s "
          f"({'live HTTP' if server else 'in-process'}, max-examples {args.max_examples})")
    if server is not None:
        server.should_exit = True
    app.close()


if __name__ == "__main__":
    main()
