"""A token bucket per provider and API key, held in DynamoDB and shared by every caller.

Concurrent Map iterations and concurrent executions all take tokens from the same item, so together they
stay inside one provider quota. Every change is a conditional write on the version read: two callers can
never spend the same token. The bucket refills continuously at `calls / period` with capacity `calls`.

The provider counts a call when it arrives, we count it when the token is taken, and the gap differs from
call to call (a busy worker sends later than an idle one), so the provider's bucket can lag ours by up to
`allowance_seconds` of refill. The bucket therefore keeps that much refill in reserve: a token is taken
only while `1 + reserve` are available (reserve = allowance x rate, at most capacity - 1). With Massive's
5 per 60 s and a 0.5 s allowance the reserve is 0.04 of a token: four calls go at once, the fifth half a
second later, then one every 12 s.
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
    waited_seconds: float
    attempts: int


class TokenBucket:
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
        if calls < 1 or period_seconds <= 0:
            raise ValueError("calls must be >= 1 and period_seconds > 0")
        # The key itself never leaves this process: only a short digest names the bucket.
        key_digest = hashlib.sha256(api_key.encode()).hexdigest()[:16]
        self.id = f"ratelimit#{provider}#{key_digest}"
        self.table = table
        self.capacity = float(calls)
        self.rate = calls / period_seconds
        self.reserve = min(max(0.0, allowance_seconds) * self.rate, self.capacity - 1.0)
        self._ddb = ddb
        self._clock = clock
        self._sleep = sleep

    def try_acquire(self) -> float:
        """Take one token; return 0.0 on success or the seconds until one is available (nothing taken)."""
        while True:
            now = self._clock()
            item = self.ddb.get_item(
                TableName=self.table, Key={"id": {"S": self.id}}, ConsistentRead=True
            ).get("Item")
            if item is None:
                tokens, updated, version = self.capacity, now, 0
            else:
                tokens = float(item["tokens"]["N"])
                updated = float(item["updated"]["N"])
                version = int(item["version"]["N"])
            tokens = min(self.capacity, tokens + max(0.0, now - updated) * self.rate)
            needed = 1.0 + self.reserve
            if tokens < needed:
                return (needed - tokens) / self.rate
            if self._write(tokens - 1.0, now, version, exists=item is not None):
                return 0.0
            # another caller changed the bucket between our read and write: read again

    def acquire(self, max_wait_seconds: float) -> Acquired:
        """Wait up to `max_wait_seconds` for a token; raise TokenUnavailable (with the wait) if none comes."""
        start = self._clock()
        attempts = 0
        while True:
            attempts += 1
            wait = self.try_acquire()
            if wait == 0.0:
                return Acquired(waited_seconds=self._clock() - start, attempts=attempts)
            if self._clock() - start + wait > max_wait_seconds:
                raise TokenUnavailable(wait)
            self._sleep(wait)

    def _write(self, tokens: float, now: float, version: int, *, exists: bool) -> bool:
        condition = "version = :v" if exists else "attribute_not_exists(id)"
        values: dict[str, Any] = {":v": {"N": str(version)}} if exists else {}
        try:
            self.ddb.put_item(
                TableName=self.table,
                Item={
                    "id": {"S": self.id},
                    "tokens": {"N": str(Decimal(repr(tokens)))},
                    "updated": {"N": str(Decimal(repr(now)))},
                    "version": {"N": str(version + 1)},
                    "expiration": {"N": str(int(now) + RECORD_TTL_SECONDS)},
                },
                ConditionExpression=condition,
                **({"ExpressionAttributeValues": values} if values else {}),
            )
        except self.ddb.exceptions.ConditionalCheckFailedException:
            return False
        return True


class TokenUnavailable(Exception):
    """No token within the allowed wait; `retry_after` says when one will be."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"no rate-limit token for {retry_after:.1f}s")
        self.retry_after = retry_after
