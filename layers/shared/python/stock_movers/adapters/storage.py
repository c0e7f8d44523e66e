"""S3 and DynamoDB writes and reads of the pipeline, with the key layout of the design contract.

raw:      raw/provider=<p>/date=<YYYY-MM-DD>/<T>.json        (daily, the provider's body exactly)
          raw/provider=<p>/date=<YYYY-MM-DD>/_session.json   (a session snapshot, e.g. Massive grouped daily)
          raw/provider=<p>/range=<from>_<to>/<T>.json        (backfills)
          raw/provider=<p>/splits=<from>_<to>/_splits.json   (split events, fetched by the reconcile)
curated:  curated/daily_bars/year=<Y>/date=<YYYY-MM-DD>/bars.parquet    (the watchlist's days)
          curated/market_bars/year=<Y>/date=<YYYY-MM-DD>/bars.parquet   (a whole-market day's universe)
work:     work/ingest/<execution>/bars/<T>.json  (one ticker's fetched bar, read by Pick Winner)
          work/ingest/<execution>/pushed.json     (a push run's pushed bars, read by Pick Winner in one step)
          work/ingest/<execution>/day.json        (the validated day Pick Winner hands to Store Day)
          work/backfill/days/<execution>/<YYYY-MM-DD>.json  (a backfill's validated day, for Store Day)
          work/reconcile/days/<execution>/<YYYY-MM-DD>.json  (a reconcile's revised day, for Store Day)
          work/analysis/<execution>/<batch>.json  (one analysis batch's figures, read by Store Analysis)
items:    the main table's key schema is written once, below (`winner_key`, `ticker_key`, `analysis_key`,
          `claim_key`, `audit_key`, `leaders_key` for the day's top-N board, committed with the winner,
          `split_key` for a ticker's split events, `pushed_key` for a bar published on the market-data bus
          and `push_audit_key` for its audit record; `scope_winner_key` for a whole-market day's winner, in
          its own partition);
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
from stock_movers.domain.splits import Split, parse_split


def raw_key(provider: str, day: dt.date, name: str, page: int = 0) -> str:
    suffix = "" if page == 0 else f".page{page + 1}"
    return f"raw/provider={provider}/date={day.isoformat()}/{name}{suffix}.json"


def range_key(provider: str, start: dt.date, end: dt.date, ticker: str, page: int = 0) -> str:
    suffix = "" if page == 0 else f".page{page + 1}"
    return f"raw/provider={provider}/range={start.isoformat()}_{end.isoformat()}/{ticker}{suffix}.json"


def splits_key(provider: str, start: dt.date, end: dt.date, page: int = 0) -> str:
    """A splits-reference body as received (the watchlist's split events of [start, end])."""
    suffix = "" if page == 0 else f".page{page + 1}"
    return f"raw/provider={provider}/splits={start.isoformat()}_{end.isoformat()}/_splits{suffix}.json"


def bar_work_key(execution: str, ticker: str) -> str:
    """Where a daily run's per-ticker fetch leaves its bar for Pick Winner (the state carries no bars)."""
    return f"work/ingest/{execution}/bars/{ticker}.json"


def day_work_key(execution: str) -> str:
    """Where Pick Winner leaves the validated day (winner and rows) for Store Day."""
    return f"work/ingest/{execution}/day.json"


def backfill_day_work_key(execution: str, day: dt.date) -> str:
    """Where a backfill's Reduce Batch leaves one validated day (winner and rows) for Store Day."""
    return f"work/backfill/days/{execution}/{day.isoformat()}.json"


def reconcile_day_work_key(execution: str, day: dt.date) -> str:
    """Where a reconcile's plan step leaves one revised, validated day (winner, rows and the audit's
    changes) for Store Day and Record Revision: the state carries this key, not the rows."""
    return f"work/reconcile/days/{execution}/{day.isoformat()}.json"


def pushed_work_key(execution: str) -> str:
    """Where a push run's collect step leaves the day's pushed bars for Pick Winner (the snapshot's shape)."""
    return f"work/ingest/{execution}/pushed.json"


def analysis_work_key(execution: str, batch: int) -> str:
    """Where one Analyse Tickers batch leaves its per-ticker figures for Store Analysis (the state carries
    the key and a small summary, not the figures)."""
    return f"work/analysis/{execution}/{batch:04d}.json"


def parquet_key(day: dt.date, scope: str = "watchlist") -> str:
    """The curated Parquet object of a stored day: the watchlist's under daily_bars/, a whole-market day's
    filtered universe under market_bars/ (a separate table: the two never mix in one query)."""
    table = {"watchlist": "daily_bars", "market": "market_bars"}[scope]
    return f"curated/{table}/year={day.year}/date={day.isoformat()}/bars.parquet"


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
MARKET_WINNER_PK = "MOVERS#market"  # sk=<date>: a whole-market day's winner (never the watchlist's item)
TICKER_PREFIX = "TICKER#"  # pk=TICKER#<T>, sk=<date>: one ticker's stored day
ANALYSIS_PK = "ANALYSIS"  # sk=<date>: the daily analysis summary
CLAIM_PK = "ANALYSIS#CLAIM"  # sk=<date>: the analysis machine's claim on a (day, winner)
AUDIT_PREFIX = "AUDIT#"  # pk=AUDIT#<New York stop date>, sk=<stop time>#<execution name>
LEADERS_PREFIX = "LEADERS#"  # pk=LEADERS#<scope>, sk=<date>: the day's top-N board, committed with the winner
PUSHED_PREFIX = (
    "PUSHED#"  # pk=PUSHED#<date>, sk=<T>: a bar published on the market-data bus (docs/push-feed.md)
)
SPLIT_PREFIX = "SPLIT#"  # pk=SPLIT#<T>, sk=<execution date>: a split event of the ticker (domain.splits)

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


def scope_winner_key(day: dt.date | str, scope: str) -> Key:
    """The winner item of `scope`'s day: the watchlist's is `winner_key` (pk MOVERS, the contract's), a
    whole-market day's lives in its own partition, so a market run never touches the watchlist's winner."""
    if scope == "watchlist":
        return winner_key(day)
    if scope == "market":
        return _key(MARKET_WINNER_PK, _sk(day))
    raise ValueError(f"unknown scope {scope!r}")


def ticker_key(ticker: str, day: dt.date | str) -> Key:
    return _key(ticker_pk(ticker), _sk(day))


def analysis_key(day: dt.date | str) -> Key:
    return _key(ANALYSIS_PK, _sk(day))


def claim_key(day: dt.date | str) -> Key:
    return _key(CLAIM_PK, _sk(day))


def leaders_key(day: dt.date | str, scope: str = "watchlist") -> Key:
    """The key of a day's top-N board for `scope` (watchlist or market)."""
    return _key(f"{LEADERS_PREFIX}{scope}", _sk(day))


def split_pk(ticker: str) -> str:
    """The partition of one ticker's split events."""
    return f"{SPLIT_PREFIX}{ticker}"


def split_key(ticker: str, day: dt.date | str) -> Key:
    """A split event's key: the ticker's partition, its execution date."""
    return _key(split_pk(ticker), _sk(day))


def audit_key(day: dt.date | str, stopped_at: str, execution_name: str) -> Key:
    """An audit record's key: its New York stop `day`, then `<stopped_at>#<name>` (time-ordered)."""
    return _key(audit_pk(day), f"{stopped_at}#{execution_name}")


def pushed_pk(day: dt.date | str) -> str:
    """The partition of one session's pushed bars: a push run reads them with one Query."""
    return f"{PUSHED_PREFIX}{_sk(day)}"


def pushed_key(day: dt.date | str, ticker: str) -> Key:
    """A pushed bar's key: its session, then its ticker."""
    return _key(pushed_pk(day), ticker)


def push_audit_key(day: dt.date | str, received_at: str, event_id: str) -> Key:
    """The audit record of one event of the market-data bus, in the partition of the New York `day` it
    arrived (beside the executions' records): `<received_at>#push-<event id>`, so a redelivery overwrites
    it."""
    return audit_key(day, received_at, f"push-{event_id}")


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
        the day. A whole-market day (`scope` "market") writes its winner (`scope_winner_key`) and its board
        only: its rows are in Parquet, and the per-ticker items stay the watchlist's.

        Up to TRANSACTION_ROWS tickers this is one TransactWriteItems, so the items, the winner and the board
        commit together or not at all (a throttled or failed write leaves nothing behind). Larger days write
        the items first and then the winner and the board in one transaction, so a day never has a winner
        without its board, nor a board of another run. Without `force` the winner is put only when absent
        or written by this same execution, so a retry of a Store Day whose first attempt committed (and then
        crashed) answers Stored, not AlreadyStored. Transient DynamoDB failures raise StorageUnavailable.
        """
        winner_item = _winner_item(winner, execution_arn, stored_at, scope)
        if scope != "watchlist":
            rows = ()
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

    def splits(self, ticker: str) -> list[Split]:
        """The stored split events of `ticker`, oldest first (an item that does not parse raises
        InvalidSplit: a split the reader cannot use must not be silently dropped)."""
        return [
            parse_split(i["Ticker"]["S"], i["sk"]["S"], i["SplitFrom"]["N"], i["SplitTo"]["N"])
            for i in self.query(split_pk(ticker))
        ]

    # -- writes beyond the day's commit ----------------------------------------------------------------------
    def put_splits(self, splits: Sequence[Split], *, provider: str, fetched_at: str) -> None:
        """Split events (plain overwrites: the same event fetched again writes the same item)."""
        for split in splits:
            self.ddb.put_item(
                TableName=self.table,
                Item={
                    **split_key(split.ticker, split.date),
                    "Ticker": {"S": split.ticker},
                    "Date": {"S": split.date.isoformat()},
                    "SplitFrom": _n(split.split_from),
                    "SplitTo": _n(split.split_to),
                    "Provider": {"S": provider},
                    "FetchedAt": {"S": fetched_at},
                },
            )

    def put_analysis(self, day: dt.date | str, attributes: Mapping[str, Any]) -> None:
        """The day's analysis summary item (an unconditional put: same day, same item)."""
        self.ddb.put_item(TableName=self.table, Item={**attributes, **analysis_key(day)})

    def put_audit(self, key: Key, attributes: Mapping[str, Any]) -> None:
        """One audit record (a plain overwrite: a redelivered event writes the same item)."""
        if not key["pk"]["S"].startswith(AUDIT_PREFIX):
            raise ValueError(f"not an audit record key: {key}")
        self.ddb.put_item(TableName=self.table, Item={**attributes, **key})

    def put_pushed_bar(self, day: dt.date | str, ticker: str, attributes: Mapping[str, Any], at: str) -> bool:
        """One pushed bar (`attributes` must hold `ReceivedAt` = `at`); False, and nothing written, when the
        stored bar of that ticker and session arrived later than `at` (an older event delivered late never
        replaces a newer one; the same event delivered again writes the same item)."""
        try:
            self.ddb.put_item(
                TableName=self.table,
                Item={**attributes, **pushed_key(day, ticker)},
                ConditionExpression="attribute_not_exists(pk) OR ReceivedAt <= :at",
                ExpressionAttributeValues={":at": {"S": at}},
            )
        except self.ddb.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def pushed_bars(self, day: dt.date | str) -> list[dict[str, Any]]:
        """Every bar pushed for session `day` (one paginated, consistent Query), in ticker order."""
        return self.query(pushed_pk(day), consistent=True)

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
        **_fetch_attributes(r),
    }


def _fetch_attributes(r: Mapping[str, Any]) -> dict[str, Any]:
    """`Basis` and `FetchedAt` when the row or winner has them (an older run's rows do not: readers treat
    such items as of unknown basis)."""
    out: dict[str, Any] = {}
    if r.get("basis"):
        out["Basis"] = {"S": str(r["basis"])}
    if r.get("fetchedAt"):
        out["FetchedAt"] = {"S": str(r["fetchedAt"])}
    return out


def _winner_item(
    winner: dict[str, Any], execution_arn: str, stored_at: str, scope: str = "watchlist"
) -> dict[str, Any]:
    return {
        **scope_winner_key(winner["date"], scope),
        "Date": {"S": winner["date"]},
        "Ticker": {"S": winner["ticker"]},
        "PercentChange": _n(winner["percentChange"]),
        "ClosingPrice": _n(winner["close"]),
        "Open": _n(winner["open"]),
        "Provider": {"S": winner["provider"]},
        "ExecutionArn": {"S": execution_arn},
        "StoredAt": {"S": stored_at},
        **_fetch_attributes(winner),
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
