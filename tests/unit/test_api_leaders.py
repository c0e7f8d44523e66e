"""GET /movers/{date}/leaders (DESIGN §5): the day's board as Store Day writes it, read through the API
handler with REST proxy events against an in-process moto table."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import boto3
import pytest

from stock_movers.adapters.storage import _leaders_item, winner_key
from stock_movers.domain.bars import DailyBar
from stock_movers.domain.leaders import board_of
from stock_movers.domain.movers import validated_day
from tests.unit.test_api import HOSTILE_COUNTS, call, lambda_context, proxy_event, repeated, table

__all__ = ["lambda_context", "table"]  # fixtures used by name

DAY = "2026-01-05"
RESOURCE = "/movers/{date}/leaders"
# (ticker, open, close): five up (two tied at +2 %), four down (two tied at -1 %), one flat
BARS = [("AAPL", "100", "102"), ("AMD", "50", "51"), ("AMZN", "200", "206"), ("GOOG", "10", "10.5"),
        ("META", "100", "100.25"), ("MSFT", "100", "99"), ("NFLX", "40", "39.6"), ("NVDA", "100", "90"),
        ("TSLA", "250", "240"), ("BRK.B", "450", "450")]  # fmt: skip


def bar(ticker: str, open_: str, close: str, day: str = DAY) -> DailyBar:
    o, c = Decimal(open_), Decimal(close)
    return DailyBar(ticker, dt.date.fromisoformat(day), o, max(o, c), min(o, c), c, Decimal(1000))


def store_board(size: int, day: str = DAY, scope: str = "watchlist") -> None:
    """The board item exactly as Store Day writes it (the adapter's item builder over the domain's board)."""
    bars = [bar(*b, day=day) for b in BARS]
    rows = validated_day(bars, [b.ticker for b in bars], dt.date.fromisoformat(day))
    item = _leaders_item(board_of(rows, dt.date.fromisoformat(day), size), scope, "arn:run", "now")
    boto3.client("dynamodb", region_name="us-east-1").put_item(TableName="movers-test", Item=item)


def leaders(query: dict[str, str] | None = None, day: str = DAY, **kwargs: Any) -> dict[str, Any]:
    path = f"/movers/{day}/leaders"
    return proxy_event(path, resource=RESOURCE, query=query, path_params={"date": day}, **kwargs)


def test_given_a_stored_board_when_get_leaders_then_gainers_descending_losers_ascending(
    table, lambda_context
) -> None:
    # Given a day's board of 10
    store_board(10)
    # When the leaders are asked for with the defaults
    status, headers, body = call(leaders(), lambda_context)
    # Then 200 with the contract's shape: ties by ticker, JSON numbers, the flat ticker on neither list
    assert status == 200 and headers["content-type"].startswith("application/json")
    got = json.loads(body)
    assert list(got) == ["Date", "Scope", "Gainers", "Losers"]
    assert (got["Date"], got["Scope"]) == (DAY, "watchlist")
    assert got["Gainers"] == [
        {"Ticker": "GOOG", "PercentChange": 5, "ClosingPrice": 10.5},
        {"Ticker": "AMZN", "PercentChange": 3, "ClosingPrice": 206},
        {"Ticker": "AAPL", "PercentChange": 2, "ClosingPrice": 102},
        {"Ticker": "AMD", "PercentChange": 2, "ClosingPrice": 51},
        {"Ticker": "META", "PercentChange": 0.25, "ClosingPrice": 100.25},
    ]
    assert got["Losers"] == [
        {"Ticker": "NVDA", "PercentChange": -10, "ClosingPrice": 90},
        {"Ticker": "TSLA", "PercentChange": -4, "ClosingPrice": 240},
        {"Ticker": "MSFT", "PercentChange": -1, "ClosingPrice": 99},
        {"Ticker": "NFLX", "PercentChange": -1, "ClosingPrice": 39.6},
    ]
    assert headers["cache-control"] == "public, max-age=60" and headers["etag"]


@pytest.mark.parametrize(
    ("n", "gainers", "losers"),
    [
        ("1", ["GOOG"], ["NVDA"]),
        ("3", ["GOOG", "AMZN", "AAPL"], ["NVDA", "TSLA", "MSFT"]),
        ("50", ["GOOG", "AMZN", "AAPL", "AMD"], 4),
    ],
)
def test_n_cuts_each_list_and_a_larger_n_answers_the_stored_board_whole(
    table, lambda_context, n: str, gainers: list[str], losers: Any
) -> None:
    # Given a board stored with size 4
    store_board(4)
    # When n is given, Then each list holds at most n (and at most the 4 stored)
    got = json.loads(call(leaders({"n": n}), lambda_context)[2])
    assert [e["Ticker"] for e in got["Gainers"]] == gainers
    assert (len(got["Losers"]) if isinstance(losers, int) else [e["Ticker"] for e in got["Losers"]]) == losers


@pytest.mark.parametrize(("side", "gainers", "losers"), [("gainers", 2, 0), ("losers", 0, 2), ("both", 2, 2)])
def test_side_fills_one_list_and_leaves_the_other_empty(
    table, lambda_context, side: str, gainers: int, losers: int
) -> None:
    store_board(10)
    got = json.loads(call(leaders({"n": "2", "side": side}), lambda_context)[2])
    assert (len(got["Gainers"]), len(got["Losers"])) == (gainers, losers)
    assert list(got) == ["Date", "Scope", "Gainers", "Losers"]


def test_an_unknown_day_or_scope_without_a_board_is_404(table, lambda_context) -> None:
    # Given only the watchlist's board of one day
    store_board(10)
    # When another day, or the market's board of that day, is asked for, Then 404 in the error shape
    status, headers, body = call(leaders(day="2026-01-06"), lambda_context)
    assert (status, json.loads(body)) == (
        404,
        {"error": "NotFound", "message": "no watchlist leaders stored for 2026-01-06"},
    )
    assert headers["cache-control"] == "no-store"
    status, _, body = call(leaders({"scope": "market"}), lambda_context)
    assert (status, json.loads(body)["message"]) == (404, f"no market leaders stored for {DAY}")
    # And a winner without a board (never written by Store Day) is no board either
    boto3.client("dynamodb", region_name="us-east-1").put_item(
        TableName="movers-test", Item=winner_key("2026-01-07")
    )
    assert call(leaders(day="2026-01-07"), lambda_context)[0] == 404


def expect_400(response: tuple[int, dict[str, str], str], message: str) -> None:
    status, headers, body = response
    assert (status, json.loads(body)) == (400, {"error": "BadRequest", "message": message})
    assert headers["cache-control"] == "no-store"


@pytest.mark.parametrize("n", [*(c for c in HOSTILE_COUNTS if c != "31"), "51", "100"])
def test_a_bad_n_is_400_naming_n(table, lambda_context, n: str) -> None:
    store_board(10)
    expect_400(call(leaders({"n": n}), lambda_context), "n: must be an integer between 1 and 50")


@pytest.mark.parametrize("scope", ["", "Watchlist", "MARKET", "all", "watchlist ", "watchlist\n", "sector"])
def test_a_bad_scope_is_400_naming_scope(table, lambda_context, scope: str) -> None:
    store_board(10)
    expect_400(call(leaders({"scope": scope}), lambda_context), "scope: must be watchlist or market")


@pytest.mark.parametrize("side", ["", "gainer", "Losers", "up", "both,gainers"])
def test_a_bad_side_is_400_naming_side(table, lambda_context, side: str) -> None:
    store_board(10)
    expect_400(call(leaders({"side": side}), lambda_context), "side: must be both, gainers or losers")


@pytest.mark.parametrize(("name", "values"), [("n", ["1", "2"]), ("scope", ["watchlist", "watchlist"]),
                                              ("side", ["gainers", "losers"])])  # fmt: skip
def test_a_repeated_parameter_is_400_not_first_or_last(table, lambda_context, name: str, values: list[str]):
    store_board(10)
    event = repeated(f"/movers/{DAY}/leaders", name, values, resource=RESOURCE, path_params={"date": DAY})
    status, _, body = call(event, lambda_context)
    assert status == 400 and json.loads(body)["message"].startswith(f"{name}: ")


@pytest.mark.parametrize("day", ["2026-02-30", "2026-1-05", "20260105", "2026-01-05\n", "latest"])
def test_a_bad_date_is_400_naming_date(table, lambda_context, day: str) -> None:
    expect_400(call(leaders(day=day), lambda_context), "date: must be a calendar date in the form YYYY-MM-DD")


def test_head_answers_the_get_status_and_headers_without_the_body(table, lambda_context) -> None:
    store_board(10)
    for query, expected in ((None, 200), ({"n": "0"}, 400)):
        get = call(leaders(query), lambda_context)
        status, headers, body = call(leaders(query, method="HEAD"), lambda_context)
        assert (status, get[0], body) == (expected, expected, "")
        assert headers.pop("content-length") == str(len(get[2].encode()))
        assert headers == get[1]
    assert call(leaders(day="2026-01-06", method="HEAD"), lambda_context)[0] == 404
