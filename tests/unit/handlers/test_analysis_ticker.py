"""analysis_ticker: one ticker's figures for the day from its stored history (in-process DynamoDB)."""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any

import pytest

from stock_movers.domain.errors import InvalidInput


def test_a_ticker_without_history_has_no_figures_and_says_why(
    aws: Any, load_handler: Callable[..., ModuleType], lambda_context: object
) -> None:
    # Given an empty table, When AAPL is analysed for a day
    app = load_handler("analysis_ticker")
    out = app.handler({"ticker": "AAPL", "date": "2026-01-05", "executionName": "a"}, lambda_context)
    # Then the figures are None with their reasons, and nothing is unusual
    assert out["ticker"] == "AAPL" and out["unusual"] is None and out["sessions"] == 0
    assert out["percentChange"] is None and out["reasons"]


@pytest.mark.parametrize(
    ("event", "field"),
    [({"ticker": "aapl", "date": "2026-01-05"}, "ticker"), ({"ticker": "AAPL", "date": "5 Jan"}, "date")],
)
def test_bad_input_names_the_field(
    aws: Any,
    load_handler: Callable[..., ModuleType],
    lambda_context: object,
    event: dict[str, str],
    field: str,
) -> None:
    app = load_handler("analysis_ticker")
    with pytest.raises(InvalidInput) as raised:
        app.handler(event, lambda_context)
    assert raised.value.field == field
