"""analysis_prepare: the analysis execution input resolved to a day and its batch plan."""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType

import pytest

from stock_movers.domain.errors import InvalidInput
from tests.unit.handlers.conftest import deployed_env


def test_a_day_takes_the_watchlist_in_one_batch(
    load_handler: Callable[..., ModuleType], lambda_context: object
) -> None:
    app = load_handler("analysis_prepare")
    out = app.handler({"input": {"date": "2026-01-05"}, "executionName": "a"}, lambda_context)
    assert out == {
        "date": "2026-01-05",
        "tickers": 3,
        "batches": [{"batch": 0, "tickers": ["AAPL", "MSFT", "NVDA"]}],
        "force": False,
    }


def test_the_batch_size_setting_cuts_the_tickers(
    load_handler: Callable[..., ModuleType], lambda_context: object
) -> None:
    # Given batches of 2 (Terraform's analysis_batch_size)
    app = load_handler("analysis_prepare", {**deployed_env("analysis_prepare"), "ANALYSIS_BATCH_SIZE": "2"})
    # When five tickers are asked for
    tickers = ["AAPL", "MSFT", "NVDA", "TSLA", "AMZN"]
    out = app.handler(
        {"input": {"date": "2026-01-05", "tickers": tickers}, "executionName": "a"}, lambda_context
    )
    # Then three batches in order, every ticker once
    assert out["tickers"] == 5
    assert [b["tickers"] for b in out["batches"]] == [["AAPL", "MSFT"], ["NVDA", "TSLA"], ["AMZN"]]
    assert [b["batch"] for b in out["batches"]] == [0, 1, 2]


def test_bad_input_names_the_field(load_handler: Callable[..., ModuleType], lambda_context: object) -> None:
    app = load_handler("analysis_prepare")
    with pytest.raises(InvalidInput) as raised:
        app.handler({"input": {"date": "2026-01-05", "tickers": []}, "executionName": "a"}, lambda_context)
    assert raised.value.field == "tickers"
