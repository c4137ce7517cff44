"""The servers a figure compares, started on 127.0.0.1 only, and the requests each operation sends.

- `simulator`: `conformance simulate` in its own process (durable SQLite file in WAL, validating).
- `prism`: `prism mock <spec> -v warn` (stateless; installed by `npm install --prefix bench`).
- `starlette`: a bare Starlette endpoint under uvicorn that parses the JSON body and answers a fixed
  body (the ceiling of this stack).
The same request list goes to every target: bodies are unique where the provider keeps them unique
(CRM.COM reference numbers, Antavo transaction ids and Escher signatures), generated ahead of the run
so the load generator spends nothing on them.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from conformance.core import escher

ROOT = Path(__file__).resolve().parent.parent
PRISM = ROOT / "bench" / "node_modules" / ".bin" / "prism"
HOST = "127.0.0.1"
TOKEN = "bench-control-token"
CARD, DEVICE = "612573981949778930", "0d373af2942291bf"
CUSTOMER = "a222e90f-2c59-468d-9b81-62f560084379"
CONTACT = "4f7d9a12-3b6c-4e8f-a1d2-5c6b7e8f9a01"
ANTAVO_KEY, ANTAVO_SECRET = "ak-1", "as-1"

FIXTURES: dict[str, dict[str, Any]] = {
    "ackroo": {
        "api": "ackroo",
        "credentials": [{"token": "t-1", "device_id": DEVICE}],
        "cards": [{"cardnumber": CARD, "gift": "10.00", "earned": "0", "promo": "0"}],
    },
    "antavo": {
        "api": "antavo",
        "credentials": [{"api_key": ANTAVO_KEY, "secret": ANTAVO_SECRET, "region": "eu"}],
        "customers": [{"id": CUSTOMER, "email": "s@example.com", "spendable": "10"}],
    },
    "crmcom": {
        "api": "crmcom",
        "credentials": [{"api_key": "ck-1"}],
        "merchants": [{"code": "M1", "outlets": ["O1"]}],
        "customers": [{"id": CONTACT, "cim": "22265577", "email": "s@example.com", "wallet": "10.00"}],
    },
}


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    """Path and query under the api (no /<api> prefix): Prism serves the spec at its root."""
    headers: dict[str, str] = field(default_factory=dict)
    body: str = ""


@dataclass(frozen=True)
class Operation:
    name: str
    api: str
    unique: bool
    """Every request must differ (the provider refuses a repeat)."""

    def requests(self, count: int, prefix: str, host: str) -> list[Request]:
        """`count` requests (one when they may repeat), signed for `host` with the path `prefix` on the wire."""
        return [_request(self.name, n, prefix, host) for n in range(count if self.unique else 1)]


OPERATIONS = {
    "ackroo-credit-multi": Operation("ackroo-credit-multi", "ackroo", False),
    "ackroo-balance": Operation("ackroo-balance", "ackroo", False),
    "crmcom-purchase": Operation("crmcom-purchase", "crmcom", True),
    "antavo-checkout": Operation("antavo-checkout", "antavo", True),
}

UC01 = {
    "device_id": DEVICE,
    "cardnumber": CARD,
    "clerk_id": "",
    "ackroo_id": "",
    "price_list": ["5", "3"],
    "quantity_list": ["2", "1"],
    "dept_id_list": ["02", "01"],
    "sku_id_list": ["0103", "0104"],
    "tender_type_list": ["13", "0", "0", "0", "0"],
    "promo_id_list": [],
}
JSON = {"content-type": "application/json"}


def _request(name: str, n: int, prefix: str, host: str) -> Request:
    if name == "ackroo-credit-multi":
        return Request(
            "POST", "/transaction/loyalty/credit/multi", {**JSON, "authorization": "Bearer t-1"}, json.dumps(UC01)
        )
    if name == "ackroo-balance":
        return Request("GET", f"/device/card?cardnumber={CARD}&device_id={DEVICE}", {"authorization": "Bearer t-1"})
    if name == "crmcom-purchase":
        line = '{"product_sku":"COFFEE","quantity":1,"net_amount":8.00,"tax_amount":1.52,"total_amount":9.52}'
        body = (
            f'{{"contact_id":"{CONTACT}","reference_number":"bench-{n}","merchant_tap":{{"code":"M1"}},'
            f'"outlet_tap":{{"code":"O1"}},"products":[{line}]}}'
        )
        return Request("POST", "/purchases", {**JSON, "api_key": "ck-1"}, body)
    if name == "antavo-checkout":
        body = json.dumps(
            {"customer": CUSTOMER, "action": "checkout", "data": {"transaction_id": f"bench-{n}", "total": 10}}
        )
        path = f"/events?api_key={ANTAVO_KEY}"
        signed = escher.sign("POST", prefix + path, host, body, api_key=ANTAVO_KEY, secret=ANTAVO_SECRET, region="eu")
        return Request("POST", path, {**JSON, **signed}, body)  # wrk overrides its own `Host` only by that name
    raise KeyError(name)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    kind: str
    api: str
    port: int
    process: subprocess.Popen[bytes]

    @property
    def origin(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def prefix(self) -> str:
        """Where the api's paths start: the simulator serves each api under /<api>."""
        return f"/{self.api}" if self.kind == "simulator" else ""


def _wait(proc: subprocess.Popen[bytes], url: str, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{url}: the server exited ({proc.returncode})")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError(f"{url}: no answer in {seconds} s")


@contextmanager
def serve(kind: str, api: str, *, db: Path | None = None, upstream: str | None = None) -> Iterator[Server]:
    """One target for one api, stopped (by its own pid) when the block ends."""
    port = free_port()
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    with tempfile.TemporaryDirectory(prefix="bench-") as scratch:
        if kind == "simulator":
            command = [
                sys.executable,
                "-m",
                "conformance",
                "simulate",
                "--api",
                api,
                "--host",
                HOST,
                "--port",
                str(port),
                "--db",
                str(db or Path(scratch) / "ledger.sqlite"),
                "--control-token",
                TOKEN,
            ]
        elif kind in ("prism", "prism-proxy"):
            if not PRISM.exists():
                raise RuntimeError(f"{PRISM} missing: run `npm install --prefix bench` (bench/package.json)")
            spec = ROOT / "specs" / api / "openapi.yaml"
            command = (
                [str(PRISM), "mock", str(spec)] if kind == "prism" else [str(PRISM), "proxy", str(spec), str(upstream)]
            )
            command += ["-h", HOST, "-p", str(port), "-v", "warn"]
        elif kind == "starlette":
            command = [sys.executable, str(ROOT / "bench" / "bare.py"), str(port)]
        else:
            raise KeyError(kind)
        proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=scratch)
        server = Server(kind, api, port, proc)
        try:
            _wait(proc, server.origin + "/")
            if kind == "simulator" and api in FIXTURES:
                httpx.post(
                    f"{server.origin}/_control/fixtures",
                    json=FIXTURES[api],
                    headers={"authorization": f"Bearer {TOKEN}"},
                ).raise_for_status()
            yield server
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
