"""A sliding-window log per provider and API key, held in DynamoDB and shared by every caller.

A provider that allows "N calls per period" answers 429 as soon as any window of that length holds more
than N calls, so the limiter admits a call only while fewer than N admissions lie in the last `period +
allowance` seconds. One item per provider and key holds the latest N admission times; every change is a
conditional write on the version read, so two callers can never take the same slot, whichever Map
iteration or execution they belong to. Correct for N = 1.

Why the allowance: the provider counts a call when it arrives, we count it when the slot is taken, and the
gap differs from call to call (a busy worker sends later than an idle one). Widening our window by
`allowance_seconds` keeps any two calls N apart at least `period` apart on arrival as long as no call
takes longer than the allowance to arrive. With Massive's 5 per 60 s and a 0.5 s allowance, five calls go
at once and the sixth 60.5 s after the first.

Any N + 1 admissions span at least the window: the last one written saw the other N in the log (they are
among the N latest times or there are N later ones), and all of them newer than its own time minus the
window, so it would have been refused. This holds for admissions in any order, even with clocks that
disagree a little, because the log is compared with every time newer than `now - window`, future ones
included.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from stock_movers.adapters.aws import LazyClient

RECORD_TTL_SECONDS = 7 * 24 * 3600


@dataclass(frozen=True)
class Acquired:
    at: float  # the admission time recorded in the log
    waited_seconds: float
    attempts: int


class SlidingWindowLimiter:
    ddb = LazyClient("dynamodb")

    def __init__(
        self,
        table: str,
        provider: str,
        api_key: str,
        calls: int,
        period_seconds: float,
        *,
        ddb: Any = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        allowance_seconds: float = 0.5,
    ) -> None:
        if calls < 1 or period_seconds <= 0 or allowance_seconds < 0:
            raise ValueError("calls must be >= 1, period_seconds > 0 and allowance_seconds >= 0")
        # The key itself never leaves this process: only a short digest names the log.
        key_digest = hashlib.sha256(api_key.encode()).hexdigest()[:16]
        self.id = f"ratelimit#{provider}#{key_digest}"
        self.table = table
        self.calls = calls
        self.window = float(period_seconds) + float(allowance_seconds)
        self._ddb = ddb
        self._clock = clock
        self._sleep = sleep

    def try_acquire(self) -> tuple[float, float]:
        """Take one slot: (admission time, 0.0) on success, else (0.0, seconds until a slot frees)."""
        while True:
            item = self.ddb.get_item(
                TableName=self.table, Key={"id": {"S": self.id}}, ConsistentRead=True
            ).get("Item")
            now = self._clock()
            log = [float(v["N"]) for v in item["calls"]["L"]] if item else []
            version = int(item["version"]["N"]) if item else 0
            recent = sorted((t for t in log if t > now - self.window), reverse=True)
            if len(recent) >= self.calls:
                # the slot frees when the N-th latest admission leaves the window
                return 0.0, max(recent[self.calls - 1] + self.window - now, 1e-3)
            latest = sorted([*log, now], reverse=True)[: self.calls]
            if self._write(latest, now, version, exists=item is not None):
                return now, 0.0
            # another caller changed the log between our read and write: read again

    def acquire(self, max_wait_seconds: float) -> Acquired:
        """Wait up to `max_wait_seconds` for a slot; raise SlotUnavailable (with the wait) if none comes."""
        start = self._clock()
        attempts = 0
        while True:
            attempts += 1
            at, wait = self.try_acquire()
            if wait == 0.0:
                return Acquired(at=at, waited_seconds=self._clock() - start, attempts=attempts)
            if self._clock() - start + wait > max_wait_seconds:
                raise SlotUnavailable(wait)
            self._sleep(wait)

    def _write(self, log: list[float], now: float, version: int, *, exists: bool) -> bool:
        condition = "version = :v" if exists else "attribute_not_exists(id)"
        values: dict[str, Any] = {":v": {"N": str(version)}} if exists else {}
        try:
            self.ddb.put_item(
                TableName=self.table,
                Item={
                    "id": {"S": self.id},
                    "calls": {"L": [{"N": str(Decimal(repr(t)))} for t in log]},
                    "version": {"N": str(version + 1)},
                    "expiration": {"N": str(int(now) + RECORD_TTL_SECONDS)},
                },
                ConditionExpression=condition,
                **({"ExpressionAttributeValues": values} if values else {}),
            )
        except self.ddb.exceptions.ConditionalCheckFailedException:
            return False
        return True


class SlotUnavailable(Exception):
    """No slot within the allowed wait; `retry_after` says when one frees (if nobody else takes it)."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"no rate-limit slot for {retry_after:.1f}s")
        self.retry_after = retry_after
