"""Analysis use cases: input contract, DynamoDB reads and the summary item (moto in process), Parquet rows."""

from __future__ import annotations

import datetime as dt
import importlib.util
import io
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from stock_movers.adapters.storage import ANALYSIS_PK, analysis_key, ticker_key, winner_key
from stock_movers.domain.analytics import summarise
from stock_movers.domain.calendar import last_n_sessions
from stock_movers.domain.errors import InvalidInput
from stock_movers.usecases.analysis import (
    HistoryStore,
    analyse_ticker_day,
    parse_analysis_input,
    summarise_day,
    to_attribute,
)

NOW = dt.datetime(2025, 7, 2, 22, 0, tzinfo=dt.UTC)  # after the close of Wed 2025-07-02
DAY = dt.date(2025, 7, 1)
WATCHLIST = ("AAPL", "MSFT")
TABLE = "movers-test"


# --- input contract -------------------------------------------------------------------------------


def test_given_a_date_or_a_mover_stored_event_when_parsed_then_the_day_and_watchlist():
    assert (
        parse_analysis_input({"date": "2025-07-01"}, now=NOW, default_tickers=lambda: WATCHLIST).tickers
        == WATCHLIST
    )
    event = {"detail-type": "MoverStored", "source": "stock-movers.local", "detail": {"date": "2025-06-30"}}
    assert parse_analysis_input(event, now=NOW, default_tickers=lambda: WATCHLIST).date == dt.date(
        2025, 6, 30
    )
    picked = parse_analysis_input(
        {"date": "2025-07-01", "tickers": ["TSLA"]}, now=NOW, default_tickers=lambda: WATCHLIST
    )
    assert picked.tickers == ("TSLA",) and picked.force is False
    forced = parse_analysis_input(
        {"date": "2025-07-01", "force": True}, now=NOW, default_tickers=lambda: WATCHLIST
    )
    assert forced.force is True
    # No date: the latest completed NYSE session
    assert parse_analysis_input({}, now=NOW, default_tickers=lambda: WATCHLIST).date == dt.date(2025, 7, 2)


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ([], "input"),
        ({"date": "2025-7-1"}, "date"),
        ({"date": "2025-07-03"}, "date"),  # the future at NOW
        ({"day": "2025-07-01"}, "day"),
        ({"date": "2025-07-01", "tickers": []}, "tickers"),
        ({"date": "2025-07-01", "tickers": ["aapl"]}, "tickers[0]"),
        ({"date": "2025-07-01", "tickers": ["A", "A"]}, "tickers"),
        ({"detail-type": "MoverStored", "detail": {}}, "detail.date"),
        ({"date": "2025-07-01", "force": "yes"}, "force"),
        ({"date": "2025-07-01", "force": 1}, "force"),
    ],
)
def test_given_bad_input_when_parsed_then_invalid_input_names_the_field(raw, field):
    with pytest.raises(InvalidInput) as err:
        parse_analysis_input(raw, now=NOW, default_tickers=lambda: WATCHLIST)
    assert err.value.field == field


def test_to_attribute_maps_plain_values_and_refuses_floats():
    assert to_attribute({"a": [None, True, 3, Decimal("1.5"), "x"]}) == {
        "M": {"a": {"L": [{"NULL": True}, {"BOOL": True}, {"N": "3"}, {"N": "1.5"}, {"S": "x"}]}}
    }
    with pytest.raises(TypeError):
        to_attribute(1.5)


# --- DynamoDB reads and the summary item ---------------------------------------------------------------


@pytest.fixture
def ddb() -> Any:
    """Given the main table's key schema in moto (in process), with 25 sessions of two tickers stored."""
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(
            TableName=TABLE,
            KeySchema=[
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        for i, day in enumerate(last_n_sessions(dt.date(2025, 7, 3), 25)):
            moves = {"AAPL": Decimal(i % 4) - Decimal("1.5"), "MSFT": Decimal(i % 3) / 2}
            for ticker, pct in moves.items():
                client.put_item(
                    TableName=TABLE,
                    Item={**ticker_key(ticker, day), "PercentChange": {"N": str(pct)}},
                )
            winner = max(moves, key=lambda t: (abs(moves[t]), t))
            client.put_item(
                TableName=TABLE,
                Item={
                    **winner_key(day),
                    "Ticker": {"S": winner},
                    "PercentChange": {"N": str(moves[winner])},
                },
            )
        yield client


def test_ticker_history_reads_the_newest_sessions_up_to_the_day(ddb):
    store = HistoryStore(TABLE, ddb)
    got = store.ticker_history("AAPL", DAY, limit=21)
    assert len(got) == 21 and got[0][0] == DAY and all(d <= DAY for d, _ in got)
    assert [d for d, _ in got] == sorted((d for d, _ in got), reverse=True)


def test_winners_cover_the_90_sessions_ending_at_the_day(ddb):
    winners = HistoryStore(TABLE, ddb).winners(DAY)
    assert max(winners) == DAY and len(winners) == 23  # 25 stored sessions end at 2025-07-03
    assert all(ticker in WATCHLIST for ticker, _ in winners.values())


def test_given_stored_history_when_summarised_and_stored_twice_then_one_identical_item(ddb):
    # Given the per-ticker figures and the stored winners
    store = HistoryStore(TABLE, ddb)
    analyses = [analyse_ticker_day(store, t, DAY, threshold=Decimal(2)) for t in WATCHLIST]
    summary = summarise_day(store, DAY, analyses, threshold=Decimal(2))
    # Then it equals the pure summary over the same inputs
    winners = {d: t for d, (t, _) in store.winners(DAY).items()}
    assert summary == summarise(DAY, analyses, winners, store.winners(DAY)[DAY][1], threshold=Decimal(2))
    # When stored twice, Then one item with DynamoDB numbers, nulls and lists, the same both times
    store.put_summary(summary)
    first = ddb.get_item(TableName=TABLE, Key=analysis_key("2025-07-01"))["Item"]
    store.put_summary(summarise_day(store, DAY, analyses, threshold=Decimal(2)))
    second = ddb.get_item(TableName=TABLE, Key=analysis_key("2025-07-01"))["Item"]
    assert first == second
    assert first["VolatilityWindow"] == {"N": "20"}
    assert first["Tickers"]["L"][0]["M"]["Volatility"]["N"] == str(analyses[0].volatility)
    assert first["Winner"]["M"]["Ticker"]["S"] in WATCHLIST
    assert len(store.items.query(ANALYSIS_PK)) == 1


# --- Parquet ------------------------------------------------------------------------------------------


def _parquet_module() -> Any:
    path = Path(__file__).resolve().parents[2] / "functions" / "analysis_store" / "parquet.py"
    spec = importlib.util.spec_from_file_location("analysis_store_parquet", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_the_parquet_summary_holds_one_row_per_ticker_with_exact_figures_and_nulls(ddb):
    import pyarrow.parquet as pq

    parquet = _parquet_module()
    store = HistoryStore(TABLE, ddb)
    analyses = [
        analyse_ticker_day(store, t, d, threshold=Decimal(2))
        for t, d in (("AAPL", DAY), ("MSFT", dt.date(2025, 1, 2)))
    ]
    summary = summarise_day(store, DAY, analyses, threshold=Decimal(2))
    table = pq.read_table(io.BytesIO(parquet.analysis_parquet(summary)))
    rows = table.to_pylist()
    assert [r["ticker"] for r in rows] == ["AAPL", "MSFT"]
    assert rows[0]["volatility"] == summary["Tickers"][0]["Volatility"]
    assert rows[1]["pct_change"] is None and rows[1]["status"] == "Partial"
    assert parquet.analysis_key(DAY) == "curated/analysis/year=2025/date=2025-07-01/analysis.parquet"


def test_an_analysis_naming_its_tickers_never_asks_for_the_watchlist() -> None:
    asked: list[int] = []

    def watchlist() -> tuple[str, ...]:
        asked.append(1)
        return WATCHLIST

    # Given an analysis naming its tickers, Then the watchlist is not read; without tickers it is, once
    named = parse_analysis_input(
        {"date": "2025-07-01", "tickers": ["TSLA"]}, now=NOW, default_tickers=watchlist
    )
    assert named.tickers == ("TSLA",) and asked == []
    assert (
        parse_analysis_input({"date": "2025-07-01"}, now=NOW, default_tickers=watchlist).tickers == WATCHLIST
    )
    assert asked == [1]
