"""Issue 16: the daily run, a backfill and the restore drill through Alpha Vantage and through Tiingo, on the
local market server's APIs for them (the same SYNTHETIC dataset as Massive's), with the results the Massive
path stores (the oracle) and the calls counted at the server within each vendor's plan.

The stack is switched to a provider the way `terraform apply -var market_provider=...` switches it: the
MARKET_PROVIDER of every function that reads it (validate_input, fetch_bars, plan_backfill, fetch_range)
released to `live`, restored afterwards. The base URL and key stay: one server speaks all three APIs.
Alpha Vantage's burst window is scaled like the stack's Massive plan (tests/conftest.py), to 10 calls per 2 s
so that a watchlist's calls go out at once, and the fetch functions' rate limit is released with it (as a
deployment sets `rate_limit_calls` for its provider's plan); Alpha Vantage's daily quota and Tiingo's hourly
and daily allocations are the free plans'.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import uuid

import pytest

from movers.cli.replay import DynamoWinners, LambdaStoreDay, S3Bodies, replay
from movers.local.stack import LOCAL_API_KEY
from movers.market.vendors import ALPHAVANTAGE_FREE, TIINGO_FREE
from tests.support import oracle
from tests.support.localstack import StackHandle

pytestmark = pytest.mark.stack

# Sessions no other stack test names, inside Alpha Vantage's compact reach (the latest 100 sessions) and with
# no stored winner in the 10 sessions before DAY, so the daily run starts no gap-healing backfill.
DAY = "2026-08-17"
SPAN = ("2026-08-18", "2026-08-20")
DAYS = ["2026-08-17", "2026-08-18", "2026-08-19", "2026-08-20"]
# Three of the watchlist: each ticker is a fetch worker that starts cold on the released versions
TICKERS = ["AAPL", "NVDA", "TSLA"]
FUNCTIONS = (("function_names", "validate_input"), ("function_names", "fetch_bars"))
BACKFILL_FUNCTIONS = (
    ("backfill_function_names", "plan_backfill"),
    ("backfill_function_names", "fetch_range"),
)
ENDPOINT = {"alphavantage": "av_daily", "tiingo": "tiingo_prices"}
BURST = (10, 2.0)


@contextlib.contextmanager
def provider_configured(stack: StackHandle, name: str):  # type: ignore[no-untyped-def]
    lam = stack.stack.client("lambda")
    with contextlib.ExitStack() as released:
        for output, function in FUNCTIONS + BACKFILL_FUNCTIONS:
            fn = stack.outputs[output][function]
            env = {**lam.get_function_configuration(FunctionName=fn)["Environment"]["Variables"]}
            env["MARKET_PROVIDER"] = name
            if "RATE_LIMIT_CALLS" in env:  # the fetch functions: the plan's burst window
                env["RATE_LIMIT_CALLS"], env["RATE_LIMIT_PERIOD_SECONDS"] = str(BURST[0]), str(BURST[1])
            released.enter_context(stack.released(fn, Environment={"Variables": env}))
        yield


@pytest.mark.parametrize("name", ["alphavantage", "tiingo"])
def test_daily_run_backfill_and_replay_through_the_vendor_store_the_massive_results(
    stack: StackHandle, name: str
) -> None:
    tickers = TICKERS
    # Given the market server's plans for the vendor (fresh windows) and a quiet stack
    stack.market.set_plans(alphavantage={**ALPHAVANTAGE_FREE, "burst": BURST}, tiingo=dict(TIINGO_FREE))
    stack.quiesce()
    before = stack.market.stats()
    tag = uuid.uuid4().hex[:6]
    try:
        with provider_configured(stack, name):
            # When the daily run, then a backfill of the next three sessions, run through the vendor
            daily = stack.run(
                "ingest", f"vendor-{name}-{DAY}-{tag}", {"date": DAY, "tickers": TICKERS, "force": True}
            )
            assert daily["status"] == "SUCCEEDED", daily.get("cause")
            # (the sessions before DAY hold no winner: no healing backfill runs beside the test)
            assert json.loads(daily["output"])["heal"]["status"] == "NoGaps", daily["output"]
            backfill = stack.run(
                "backfill",
                f"vendor-{name}-{tag}",
                {"from": SPAN[0], "to": SPAN[1], "tickers": TICKERS, "force": True},
            )
            assert backfill["status"] == "SUCCEEDED", backfill.get("cause")
        after = stack.market.stats()
        used = stack.market.plan_usage(name, LOCAL_API_KEY)
    finally:
        stack.market.set_plans(alphavantage=ALPHAVANTAGE_FREE, tiingo=TIINGO_FREE)

    # Then every day's winner is the Massive path's (the oracle's), recorded as served by the vendor
    for day in DAYS:
        item = stack.winner(day)
        assert item is not None, day
        assert (item["Ticker"]["S"], item["PercentChange"]["N"]) == oracle.winner(day, TICKERS), day
        assert item["Provider"]["S"] == name, day
    # And the server served exactly one call per ticker for the day and one range per ticker for the span,
    # all on the vendor's endpoint, none refused, within each window of the vendor's plan
    calls = {k: v - before["by_endpoint"].get(k, 0) for k, v in after["by_endpoint"].items()}
    assert {k: v for k, v in calls.items() if v} == {ENDPOINT[name]: 2 * len(tickers)}, calls
    assert after["by_status"].get("429", 0) == before["by_status"].get("429", 0)
    plan = {"alphavantage": ALPHAVANTAGE_FREE, "tiingo": TIINGO_FREE}[name]
    assert max(used.values()) == 2 * len(tickers) and all(used[w] <= plan[w][0] for w in used if w != "burst")

    # When the stored days are replayed from the vendor's raw bodies (forced: every day rebuilt)
    items = {day: stack.winner(day) for day in DAYS}
    lam = stack.stack.client("lambda")
    report = replay(
        S3Bodies(stack.s3, stack.outputs["bucket_name"]),
        DynamoWinners(stack.ddb, stack.outputs["table_name"]),
        LambdaStoreDay(lam, stack.outputs["function_names"]["store_day"]),
        start=dt.date.fromisoformat(DAYS[0]),
        end=dt.date.fromisoformat(DAYS[-1]),
        tickers=tickers,
        provider=name,
        force=True,
    )
    # Then every day is rebuilt with the same winner, and the replay called no provider
    assert report.rebuilt == DAYS, report
    volatile = {"StoredAt", "ExecutionArn", "FetchedAt"}  # a replay knows no fetch time: it stores none
    for day in DAYS:
        rebuilt = stack.winner(day)
        assert rebuilt is not None and rebuilt["ExecutionArn"]["S"].startswith("replay:")
        assert "FetchedAt" not in rebuilt, day
        assert {k: v for k, v in rebuilt.items() if k not in volatile} == {
            k: v for k, v in (items[day] or {}).items() if k not in volatile
        }, day
    assert stack.market.stats()["total"] == after["total"]
