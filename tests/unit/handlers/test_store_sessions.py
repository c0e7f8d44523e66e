"""store_sessions (Reduce Batch): a backfill batch read from the fetch_range work objects (in-process S3),
each session reduced into the Store Day input the backfill machine's Store Days Map passes on."""

from __future__ import annotations

import json
from collections.abc import Callable
from types import ModuleType
from typing import Any

import pytest

from stock_movers.domain.errors import InvalidInput
from stock_movers.providers.errors import NoData
from tests.unit.handlers.conftest import BUCKET


def work_object(aws: Any, ticker: str, closes: dict[str, str]) -> dict[str, str]:
    bars = [
        {"ticker": ticker, "date": d, "open": "100", "high": "200", "low": "50", "close": c, "volume": "9"}
        for d, c in closes.items()
    ]
    key = f"work/backfill/{ticker}.json"
    body = json.dumps({"ticker": ticker, "provider": "massive", "bars": bars})
    aws["s3"].put_object(Bucket=BUCKET, Key=key, Body=body.encode())
    return {"ticker": ticker, "provider": "massive", "barsKey": key}


@pytest.fixture
def store_sessions(load_handler: Callable[..., ModuleType]) -> ModuleType:
    return load_handler("store_sessions")


def test_each_session_is_reduced_for_store_day(aws: Any, store_sessions: Any, lambda_context: object) -> None:
    app = store_sessions
    fetched = [
        work_object(aws, "AAPL", {"2026-01-05": "101", "2026-01-06": "99"}),
        work_object(aws, "MSFT", {"2026-01-05": "150", "2026-01-06": "100"}),
    ]
    event = {
        "sessions": ["2026-01-05", "2026-01-06"],
        "tickers": ["AAPL", "MSFT"],
        "fetched": fetched,
        "force": False,
        "executionArn": "arn:backfill",
        "executionName": "backfill-1",
    }
    out = app.handler(event, lambda_context)
    # Then both sessions come back reduced, each with its winner, for the ASL's Store Days Map
    assert out["failed"] == []
    assert sorted((d["date"], d["winner"]["ticker"]) for d in out["days"]) == [
        ("2026-01-05", "MSFT"),
        ("2026-01-06", "AAPL"),
    ]
    # And each day's winner and rows wait in its work object for Store Day; no row rides in the answer
    for day in out["days"]:
        assert set(day) == {"date", "winner", "dayKey"}
        assert day["dayKey"] == f"work/backfill/days/backfill-1/{day['date']}.json"
        parked = json.loads(aws["s3"].get_object(Bucket=BUCKET, Key=day["dayKey"])["Body"].read())
        assert parked["winner"] == day["winner"]
        assert sorted(r["ticker"] for r in parked["rows"]) == ["AAPL", "MSFT"]


@pytest.mark.parametrize("name", ["", "a/b", "..", "x" * 81, "two words"])
def test_an_execution_name_unfit_for_a_work_key_is_invalid_input(
    aws: Any, store_sessions: Any, lambda_context: object, name: str
) -> None:
    fetched = [work_object(aws, "AAPL", {"2026-01-05": "101"})]
    event = {"sessions": ["2026-01-05"], "tickers": ["AAPL"], "fetched": fetched, "executionName": name}
    with pytest.raises(InvalidInput) as raised:
        store_sessions.handler(event, lambda_context)
    assert raised.value.field == "executionName"


def test_a_ticker_without_data_fails_the_batch_by_name(store_sessions: Any, lambda_context: object) -> None:
    fetched = [{"ticker": "ZZZZ", "noData": True, "from": "2026-01-05", "to": "2026-01-06"}]
    with pytest.raises(NoData, match="ZZZZ"):
        store_sessions.handler(
            {"sessions": ["2026-01-05"], "tickers": ["ZZZZ"], "fetched": fetched}, lambda_context
        )


def test_a_bad_session_date_is_invalid_input(store_sessions: Any, lambda_context: object) -> None:
    with pytest.raises(InvalidInput) as raised:
        store_sessions.handler(
            {"sessions": ["2026-01-32"], "tickers": ["AAPL"], "fetched": []}, lambda_context
        )
    assert raised.value.field == "sessions"
