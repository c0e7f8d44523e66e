"""validate_input: the run's input resolved to a session with the configured watchlist and strategy."""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType

import pytest

from stock_movers.domain.errors import InvalidInput, UnsupportedStrategy
from stock_movers.execution_names import daily_execution_name


def test_a_session_resolves_with_the_watchlist_and_strategy(
    load_handler: Callable[..., ModuleType], lambda_context: object
) -> None:
    # Given the function as deployed, When Monday 2026-01-05 is validated without tickers
    app = load_handler("validate_input")
    out = app.handler(
        {"input": {"date": "2026-01-05"}, "executionName": daily_execution_name("2026-01-05")}, lambda_context
    )
    # Then it is a session, with the WATCHLIST tickers and the FETCH_STRATEGY
    assert out == {
        "date": "2026-01-05",
        "isSession": True,
        "tickers": ["AAPL", "MSFT", "NVDA"],
        "force": False,
        "strategy": "per_ticker",
    }


def test_a_weekend_day_is_no_session(load_handler: Callable[..., ModuleType], lambda_context: object) -> None:
    app = load_handler("validate_input")
    out = app.handler({"input": {"date": "2026-01-03"}, "executionName": "d"}, lambda_context)
    assert out["isSession"] is False


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"date": "2026-13-01"}, "date"),
        ({"tickers": ["aapl"]}, "tickers[0]"),
        ({"force": "yes"}, "force"),
        ("not an object", "input"),
    ],
)
def test_bad_input_is_invalid_input_naming_the_field(
    load_handler: Callable[..., ModuleType], lambda_context: object, raw: object, field: str
) -> None:
    app = load_handler("validate_input")
    with pytest.raises(InvalidInput) as raised:
        app.handler({"input": raw, "executionName": "d"}, lambda_context)
    assert raised.value.field == field


def test_a_strategy_the_provider_cannot_serve_is_refused(
    load_handler: Callable[..., ModuleType], lambda_context: object
) -> None:
    env = {"WATCHLIST": "AAPL", "MARKET_PROVIDER": "tiingo", "FETCH_STRATEGY": "snapshot"}
    app = load_handler("validate_input", env=env)
    with pytest.raises(UnsupportedStrategy):
        app.handler({"input": {"date": "2026-01-05"}, "executionName": "d"}, lambda_context)
