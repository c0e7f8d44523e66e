"""Issue 13: the rate limit as the provider counts it, waiting is no error, and no invalid bar is cached.

The market server counts per sliding window (the strictest reading of Massive's "N per minute") and records
every call's arrival; `MarketServer.peak(period)` is the most calls any window of that length held. The
fetch functions are set to the same plan, with a short in-function wait so longer waits go through the
state machines' Wait states. A Lambda error would show in the execution history as a TaskFailed event (the
local AWS has no CloudWatch Lambda metrics), so "no Lambda errors" is "no TaskFailed".

Dates: 2021 sessions, clear of the other stack tests' days.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import json
import uuid
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest

from movers.local.stack import LOCAL_API_KEY
from movers.market.dataset import Dataset
from stock_movers.adapters.ratelimiter import SlidingWindowLimiter
from tests.conftest import RATE_LIMIT_ALLOWANCE
from tests.support import oracle
from tests.support.localstack import StackHandle

pytestmark = pytest.mark.stack


def _fn(stack: StackHandle, short: str) -> str:
    names = {**stack.outputs["function_names"], **stack.outputs.get("backfill_function_names", {})}
    return str(names[short])


def _quiesce(stack: StackHandle) -> None:
    """Waits until no execution runs (a run's gap healing starts a backfill in the background) and the
    market server saw no call for a while (StackHandle.quiesce)."""
    stack.quiesce()


def _env(stack: StackHandle, short: str, changes: dict[str, str]) -> dict[str, Any]:
    """The function's environment with `changes`, as UpdateFunctionConfiguration takes it."""
    lam = stack.stack.client("lambda")
    env = lam.get_function_configuration(FunctionName=_fn(stack, short))["Environment"]["Variables"]
    return {"Variables": {**env, **changes}}


@pytest.fixture
def released(stack: StackHandle) -> Iterator[Callable[[str, dict[str, str]], None]]:
    """Given a setter that releases environment changes of a function to `live` until the test ends."""
    with contextlib.ExitStack() as releases:

        def release(short: str, changes: dict[str, str]) -> None:
            _quiesce(stack)
            releases.enter_context(stack.released(_fn(stack, short), Environment=_env(stack, short, changes)))

        yield release
        _quiesce(stack)


@pytest.fixture
def plan(
    stack: StackHandle, released: Callable[[str, dict[str, str]], None]
) -> Iterator[Callable[[int, float], None]]:
    """Given a setter for the provider plan: the market server and both fetch functions get N per period,
    with a 0.5 s in-function wait (so waits go through the Wait states). Restored after."""
    original = stack.market.app.limiter.limit

    def set_plan(calls: int, period: float) -> None:
        changes = {
            "RATE_LIMIT_CALLS": str(calls),
            "RATE_LIMIT_PERIOD_SECONDS": str(period),
            "RATE_LIMIT_MAX_WAIT_SECONDS": "0.5",
        }
        for short in ("fetch_bars", "fetch_range"):
            released(short, changes)
        stack.market.set_rate_limit((calls, period))
        stack.market.reset()

    try:
        yield set_plan
    finally:
        stack.market.set_rate_limit(original)


def _start(stack: StackHandle, machine: str, label: str, payload: dict[str, Any]) -> str:
    arn = stack.outputs[f"{machine}_state_machine_arn"]
    name = f"limits-{label}-{uuid.uuid4().hex[:6]}"
    return str(
        stack.sfn.start_execution(stateMachineArn=arn, name=name, input=json.dumps(payload))["executionArn"]
    )


def _failed_tasks(stack: StackHandle, arn: str) -> list[str]:
    return [e["taskFailedEventDetails"]["error"] for e in stack.history(arn) if e["type"] == "TaskFailed"]


def _entered(stack: StackHandle, arn: str) -> list[str]:
    return [
        e["stateEnteredEventDetails"]["name"]
        for e in stack.history(arn)
        if e["type"].endswith("StateEntered")
    ]


def _take_slot(stack: StackHandle, calls: int, period: float) -> None:
    """Spend one slot of the shared log as any other caller would (a backfill beside the daily run): take
    it, then mark the call finished at once."""
    limiter = SlidingWindowLimiter(
        stack.outputs["control_table_name"], "massive", LOCAL_API_KEY, calls, period,
        ddb=stack.ddb, allowance_seconds=RATE_LIMIT_ALLOWANCE,
    )  # fmt: skip
    limiter.complete(limiter.acquire(max_wait_seconds=period + 1).at)


@pytest.mark.parametrize(
    ("calls", "period", "day"), [(5, 2.0, "2021-03-10"), (1, 1.0, "2021-06-16")], ids=["N=5", "N=1"]
)
def test_the_provider_never_sees_more_than_n_calls_in_a_window_and_waiting_is_no_error(
    stack: StackHandle, plan: Callable[[int, float], None], calls: int, period: float, day: str
) -> None:
    # Given a provider that allows N calls in any window of `period` (and the stack configured alike), when
    # a six-ticker day runs at Map concurrency 6, then it stores the independent winner, the provider saw
    # at most N calls in any window and answered no 429, and no task failed: the iterations that found no
    # slot waited in the "Wait For Slot" state instead of raising RateLimited.
    plan(calls, period)
    arn = _start(stack, "ingest", f"n{calls}", {"date": day, "force": True})
    desc = stack.wait(arn)
    assert desc["status"] == "SUCCEEDED", (desc.get("error"), desc.get("cause"))
    item = stack.winner(day) or {}
    ticker, pct = oracle.winner(day)
    assert (item["Ticker"]["S"], Decimal(item["PercentChange"]["N"])) == (ticker, Decimal(pct))
    assert _failed_tasks(stack, arn) == []
    assert "Wait For Slot" in _entered(stack, arn)
    _quiesce(stack)  # the run's gap healing (a backfill started in the background) shares the quota
    stats = stack.market.stats()
    assert stats["rate_limited"] == 0, stats
    assert stats["by_endpoint"].get("range", 0) >= len(oracle.DEFAULT)
    assert stack.market.peak(period) <= calls, stack.market.arrivals()


def test_backfill_and_snapshot_fetches_wait_for_a_slot_without_errors(
    stack: StackHandle, plan: Callable[[int, float], None], released: Callable[[str, dict[str, str]], None]
) -> None:
    # Given one call per 2 s, when a backfill of six tickers runs, and, with one call per 6 s, a
    # snapshot-strategy day starts right after another caller took the only slot, then both wait in their
    # Wait states, succeed with no failed task, and the provider never saw two calls in one window.
    plan(1, 2.0)
    backfill = _start(stack, "backfill", "range", {"from": "2021-08-02", "to": "2021-08-06", "force": True})
    desc = stack.wait(backfill)
    assert desc["status"] == "SUCCEEDED", (desc.get("error"), desc.get("cause"))
    assert json.loads(desc["output"])["stored"] == 5
    assert _failed_tasks(stack, backfill) == []
    assert "Wait For Range Slot" in _entered(stack, backfill)
    assert stack.winner("2021-08-04")["Ticker"]["S"] == oracle.winner("2021-08-04")[0]  # type: ignore[index]
    _quiesce(stack)
    assert stack.market.stats()["rate_limited"] == 0
    assert stack.market.peak(2.0) <= 1, stack.market.arrivals()
    plan(1, 6.0)  # a window longer than the run takes to reach its fetch, even with cold workers
    released("validate_input", {"FETCH_STRATEGY": "snapshot"})
    _take_slot(stack, 1, 6.0)
    day = "2021-08-11"
    snapshot = _start(stack, "ingest", "snapshot", {"date": day, "force": True})
    desc = stack.wait(snapshot)
    assert desc["status"] == "SUCCEEDED", (desc.get("error"), desc.get("cause"))
    assert _failed_tasks(stack, snapshot) == []
    assert "Wait For Snapshot Slot" in _entered(stack, snapshot)
    assert stack.winner(day)["Ticker"]["S"] == oracle.winner(day)[0]  # type: ignore[index]
    _quiesce(stack)
    assert stack.market.stats()["rate_limited"] == 0
    assert stack.market.peak(6.0) <= 1, stack.market.arrivals()


BAD_DAY = "2025-12-17"  # never stored before (the five-year backfill covers 2020-2024)


def _bad_dataset(good: Dataset, ticker: str, day: dt.date) -> Dataset:
    """The same data with one bar whose high is below its low (parses fine; fails the day's validation)."""
    bars = []
    for t in good.tickers:
        for b in good.bars_between(t, good.sessions[0], good.sessions[-1]):
            if (t, b.day) == (ticker, day):
                b = dataclasses.replace(b, high=b.low - Decimal("0.01"))
            bars.append(b)
    return Dataset(bars)


@pytest.fixture
def one_bad_bar(stack: StackHandle) -> Iterator[Callable[[bool], None]]:
    """Given a switch that makes the provider serve one invalid bar (AAPL on BAD_DAY) or the good data."""
    good = stack.market.app.dataset
    bad = _bad_dataset(good, "AAPL", dt.date.fromisoformat(BAD_DAY))

    def serve_bad(on: bool) -> None:
        stack.market.app.dataset = bad if on else good

    try:
        yield serve_bad
    finally:
        stack.market.app.dataset = good


def test_an_invalid_bar_is_not_served_again_to_a_rerun_or_a_forced_run(
    stack: StackHandle, one_bad_bar: Callable[[bool], None]
) -> None:
    day = BAD_DAY
    _quiesce(stack)
    # Given the provider serving one invalid bar, when the day runs, then it fails with InvalidBar and
    # writes nothing.
    one_bad_bar(True)
    first = stack.wait(_start(stack, "ingest", "bad", {"date": day}))
    assert first["status"] == "FAILED" and first["error"] == "InvalidBar", first.get("cause")
    assert stack.winner(day) is None
    # When the provider serves the right bar again and the day is re-run (no force), then the re-run asks
    # the provider again (nothing cached from the failed run) and stores the independent winner.
    one_bad_bar(False)
    before = stack.market.stats()["by_ticker"].get("AAPL", 0)
    rerun = stack.wait(_start(stack, "ingest", "rerun", {"date": day}))
    assert rerun["status"] == "SUCCEEDED", (rerun.get("error"), rerun.get("cause"))
    assert stack.market.stats()["by_ticker"].get("AAPL", 0) - before == 1
    assert (stack.winner(day) or {})["Ticker"]["S"] == oracle.winner(day)[0]
    # Given the day stored, when a forced run meets the invalid bar, then it fails and the stored winner
    # stays; when the next forced run meets the right bar, then it fetches afresh and stores the winner.
    stored = stack.winner(day)
    one_bad_bar(True)
    forced_bad = stack.wait(_start(stack, "ingest", "forced-bad", {"date": day, "force": True}))
    assert forced_bad["status"] == "FAILED" and forced_bad["error"] == "InvalidBar"
    assert stack.winner(day) == stored
    one_bad_bar(False)
    before = stack.market.stats()["by_ticker"].get("AAPL", 0)
    forced = stack.wait(_start(stack, "ingest", "forced", {"date": day, "force": True}))
    assert forced["status"] == "SUCCEEDED", (forced.get("error"), forced.get("cause"))
    assert stack.market.stats()["by_ticker"].get("AAPL", 0) - before == 1
    item = stack.winner(day) or {}
    assert item["ExecutionArn"]["S"] == forced["executionArn"]
    assert (item["Ticker"]["S"], item["PercentChange"]["N"]) == oracle.winner(day)
