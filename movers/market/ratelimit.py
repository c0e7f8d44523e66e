"""Per-key sliding windows that model Massive's "N requests per period" plans as strictly as they can be read.

Massive publishes "5 API requests per minute" and says to wait out the 60-second window on a 429, without
saying how the window is placed. A sliding window (a 429 whenever the last `period` seconds already hold
`calls` admitted requests) is the strictest reading: a client that never sees a 429 here never sees one
from a fixed-window or token-bucket provider with the same plan either. Refused requests are not counted,
so a client that backs off gets through. The clock is injectable for tests.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field


class RateLimitConfigError(ValueError):
    """A rate-limit setting that is not (positive int calls, positive seconds)."""


def parse_rate_limit(text: str) -> tuple[int, float] | None:
    """Parse "CALLS/SECONDS" (e.g. "5/60") or "none"/"off"/"0" into a rate_limit value."""
    cleaned = text.strip().lower()
    if cleaned in {"none", "off", "0", ""}:
        return None
    calls_text, sep, period_text = cleaned.partition("/")
    try:
        calls = int(calls_text)
        period = float(period_text) if sep else 60.0
    except ValueError:
        raise RateLimitConfigError(f"rate limit {text!r} is not CALLS/SECONDS, e.g. 5/60") from None
    return validate_rate_limit((calls, period))


def validate_rate_limit(value: tuple[int, float] | None) -> tuple[int, float] | None:
    if value is None:
        return None
    try:
        calls, period = value
    except (TypeError, ValueError):
        raise RateLimitConfigError(
            f"rate_limit must be (calls, period_seconds) or None, got {value!r}"
        ) from None
    if not isinstance(calls, int) or calls < 1 or not period > 0:
        raise RateLimitConfigError(f"rate_limit needs calls >= 1 and period > 0, got {value!r}")
    return (calls, float(period))


@dataclass
class SlidingWindow:
    """The calls one key made in the last `period` seconds; `take()` admits a call while fewer than
    `capacity` lie in the window (a strict provider's count: no window of that length ever holds more)."""

    capacity: int
    period: float
    clock: Callable[[], float] = time.monotonic
    calls: deque[float] = field(init=False, default_factory=deque)

    def _expire(self) -> float:
        now = self.clock()
        while self.calls and self.calls[0] <= now - self.period:
            self.calls.popleft()
        return now

    def take(self) -> bool:
        """True (and the call counted) when a call may go now, else False (a refused call is not counted)."""
        now = self._expire()
        if len(self.calls) < self.capacity:
            self.calls.append(now)
            return True
        return False

    def seconds_until_slot(self) -> float:
        """How long until a call would be admitted, 0 when one would be now."""
        now = self._expire()
        if len(self.calls) < self.capacity:
            return 0.0
        return self.calls[len(self.calls) - self.capacity] + self.period - now


class RateLimiter:
    """One window per API key, created on first use; thread-safe. `limit=None` allows everything."""

    def __init__(self, limit: tuple[int, float] | None, clock: Callable[[], float] = time.monotonic) -> None:
        self._limit = validate_rate_limit(limit)
        self._clock = clock
        self._buckets: dict[str, SlidingWindow] = {}
        self._lock = threading.Lock()

    @property
    def limit(self) -> tuple[int, float] | None:
        return self._limit

    def allow(self, key: str) -> bool:
        if self._limit is None:
            return True
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                bucket = SlidingWindow(self._limit[0], self._limit[1], self._clock)
                self._buckets[key] = bucket
            return bucket.take()

    def reset(self) -> None:
        """Forget every key's calls."""
        with self._lock:
            self._buckets.clear()
