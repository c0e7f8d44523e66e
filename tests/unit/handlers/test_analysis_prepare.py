"""analysis_prepare: the analysis execution input resolved to a day and the tickers."""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType

import pytest

from stock_movers.domain.errors import InvalidInput


def test_a_day_takes_the_watchlist(load_handler: Callable[..., ModuleType], lambda_context: object) -> None:
    app = load_handler("analysis_prepare")
    out = app.handler({"input": {"date": "2026-01-05"}, "executionName": "a"}, lambda_context)
    assert out == {"date": "2026-01-05", "tickers": ["AAPL", "MSFT", "NVDA"], "force": False}


def test_bad_input_names_the_field(load_handler: Callable[..., ModuleType], lambda_context: object) -> None:
    app = load_handler("analysis_prepare")
    with pytest.raises(InvalidInput) as raised:
        app.handler({"input": {"date": "2026-01-05", "tickers": []}, "executionName": "a"}, lambda_context)
    assert raised.value.field == "tickers"
