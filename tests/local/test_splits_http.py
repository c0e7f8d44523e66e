"""Acceptance of issue 16 item 2 over real HTTP (the local market server, the real Massive adapter; the table
in moto, no Terraform stack): a split in the SYNTHETIC dataset (NFLX 10-for-1 on 2025-11-17).

Given NFLX and AAPL days stored the evening each traded (before the split: as traded then), when the split
executes and the reconcile runs (the split fetched and stored, nothing rewritten), then the history route
shows every stored day in the provider's adjusted basis of today (equal to what the provider now serves),
each day says which basis it is in, and the winner of every day before the split is unchanged; a backfill
of those days fetched after the split picks the same winners with the same percent changes.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import boto3
import pytest
from boto3.dynamodb.types import TypeDeserializer
from moto import mock_aws

from movers.market.server import MarketServer
from stock_movers.adapters.storage import ItemStore, ticker_pk
from stock_movers.domain.bars import DailyBar
from stock_movers.domain.calendar import NEW_YORK
from stock_movers.domain.leaders import Board
from stock_movers.domain.splits import ADJUSTED, Split
from stock_movers.execution_names import daily_execution_name, execution_arn
from stock_movers.providers import make_provider
from stock_movers.providers.massive import MassiveProvider
from stock_movers.usecases.pick import reduce_day
from stock_movers.usecases.reconcile import plan

KEY = "splits-key"
TABLE = "splits-test"
WATCHLIST = ("AAPL", "NFLX")
SPLIT_DAY = dt.date(2025, 11, 17)
BEFORE = [dt.date(2025, 11, 12), dt.date(2025, 11, 13), dt.date(2025, 11, 14)]
AFTER = [SPLIT_DAY, dt.date(2025, 11, 18)]
MACHINE = "arn:aws:states:us-east-1:123456789012:stateMachine:movers-ingest"
API_DIR = Path(__file__).resolve().parents[2] / "functions" / "api"


@pytest.fixture
def server() -> Iterator[MarketServer]:
    with MarketServer(api_key=KEY, rate_limit=None) as srv:
        yield srv


@pytest.fixture
def items(monkeypatch: pytest.MonkeyPatch) -> Iterator[ItemStore]:
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_DEFAULT_REGION": "us-east-1"}.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.setenv("TABLE_NAME", TABLE)  # the API package reads its settings at import
    with mock_aws():
        ddb = boto3.client("dynamodb", region_name="us-east-1")
        ddb.create_table(
            TableName=TABLE,
            KeySchema=[
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
            AttributeDefinitions=[{"AttributeName": n, "AttributeType": "S"} for n in ("pk", "sk")],
            BillingMode="PAY_PER_REQUEST",
        )
        yield ItemStore(TABLE, ddb)


def evening(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(17), NEW_YORK)


def daily_run(provider: MassiveProvider, items: ItemStore, day: dt.date) -> dict[str, Any]:
    """The daily run's path for one session: one call per ticker, the day reduced and stored with the basis
    and fetch time of each bar (the fetch time is the server's evening, as the scheduled run's would be)."""
    at = evening(day).astimezone(dt.UTC).isoformat(timespec="seconds")
    bars, fetched = [], {}
    for ticker in WATCHLIST:
        result = provider.daily_bar(ticker, day)
        bars += result.bars
        fetched[ticker] = {"basis": result.basis, "fetchedAt": at}
    reduced = reduce_day(day, WATCHLIST, bars, provider.name, fetched)
    board = Board(date=day, size=10, tickers=len(WATCHLIST), gainers=(), losers=())
    arn = execution_arn(MACHINE, daily_execution_name(day))
    items.put_day(
        reduced["rows"], reduced["winner"], board=board, execution_arn=arn, stored_at=at, force=False
    )
    return reduced["winner"]


class Ports:
    """usecases.reconcile.plan's ports over the table and the real provider (as functions/reconcile's)."""

    def __init__(self, provider: MassiveProvider, items: ItemStore, now: str) -> None:
        self.provider, self.items, self.now = provider, items, now
        self.fetched: dict[str, dict[str, str]] = {}

    def stored_sessions(self, through: dt.date, k: int) -> list[dt.date]:
        return sorted(self.items.winner_dates(dt.date(2025, 1, 1), through))[-k:]

    def stored_rows(self, ticker: str, first: dt.date, last: dt.date) -> dict[dt.date, dict[str, str]]:
        out = {}
        for item in self.items.query(ticker_pk(ticker), first=first, last=last):
            row = {n: item[n.capitalize()]["N"] for n in ("open", "high", "low", "close", "volume")}
            row |= {"basis": item["Basis"]["S"], "fetchedAt": item["FetchedAt"]["S"]}
            out[dt.date.fromisoformat(item["sk"]["S"])] = row
        return out

    def stored_winner(self, day: dt.date) -> dict[str, str] | None:
        item = self.items.winner(day)
        return (
            None
            if item is None
            else {"ticker": item["Ticker"]["S"], "percentChange": item["PercentChange"]["N"]}
        )

    def fetch(self, ticker: str, first: dt.date, last: dt.date) -> list[DailyBar]:
        result = self.provider.range_bars(ticker, first, last)
        self.fetched[ticker] = {"basis": result.basis, "fetchedAt": self.now}
        return list(result.bars)

    def splits(self, start: dt.date, end: dt.date) -> tuple[list[Split], int]:
        result = self.provider.splits(start, end, WATCHLIST)
        self.items.put_splits(result.splits, provider=self.provider.name, fetched_at=self.now)
        return [s for t in WATCHLIST for s in self.items.splits(t)], result.calls


def history(items: ItemStore, ticker: str, today: dt.date) -> list[dict[str, Any]]:
    """The history route's view of the stored days (movers_api.tickers.history_day, newest first)."""
    if str(API_DIR) not in sys.path:
        sys.path.insert(0, str(API_DIR))
    from movers_api.tickers import history_day

    des = TypeDeserializer()
    stored = [{k: des.deserialize(v) for k, v in i.items()} for i in items.newest_ticker_days(ticker, 30)]
    return [history_day(item, items.splits(ticker), today) for item in stored]


def test_a_split_leaves_the_winners_and_brings_history_into_the_providers_basis(
    server: MarketServer, items: ItemStore
) -> None:
    provider = make_provider("massive", api_key=KEY, base_url=server.url)
    assert isinstance(provider, MassiveProvider)
    # Given the days before the split stored the evening each traded (the server's clock then)
    winners = {}
    for day in BEFORE:
        server.set_now(evening(day))
        winners[day] = daily_run(provider, items, day)
        assert winners[day]["basis"] == ADJUSTED
    stored_close = Decimal(items.ticker_day("NFLX", BEFORE[-1])["Close"]["N"])  # type: ignore[index]
    # When the split executes, its days are stored, and the reconcile runs after the next close
    for day in AFTER:
        server.set_now(evening(day))
        daily_run(provider, items, day)
    now = evening(AFTER[-1]) + dt.timedelta(hours=4)
    server.set_now(now)
    ports = Ports(provider, items, now.astimezone(dt.UTC).isoformat(timespec="seconds"))
    planned = plan(ports, through=AFTER[-1], k=5, tickers=WATCHLIST, provider="massive", board_size=10,
                   today=now.date())  # fmt: skip

    # Then the split is stored, and it is not a revision: no day is rewritten
    assert items.splits("NFLX") == [Split("NFLX", SPLIT_DAY, Decimal(1), Decimal(10))]
    assert planned.revised == [] and planned.rejected == [] and len(planned.unchanged) == 5
    assert planned.calls == len(WATCHLIST) + 1  # a range call per ticker and one splits call
    assert Decimal(items.ticker_day("NFLX", BEFORE[-1])["Close"]["N"]) == stored_close  # type: ignore[index]
    # and the winner of every day before the split is the one stored before it
    for day in BEFORE:
        item = items.winner(day)
        assert item is not None
        assert (item["Ticker"]["S"], item["PercentChange"]["N"]) == (
            winners[day]["ticker"], winners[day]["percentChange"],
        )  # fmt: skip

    # And the history (the chart's data) agrees with what the provider serves now, in its adjusted basis
    served = {b.date: b for b in provider.range_bars("NFLX", BEFORE[0], AFTER[-1]).bars}
    shown = history(items, "NFLX", now.date())
    assert [d["Date"] for d in shown] == [d.isoformat() for d in reversed(BEFORE + AFTER)]
    for day in shown:
        bar = served[dt.date.fromisoformat(day["Date"])]
        assert (day["Open"], day["High"], day["Low"], day["Close"]) == (
            bar.open,
            bar.high,
            bar.low,
            bar.close,
        )
        assert abs(day["Volume"] - bar.volume) <= 5  # the as-traded volume was whole shares / 10
        assert day["Basis"] == ADJUSTED
        before_split = dt.date.fromisoformat(day["Date"]) < SPLIT_DAY
        assert day["AdjustmentFactor"] == (Decimal("0.1") if before_split else 1)
    assert stored_close == served[BEFORE[-1]].close * 10  # stored as traded, shown adjusted

    # And a backfill of those days fetched now (adjusted) picks the same winners, same percent changes
    for day in BEFORE:
        bars = [b for t in WATCHLIST for b in provider.range_bars(t, day, day).bars]
        again = reduce_day(day, WATCHLIST, bars, "massive")["winner"]
        assert (again["ticker"], again["percentChange"]) == (
            winners[day]["ticker"],
            winners[day]["percentChange"],
        )
