"""Server-sent events: a guided session's judgements and the exchange log, as they happen.

Each event carries an `id` (a judgement's number, an exchange's sequence number), so a browser that
reconnects (`EventSource` does by itself, RETRY_MS later) sends `Last-Event-ID` and gets only what it has
not seen. A stream ends after STREAM_SECONDS: uvicorn lets open responses finish before it stops, so an
open page holds a stopping server that long at most.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import StreamingResponse

from conformance.console.guided import GuidedSession
from conformance.core import jsonio

POLL_SECONDS = 0.2
STREAM_SECONDS = 15.0
RETRY_MS = 1000


def resume_point(request: Request) -> int:
    """Where to resume: the browser's Last-Event-ID, else the page's `?after=N`."""
    for value in (request.headers.get("last-event-id"), request.query_params.get("after")):
        if value and value.isdigit():
            return int(value)
    return 0


def event_stream(events: AsyncIterator[str]) -> StreamingResponse:
    return StreamingResponse(events, media_type="text/event-stream",
                             headers={"cache-control": "no-store", "x-accel-buffering": "no"})


def event(kind: str, data: Any, event_id: int | None = None) -> str:
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {kind}\ndata: {jsonio.dumps(data)}\n\n"


async def _ticks(request: Request) -> AsyncIterator[None]:
    """One tick per poll until the client goes or the stream has lasted long enough."""
    loop = asyncio.get_running_loop()
    ends = loop.time() + STREAM_SECONDS
    while True:
        yield None
        if loop.time() > ends or await request.is_disconnected():
            return
        await asyncio.sleep(POLL_SECONDS)


async def guided_events(request: Request, session: GuidedSession, sent: int) -> AsyncIterator[str]:
    """Every judgement after the `sent` first, and the instruction whenever it changes; ends with the session."""
    yield f"retry: {RETRY_MS}\n\n"
    shown: dict[str, Any] = {}
    async for _ in _ticks(request):
        await run_in_threadpool(session.poll)
        for item in session.judged[sent:]:
            yield event("judged", item.as_json(), item.number)
            sent = item.number
        step, scenario = session.step, session.scenario
        state = {"finished": session.finished, "verdict": session.verdict,
                 "scenario": scenario.id if scenario else None, "step": step.id if step else None,
                 "cashier": step.pos.cashier if step and step.pos else (step.title if step else "")}
        if state != shown:
            yield event("state", state)
            shown = state
        if session.finished:
            return


async def exchange_events(request: Request, simulator: Any, api: str, seen: int) -> AsyncIterator[str]:
    """Each exchange of `api` logged after sequence number `seen` (redacted when it was logged)."""
    yield f"retry: {RETRY_MS}\n\n"
    async for _ in _ticks(request):
        for entry in simulator.state.exchanges.entries(seen, api):
            seen = int(entry["seq"])
            yield event("exchange", entry, seen)
