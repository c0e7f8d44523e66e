"""analysis_ticker: one batch's figures from the stored history into its work object (in-process AWS)."""

from __future__ import annotations

import json
from collections.abc import Callable
from types import ModuleType
from typing import Any

import pytest

from stock_movers.adapters.storage import analysis_work_key, ticker_key
from stock_movers.domain.errors import InvalidInput
from tests.unit.handlers.conftest import BUCKET, TABLE


def test_a_batch_without_history_has_no_figures_and_says_why(
    aws: Any, load_handler: Callable[..., ModuleType], lambda_context: object
) -> None:
    # Given an empty table, When batch 3 of AAPL and MSFT is analysed for a day
    app = load_handler("analysis_ticker")
    event = {"batch": 3, "tickers": ["AAPL", "MSFT"], "date": "2026-01-05", "executionName": "run-1"}
    out = app.handler(event, lambda_context)
    # Then the answer is only the key and the counts
    key = analysis_work_key("run-1", 3)
    assert out == {"batch": 3, "key": key, "tickers": 2, "partial": 2, "unusual": []}
    # And the work object holds both tickers' figures: None with their reasons, nothing unusual
    body = json.loads(aws["s3"].get_object(Bucket=BUCKET, Key=key)["Body"].read())
    assert body["tickers"] == ["AAPL", "MSFT"] and body["date"] == "2026-01-05" and body["batch"] == 3
    assert [a["ticker"] for a in body["analyses"]] == ["AAPL", "MSFT"]
    assert all(a["percentChange"] is None and a["reasons"] for a in body["analyses"])


def test_a_batch_with_history_gives_the_per_ticker_figures(
    aws: Any, load_handler: Callable[..., ModuleType], lambda_context: object
) -> None:
    # Given AAPL with 22 stored sessions whose last move is far outside the earlier ones
    import datetime as dt

    from stock_movers.domain.calendar import last_n_sessions

    days = last_n_sessions(dt.date(2026, 1, 5), 22)
    for i, day in enumerate(days):
        change = "9.5" if day == days[-1] else ("0.5" if i % 2 else "-0.5")
        aws["dynamodb"].put_item(
            TableName=TABLE,
            Item={**ticker_key("AAPL", day), "PercentChange": {"N": change}},
        )
    app = load_handler("analysis_ticker")
    # When its batch is analysed
    event = {"batch": 0, "tickers": ["AAPL"], "date": days[-1].isoformat(), "executionName": "run-2"}
    out = app.handler(event, lambda_context)
    # Then it is unusual, and its object holds its z-score
    assert out["unusual"] == ["AAPL"] and out["partial"] == 0
    body = json.loads(aws["s3"].get_object(Bucket=BUCKET, Key=out["key"])["Body"].read())
    (figures,) = body["analyses"]
    assert figures["percentChange"] == "9.5" and figures["unusual"] is True and figures["zScore"] is not None


@pytest.mark.parametrize(
    ("event", "field"),
    [
        ({"batch": 0, "tickers": ["aapl"], "date": "2026-01-05", "executionName": "a"}, "tickers[0]"),
        ({"batch": 0, "tickers": ["AAPL"], "date": "5 Jan", "executionName": "a"}, "date"),
        ({"batch": 0, "tickers": [], "date": "2026-01-05", "executionName": "a"}, "tickers"),
        ({"batch": 0, "tickers": ["A"] * 2, "date": "2026-01-05", "executionName": "a"}, "tickers"),
        (
            {
                "batch": 0,
                "tickers": [f"A{i}" for i in range(101)],
                "date": "2026-01-05",
                "executionName": "a",
            },
            "tickers",
        ),
        ({"batch": -1, "tickers": ["AAPL"], "date": "2026-01-05", "executionName": "a"}, "batch"),
        ({"batch": True, "tickers": ["AAPL"], "date": "2026-01-05", "executionName": "a"}, "batch"),
        ({"ticker": "AAPL", "date": "2026-01-05", "executionName": "a"}, "batch"),
        ({"batch": 0, "tickers": ["AAPL"], "date": "2026-01-05", "executionName": "../x"}, "executionName"),
        ({"batch": 0, "tickers": ["AAPL"], "date": "2026-01-05"}, "executionName"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(
    aws: Any,
    load_handler: Callable[..., ModuleType],
    lambda_context: object,
    event: dict[str, Any],
    field: str,
) -> None:
    app = load_handler("analysis_ticker")
    with pytest.raises(InvalidInput) as raised:
        app.handler(event, lambda_context)
    assert raised.value.field == field
    assert aws["s3"].list_objects_v2(Bucket=BUCKET, Prefix="work/").get("KeyCount") == 0
