"""store_sessions: a backfill batch read from the fetch_range work objects (in-process S3), each session
reduced and handed to store_day (a fake Lambda client records the invokes)."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from types import ModuleType
from typing import Any

import pytest

from stock_movers.domain.errors import InvalidInput
from stock_movers.providers.errors import NoData
from tests.unit.handlers.conftest import BUCKET


class FakeLambda:
    """store_day as the Lambda service answers a synchronous invoke."""

    def __init__(self) -> None:
        self.payloads: list[dict[str, Any]] = []

    def invoke(self, FunctionName: str, InvocationType: str, Payload: str) -> dict[str, Any]:
        payload = json.loads(Payload)
        self.payloads.append({"function": FunctionName, **payload})
        body = {"status": "Stored", "winner": payload["winner"]}
        return {"StatusCode": 200, "Payload": io.BytesIO(json.dumps(body).encode())}


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
def store_sessions(
    aws: Any, load_handler: Callable[..., ModuleType], monkeypatch: pytest.MonkeyPatch
) -> tuple[ModuleType, FakeLambda]:
    app = load_handler("store_sessions")
    fake = FakeLambda()
    monkeypatch.setattr(app, "client", lambda service: fake if service == "lambda" else None)
    return app, fake


def test_each_session_goes_to_store_day(aws: Any, store_sessions: Any, lambda_context: object) -> None:
    app, fake = store_sessions
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
    # Then both sessions were stored through the configured store_day, each with its winner
    assert out["stored"] == 2 and out["failed"] == []
    assert {p["function"] for p in fake.payloads} == {"movers-store_day:live"}
    assert sorted((p["date"], p["winner"]["ticker"]) for p in fake.payloads) == [
        ("2026-01-05", "MSFT"),
        ("2026-01-06", "AAPL"),
    ]


def test_a_ticker_without_data_fails_the_batch_by_name(store_sessions: Any, lambda_context: object) -> None:
    app, fake = store_sessions
    fetched = [{"ticker": "ZZZZ", "noData": True, "from": "2026-01-05", "to": "2026-01-06"}]
    with pytest.raises(NoData, match="ZZZZ"):
        app.handler({"sessions": ["2026-01-05"], "tickers": ["ZZZZ"], "fetched": fetched}, lambda_context)
    assert fake.payloads == []


def test_a_bad_session_date_is_invalid_input(store_sessions: Any, lambda_context: object) -> None:
    app, fake = store_sessions
    with pytest.raises(InvalidInput) as raised:
        app.handler({"sessions": ["2026-01-32"], "tickers": ["AAPL"], "fetched": []}, lambda_context)
    assert raised.value.field == "sessions" and fake.payloads == []
