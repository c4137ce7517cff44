"""A bounded hostile fuzz (issue 13): malformed bodies, odd encodings and extreme numbers sent to every
operation of every api and to /_control over loopback. Never a 5xx, always a JSON error body, no balance
changed, the exchange log still answers and stays within its size bound."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conformance.engine.ledger import Ledger
from conformance.loader.specs import load_control_spec, load_spec
from conformance.simulator.exchanges import TOTAL_LIMIT
from conformance.simulator.server import build_app
from conformance.simulator.state import SimulatorConfig
from tests.conftest import LiveServer
from tests.simulator.ackroo_fixtures import FIXTURE as ACKROO
from tests.simulator.antavo_fixtures import FIXTURE as ANTAVO

TOKEN = "fuzz-token"
CONTROL = {"authorization": f"Bearer {TOKEN}"}
APIS = ("ackroo", "crmcom-webapi", "crmcom", "antavo")

NUMBERS = st.sampled_from(["NaN", "-Infinity", "1e50000000", "-0.0", "1e-400", "9" * 40, "-1", "0.1e309",
                           "123456789012345678901234567890.5", "1E+19"])
STRINGS = st.sampled_from(['"\\ud800"', '"\\udfff x"', '"4111 1111 1111 1111"', '""', '"\\u0000"',
                           '"' + "é" * 300 + '"', '"1e400"', '"NaN"'])
LEAF = st.one_of(NUMBERS, STRINGS, st.sampled_from(["null", "true", "{}", "[]"]))
KEYS = st.sampled_from(["amount", "cardnumber", "customer", "transaction_id", "reference_number", "username",
                        "password", "token", "products", "quantity", "net_amount", "data", "action", "api",
                        "faults", "advance_seconds", "device_id", "total", "zz"])


def _json_text(depth: int) -> st.SearchStrategy[str]:
    if depth == 0:
        return LEAF
    inner = _json_text(depth - 1)
    objects = st.lists(st.tuples(KEYS, inner), max_size=4).map(
        lambda pairs: "{" + ",".join(f'"{k}":{v}' for k, v in pairs) + "}")
    arrays = st.lists(inner, max_size=3).map(lambda items: "[" + ",".join(items) + "]")
    return st.one_of(LEAF, objects, arrays)


BODIES = st.one_of(
    _json_text(3).map(str.encode),
    st.integers(min_value=100, max_value=3000).map(lambda n: b"[" * n + b"]" * n),
    st.binary(max_size=64),
    st.sampled_from([b"\xff\xfe{", b'{"a":1', b"\xed\xa0\x80", b"a=%ED%A0%80&b=1e400"]),
)
MEDIA = st.sampled_from(["application/json", "application/x-www-form-urlencoded", "text/plain", ""])


def _operations() -> list[tuple[str, str, str]]:
    found = []
    for api in APIS:
        for op in load_spec(api).operations:
            if not op.webhook:
                path = op.path.replace("{", "").replace("}", "")  # path parameters filled with their names
                found.append((api, op.method.upper(), f"/{api}{path}"))
    for op in load_control_spec().operations:
        found.append(("control", op.method.upper(), op.path))
    return found


OPERATIONS = _operations()


@pytest.fixture(scope="module")
def server() -> Iterator[LiveServer]:
    live = LiveServer(build_app(SimulatorConfig(control_token=TOKEN)))
    with httpx.Client(base_url=live.origin, timeout=30) as client:
        for fixture in (ACKROO, ANTAVO):
            client.post("/_control/fixtures", json=fixture, headers=CONTROL).raise_for_status()
    yield live
    live.stop()
    live.app.close()  # type: ignore[attr-defined]


def _balances(ledger: Ledger) -> dict[str, Any]:
    rows = ledger._db.execute("SELECT api, account, bucket, balance FROM accounts ORDER BY id")
    return {f"{api}/{account}/{bucket}": balance for api, account, bucket, balance in rows}


@pytest.mark.parametrize("api", [*APIS, "control"])
def test_hostile_bodies_never_break_the_simulator(server: LiveServer, api: str) -> None:
    state = server.app.state  # type: ignore[attr-defined]
    operations = [op for op in OPERATIONS if op[0] == api]
    before = _balances(state.ledger)

    @settings(max_examples=300, deadline=None, database=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(op=st.sampled_from(operations), body=BODIES, media=MEDIA)
    def send(op: tuple[str, str, str], body: bytes, media: str) -> None:
        _, method, path = op
        headers = {"content-type": media, **(CONTROL if api == "control" else {"authorization": "Bearer t-1"})}
        if method == "POST" and path.endswith(("/reset", "/clock")):
            return  # these change state by design; their values are bounded in test_hardening
        response = client.request(method, path, content=body, headers=headers)
        assert response.status_code < 500, (method, path, body[:80], response.text[:200])
        if response.status_code >= 400:
            assert isinstance(response.json(), dict)

    with httpx.Client(base_url=server.origin, timeout=30) as client:
        send()
        assert client.get("/_control/exchanges", headers=CONTROL).status_code == 200
    assert _balances(state.ledger) == before
    assert state.ledger.check() == []
    assert state.exchanges.size <= TOTAL_LIMIT
