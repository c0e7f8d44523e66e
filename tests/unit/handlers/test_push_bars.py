"""push_bars: the market-data bus's processor and the push run's collect step, against moto's in-process
DynamoDB, SQS and S3 (what each path writes, and only that)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import Any

import boto3
import pytest

from stock_movers.adapters.storage import audit_pk, pushed_pk
from tests.unit.handlers.conftest import BUCKET, REGION, TABLE

DAY = "2026-01-05"


def bar_event(event_id: str, ticker: str = "AAPL", **detail: Any) -> dict[str, Any]:
    body = {"ticker": ticker, "date": DAY, "open": "100", "high": "103", "low": "99", "close": "102",
            "volume": "500", "adjusted": True, "provider": "acme-feed", **detail}  # fmt: skip
    return {"version": "0", "id": event_id, "detail-type": "Daily Bar", "source": "com.example.feed",
            "account": "123456789012", "time": "2026-01-05T22:00:00Z", "region": REGION, "resources": [],
            "detail": body}  # fmt: skip


@pytest.fixture
def queue(aws: dict[str, Any]) -> Iterator[Any]:
    sqs = boto3.client("sqs", region_name=REGION)
    sqs.create_queue(QueueName="movers-market-data-dlq")
    yield sqs


def _messages(sqs: Any) -> list[dict[str, Any]]:
    url = sqs.get_queue_url(QueueName="movers-market-data-dlq")["QueueUrl"]
    found = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    return [json.loads(m["Body"]) for m in found]


def _objects(s3: Any) -> list[str]:
    return [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])]


def test_a_valid_event_stores_the_pushed_bar_and_its_audit_record(
    aws: dict[str, Any], queue: Any, load_handler: Callable[..., ModuleType], lambda_context: object
) -> None:
    app = load_handler("push_bars")
    out = app.handler(bar_event("e-1"), lambda_context)
    assert out["outcome"] == "Accepted"
    items = {i["pk"]["S"]: i for i in aws["dynamodb"].scan(TableName=TABLE)["Items"]}
    assert set(items) == {pushed_pk(DAY), audit_pk(DAY)}
    pushed = items[pushed_pk(DAY)]
    assert (pushed["sk"]["S"], pushed["Close"]["N"], pushed["Adjusted"]["BOOL"]) == ("AAPL", "102", True)
    assert items[audit_pk(DAY)]["Outcome"]["S"] == "Accepted"
    assert _messages(queue) == [] and _objects(aws["s3"]) == []


def test_a_malformed_event_writes_its_audit_record_and_a_dead_letter_only(
    aws: dict[str, Any], queue: Any, load_handler: Callable[..., ModuleType], lambda_context: object
) -> None:
    app = load_handler("push_bars")
    out = app.handler(bar_event("e-2", high="101"), lambda_context)  # high below the close
    assert (out["outcome"], out["error"]) == ("Rejected", "InvalidBar")
    (item,) = aws["dynamodb"].scan(TableName=TABLE)["Items"]
    assert item["pk"]["S"] == audit_pk(DAY) and item["Error"]["S"] == "InvalidBar"
    (message,) = _messages(queue)
    assert (message["error"], message["field"], message["event"]["id"]) == ("InvalidBar", "high", "e-2")
    assert _objects(aws["s3"]) == []


def test_collect_writes_the_pushed_bars_work_object_and_names_the_rest(
    aws: dict[str, Any], queue: Any, load_handler: Callable[..., ModuleType], lambda_context: object
) -> None:
    app = load_handler("push_bars")
    app.handler(bar_event("e-3", "MSFT"), lambda_context)
    out = app.handler({"step": "collect", "date": DAY, "tickers": ["AAPL", "MSFT"],
                       "executionName": "daily-x"}, lambda_context)  # fmt: skip
    assert out == {"key": "work/ingest/daily-x/pushed.json", "pushed": 1, "missing": ["AAPL"],
                   "missingCount": 1}  # fmt: skip
    body = json.loads(aws["s3"].get_object(Bucket=BUCKET, Key=out["key"])["Body"].read())
    assert body["MSFT"] == {"ticker": "MSFT", "date": DAY, "open": "100", "high": "103", "low": "99",
                            "close": "102", "volume": "500"}  # fmt: skip
