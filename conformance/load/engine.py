"""Run the till mix on Locust's library API: locally, as a master, or as a worker of one.

Locust monkey-patches the process with gevent when imported, so it is imported here, inside `run`, and
only on the `conformance load` code path: `_patch` does gevent's patching itself, without ssl (ssl is
already imported by then; patching it late recurses), and tells Locust it is done. Requests go through
FastHttpUser (geventhttpclient, gevent-native) and are signed by `runner.auth`, each api in its own way.
"""

from __future__ import annotations

import os
import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from conformance.core.errors import TargetError
from conformance.load.mix import MIXES, Till, sale_reference
from conformance.runner.auth import authenticate

WORKER_WAIT_SECONDS = 60.0


@dataclass(frozen=True)
class LoadConfig:
    api: str
    base_url: str
    users: int
    spawn_rate: float
    duration: float
    fixture: dict[str, Any]
    role: str = "local"
    """local, master (waits for `expect_workers`, then drives them) or worker (runs users for a master)."""
    master_host: str = "127.0.0.1"
    master_port: int = 5557
    expect_workers: int = 1
    credential: dict[str, Any] = field(default_factory=dict)


def _patch() -> None:
    from gevent import monkey

    if not monkey.is_module_patched("socket"):
        monkey.patch_all(ssl=False)
    os.environ["LOCUST_SKIP_MONKEY_PATCH"] = "1"


def _failure(response: Any) -> str | None:
    """What kind of error an answer is (None: a success): `HTTP 4xx` by status, `connection: <error>` without one."""
    status = int(response.status_code or 0)
    if status == 0:
        error = getattr(response, "error", None)
        return f"connection: {type(error).__name__ if error is not None else 'no answer'}"
    if status >= 400:
        return f"HTTP {status}"
    return None


def _kind(error: Any) -> str:
    text = str(error)
    match = re.fullmatch(r"\w+\('(.*)'\)", text)
    return match.group(1) if match else text


def _user_class(config: LoadConfig) -> type:
    from locust import FastHttpUser, constant, task

    steps = MIXES[config.api]
    weights = [step.weight for step in steps]
    base = config.base_url.rstrip("/")

    class TillUser(FastHttpUser):
        host = base
        wait_time = constant(0)

        def on_start(self) -> None:
            self.till = Till()

        @task
        def till_action(self) -> None:
            step = random.choices(steps, weights)[0]
            unsigned = step.build(self.till, config.fixture)
            signed = authenticate(config.api, unsigned, config.credential, base)
            with self.client.request(signed.method, base + signed.path, name=step.name,
                                     data=signed.body.decode() or None, headers=dict(signed.headers),
                                     catch_response=True) as response:
                kind = _failure(response)
                if kind is not None:
                    response.failure(kind)
                    return
                response.success()
                if step.remembers_sale and (reference := sale_reference(unsigned)) is not None:
                    self.till.sales.append(reference)

    return TillUser


def _figures(env: Any, elapsed: float) -> dict[str, Any]:
    total = env.stats.total
    requests, failures = int(total.num_requests), int(total.num_failures)

    def percentiles(entry: Any) -> dict[str, float]:
        if not entry.num_requests:
            return {"p50_ms": 0.0, "p90_ms": 0.0, "p95_ms": 0.0, "p99_ms": 0.0}
        return {f"p{int(q * 100)}_ms": float(entry.get_response_time_percentile(q)) for q in (0.5, 0.9, 0.95, 0.99)}

    return {
        "requests": requests, "failures": failures, "duration_s": round(elapsed, 2),
        "throughput_rps": round(requests / elapsed, 1) if elapsed > 0 else 0.0,
        "error_percent": round(100 * failures / requests, 3) if requests else 0.0,
        **percentiles(total),
        "by_step": sorted(({"step": entry.name, "requests": int(entry.num_requests),
                            "failures": int(entry.num_failures), **percentiles(entry)}
                           for entry in env.stats.entries.values()), key=lambda row: str(row["step"])),
        "errors": sorted(({"kind": _kind(error.error), "step": error.name, "count": int(error.occurrences)}
                          for error in env.stats.errors.values()), key=lambda row: (-row["count"], row["kind"])),
    }


def _progress(env: Any, started: float, say: Callable[[str], None]) -> None:
    import gevent

    before = 0
    while True:
        gevent.sleep(1.0)
        total = env.stats.total
        users = env.runner.user_count if env.runner is not None else 0
        say(f"{time.monotonic() - started:5.0f} s  users {users:>4}  requests {total.num_requests:>7}  "
            f"failures {total.num_failures:>5}  last second {total.num_requests - before:>6}  "
            f"p95 {total.get_response_time_percentile(0.95) or 0:.0f} ms")
        before = total.num_requests


def run(config: LoadConfig, say: Callable[[str], None]) -> dict[str, Any] | None:
    """The run's figures (None for a worker: its master reports)."""
    _patch()
    import gevent
    import locust
    from locust.env import Environment

    env = Environment(user_classes=[_user_class(config)], host=config.base_url, events=locust.events)
    if config.role == "worker":
        worker = env.create_worker_runner(config.master_host, config.master_port)
        say(f"worker: connected to {config.master_host}:{config.master_port}")
        worker.greenlet.join()
        return None
    runner: Any
    if config.role == "master":
        runner = master = env.create_master_runner(master_bind_host=config.master_host,
                                                   master_bind_port=config.master_port)
        deadline = time.monotonic() + WORKER_WAIT_SECONDS
        while len(master.clients.ready) < config.expect_workers:
            if time.monotonic() > deadline:
                master.quit()
                raise TargetError(f"master {config.master_host}:{config.master_port}: "
                                  f"{len(master.clients.ready)} of {config.expect_workers} workers after "
                                  f"{WORKER_WAIT_SECONDS:.0f} s")
            gevent.sleep(0.2)
    else:
        runner = env.create_local_runner()
    started = time.monotonic()
    printer = gevent.spawn(_progress, env, started, say)
    runner.start(config.users, spawn_rate=config.spawn_rate)
    gevent.sleep(config.duration)
    runner.stop()
    elapsed = time.monotonic() - started
    if config.role == "master":
        gevent.sleep(1.5)  # the workers' last reports
    printer.kill()
    figures = _figures(env, elapsed)
    runner.quit()
    return figures
