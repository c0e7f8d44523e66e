"""The shared DynamoDB sliding-window log: at most N admissions in any window, for any interleaving.

A fake DynamoDB (get_item / conditional put_item, as the limiter uses them) and a fake clock; the property
test runs concurrent callers in threads whose every DynamoDB call is a scheduling point, and Hypothesis
chooses which caller goes next and how far the clock moves in between.
"""

from __future__ import annotations

import copy
import itertools
import threading
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from movers.market.app import peak_in_window
from stock_movers.adapters.ratelimiter import SlidingWindowLimiter, SlotUnavailable
from stock_movers.usecases.fetch import slot_wait

TABLE = "control"


class ConditionalCheckFailedException(Exception):
    pass


class _Exceptions:
    ConditionalCheckFailedException = ConditionalCheckFailedException


class FakeDynamo:
    """The two calls the limiter makes, over one dict of items; `before_call` is a scheduling hook."""

    exceptions = _Exceptions

    def __init__(self, items: dict[str, dict[str, Any]] | None = None,
                 before_call: Callable[[], None] = lambda: None) -> None:  # fmt: skip
        self.items = {} if items is None else items
        self.before_call = before_call
        self.puts = 0

    def get_item(self, TableName: str, Key: dict[str, Any], ConsistentRead: bool) -> dict[str, Any]:
        assert TableName == TABLE and ConsistentRead
        self.before_call()
        item = self.items.get(Key["id"]["S"])
        return {"Item": copy.deepcopy(item)} if item is not None else {}

    def put_item(self, TableName: str, Item: dict[str, Any], ConditionExpression: str,
                 ExpressionAttributeValues: dict[str, Any] | None = None) -> None:  # fmt: skip
        self.before_call()
        current = self.items.get(Item["id"]["S"])
        if ConditionExpression == "attribute_not_exists(id)":
            ok = current is None
        else:
            assert ConditionExpression == "version = :v" and ExpressionAttributeValues
            ok = current is not None and current["version"] == ExpressionAttributeValues[":v"]
        if not ok:
            raise ConditionalCheckFailedException()
        self.items[Item["id"]["S"]] = copy.deepcopy(Item)
        self.puts += 1


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def limiter(ddb: FakeDynamo, clock: FakeClock, calls: int = 5, period: float = 60.0,
            allowance: float = 0.5) -> SlidingWindowLimiter:  # fmt: skip
    return SlidingWindowLimiter(TABLE, "massive", "secret-key", calls, period, ddb=ddb, clock=clock,
                                sleep=clock.sleep, allowance_seconds=allowance)  # fmt: skip


def test_massive_free_tier_five_at_once_then_the_sixth_one_window_later() -> None:
    # Given 5 calls per 60 s and a 0.5 s allowance, when seven callers acquire one after another, then five
    # go at once and the sixth and seventh when the first ones leave the 60.5 s window.
    clock = FakeClock()
    lim = limiter(FakeDynamo(), clock)
    start = clock.now
    times = [round(lim.acquire(max_wait_seconds=120).at - start, 3) for _ in range(7)]
    assert times == [0, 0, 0, 0, 0, 60.5, 60.5]


def test_one_call_per_window_is_one_call_per_window() -> None:
    # Given N = 1 per 30 s, when four callers acquire in turn, then they are 30.5 s apart each.
    clock = FakeClock()
    lim = limiter(FakeDynamo(), clock, calls=1, period=30.0)
    times = [lim.acquire(max_wait_seconds=60).at for _ in range(4)]
    assert [round(b - a, 3) for a, b in itertools.pairwise(times)] == [30.5, 30.5, 30.5]


def test_a_slot_too_far_away_raises_slot_unavailable_with_the_wait() -> None:
    clock = FakeClock()
    lim = limiter(FakeDynamo(), clock)
    for _ in range(5):
        lim.acquire(max_wait_seconds=30)
    clock.now += 20.0
    with pytest.raises(SlotUnavailable) as err:
        lim.acquire(max_wait_seconds=10.0)
    assert err.value.retry_after == pytest.approx(40.5)
    assert clock.now == 1_020.0  # it did not sleep: the wait was known to be too long


def test_the_log_keeps_n_times_and_never_the_api_key() -> None:
    clock = FakeClock()
    ddb = FakeDynamo()
    lim = limiter(ddb, clock, calls=3, period=2.0, allowance=0.0)
    for _ in range(10):
        lim.acquire(max_wait_seconds=5)
    (item,) = ddb.items.values()
    assert len(item["calls"]["L"]) == 3 and "secret-key" not in str(item)
    assert int(item["expiration"]["N"]) > clock.now and item["version"]["N"] == "10"


def test_a_time_ahead_of_our_clock_still_counts() -> None:
    # Given a log written by a caller whose clock runs 2 s ahead, when our caller asks, then that admission
    # counts against the window (a skewed clock can never let an extra call through).
    clock = FakeClock()
    ddb = FakeDynamo()
    ahead = FakeClock()
    ahead.now = clock.now + 2.0
    limiter(ddb, ahead, calls=1, period=10.0, allowance=0.0).acquire(max_wait_seconds=0)
    at, wait = limiter(ddb, clock, calls=1, period=10.0, allowance=0.0).try_acquire()
    assert at == 0.0 and wait == pytest.approx(12.0)


def test_bad_limits_are_rejected() -> None:
    for calls, period, allowance in [(0, 60.0, 0.5), (1, 0.0, 0.5), (1, 1.0, -1.0)]:
        with pytest.raises(ValueError):
            SlidingWindowLimiter(TABLE, "massive", "k", calls, period, ddb=FakeDynamo(),
                                 allowance_seconds=allowance)  # fmt: skip


# ------------------------------------------------------------------------------------------------------
# Any interleaving of concurrent callers


class Scheduler:
    """Lets exactly one caller thread run at a time, between DynamoDB calls, in an order chosen outside."""

    def __init__(self, callers: int) -> None:
        self.callers = callers
        self.cv = threading.Condition()
        self.parked: set[int] = set()
        self.done: set[int] = set()
        self.go: int | None = None
        self.local = threading.local()

    def checkpoint(self) -> None:
        me = self.local.id
        with self.cv:
            self.parked.add(me)
            self.cv.notify_all()
            self.cv.wait_for(lambda: self.go == me)
            self.go = None
            self.parked.discard(me)

    def finish(self) -> None:
        with self.cv:
            self.done.add(self.local.id)
            self.cv.notify_all()

    def drive(self, choose: Callable[[list[int]], int]) -> None:
        while True:
            with self.cv:
                self.cv.wait_for(
                    lambda: self.go is None and len(self.parked) + len(self.done) == self.callers, timeout=10
                )
                assert len(self.parked) + len(self.done) == self.callers, "a caller is stuck"
                if len(self.done) == self.callers:
                    return
                self.go = choose(sorted(self.parked))
                self.cv.notify_all()


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    calls=st.integers(1, 4),
    period=st.sampled_from([1.0, 2.0, 5.0]),
    allowance=st.sampled_from([0.0, 0.25]),
    callers=st.integers(2, 4),
    attempts=st.integers(1, 5),
    data=st.data(),
)
def test_no_window_ever_holds_more_than_n_admissions(
    calls: int, period: float, allowance: float, callers: int, attempts: int, data: st.DataObject
) -> None:
    # Given `callers` concurrent callers (each its own limiter object over one shared item), each trying
    # `attempts` times, and a clock that moves by drawn steps between any two DynamoDB calls, when they run
    # in a drawn interleaving, then no window of `period` holds more than `calls` admissions - nor more
    # than `calls` arrivals when each call arrives up to `allowance` after its admission.
    clock = FakeClock()
    items: dict[str, dict[str, Any]] = {}
    sched = Scheduler(callers)
    admitted: list[float] = []
    lock = threading.Lock()
    errors: list[BaseException] = []

    def caller(index: int) -> None:
        sched.local.id = index
        try:
            lim = limiter(FakeDynamo(items, sched.checkpoint), clock, calls, period, allowance)
            for _ in range(attempts):
                at, wait = lim.try_acquire()
                if wait == 0.0:
                    with lock:
                        admitted.append(at)
                else:
                    assert wait > 0
        except BaseException as exc:
            errors.append(exc)
        finally:
            sched.finish()

    def choose(parked: list[int]) -> int:
        clock.now += data.draw(st.sampled_from([0.0, 0.0, 0.1, period / 3, period, period + allowance]))
        return int(data.draw(st.sampled_from(parked)))

    threads = [threading.Thread(target=caller, args=(i,), daemon=True) for i in range(callers)]
    for t in threads:
        t.start()
    sched.drive(choose)
    for t in threads:
        t.join(timeout=10)
    assert not errors, errors
    assert admitted, "nobody was ever admitted"
    assert peak_in_window(admitted, period + allowance) <= calls
    delays = [data.draw(st.floats(0.0, allowance)) for _ in admitted]
    assert peak_in_window([a + d for a, d in zip(admitted, delays, strict=True)], period) <= calls


# ------------------------------------------------------------------------------------------------------
# The answer of a fetch that found no slot


def test_no_slot_is_a_whole_second_wait_that_remembers_when_waiting_began() -> None:
    assert slot_wait(0.2, None, 100.0, 1800) == {"status": "Wait", "waitSeconds": 1, "waitingSince": 100.0}
    assert slot_wait(12.01, 40.0, 100.0, 1800) == {"status": "Wait", "waitSeconds": 13, "waitingSince": 40.0}


@pytest.mark.parametrize("since", [0.0, -5.0, 500.0])
def test_a_missing_or_impossible_start_counts_from_now(since: float) -> None:
    assert slot_wait(5.0, since, 100.0, 1800)["waitingSince"] == 100.0


def test_past_the_budget_the_answer_is_rate_limited() -> None:
    out = slot_wait(30.0, 100.0, 1_000.0, 900)
    assert out["status"] == "RateLimited" and out["waitedSeconds"] == 900.0
    assert "900 s wait budget" in out["message"]
