"""Read and write latency of each simulated api with 100, 10,000 and 100,000 transactions on one account.

Run from a checkout: `.venv/bin/python bench/latency.py [--sizes 100,10000,100000] [--calls 50]`.
The history is written straight into the ledger (one SQLite transaction per 10,000 rows, so building
100,000 takes seconds, not an hour of HTTP); the timed calls go through the whole simulator pipeline
in process (route, parse, auth, validation, handler, exchange log). Prints one row per api and size:
median and 95th-percentile milliseconds of a balance read and of a write. Not run by the tests.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from starlette.testclient import TestClient

from conformance.core import jsonio
from conformance.engine.ledger import Posting
from conformance.simulator.server import build_app
from conformance.simulator.state import SimulatorConfig

TOKEN = "bench"
CONTROL = {"authorization": f"Bearer {TOKEN}"}
CARD, DEVICE = "612573981949778930", "0d373af2942291bf"
CUSTOMER = "a222e90f-2c59-468d-9b81-62f560084379"
CONTACT = "4f7d9a12-3b6c-4e8f-a1d2-5c6b7e8f9a01"

FIXTURES: dict[str, dict[str, Any]] = {
    "ackroo": {"api": "ackroo", "credentials": [{"token": "t-1", "device_id": DEVICE}],
               "cards": [{"cardnumber": CARD, "gift": "10.00", "earned": "0", "promo": "0"}]},
    "antavo": {"api": "antavo", "signature_enforcement": False,
               "credentials": [{"api_key": "ak-1", "secret": "as-1", "region": "eu"}],
               "customers": [{"id": CUSTOMER, "email": "s@example.com", "spendable": "10"}]},
    "crmcom": {"api": "crmcom", "credentials": [{"api_key": "ck-1"}], "merchants": [{"code": "M1", "outlets": ["O1"]}],
               "customers": [{"id": CONTACT, "cim": "22265577", "email": "s@example.com", "wallet": "10.00"}]},
    "crmcom-webapi": {"api": "crmcom-webapi", "credentials": [{"username": "pos", "password": "pw",
                                                               "organisation": "demo", "token": "wt-1"}],
                      "customers": [{"number": "001", "name": "John Doe", "authentication_code": "22265577",
                                     "wallet": "10.00"}]},
}


def fill(app: Any, api: str, account: str, count: int) -> None:
    """`count` one-unit transactions on the account's first bucket, written in batches."""
    ledger = app.state.ledger
    with ledger.view(api) as tx:
        bucket = next(iter(tx.balances(account)))
    done = 0
    while done < count:
        batch = min(10_000, count - done)
        with ledger.transaction(api) as tx:
            for _ in range(batch):
                tx.post("bench", account, [Posting(account, bucket, 1)], reference=None)
        done += batch


def calls(api: str, client: TestClient) -> tuple[Callable[[], int], Callable[[int], int]]:
    """(read, write) for one api; each returns the HTTP status."""
    if api == "ackroo":
        def read() -> int:
            return client.get("/ackroo/device/card", params={"cardnumber": CARD, "device_id": DEVICE},
                              headers={"authorization": "Bearer t-1"}).status_code

        def write(n: int) -> int:
            return client.post("/ackroo/transaction/gift/credit", headers={"authorization": "Bearer t-1"},
                               json={"device_id": DEVICE, "cardnumber": CARD, "amount": "1.00"}).status_code
        return read, write
    if api == "antavo":
        def read() -> int:
            return client.get(f"/antavo/customers/{CUSTOMER}", params={"api_key": "ak-1"}).status_code

        def write(n: int) -> int:
            body = {"customer": CUSTOMER, "action": "checkout", "data": {"transaction_id": f"b-{n}", "total": 10}}
            return client.post("/antavo/events", params={"api_key": "ak-1"}, content=jsonio.dumps(body),
                               headers={"content-type": "application/json"}).status_code
        return read, write
    if api == "crmcom":
        key = {"api_key": "ck-1"}

        def read() -> int:
            return client.get(f"/crmcom/contacts/{CONTACT}/wallet", headers=key).status_code

        def write(n: int) -> int:
            line = {"product_sku": "COFFEE", "quantity": 1, "net_amount": Decimal("8.00"),
                    "tax_amount": Decimal("1.52"), "total_amount": Decimal("9.52")}
            body = {"contact_id": CONTACT, "reference_number": f"r-{n}", "merchant_tap": {"code": "M1"},
                    "outlet_tap": {"code": "O1"}, "products": [line]}
            return client.post("/crmcom/purchases", content=jsonio.dumps(body),
                               headers={**key, "content-type": "application/json"}).status_code
        return read, write

    def read() -> int:
        return _web_api(client.post("/crmcom-webapi/rewards_participants/show", json={
            "token": "wt-1", "rewards_participant_identifier": {"number": "001"}, "fields_set": "wallet"}))

    def write(n: int) -> int:
        return _web_api(client.post("/crmcom-webapi/customer_events/purchases/create", json={
            "token": "wt-1", "accounts_receivable_identifier": {"number": "001"},
            "performed_by_unit_identifier": {"name": "Unit"}, "performed_on": "2017-05-22T16:05:00",
            "process_immediately": True, "reference_number": f"r-{n}",
            "products_set": [{"product_identifier": {"code": "Soft Drinks"}, "quantity": 1, "total_amount": 10,
                              "net_amount": 8, "vat_amount": 2}]}))
    return read, write


def _web_api(response: Any) -> int:
    """The Web API answers 200 to everything: a refusal shows as the envelope's code (counted as 400)."""
    return 200 if response.json()["status"]["code"] == "OK" else 400


ACCOUNTS = {"ackroo": CARD, "antavo": CUSTOMER, "crmcom": CONTACT, "crmcom-webapi": "001"}


def timed(action: Callable[[], int], times: int) -> tuple[float, float, set[int]]:
    samples, statuses = [], set()
    for _ in range(times):
        start = time.perf_counter()
        statuses.add(action())
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1], statuses


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,10000,100000")
    parser.add_argument("--calls", type=int, default=50)
    parser.add_argument("--api", action="append")
    args = parser.parse_args()
    print(f"{'api':<14} {'history':>8} {'read p50':>9} {'read p95':>9} {'write p50':>10} {'write p95':>10}  statuses")
    for api in args.api or list(FIXTURES):
        for size in (int(s) for s in args.sizes.split(",")):
            app = build_app(SimulatorConfig(control_token=TOKEN), [api])
            with TestClient(app) as client:
                client.post("/_control/fixtures", json=FIXTURES[api], headers=CONTROL).raise_for_status()
                account = ACCOUNTS[api]
                try:
                    fill(app, api, account, size)
                except (StopIteration, KeyError) as exc:
                    print(f"{api:<14} {size:>8}  history not written ({exc!r})")
                    continue
                read, write = calls(api, client)
                r50, r95, rs = timed(read, args.calls)
                numbers = iter(range(10**9))
                w50, w95, ws = timed(lambda w=write, c=numbers: w(next(c)), args.calls)  # type: ignore[misc]
                print(f"{api:<14} {size:>8} {r50:>9.2f} {r95:>9.2f} {w50:>10.2f} {w95:>10.2f}  "
                      f"{sorted(rs)} {sorted(ws)}")
            app.close()


if __name__ == "__main__":
    main()
