"""Per-key token buckets that model Massive's "N requests per period" plans.

A bucket holds up to `calls` tokens and refills continuously at `calls / period` tokens per second, so a
fresh key may burst `calls` requests and then gets one more every `period / calls` seconds, which is how a
client pacing itself at the published rate never sees a 429. The clock is injectable for tests.
"""

from __future__ import annotations

import threading
import time
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
class TokenBucket:
    """A single bucket; `take()` spends one token if available."""

    capacity: int
    period: float
    clock: Callable[[], float] = time.monotonic
    tokens: float = field(init=False)
    updated: float = field(init=False)

    def __post_init__(self) -> None:
        self.tokens = float(self.capacity)
        self.updated = self.clock()

    def _refill(self) -> None:
        now = self.clock()
        elapsed = max(0.0, now - self.updated)
        self.tokens = min(float(self.capacity), self.tokens + elapsed * self.capacity / self.period)
        self.updated = now

    def take(self) -> bool:
        """True (and one token spent) when a call may go now, else False."""
        self._refill()
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False

    def seconds_until_token(self) -> float:
        """How long until the next token, 0 when one is available."""
        self._refill()
        missing = 1.0 - self.tokens
        return 0.0 if missing <= 0 else missing * self.period / self.capacity


class RateLimiter:
    """One bucket per API key, created on first use; thread-safe. `limit=None` allows everything."""

    def __init__(self, limit: tuple[int, float] | None, clock: Callable[[], float] = time.monotonic) -> None:
        self._limit = validate_rate_limit(limit)
        self._clock = clock
        self._buckets: dict[str, TokenBucket] = {}
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
                bucket = TokenBucket(self._limit[0], self._limit[1], self._clock)
                self._buckets[key] = bucket
            return bucket.take()

    def reset(self) -> None:
        """Refill every bucket (forget all keys)."""
        with self._lock:
            self._buckets.clear()
