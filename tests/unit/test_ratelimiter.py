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
            allowance: float = 0.5, flight: float = 20.0) -> SlidingWindowLimiter:  # fmt: skip
    return SlidingWindowLimiter(TABLE, "massive", "secret-key", calls, period, ddb=ddb, clock=clock,
                                sleep=clock.sleep, allowance_seconds=allowance,
                                max_flight_seconds=flight)  # fmt: skip


def call(lim: SlidingWindowLimiter, clock: FakeClock, max_wait_seconds: float, takes: float = 0.0) -> float:
    """One provider call through `lim`: take a slot, spend `takes` seconds on the call, mark it finished."""
    at = lim.acquire(max_wait_seconds).at
    clock.now += takes
    lim.complete(at)
    return at


def test_massive_free_tier_five_at_once_then_the_sixth_one_window_later() -> None:
    # Given 5 calls per 60 s and a 0.5 s allowance, when seven callers call one after another, then five
    # go at once and the sixth and seventh when the first ones leave the 60.5 s window.
    clock = FakeClock()
    lim = limiter(FakeDynamo(), clock)
    start = clock.now
    times = [round(call(lim, clock, max_wait_seconds=120) - start, 3) for _ in range(7)]
    assert times == [0, 0, 0, 0, 0, 60.5, 60.5]


def test_one_call_per_window_is_one_call_per_window() -> None:
    # Given N = 1 per 30 s, when four callers call in turn, then they are 30.5 s apart each.
    clock = FakeClock()
    lim = limiter(FakeDynamo(), clock, calls=1, period=30.0)
    times = [call(lim, clock, max_wait_seconds=60) for _ in range(4)]
    assert [round(b - a, 3) for a, b in itertools.pairwise(times)] == [30.5, 30.5, 30.5]


def test_a_slow_call_counts_from_its_answer_not_its_admission() -> None:
    # Given N = 1 per 10 s, when the first call takes 4 s to answer (it may have reached the provider at
    # any moment of those 4 s), then the next is admitted a whole window after the answer, not the admission.
    clock = FakeClock()
    lim = limiter(FakeDynamo(), clock, calls=1, period=10.0, allowance=0.0)
    first = call(lim, clock, max_wait_seconds=0, takes=4.0)
    second = call(lim, clock, max_wait_seconds=30)
    assert second - first == pytest.approx(14.0)


def test_a_call_in_flight_holds_its_slot_until_it_finishes() -> None:
    # Given N = 1 per 10 s and a call admitted 25 s ago that has not finished (a slow answer), when another
    # caller asks, then it must wait at least a window: the running call may reach the provider any moment.
    clock = FakeClock()
    ddb = FakeDynamo()
    slow = limiter(ddb, clock, calls=1, period=10.0, allowance=0.0, flight=30.0)
    at = slow.acquire(max_wait_seconds=0).at
    clock.now += 25.0
    other = limiter(ddb, clock, calls=1, period=10.0, allowance=0.0, flight=30.0)
    assert other.try_acquire() == (0.0, pytest.approx(10.0))
    # When it finishes 2 s later, then the slot frees a window after that answer.
    clock.now += 2.0
    slow.complete(at)
    assert other.try_acquire() == (0.0, pytest.approx(10.0))
    clock.now += 10.0
    assert other.try_acquire()[1] == 0.0


def test_a_caller_that_died_mid_call_frees_its_slot_after_the_latest_possible_arrival() -> None:
    # Given N = 1 per 10 s, a call admitted at t0 whose caller died (no answer is ever marked) and an HTTP
    # client that gives up within 20 s, then the slot frees at t0 + 20 s + the window, and not before.
    clock = FakeClock()
    ddb = FakeDynamo()
    t0 = limiter(ddb, clock, calls=1, period=10.0, allowance=0.0, flight=20.0).acquire(0).at
    clock.now += 29.0
    lim = limiter(ddb, clock, calls=1, period=10.0, allowance=0.0, flight=20.0)
    assert lim.try_acquire() == (0.0, pytest.approx(1.0))
    clock.now += 1.0
    at, wait = lim.try_acquire()
    assert wait == 0.0 and at == pytest.approx(t0 + 30.0)


def test_a_caller_stopped_at_its_deadline_holds_its_slot_only_until_then() -> None:
    # Given N = 1 per 10 s and a Lambda that takes a slot 4 s before its timeout and is stopped mid-call,
    # then the slot frees a window after that timeout, not 20 s (the HTTP bound) after admission.
    clock = FakeClock()
    ddb = FakeDynamo()
    t0 = clock.now
    limiter(ddb, clock, calls=1, period=10.0, allowance=0.0).acquire(0, deadline=t0 + 4.0)
    lim = limiter(ddb, clock, calls=1, period=10.0, allowance=0.0)
    clock.now += 5.0
    assert lim.try_acquire() == (0.0, pytest.approx(9.0))
    clock.now += 9.0
    assert lim.try_acquire()[1] == 0.0


def test_a_wait_that_would_leave_the_call_no_time_before_the_deadline_is_handed_back() -> None:
    # Given a full window freeing in 3 s and an invocation with 10 s left, when the call may take 20 s,
    # then the limiter does not sleep: it raises SlotUnavailable for the caller to wait out elsewhere.
    clock = FakeClock()
    lim = limiter(FakeDynamo(), clock, calls=1, period=3.0, allowance=0.0)
    call(lim, clock, max_wait_seconds=0)
    with pytest.raises(SlotUnavailable) as err:
        lim.acquire(max_wait_seconds=20, deadline=clock.now + 10.0)
    assert err.value.retry_after == pytest.approx(3.0) and clock.now == 1_000.0
    # With 30 s left it sleeps the 3 s and calls.
    assert lim.acquire(max_wait_seconds=20, deadline=clock.now + 30.0).waited_seconds == pytest.approx(3.0)


def test_a_log_written_by_the_previous_version_reads_as_finished_calls() -> None:
    # Given an item holding only `calls` (admission times, as the earlier limiter wrote it), then those
    # count as finished calls.
    clock = FakeClock()
    item = {"id": {"S": ""}, "calls": {"L": [{"N": str(clock.now - 1.0)}]}, "version": {"N": "3"}}
    ddb = FakeDynamo()
    lim = limiter(ddb, clock, calls=1, period=10.0, allowance=0.0)
    ddb.items[lim.id] = {**item, "id": {"S": lim.id}}
    assert lim.try_acquire() == (0.0, pytest.approx(9.0))


def test_a_slot_too_far_away_raises_slot_unavailable_with_the_wait() -> None:
    clock = FakeClock()
    lim = limiter(FakeDynamo(), clock)
    for _ in range(5):
        call(lim, clock, max_wait_seconds=30)
    clock.now += 20.0
    with pytest.raises(SlotUnavailable) as err:
        lim.acquire(max_wait_seconds=10.0)
    assert err.value.retry_after == pytest.approx(40.5)
    assert clock.now == 1_020.0  # it did not sleep: the wait was known to be too long


def test_the_log_stays_small_and_never_holds_the_api_key() -> None:
    clock = FakeClock()
    ddb = FakeDynamo()
    lim = limiter(ddb, clock, calls=3, period=2.0, allowance=0.0)
    for _ in range(30):
        call(lim, clock, max_wait_seconds=5, takes=0.1)
    (item,) = ddb.items.values()
    assert len(item["calls"]["L"]) <= 6 and item["inflight"]["L"] == [] and "secret-key" not in str(item)
    assert int(item["expiration"]["N"]) > clock.now and item["version"]["N"] == "60"


def test_a_time_ahead_of_our_clock_still_counts() -> None:
    # Given a log written by a caller whose clock runs 2 s ahead, when our caller asks, then that call
    # counts against the window (a skewed clock can never let an extra call through).
    clock = FakeClock()
    ddb = FakeDynamo()
    ahead = FakeClock()
    ahead.now = clock.now + 2.0
    call(limiter(ddb, ahead, calls=1, period=10.0, allowance=0.0), ahead, max_wait_seconds=0)
    at, wait = limiter(ddb, clock, calls=1, period=10.0, allowance=0.0).try_acquire()
    assert at == 0.0 and wait == pytest.approx(12.0)


def test_bad_limits_are_rejected() -> None:
    for calls, period, allowance, flight in [
        (0, 60.0, 0.5, 1),
        (1, 0.0, 0.5, 1),
        (1, 1.0, -1.0, 1),
        (1, 1, 0, -1),
    ]:
        with pytest.raises(ValueError):
            SlidingWindowLimiter(TABLE, "massive", "k", calls, period, ddb=FakeDynamo(),
                                 allowance_seconds=allowance, max_flight_seconds=flight)  # fmt: skip


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
def test_no_window_ever_holds_more_than_n_arrivals(
    calls: int, period: float, allowance: float, callers: int, attempts: int, data: st.DataObject
) -> None:
    # Given `callers` concurrent callers (each its own limiter object over one shared item), each calling
    # `attempts` times, and a clock that moves by drawn steps between any two DynamoDB calls, when they run
    # in a drawn interleaving and each call reaches the provider at a drawn moment between its admission and
    # its answer (however long that takes), then no window of `period` holds more than `calls` arrivals, and
    # no window of `period + allowance` more than `calls` admissions.
    clock = FakeClock()
    items: dict[str, dict[str, Any]] = {}
    sched = Scheduler(callers)
    admitted: list[float] = []
    arrived: list[float] = []
    lock = threading.Lock()
    errors: list[BaseException] = []

    def caller(index: int) -> None:
        sched.local.id = index
        try:
            lim = limiter(FakeDynamo(items, sched.checkpoint), clock, calls, period, allowance, flight=1e9)
            for _ in range(attempts):
                at, wait = lim.try_acquire()
                if wait == 0.0:
                    sched.checkpoint()  # the request is on its way: others run, the clock moves
                    with lock:
                        admitted.append(at)
                        arrived.append(clock.now)  # the provider sees it now
                    sched.checkpoint()  # the answer is on its way back
                    lim.complete(at)
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
    assert peak_in_window(arrived, period) <= calls


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
