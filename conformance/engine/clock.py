"""Injectable clocks: the system clock, or a fixed one that tests and deterministic runs set and advance."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware."""
        ...


class SystemClock:
    """Wall-clock time in UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock that moves only when told to (``POST /_control/clock`` sets or advances it)."""

    def __init__(self, start: datetime | None = None) -> None:
        self._lock = threading.Lock()
        self._now = _aware(start or datetime(2024, 1, 1, 12, 0, tzinfo=UTC))

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def set(self, when: datetime) -> None:
        with self._lock:
            self._now = _aware(when)

    def advance(self, delta: timedelta) -> datetime:
        with self._lock:
            self._now += delta
            return self._now


def _aware(when: datetime) -> datetime:
    """Naive datetimes are taken as UTC, so every stored timestamp carries its offset."""
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)
