"""A sliding-window log per provider and API key, held in DynamoDB and shared by every caller.

A provider that allows "N calls per period" answers 429 as soon as any window of that length holds more
than N calls. The limiter admits a call only while fewer than N earlier calls may still lie inside the
window of `period + allowance` seconds. One item per provider and key holds two lists; every change is a
conditional write on the version read, so two callers can never take the same slot, whichever Map
iteration or execution they belong to. Correct for N = 1.

Why two lists: the provider counts a call when it *arrives*, somewhere between the moment we take the slot
and the moment the answer comes back, and that gap differs from call to call (a busy worker sends later
than an idle one; a cold connection needs a handshake). So a slot is held in two stages:
- `inflight`: taken, call not finished. It counts against the window until the call finishes, or, if the
  caller dies mid-call, for the whole window after the latest moment the call could still have arrived
  (`max_flight_seconds` after admission, as the HTTP client gives up by then, or the caller's deadline if
  sooner: a Lambda stopped at its timeout sends nothing more).
- `calls`: finished calls, stamped with the time the answer came back (`complete`). The call arrived no
  later than that, so counting the window from there is safe whatever the network did.

Any N + 1 calls therefore arrive at least `period` apart: when the last of them was admitted, one of the
other N no longer counted, which means it had finished (and so arrived) a whole window earlier, or had
been admitted more than a window plus `max_flight_seconds` earlier (and so arrived a window earlier).
`allowance_seconds` widens the window against clocks that disagree a little and against the provider
stamping arrivals a little late; the log is compared with every time newer than the window, future ones
included. Items written by earlier versions (a `calls` list of admission times only) read as finished calls.
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
    arrives_by: float = 0.0  # the latest moment the call can reach the provider (its in-flight bound)


class SlidingWindowLimiter:
    ddb = LazyClient("dynamodb")
    COMPLETE_ATTEMPTS = 8

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
        max_flight_seconds: float = 20.0,
    ) -> None:
        if calls < 1 or period_seconds <= 0 or allowance_seconds < 0 or max_flight_seconds < 0:
            raise ValueError(
                "calls must be >= 1, period_seconds > 0, allowance_seconds >= 0 and max_flight_seconds >= 0"
            )
        # The key itself never leaves this process: only a short digest names the log.
        key_digest = hashlib.sha256(api_key.encode()).hexdigest()[:16]
        self.id = f"ratelimit#{provider}#{key_digest}"
        self.table = table
        self.calls = calls
        self.window = float(period_seconds) + float(allowance_seconds)
        self.max_flight = float(max_flight_seconds)
        self._ddb = ddb
        self._clock = clock
        self._sleep = sleep

    def _read(self) -> tuple[dict[str, Any] | None, list[float], list[tuple[float, float]], int]:
        item = self.ddb.get_item(TableName=self.table, Key={"id": {"S": self.id}}, ConsistentRead=True).get(
            "Item"
        )
        if not item:
            return None, [], [], 0
        done = [float(v["N"]) for v in item.get("calls", {}).get("L", [])]
        flight = [
            (float(v["M"]["at"]["N"]), float(v["M"]["by"]["N"]))
            for v in item.get("inflight", {}).get("L", [])
        ]
        return item, done, flight, int(item["version"]["N"])

    def _free_times(self, done: list[float], flight: list[tuple[float, float]], now: float) -> list[float]:
        """When each call that still counts stops counting, as far as can be known now (ascending).

        A call still in flight finishes no earlier than now, so it counts at least a window from now; a
        dead one stops counting a window after the latest moment it could have arrived (`by`)."""
        ends = [t + self.window for t in done]
        ends += [min(now, by) + self.window for _, by in flight]
        return sorted(e for e in ends if e > now)

    def _kept(
        self, done: list[float], flight: list[tuple[float, float]], now: float
    ) -> tuple[list[float], list[tuple[float, float]]]:
        """The entries worth keeping: everything that counts, plus one more window of history, so a caller
        whose clock runs a little behind ours still sees what it would count."""
        horizon = now - 2 * self.window
        return (
            sorted(t for t in done if t > horizon)[-2 * self.calls :],  # the counted ones are the latest
            sorted(f for f in flight if f[1] > horizon),
        )

    def try_acquire(self, deadline: float | None = None) -> tuple[float, float]:
        """Take one slot: (admission time, 0.0) on success, else (0.0, seconds until a slot may free).

        `deadline` (epoch seconds) is when the caller will be stopped if it still runs (a Lambda's timeout):
        its call cannot reach the provider after that, so its slot never counts longer."""
        return self._try_acquire(deadline)[:2]

    def _try_acquire(self, deadline: float | None) -> tuple[float, float, float]:
        while True:
            item, done, flight, version = self._read()
            now = self._clock()
            ends = self._free_times(done, flight, now)
            if len(ends) >= self.calls:
                # a slot frees when all but N - 1 of the counted calls have stopped counting
                return 0.0, max(ends[len(ends) - self.calls] - now, 1e-3), 0.0
            by = now + self.max_flight if deadline is None else max(now, min(now + self.max_flight, deadline))
            kept_done, kept_flight = self._kept(done, flight, now)
            if self._write(kept_done, [*kept_flight, (now, by)], now, version, exists=item is not None):
                return now, 0.0, by
            # another caller changed the log between our read and write: read again

    def complete(self, at: float) -> None:
        """The call admitted at `at` has finished (answered or failed): it counts from now on, not from its
        admission. Best effort: if the log keeps changing under us, the entry stays in flight, which only
        holds its slot longer (until a window after the latest moment it could have arrived)."""
        for _ in range(self.COMPLETE_ATTEMPTS):
            item, done, flight, version = self._read()
            mine = [f for f in flight if f[0] == at]
            if item is None or not mine:
                return  # already gone from the log: it no longer counts
            now = self._clock()
            flight.remove(mine[0])
            kept_done, kept_flight = self._kept([*done, max(now, at)], flight, now)
            if self._write(kept_done, kept_flight, now, version, exists=True):
                return

    def acquire(self, max_wait_seconds: float, deadline: float | None = None) -> Acquired:
        """Wait up to `max_wait_seconds` for a slot; raise SlotUnavailable (with the wait) if none comes.

        With a `deadline`, the wait also leaves the call its longest possible duration (`max_flight_seconds`)
        before it: a caller stopped mid-call burns its slot, so it rather hands the wait back
        (SlotUnavailable) for its caller to wait out."""
        start = self._clock()
        budget = max_wait_seconds
        if deadline is not None:
            budget = min(budget, deadline - start - self.max_flight)
        attempts = 0
        while True:
            attempts += 1
            at, wait, by = self._try_acquire(deadline)
            if wait == 0.0:
                return Acquired(at=at, waited_seconds=self._clock() - start, attempts=attempts, arrives_by=by)
            if self._clock() - start + wait > budget:
                raise SlotUnavailable(wait)
            self._sleep(wait)

    def _write(
        self, done: list[float], flight: list[tuple[float, float]], now: float, version: int, *, exists: bool
    ) -> bool:
        condition = "version = :v" if exists else "attribute_not_exists(id)"
        values: dict[str, Any] = {":v": {"N": str(version)}} if exists else {}
        try:
            self.ddb.put_item(
                TableName=self.table,
                Item={
                    "id": {"S": self.id},
                    "calls": {"L": [_num(t) for t in done]},
                    "inflight": {"L": [{"M": {"at": _num(at), "by": _num(by)}} for at, by in flight]},
                    "version": {"N": str(version + 1)},
                    "expiration": {"N": str(int(now) + RECORD_TTL_SECONDS)},
                },
                ConditionExpression=condition,
                **({"ExpressionAttributeValues": values} if values else {}),
            )
        except self.ddb.exceptions.ConditionalCheckFailedException:
            return False
        return True


def _num(t: float) -> dict[str, str]:
    return {"N": str(Decimal(repr(t)))}


class SlotUnavailable(Exception):
    """No slot within the allowed wait; `retry_after` says when one frees (if nobody else takes it)."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"no rate-limit slot for {retry_after:.1f}s")
        self.retry_after = retry_after
