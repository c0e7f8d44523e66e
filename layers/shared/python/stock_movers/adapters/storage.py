"""S3 and DynamoDB writes and reads of the pipeline, with the key layout of the design contract.

raw:      raw/provider=<p>/date=<YYYY-MM-DD>/<T>.json        (daily, the provider's body exactly)
          raw/provider=<p>/date=<YYYY-MM-DD>/_session.json   (a session snapshot, e.g. Massive grouped daily)
          raw/provider=<p>/range=<from>_<to>/<T>.json        (backfills)
curated:  curated/daily_bars/year=<Y>/date=<YYYY-MM-DD>/bars.parquet
items:    pk="MOVERS" sk=<date> (winner); pk="TICKER#<T>" sk=<date> (per-ticker day);
          pk="LEADERS#<scope>" sk=<date> (the day's top-N board, committed with the winner)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from stock_movers.adapters.aws import LazyClient
from stock_movers.domain.leaders import Board, Leader


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

    def put_bytes(self, key: str, body: bytes, content_type: str) -> str | None:
        """Store one object; returns its version id (None when the bucket is not versioned)."""
        out = self.s3.put_object(Bucket=self.bucket, Key=key, Body=body, ContentType=content_type)
        version = out.get("VersionId")
        return str(version) if version and version != "null" else None

    def delete_version(self, key: str, version_id: str) -> None:
        """Remove one version of an object: the object reads as it did before that version was put, even
        when other writers have put newer versions since (theirs stay current)."""
        self.s3.delete_object(Bucket=self.bucket, Key=key, VersionId=version_id)


def leaders_key(day: dt.date | str, scope: str = "watchlist") -> dict[str, dict[str, str]]:
    """The key of a day's top-N board: pk="LEADERS#<scope>", sk=<YYYY-MM-DD>."""
    sk = day.isoformat() if isinstance(day, dt.date) else day
    return {"pk": {"S": f"LEADERS#{scope}"}, "sk": {"S": sk}}


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
        requests = [{"PutRequest": {"Item": _ticker_item(r)}} for r in rows]
        for i in range(0, len(requests), 25):
            pending: dict[str, Any] = {self.table: requests[i : i + 25]}
            while pending:
                out = self.ddb.batch_write_item(RequestItems=pending)
                pending = out.get("UnprocessedItems") or {}

    def put_day(
        self,
        rows: Sequence[dict[str, Any]],
        winner: dict[str, Any],
        *,
        board: Board,
        execution_arn: str,
        stored_at: str,
        force: bool,
        scope: str = "watchlist",
    ) -> bool:
        """The day's per-ticker items, its winner and its board as one unit; False when another run stored
        the day.

        Up to TRANSACTION_ROWS tickers this is one TransactWriteItems, so the items, the winner and the board
        commit together or not at all (a throttled or failed write leaves nothing behind). Larger days write
        the items first and then the winner and the board in one transaction, so a day never has a winner
        without its board, nor a board of another run. Without `force` the winner is put only when absent
        or written by this same execution, so a retry of a Store Day whose first attempt committed (and then
        crashed) answers Stored, not AlreadyStored. Transient DynamoDB failures raise StorageUnavailable.
        """
        winner_item = _winner_item(winner, execution_arn, stored_at)
        board_item = _leaders_item(board, scope, execution_arn, stored_at)
        condition: dict[str, Any] = (
            {}
            if force
            else {
                "ConditionExpression": "attribute_not_exists(pk) OR ExecutionArn = :arn",
                "ExpressionAttributeValues": {":arn": {"S": execution_arn}},
            }
        )
        # the winner first: its condition is the one that can cancel the commit
        commit = [
            {"Put": {"TableName": self.table, "Item": winner_item, **condition}},
            {"Put": {"TableName": self.table, "Item": board_item}},
        ]
        try:
            if len(rows) <= TRANSACTION_ROWS:
                commit += [{"Put": {"TableName": self.table, "Item": _ticker_item(r)}} for r in rows]
            else:
                self.put_ticker_days(rows)
            try:
                self.ddb.transact_write_items(TransactItems=commit)
            except self.ddb.exceptions.TransactionCanceledException as exc:
                reasons = [r.get("Code") for r in exc.response.get("CancellationReasons", [])]
                if reasons and reasons[0] == "ConditionalCheckFailed":
                    return False
                if {c for c in reasons if c not in (None, "None")} <= TRANSIENT_CANCELLATIONS:
                    raise StorageUnavailable(f"transaction cancelled: {reasons}") from exc
                raise
            return True
        except self.ddb.exceptions.ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in TRANSIENT_DYNAMODB_ERRORS:
                raise StorageUnavailable(str(exc)) from exc
            raise

    def leaders(self, day: dt.date, scope: str = "watchlist") -> dict[str, Any] | None:
        """The stored board item of a day (DynamoDB JSON), or None."""
        out = self.ddb.get_item(TableName=self.table, Key=leaders_key(day, scope), ConsistentRead=True)
        item = out.get("Item")
        return dict(item) if item else None

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


# One TransactWriteItems holds at most 100 actions: the tickers' items plus the winner and the board.
TRANSACTION_ROWS = 98
# DynamoDB errors that a later attempt can succeed past (after the SDK's own retries are spent).
TRANSIENT_DYNAMODB_ERRORS = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "InternalServerError",
        "TransactionConflictException",
        "TransactionInProgressException",
    }
)


# Per-item reasons of a cancelled transaction that a later attempt can succeed past.
TRANSIENT_CANCELLATIONS = frozenset(
    {"TransactionConflict", "ProvisionedThroughputExceeded", "ThrottlingError"}
)


class StorageUnavailable(Exception):
    """A transient storage failure (throttling, a service error, a transaction conflict): nothing of the
    day was committed, and the state machine retries the whole step."""


def _ticker_item(r: dict[str, Any]) -> dict[str, Any]:
    return {
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


def _winner_item(winner: dict[str, Any], execution_arn: str, stored_at: str) -> dict[str, Any]:
    return {
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


def _leader(entry: Leader) -> dict[str, Any]:
    return {
        "M": {
            "Ticker": {"S": entry.ticker},
            "PercentChange": _n(entry.percent_change),
            "ClosingPrice": _n(entry.close),
        }
    }


def _leaders_item(board: Board, scope: str, execution_arn: str, stored_at: str) -> dict[str, Any]:
    """The board item: the leaders route's lists (already in contract order), the size it was cut to and
    how many tickers it ranked, and the run that wrote it (always the winner's run: one commit)."""
    return {
        **leaders_key(board.date, scope),
        "Date": {"S": board.date.isoformat()},
        "Scope": {"S": scope},
        "Size": _n(board.size),
        "Tickers": _n(board.tickers),
        "Gainers": {"L": [_leader(e) for e in board.gainers]},
        "Losers": {"L": [_leader(e) for e in board.losers]},
        "ExecutionArn": {"S": execution_arn},
        "StoredAt": {"S": stored_at},
    }
