"""Group commit: the requests ready in one turn of the event loop share one COMMIT (one fsync).

A provider request's changes are savepoints of an open batch (`Ledger.grouped`); the first change of a
batch schedules its COMMIT with `call_soon`, after the handlers already ready to run, and every request
awaits `durable()` before it answers. An answer therefore still means the change is on disk (kill -9
and power loss), but under concurrent load one fsync serves many requests.
"""

from __future__ import annotations

import asyncio
import logging

from conformance.engine.ledger import Ledger

log = logging.getLogger("conformance.simulator")


class GroupCommit:
    def __init__(self, ledger: Ledger) -> None:
        self._ledger = ledger
        self._pending: asyncio.Future[None] | None = None
        ledger.on_batch = self._schedule

    def _schedule(self) -> bool:
        """Called by the ledger when a batch opens: commit it soon on the running loop (False: no loop here)."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return False
        if self._pending is None or self._pending.done() or self._pending.get_loop() is not loop:
            self._pending = loop.create_future()
            loop.call_soon(self._commit, self._pending)
        return True

    def _commit(self, pending: asyncio.Future[None]) -> None:
        if self._pending is pending:
            self._pending = None
        try:
            self._ledger.commit_batch()
        except Exception as exc:  # the requests of the batch answer 500 (awaiting `durable`)
            log.exception("group commit failed")
            if not pending.done():
                pending.set_exception(exc)
            return
        if not pending.done():
            pending.set_result(None)

    async def durable(self) -> None:
        """Return once every change made so far is committed (at once when nothing is pending)."""
        pending = self._pending
        if pending is None or pending.done():
            return
        if pending.get_loop() is not asyncio.get_running_loop():
            self._ledger.commit_batch()
            return
        await asyncio.shield(pending)
