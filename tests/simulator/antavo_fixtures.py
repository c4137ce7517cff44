"""The pinned Antavo fixture (DESIGN 6), the seed's payloads, and a POS-side signer shared by the Antavo tests.

Every request is signed afresh with conformance.core.escher over the URL exactly as it goes on the wire
(`/antavo` prefix, `api_key` query parameter). Escher dates have one-second resolution, so two identical
requests in the same second would carry the same signature, which Antavo refuses as a replay: the signer
then dates the second one a second later (still well inside the 900 s window), as a POS must.
"""

from __future__ import annotations

import contextlib
import copy
import threading
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
import requests

from conformance.core import escher, jsonio

CUSTOMER = "a222e90f-2c59-468d-9b81-62f560084379"
KEY, SECRET, REGION = "ak-1", "as-1", "eu"
FIXTURE: dict[str, Any] = {
    "api": "antavo", "program": "antavo-reference", "signature_enforcement": True,
    "credentials": [{"api_key": KEY, "secret": SECRET, "region": REGION}],
    "customers": [{"id": CUSTOMER, "email": "sally.thompson@example.com", "first_name": "Sally",
                   "last_name": "Thompson", "spendable": "0"}],
}
SEED_ITEMS = [
    {"product_id": "443", "product_name": "Black jeans", "product_url": "https://www.example.com/black-jeans",
     "price": 55, "quantity": 1, "discount": 5, "subtotal": 50},
    {"product_id": "543", "product_name": "Blue jeans", "product_url": "https://www.example.com/blue-jeans",
     "price": 50, "quantity": 1, "discount": 0, "subtotal": 50},
]
OPT_IN = {"customer": CUSTOMER, "action": "opt_in",
          "data": {"email": "sally.thompson@example.com", "first_name": "Sally", "last_name": "Thompson"}}
CHECKOUT = {"customer": CUSTOMER, "action": "checkout",
            "data": {"transaction_id": "5875-9373-2618-7461-9237", "total": 100, "points_burned": 20,
                     "items": SEED_ITEMS}}
PREVIEW = {"customer": CUSTOMER, "action": "checkout",
           "data": {"transaction_id": "5875-9373-2618-7461-9237", "total": 100, "items": SEED_ITEMS}}


def checkout(transaction_id: str, *, burned: int = 0, total: Any = 100, items: Any = None) -> dict[str, Any]:
    """The seed's checkout with another transaction id (and burn, total or items when given)."""
    body = copy.deepcopy(CHECKOUT)
    body["data"].update({"transaction_id": transaction_id, "points_burned": burned, "total": total})
    if items is not None:
        body["data"]["items"] = items
    if total is None:
        del body["data"]["total"]
    return body


class Signer:
    """Signs requests as a POS does: a fresh signature per request, never one it has issued before."""

    def __init__(self, api_key: str = KEY, secret: str = SECRET, region: str = REGION,
                 clock: Callable[[], datetime] | None = None) -> None:
        self.api_key, self.secret, self.region = api_key, secret, region
        self.clock = clock or (lambda: datetime.now(UTC))
        """The POS's clock (a test freezing the simulator's clock gives the signer the same time)."""
        self._issued: set[str] = set()
        self._lock = threading.Lock()

    def headers(self, method: str, path_and_query: str, host: str, body: bytes | str,
                now: datetime | None = None) -> dict[str, str]:
        """`Date` and `Authorization` for this exact request (path and query as on the wire)."""
        when = (now or self.clock()).replace(microsecond=0)
        with self._lock:
            while True:
                signed = escher.sign(method, path_and_query, host, body, api_key=self.api_key, secret=self.secret,
                                     region=self.region, now=when)
                if signed["Authorization"] not in self._issued:
                    self._issued.add(signed["Authorization"])
                    return {"Date": signed["Date"], "Authorization": signed["Authorization"]}
                when += timedelta(seconds=1)

    def sign_httpx(self, request: httpx.Request, now: datetime | None = None) -> httpx.Request:
        """Sign a built httpx request in place (its URL and body are final)."""
        path = request.url.raw_path.decode("ascii")
        for name, value in self.headers(request.method, path, request.url.netloc.decode("ascii"),
                                        request.content, now).items():
            request.headers[name] = value
        return request


class EscherAuth(requests.auth.AuthBase):
    """`requests` auth (what schemathesis sends with): signs the prepared request, overwriting any `Date`."""

    def __init__(self, signer: Signer) -> None:
        self.signer = signer

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        parts = urlsplit(request.url or "")
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        body = request.body if isinstance(request.body, bytes | str) else b""
        if isinstance(body, bytes):
            try:
                body = body.decode("utf-8")
            except UnicodeDecodeError:  # not JSON either: the simulator refuses it before checking signatures
                return request
        with contextlib.suppress(escher.EscherException):  # a method Escher cannot sign (QUERY...): sent unsigned
            request.headers.update(self.signer.headers(str(request.method), path, parts.netloc, body))
        return request


class AntavoClient:
    """The POS side over httpx: `api_key` on every call, each request signed (unless told otherwise)."""

    def __init__(self, client: httpx.Client, signer: Signer | None = None) -> None:
        self.client = client
        self.signer = signer or Signer()

    def request(self, method: str, path: str, body: Any = None, *, params: Mapping[str, str] | None = None,
                api_key: str | None = KEY, sign: bool = True, now: datetime | None = None,
                content: bytes | None = None, headers: Mapping[str, str] | None = None) -> httpx.Response:
        query = {**({"api_key": api_key} if api_key is not None else {}), **(params or {})}
        raw = content if content is not None else (jsonio.dumps(body).encode() if body is not None else b"")
        request = self.client.build_request(method, f"/antavo{path}", params=query, content=raw,
                                            headers={"content-type": "application/json", **(headers or {})})
        if sign:
            self.signer.sign_httpx(request, now)
        return self.client.send(request)

    def event(self, body: Any, **kwargs: Any) -> httpx.Response:
        return self.request("POST", "/events", body, **kwargs)

    def customer(self, customer_id: str = CUSTOMER, **kwargs: Any) -> httpx.Response:
        return self.request("GET", f"/customers/{customer_id}", **kwargs)

    def balances(self, customer_id: str = CUSTOMER) -> dict[str, Any]:
        """What a refusal must not change: the customer's points and purchases."""
        response = self.customer(customer_id)
        assert response.status_code == 200, response.text
        data = response.json()
        return {k: data[k] for k in ("spendable", "spent", "score", "purchase_count", "accounts")}
