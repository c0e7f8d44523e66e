"""Issue 17 item 1: a whole-market (scope "market") ingest run over a 10,000-ticker grouped-daily answer."""

from __future__ import annotations

import datetime as dt
import json
import time
from decimal import Decimal
from fractions import Fraction

import pytest

from movers.local.stack import LOCAL_API_KEY
from movers.market.server import MarketServer
from stock_movers.adapters.storage import leaders_key, parquet_key, scope_winner_key
from tests.support.localstack import StackHandle, largest_payload

pytestmark = pytest.mark.stack

DAY = "2026-03-18"  # no other stack test touches this session
# The deployed whole-market filters (Terraform defaults market_min_price, market_min_volume)
MIN_PRICE, MIN_VOLUME = Decimal(5), 100_000


def _pct6(open_: Decimal, close: Decimal) -> Decimal:
    """The contract's percent change rounded half-even to 6 places, computed exactly (not by the domain)."""
    scaled = round((Fraction(close) - Fraction(open_)) / Fraction(open_) * 100 * 10**6)
    return Decimal(scaled).scaleb(-6)


def test_a_10000_ticker_market_run_is_one_call_and_stores_the_independent_winner_and_board(
    stack: StackHandle,
) -> None:
    # Given a market server of an 11,000-ticker SYNTHETIC universe (penny, thin and OTC names among them),
    # whose grouped-daily answer (OTC left out, as Massive's default) holds over 10,000 rows, and the fetch
    # function pointed at it
    market = MarketServer(api_key=LOCAL_API_KEY, rate_limit=None, universe=11_000)
    market.start()
    universe = market.dataset
    fetch = stack.outputs["function_names"]["fetch_bars"]
    env = stack.stack.client("lambda").get_function_configuration(FunctionName=fetch)["Environment"][
        "Variables"
    ]
    assert stack.winner(DAY) is None and stack.leaders(DAY, "market") is None
    try:
        with stack.released(fetch, Environment={"Variables": {**env, "PROVIDER_BASE_URL": market.url}}):
            # When a whole-market run of the session is started
            started = time.monotonic()
            desc = stack.run("ingest", f"market-10000-{DAY}", {"date": DAY, "scope": "market"})
            seconds = time.monotonic() - started
            assert desc["status"] == "SUCCEEDED", desc.get("cause")
            # And run again (no force)
            again = stack.run("ingest", f"market-10000-again-{DAY}", {"date": DAY, "scope": "market"})
        # Then one provider call (counted at the market server) served both runs; the re-run was AlreadyStored
        assert market.stats()["total"] == 1 and market.stats()["by_endpoint"] == {"grouped": 1}
        assert again["status"] == "SUCCEEDED" and '"AlreadyStored"' in again["output"]

        # And the stored market winner and board are an independent computation's over the universe's
        # own bars with the same filters (OTC out, close >= 5 USD, volume >= 100,000 shares)
        day = dt.date.fromisoformat(DAY)
        bars = [b for b in universe.bars_on(day) if not universe.is_otc(b.ticker)]
        summary = json.loads(desc["output"])
        assert summary["status"] == "Stored" and summary["snapshotRows"] == len(bars) >= 10_000
        eligible = [b for b in bars if b.close >= MIN_PRICE and b.volume >= MIN_VOLUME]
        assert 1_000 < len(eligible) < len(bars) and summary["rows"] == len(eligible)  # the filters matter
        moves = {b.ticker: (_pct6(b.open, b.close), b.close) for b in eligible}
        best = min(moves, key=lambda t: (-abs(moves[t][0]), t))
        item = stack.table.get(scope_winner_key(DAY, "market"), consistent=True)
        assert item is not None
        assert (item["Ticker"]["S"], Decimal(item["PercentChange"]["N"])) == (best, moves[best][0])
        board = stack.leaders(DAY, "market")
        gainers = sorted((t for t in moves if moves[t][0] > 0), key=lambda t: (-moves[t][0], t))[:10]
        losers = sorted((t for t in moves if moves[t][0] < 0), key=lambda t: (moves[t][0], t))[:10]
        assert board is not None and board["Tickers"]["N"] == str(len(eligible))
        assert [
            (g["M"]["Ticker"]["S"], Decimal(g["M"]["PercentChange"]["N"])) for g in board["Gainers"]["L"]
        ] == [(t, moves[t][0]) for t in gainers]
        assert [
            (g["M"]["Ticker"]["S"], Decimal(g["M"]["ClosingPrice"]["N"])) for g in board["Losers"]["L"]
        ] == [(t, moves[t][1]) for t in losers]
        # And the filtered universe is stored as Parquet under its own curated prefix
        assert stack.keys(parquet_key(day, "market")) == [parquet_key(day, "market")]

        # And the watchlist's day is untouched: no winner (pk MOVERS), board, ticker items or Parquet
        written = stack.day_written(DAY)
        assert written == {"winner": None, "ticker_items": [], "parquet": []}
        assert stack.leaders(DAY, "watchlist") is None

        # And the run stayed inside every Step Functions limit: constant transitions, small state
        history = stack.history(desc["executionArn"])
        entered = [e["stateEnteredEventDetails"]["name"] for e in history if "stateEnteredEventDetails" in e]
        largest = largest_payload(history)
        print(f"market run: {summary['snapshotRows']} rows, {len(eligible)} eligible, {len(entered)} "
              f"transitions, {len(history)} history events, largest payload {largest} B, "
              f"{seconds:.1f} s")  # fmt: skip
        assert entered.count("Fetch Market Snapshot") == 1 and entered.count("Reduce Market Day") == 1
        assert "Fetch Bars" not in entered and "Announce" not in entered and len(entered) < 20
        assert len(history) < 100 and largest < 16 * 1024, largest
    finally:
        market.stop()
        _forget_market_day(stack, DAY)


def _forget_market_day(stack: StackHandle, day: str) -> None:
    """Removes what the market run stored for `day` (its winner, board and Parquet)."""
    table, bucket = stack.outputs["table_name"], stack.outputs["bucket_name"]
    for key in (scope_winner_key(day, "market"), leaders_key(day, "market")):
        stack.ddb.delete_item(TableName=table, Key=key)
    prefix = parquet_key(dt.date.fromisoformat(day), "market")
    versions = stack.s3.list_object_versions(Bucket=bucket, Prefix=prefix)
    for v in versions.get("Versions", []) + versions.get("DeleteMarkers", []):
        stack.s3.delete_object(Bucket=bucket, Key=v["Key"], VersionId=v["VersionId"])
