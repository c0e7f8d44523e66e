"""S3 and DynamoDB writes and reads of the pipeline, with the key layout of the design contract.

raw:      raw/provider=<p>/date=<YYYY-MM-DD>/<T>.json        (daily, the provider's body exactly)
          raw/provider=<p>/date=<YYYY-MM-DD>/_session.json   (a session snapshot, e.g. Massive grouped daily)
          raw/provider=<p>/range=<from>_<to>/<T>.json        (backfills)
curated:  curated/daily_bars/year=<Y>/date=<YYYY-MM-DD>/bars.parquet
items:    pk="MOVERS" sk=<date> (winner); pk="TICKER#<T>" sk=<date> (per-ticker day)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from stock_movers.adapters.aws import LazyClient


def raw_key(provider: str, day: dt.date, name: str, page: int = 0) -> str:
    suffix = "" if page == 0 else f".page{page + 1}"
    return f"raw/provider={provider}/date={day.isoformat()}/{name}{suffix}.json"


def range_key(provider: str, start: dt.date, end: dt.date, ticker: str, page: int = 0) -> str:
    suffix = "" if page == 0 else f".page{page + 1}"
    return f"raw/provider={provider}/range={start.isoformat()}_{end.isoformat()}/{ticker}{suffix}.json"


def parquet_key(day: dt.date) -> str:
    return f"curated/daily_bars/year={day.year}/date={day.isoformat()}/bars.parquet"


class RawStore:
    """Raw provider bodies in S3, stored exactly as received (they never contain the API key)."""

    s3 = LazyClient("s3")

    def __init__(self, bucket: str, s3: Any = None) -> None:
        self.bucket = bucket
        self._s3 = s3

    def put_pages(self, keys: Sequence[str], pages: Sequence[bytes]) -> list[str]:
        for key, body in zip(keys, pages, strict=True):
            self.s3.put_object(Bucket=self.bucket, Key=key, Body=body, ContentType="application/json")
        return list(keys)

    def get(self, key: str) -> bytes:
        return bytes(self.s3.get_object(Bucket=self.bucket, Key=key)["Body"].read())

    def put_bytes(self, key: str, body: bytes, content_type: str) -> None:
        self.s3.put_object(Bucket=self.bucket, Key=key, Body=body, ContentType=content_type)


def _n(value: Decimal | int | str) -> dict[str, str]:
    return {"N": str(value)}


class ItemStore:
    """The main table's winner and per-ticker items."""

    ddb = LazyClient("dynamodb")

    def __init__(self, table: str, ddb: Any = None) -> None:
        self.table = table
        self._ddb = ddb

    def put_ticker_days(self, rows: Sequence[dict[str, Any]]) -> None:
        """Per-ticker day items (idempotent overwrites of the same content)."""
        requests = [
            {
                "PutRequest": {
                    "Item": {
                        "pk": {"S": f"TICKER#{r['ticker']}"},
                        "sk": {"S": r["date"]},
                        "Date": {"S": r["date"]},
                        "Ticker": {"S": r["ticker"]},
                        "Open": _n(r["open"]),
                        "High": _n(r["high"]),
                        "Low": _n(r["low"]),
                        "Close": _n(r["close"]),
                        "Volume": _n(r["volume"]),
                        "PercentChange": _n(r["percentChange"]),
                        "Provider": {"S": r["provider"]},
                    }
                }
            }
            for r in rows
        ]
        for i in range(0, len(requests), 25):
            pending: dict[str, Any] = {self.table: requests[i : i + 25]}
            while pending:
                out = self.ddb.batch_write_item(RequestItems=pending)
                pending = out.get("UnprocessedItems") or {}

    def put_winner(self, winner: dict[str, Any], *, execution_arn: str, stored_at: str, force: bool) -> bool:
        """Write the day's winner; without `force` only if absent. Returns False when it already existed."""
        item = {
            "pk": {"S": "MOVERS"},
            "sk": {"S": winner["date"]},
            "Date": {"S": winner["date"]},
            "Ticker": {"S": winner["ticker"]},
            "PercentChange": _n(winner["percentChange"]),
            "ClosingPrice": _n(winner["close"]),
            "Open": _n(winner["open"]),
            "Provider": {"S": winner["provider"]},
            "ExecutionArn": {"S": execution_arn},
            "StoredAt": {"S": stored_at},
        }
        kwargs: dict[str, Any] = {} if force else {"ConditionExpression": "attribute_not_exists(pk)"}
        try:
            self.ddb.put_item(TableName=self.table, Item=item, **kwargs)
        except self.ddb.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def winner_dates(self, start: dt.date, end: dt.date) -> set[dt.date]:
        """Dates in [start, end] that have a winner item (a stored day); one paginated key-only Query."""
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "pk = :pk AND sk BETWEEN :a AND :b",
            "ExpressionAttributeValues": {
                ":pk": {"S": "MOVERS"},
                ":a": {"S": start.isoformat()},
                ":b": {"S": end.isoformat()},
            },
            "ProjectionExpression": "sk",
        }
        out: set[dt.date] = set()
        while True:
            page = self.ddb.query(**kwargs)
            out.update(dt.date.fromisoformat(i["sk"]["S"]) for i in page.get("Items", []))
            if not page.get("LastEvaluatedKey"):
                return out
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
