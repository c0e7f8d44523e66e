"""The shared DynamoDB token bucket: quota, reserve for send latency, concurrency, key privacy."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from stock_movers.adapters.ratelimiter import TokenBucket, TokenUnavailable

TABLE = "control"


@pytest.fixture
def ddb() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(
            TableName=TABLE,
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        yield client


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def bucket(
    ddb: Any, clock: FakeClock, calls: int = 5, period: float = 60.0, allowance: float = 0.5
) -> TokenBucket:
    return TokenBucket(TABLE, "massive", "secret-key", calls, period, ddb=ddb, clock=clock, sleep=clock.sleep,
                       allowance_seconds=allowance)  # fmt: skip


def test_massive_free_tier_timeline_keeps_a_small_reserve(ddb: Any) -> None:
    # Given 5 calls per 60 s and a 0.5 s allowance, when six callers acquire one after another, then four go
    # at once, the fifth after the reserve refills (0.5 s), the sixth one refill period (12 s) later.
    clock = FakeClock()
    b = bucket(ddb, clock)
    start = clock.now
    times = []
    for _ in range(6):
        b.acquire(max_wait_seconds=30)
        times.append(round(clock.now - start, 3))
    assert times[:4] == [0, 0, 0, 0]
    assert times[4] == pytest.approx(0.5, abs=0.01)
    assert times[5] == pytest.approx(12.5, abs=0.01)


def test_calls_never_outrun_the_providers_token_bucket(ddb: Any) -> None:
    # Given 5 per 10 s (a provider bucket of 5 refilling 0.5/s that starts full), over 40 acquisitions the
    # k-th call (1-based) is never earlier than (k - 5) / 0.5 s after the first: the provider always has a
    # token when our call arrives.
    clock = FakeClock()
    b = bucket(ddb, clock, calls=5, period=10.0)
    start = clock.now
    for k in range(1, 41):
        b.acquire(max_wait_seconds=30)
        assert clock.now - start >= (k - 5) / 0.5 - 1e-6


def test_a_token_too_far_away_raises_token_unavailable_with_the_wait(ddb: Any) -> None:
    clock = FakeClock()
    b = bucket(ddb, clock)
    for _ in range(5):
        b.acquire(max_wait_seconds=30)
    with pytest.raises(TokenUnavailable) as err:
        b.acquire(max_wait_seconds=1.0)
    assert 10 < err.value.retry_after <= 12.5


def test_concurrent_callers_share_one_bucket(ddb: Any) -> None:
    # Given one bucket item and 8 threads with their own TokenBucket objects, when all try once without
    # waiting, then exactly as many succeed as the bucket holds above its reserve.
    clock = FakeClock()
    results: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        wait = bucket(ddb, clock, allowance=0.0).try_acquire()
        with lock:
            results.append(wait)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count(0.0) == 5


def test_the_bucket_item_never_contains_the_api_key(ddb: Any) -> None:
    clock = FakeClock()
    bucket(ddb, clock).acquire(max_wait_seconds=1)
    items = ddb.scan(TableName=TABLE)["Items"]
    assert len(items) == 1 and "secret-key" not in str(items)
    assert items[0]["expiration"]["N"]


def test_bad_limits_are_rejected(ddb: Any) -> None:
    with pytest.raises(ValueError):
        TokenBucket(TABLE, "massive", "k", 0, 60.0, ddb=ddb)
