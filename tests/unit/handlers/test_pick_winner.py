"""pick_winner: the bars the run's fetches left in S3 reduced to the winner; the day left for Store Day."""

from __future__ import annotations

import json
from collections.abc import Callable
from types import ModuleType
from typing import Any

import pytest

from stock_movers.adapters.storage import bar_work_key, day_work_key
from stock_movers.domain.errors import InvalidBar, InvalidInput, MissingTickers
from stock_movers.execution_names import daily_execution_name
from tests.unit.handlers.conftest import BUCKET

RUN = daily_execution_name("2026-01-05")


def bar(ticker: str, open_: str, close: str, day: str = "2026-01-05") -> dict[str, Any]:
    return {"ticker": ticker, "date": day, "open": open_, "high": max(open_, close, key=float),
            "low": min(open_, close, key=float), "close": close, "volume": "1000"}  # fmt: skip


def put(s3: Any, key: str, value: Any) -> None:
    s3.put_object(Bucket=BUCKET, Key=key, Body=json.dumps(value).encode())


def test_the_biggest_absolute_mover_wins_and_the_day_is_left_for_store_day(
    load_handler: Callable[..., ModuleType], lambda_context: object, aws: dict[str, Any]
) -> None:
    # Given AAPL +1 % in the session snapshot's work object and MSFT -5 % fetched on its own
    s3 = aws["s3"]
    snapshot = f"raw/provider=massive/date=2026-01-05/_snapshot-{RUN}.json"
    put(s3, snapshot, {"AAPL": bar("AAPL", "100", "101"), "_rawKey": "raw/x", "_provider": "massive"})
    put(s3, bar_work_key(RUN, "MSFT"), {"provider": "massive", "bar": bar("MSFT", "200", "190")})
    app = load_handler("pick_winner")
    event = {"date": "2026-01-05", "tickers": ["AAPL", "MSFT"], "snapshotKey": snapshot, "executionName": RUN}
    # When picked
    out = app.handler(event, lambda_context)
    # Then MSFT wins; the answer is the winner, the day's key and its row count, never the rows
    assert out["winner"]["ticker"] == "MSFT" and out["dayKey"] == day_work_key(RUN) and out["rows"] == 2
    day = json.loads(s3.get_object(Bucket=BUCKET, Key=out["dayKey"])["Body"].read())
    assert day["winner"] == out["winner"] and sorted(r["ticker"] for r in day["rows"]) == ["AAPL", "MSFT"]


def test_a_ticker_without_a_bar_fails_the_day(
    load_handler: Callable[..., ModuleType], lambda_context: object, aws: dict[str, Any]
) -> None:
    put(aws["s3"], bar_work_key(RUN, "AAPL"), {"provider": "massive", "bar": bar("AAPL", "1", "2")})
    app = load_handler("pick_winner")
    with pytest.raises(MissingTickers, match="MSFT"):
        app.handler(
            {"date": "2026-01-05", "tickers": ["AAPL", "MSFT"], "snapshotKey": "", "executionName": RUN},
            lambda_context,
        )


def test_a_malformed_object_is_invalid_bar(
    load_handler: Callable[..., ModuleType], lambda_context: object, aws: dict[str, Any]
) -> None:
    aws["s3"].put_object(Bucket=BUCKET, Key=bar_work_key(RUN, "AAPL"), Body=b"not json")
    app = load_handler("pick_winner")
    with pytest.raises(InvalidBar, match="AAPL"):
        app.handler(
            {"date": "2026-01-05", "tickers": ["AAPL"], "snapshotKey": "", "executionName": RUN},
            lambda_context,
        )


@pytest.mark.parametrize("name", ["../other-run", "a b", "x" * 81, "."])
def test_an_execution_name_step_functions_would_refuse_is_invalid_input_before_any_read(
    load_handler: Callable[..., ModuleType], lambda_context: object, aws: dict[str, Any], name: str
) -> None:
    # Given a direct invoke naming its run with what Step Functions never names an execution (the name is
    # a segment of the run's work keys)
    app = load_handler("pick_winner")
    event = {"date": "2026-01-05", "tickers": ["AAPL"], "snapshotKey": "", "executionName": name}
    # When picked, Then it is InvalidInput naming the field, before any read
    with pytest.raises(InvalidInput, match="executionName"):
        app.handler(event, lambda_context)
