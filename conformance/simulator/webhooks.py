"""Outgoing webhooks: a queue per simulator, delivered in the background with retries and a delivery log."""

from __future__ import annotations

import asyncio
import itertools
import threading
from datetime import UTC, datetime
from typing import Any

import httpx

from conformance.core import jsonio


class DeliveryLog:
    """Every webhook the simulator has queued, with each attempt's outcome (`GET /_control/webhooks`)."""

    def __init__(self) -> None:
        self._items: list[dict[str, Any]] = []
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def add(self, api: str, event: str, url: str, payload: Any) -> dict[str, Any]:
        with self._lock:
            item = {"id": f"wh-{next(self._ids)}", "api": api, "event": event, "url": url, "state": "queued",
                    "payload": payload, "attempts": []}
            self._items.append(item)
            return item

    def list(self, api: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(i, attempts=list(i["attempts"])) for i in self._items if api is None or i["api"] == api]

    def clear(self, api: str | None = None) -> None:
        with self._lock:
            self._items = [i for i in self._items if api is not None and i["api"] != api]


class WebhookSender:
    """Delivers queued webhooks: `attempts` tries, `delay` seconds apart, a 2xx ends it (Antavo: 5 x 10 s)."""

    def __init__(self, log: DeliveryLog, attempts: int = 5, delay: float = 10.0, timeout: float = 5.0) -> None:
        self.log = log
        self.attempts = attempts
        self.delay = delay
        self.timeout = timeout
        self._tasks: set[asyncio.Task[None]] = set()
        self._client: httpx.AsyncClient | None = None

    def send(self, api: str, event: str, url: str, payload: Any,
             headers: dict[str, str] | None = None) -> dict[str, Any]:
        """Queue a delivery; it runs on the server's event loop (must be called from it)."""
        item = self.log.add(api, event, url, payload)
        task = asyncio.get_running_loop().create_task(self._deliver(item, headers or {}))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return item

    async def _deliver(self, item: dict[str, Any], headers: dict[str, str]) -> None:
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=self.timeout)
        body = jsonio.dumps(item["payload"]).encode()
        for attempt in range(self.attempts):
            if attempt:
                item["state"] = "resent"
                await asyncio.sleep(self.delay)
            record: dict[str, Any] = {"at": datetime.now(UTC).isoformat(), "status": None, "error": None}
            try:
                response = await self._client.post(item["url"], content=body,
                                                   headers={"content-type": "application/json", **headers})
                record["status"] = response.status_code
            except httpx.HTTPError as exc:
                record["error"] = f"{exc.__class__.__name__}: {exc}"[:200]
            item["attempts"].append(record)
            if record["status"] is not None and 200 <= record["status"] < 300:
                item["state"] = "done"
                return
        item["state"] = "failed"

    async def drain(self) -> None:
        """Wait for every delivery in flight (tests, and a clean shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        if self._client is not None:
            await self._client.aclose()
            self._client = None
