"""pick_winner: the day's fetched bars reduced to the winner and the rows; a bad day fails by name."""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any

import pytest

from stock_movers.domain.errors import InvalidBar, MissingTickers


def bar(ticker: str, open_: str, close: str, day: str = "2026-01-05") -> dict[str, Any]:
    return {
        "ticker": ticker,
        "provider": "massive",
        "bar": {
            "ticker": ticker,
            "date": day,
            "open": open_,
            "high": max(open_, close, key=float),
            "low": min(open_, close, key=float),
            "close": close,
            "volume": "1000",
        },
    }


def test_the_biggest_absolute_mover_wins(
    load_handler: Callable[..., ModuleType], lambda_context: object
) -> None:
    # Given AAPL +1 % and MSFT -5 %
    app = load_handler("pick_winner")
    event = {
        "date": "2026-01-05",
        "tickers": ["AAPL", "MSFT"],
        "fetched": [bar("AAPL", "100", "101"), bar("MSFT", "200", "190")],
    }
    # When picked, Then MSFT wins and both rows are returned
    out = app.handler(event, lambda_context)
    assert out["winner"]["ticker"] == "MSFT"
    assert sorted(r["ticker"] for r in out["rows"]) == ["AAPL", "MSFT"]


def test_a_missing_ticker_fails_the_day(
    load_handler: Callable[..., ModuleType], lambda_context: object
) -> None:
    app = load_handler("pick_winner")
    with pytest.raises(MissingTickers):
        app.handler(
            {"date": "2026-01-05", "tickers": ["AAPL", "MSFT"], "fetched": [bar("AAPL", "1", "2")]},
            lambda_context,
        )


def test_a_malformed_entry_is_invalid_bar(
    load_handler: Callable[..., ModuleType], lambda_context: object
) -> None:
    app = load_handler("pick_winner")
    with pytest.raises(InvalidBar):
        app.handler({"date": "2026-01-05", "tickers": ["AAPL"], "fetched": ["not a bar"]}, lambda_context)
