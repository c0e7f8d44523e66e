"""S3 and DynamoDB writes and reads of the pipeline, with the key layout of the design contract.

raw:      raw/provider=<p>/date=<YYYY-MM-DD>/<T>.json        (daily, the provider's body exactly)
          raw/provider=<p>/date=<YYYY-MM-DD>/_session.json   (a session snapshot, e.g. Massive grouped daily)
          raw/provider=<p>/range=<from>_<to>/<T>.json        (backfills)
curated:  curated/daily_bars/year=<Y>/date=<YYYY-MM-DD>/bars.parquet
work:     work/ingest/<execution>/bars/<T>.json  (one ticker's fetched bar, read by Pick Winner)
          work/ingest/<execution>/day.json        (the validated day Pick Winner hands to Store Day)
          work/analysis/<execution>/<batch>.json  (one analysis batch's figures, read by Store Analysis)
items:    the main table's key schema is written once, below (`winner_key`, `ticker_key`, `analysis_key`,
          `claim_key`, `audit_key`, and `leaders_key` for the day's top-N board, committed with the winner);
          ItemStore is the one adapter that reads and writes the table, and statemachines/*.asl.json's
          DynamoDB integrations are checked against these builders by a test.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
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


def bar_work_key(execution: str, ticker: str) -> str:
    """Where a daily run's per-ticker fetch leaves its bar for Pick Winner (the state carries no bars)."""
    return f"work/ingest/{execution}/bars/{ticker}.json"


def day_work_key(execution: str) -> str:
    """Where Pick Winner leaves the validated day (winner and rows) for Store Day."""
    return f"work/ingest/{execution}/day.json"


def analysis_work_key(execution: str, batch: int) -> str:
    """Where one Analyse Tickers batch leaves its per-ticker figures for Store Analysis (the state carries
    the key and a small summary, not the figures)."""
    return f"work/analysis/{execution}/{batch:04d}.json"


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

    def get_if_exists(self, key: str) -> bytes | None:
        """The object's bytes, or None when there is no such key (any other failure raises)."""
        try:
            return self.get(key)
        except Exception as exc:
            if str(getattr(exc, "response", {}).get("Error", {}).get("Code", "")) in ("NoSuchKey", "404"):
                return None
            raise

    def put_bytes(self, key: str, body: bytes, content_type: str) -> str | None:
        """Store one object; returns its version id (None when the bucket is not versioned)."""
        out = self.s3.put_object(Bucket=self.bucket, Key=key, Body=body, ContentType=content_type)
        version = out.get("VersionId")
        return str(version) if version and version != "null" else None

    def delete_version(self, key: str, version_id: str) -> None:
        """Remove one version of an object: the object reads as it did before that version was put, even
        when other writers have put newer versions since (theirs stay current)."""
        self.s3.delete_object(Bucket=self.bucket, Key=key, VersionId=version_id)


def _n(value: Decimal | int | str) -> dict[str, str]:
    return {"N": str(value)}


# ---------------------------------------------------------------------------------------------- key schema
# The main table's items (design contract §2). Sort keys are ISO dates, so a partition sorts by day.
WINNER_PK = "MOVERS"  # sk=<date>: the day's winner (the watchlist's)
TICKER_PREFIX = "TICKER#"  # pk=TICKER#<T>, sk=<date>: one ticker's stored day
ANALYSIS_PK = "ANALYSIS"  # sk=<date>: the daily analysis summary
CLAIM_PK = "ANALYSIS#CLAIM"  # sk=<date>: the analysis machine's claim on a (day, winner)
AUDIT_PREFIX = "AUDIT#"  # pk=AUDIT#<New York stop date>, sk=<stop time>#<execution name>
LEADERS_PREFIX = "LEADERS#"  # pk=LEADERS#<scope>, sk=<date>: the day's top-N board, committed with the winner

Key = dict[str, dict[str, str]]


def _sk(day: dt.date | str) -> str:
    return day.isoformat() if isinstance(day, dt.date) else str(day)


def _key(pk: str, sk: str) -> Key:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


def ticker_pk(ticker: str) -> str:
    """The partition of one ticker's stored days."""
    return f"{TICKER_PREFIX}{ticker}"


def ticker_of(pk: str) -> str | None:
    """The ticker of a per-ticker partition key, or None for any other item kind."""
    return pk[len(TICKER_PREFIX) :] if pk.startswith(TICKER_PREFIX) else None


def audit_pk(day: dt.date | str) -> str:
    """The partition of the audit records of executions that stopped on `day` (New York)."""
    return f"{AUDIT_PREFIX}{_sk(day)}"


def winner_key(day: dt.date | str) -> Key:
    return _key(WINNER_PK, _sk(day))


def ticker_key(ticker: str, day: dt.date | str) -> Key:
    return _key(ticker_pk(ticker), _sk(day))


def analysis_key(day: dt.date | str) -> Key:
    return _key(ANALYSIS_PK, _sk(day))


def claim_key(day: dt.date | str) -> Key:
    return _key(CLAIM_PK, _sk(day))


def leaders_key(day: dt.date | str, scope: str = "watchlist") -> Key:
    """The key of a day's top-N board for `scope` (watchlist or market)."""
    return _key(f"{LEADERS_PREFIX}{scope}", _sk(day))


def audit_key(day: dt.date | str, stopped_at: str, execution_name: str) -> Key:
    """An audit record's key: its New York stop `day`, then `<stopped_at>#<name>` (time-ordered)."""
    return _key(audit_pk(day), f"{stopped_at}#{execution_name}")


class MissingTableName(ValueError):
    """The table adapter was built without a table name (an unset or empty TABLE_NAME)."""


class ItemStore:
    """The main table's one adapter: winners, per-ticker days, analysis summaries and claims, audit
    records. Every Query here follows LastEvaluatedKey (a page holds at most 1 MB)."""

    ddb = LazyClient("dynamodb")

    def __init__(self, table: str, ddb: Any = None) -> None:
        if not isinstance(table, str) or not table.strip():
            raise MissingTableName(f"the main table's name is required, got {table!r}")
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

    def winner_dates(self, start: dt.date, end: dt.date) -> set[dt.date]:
        """Dates in [start, end] that have a winner item (a stored day); one paginated key-only Query."""
        return {
            dt.date.fromisoformat(i["sk"]["S"]) for i in self.winners_between(start, end, attributes="sk")
        }

    # -- reads (raw DynamoDB items; each caller parses what it projects) ------------------------------------
    def query(
        self,
        pk: str,
        *,
        first: dt.date | str | None = None,
        last: dt.date | str | None = None,
        attributes: str | None = None,
        consistent: bool = False,
        newest_first: bool = False,
        limit: int | None = None,
    ) -> list[dict[str, Any]]:
        """The items of partition `pk` with sort key in [first, last] (either bound optional), oldest first
        or `newest_first`, at most `limit` of them, every page followed."""
        if limit is not None and limit < 1:
            return []  # DynamoDB refuses Limit=0; nothing asked, nothing read
        condition = "pk = :pk"
        values: dict[str, Any] = {":pk": {"S": pk}}
        if first is not None and last is not None:
            condition += " AND sk BETWEEN :a AND :b"
            values |= {":a": {"S": _sk(first)}, ":b": {"S": _sk(last)}}
        elif first is not None:
            condition += " AND sk >= :a"
            values[":a"] = {"S": _sk(first)}
        elif last is not None:
            condition += " AND sk <= :b"
            values[":b"] = {"S": _sk(last)}
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": condition,
            "ExpressionAttributeValues": values,
        }
        if attributes:
            kwargs["ProjectionExpression"] = attributes
        if consistent:
            kwargs["ConsistentRead"] = True
        if newest_first:
            kwargs["ScanIndexForward"] = False
        items: list[dict[str, Any]] = []
        while True:
            if limit is not None:
                kwargs["Limit"] = limit - len(items)
            page = self.ddb.query(**kwargs)
            items += page.get("Items", [])
            if not page.get("LastEvaluatedKey") or (limit is not None and len(items) >= limit):
                return items
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def get(
        self, key: Key, *, attributes: str | None = None, consistent: bool = False
    ) -> dict[str, Any] | None:
        """One item by its full key (from the key builders above), or None."""
        kwargs: dict[str, Any] = {"TableName": self.table, "Key": key}
        if attributes:
            kwargs["ProjectionExpression"] = attributes
        if consistent:
            kwargs["ConsistentRead"] = True
        item: dict[str, Any] | None = self.ddb.get_item(**kwargs).get("Item")
        return item

    def winner(self, day: dt.date | str, *, attributes: str | None = None) -> dict[str, Any] | None:
        return self.get(winner_key(day), attributes=attributes)

    def newest_winners(self, limit: int) -> list[dict[str, Any]]:
        return self.query(WINNER_PK, newest_first=True, limit=limit)

    def winners_between(
        self,
        first: dt.date | str,
        last: dt.date | str,
        *,
        attributes: str | None = None,
        consistent: bool = False,
    ) -> list[dict[str, Any]]:
        return self.query(WINNER_PK, first=first, last=last, attributes=attributes, consistent=consistent)

    def ticker_day(self, ticker: str, day: dt.date | str) -> dict[str, Any] | None:
        return self.get(ticker_key(ticker, day))

    def leaders(self, day: dt.date | str, scope: str = "watchlist") -> dict[str, Any] | None:
        """The stored board item of a day (DynamoDB JSON), or None."""
        return self.get(leaders_key(day, scope), consistent=True)

    def newest_ticker_days(
        self, ticker: str, limit: int, *, through: dt.date | str | None = None, attributes: str | None = None
    ) -> list[dict[str, Any]]:
        """The newest `limit` stored days of `ticker` (up to and including `through` when given)."""
        return self.query(
            ticker_pk(ticker), last=through, attributes=attributes, newest_first=True, limit=limit
        )

    def analysis(self, day: dt.date | str) -> dict[str, Any] | None:
        return self.get(analysis_key(day))

    def newest_analyses(self, limit: int) -> list[dict[str, Any]]:
        return self.query(ANALYSIS_PK, newest_first=True, limit=limit)

    def analyses_between(
        self,
        first: dt.date | str,
        last: dt.date | str,
        *,
        attributes: str | None = None,
        consistent: bool = False,
    ) -> list[dict[str, Any]]:
        return self.query(ANALYSIS_PK, first=first, last=last, attributes=attributes, consistent=consistent)

    def claims_between(
        self,
        first: dt.date | str,
        last: dt.date | str,
        *,
        attributes: str | None = None,
        consistent: bool = False,
    ) -> list[dict[str, Any]]:
        return self.query(CLAIM_PK, first=first, last=last, attributes=attributes, consistent=consistent)

    def audit_records(self, day: dt.date | str) -> list[dict[str, Any]]:
        """The audit records of executions that stopped on `day` (New York), in stop-time order."""
        return self.query(audit_pk(day))

    # -- writes beyond the day's commit ----------------------------------------------------------------------
    def put_analysis(self, day: dt.date | str, attributes: Mapping[str, Any]) -> None:
        """The day's analysis summary item (an unconditional put: same day, same item)."""
        self.ddb.put_item(TableName=self.table, Item={**attributes, **analysis_key(day)})

    def put_audit(self, key: Key, attributes: Mapping[str, Any]) -> None:
        """One audit record (a plain overwrite: a redelivered event writes the same item)."""
        if not key["pk"]["S"].startswith(AUDIT_PREFIX):
            raise ValueError(f"not an audit record key: {key}")
        self.ddb.put_item(TableName=self.table, Item={**attributes, **key})

    def clear_announce_pending(self, day: dt.date | str, execution_arn: str) -> bool:
        """Removes the pending-announcement mark of exactly that stored winner; False if it changed since."""
        try:
            self.ddb.update_item(
                TableName=self.table,
                Key=winner_key(day),
                UpdateExpression="REMOVE AnnouncePending, AnnounceError",
                ConditionExpression="ExecutionArn = :arn AND attribute_exists(AnnouncePending)",
                ExpressionAttributeValues={":arn": {"S": execution_arn}},
            )
        except self.ddb.exceptions.ConditionalCheckFailedException:
            return False
        return True


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
        **ticker_key(r["ticker"], r["date"]),
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
        **winner_key(winner["date"]),
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
