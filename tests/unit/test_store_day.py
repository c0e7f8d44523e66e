"""Store Day's commit: items and winner in one conditional transaction, and a failed commit leaves the day
as it was (ItemStore.put_day and functions/store_day/app.py, over moto's in-process DynamoDB and S3)."""

from __future__ import annotations

import datetime as dt
import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from stock_movers.adapters.storage import (
    TRANSACTION_ROWS,
    ItemStore,
    StorageUnavailable,
    parquet_key,
    ticker_key,
    winner_key,
)
from stock_movers.execution_names import daily_execution_name

TABLE, BUCKET, DAY = "movers-main", "movers-data", "2024-03-05"
FUNCTION_DIR = Path(__file__).resolve().parents[2] / "functions" / "store_day"


def row(ticker: str, pct: str = "1.000000", close: str = "101") -> dict[str, Any]:
    return {"date": DAY, "ticker": ticker, "open": "100", "high": "105", "low": "99", "close": close,
            "volume": "1000", "percentChange": pct, "provider": "massive"}  # fmt: skip


ROWS = [row("AAPL", "1.000000"), row("MSFT", "-2.500000", "97.5")]
WINNER = {**ROWS[1]}


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Given an empty main table (pk/sk strings, as Terraform creates it) and a versioned data bucket."""
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_DEFAULT_REGION": "us-east-1"}.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)  # moto in process, never a server
    with mock_aws():
        ddb = boto3.client("dynamodb", region_name="us-east-1")
        ddb.create_table(
            TableName=TABLE,
            KeySchema=[
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
            AttributeDefinitions=[{"AttributeName": n, "AttributeType": "S"} for n in ("pk", "sk")],
            BillingMode="PAY_PER_REQUEST",
        )
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket=BUCKET)
        s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
        yield ddb, s3


class Throttled:
    """The real client, except that its next `n` TransactWriteItems calls are throttled after the SDK's
    retries (the ClientError a Lambda's boto3 finally raises)."""

    def __init__(self, real: Any, n: int, code: str = "ProvisionedThroughputExceededException") -> None:
        self._real, self._left, self._code = real, n, code

    def transact_write_items(self, **kwargs: Any) -> Any:
        if self._left > 0:
            self._left -= 1
            raise ClientError({"Error": {"Code": self._code, "Message": "slow down"}}, "TransactWriteItems")
        return self._real.transact_write_items(**kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


def _at(key: dict[str, dict[str, str]]) -> tuple[str, str]:
    return key["pk"]["S"], key["sk"]["S"]


AAPL, MSFT, WINNER_AT = _at(ticker_key("AAPL", DAY)), _at(ticker_key("MSFT", DAY)), _at(winner_key(DAY))


def items(ddb: Any) -> dict[tuple[str, str], dict[str, Any]]:
    return {(i["pk"]["S"], i["sk"]["S"]): i for i in ddb.scan(TableName=TABLE)["Items"]}


def put(
    store: ItemStore, rows: list[dict[str, Any]] = ROWS, arn: str = "arn:run-1", force: bool = False
) -> bool:
    return store.put_day(rows, WINNER, execution_arn=arn, stored_at="2024-03-05T22:00:00+00:00", force=force)


def test_the_items_and_the_winner_commit_together(aws: Any) -> None:
    ddb, _ = aws
    # When a day is stored, Then every ticker item and the winner exist, the winner naming the run
    assert put(ItemStore(TABLE, ddb)) is True
    stored = items(ddb)
    assert set(stored) == {AAPL, MSFT, WINNER_AT}
    assert stored[WINNER_AT]["Ticker"] == {"S": "MSFT"}
    assert stored[WINNER_AT]["ExecutionArn"] == {"S": "arn:run-1"}


def test_another_runs_winner_wins_and_nothing_of_this_run_is_written(aws: Any) -> None:
    ddb, _ = aws
    # Given run 1 stored the day
    store = ItemStore(TABLE, ddb)
    put(store)
    # When run 2 (no force) stores other numbers, Then it answers AlreadyStored and changed nothing
    assert put(store, [row("AAPL", "9.000000"), row("MSFT", "-2.500000")], arn="arn:run-2") is False
    assert items(ddb)[AAPL]["PercentChange"] == {"N": "1.000000"}
    assert items(ddb)[WINNER_AT]["ExecutionArn"] == {"S": "arn:run-1"}


def test_a_retry_of_the_run_that_committed_answers_stored(aws: Any) -> None:
    ddb, _ = aws
    # Given a Store Day whose first attempt committed (and then its sandbox died before answering)
    store = ItemStore(TABLE, ddb)
    put(store)
    # When the state machine retries it within the same execution, Then it is Stored, not AlreadyStored
    assert put(store) is True


def test_force_overwrites_a_stored_day(aws: Any) -> None:
    ddb, _ = aws
    store = ItemStore(TABLE, ddb)
    put(store)
    assert put(store, [row("AAPL", "9.000000"), row("MSFT", "-2.500000")], arn="arn:run-2", force=True)
    assert items(ddb)[AAPL]["PercentChange"] == {"N": "9.000000"}


@pytest.mark.parametrize("code", ["ProvisionedThroughputExceededException", "ThrottlingException",
                                  "InternalServerError", "TransactionConflictException"])  # fmt: skip
def test_a_throttled_commit_is_named_and_writes_nothing(aws: Any, code: str) -> None:
    ddb, _ = aws
    # Given DynamoDB throttles the commit beyond the SDK's retries
    store = ItemStore(TABLE, Throttled(ddb, 1, code))
    # When the day is stored, Then StorageUnavailable names it and no item of the day exists
    with pytest.raises(StorageUnavailable):
        put(store)
    assert items(ddb) == {}
    # And the next attempt commits the whole day
    assert put(store) is True and len(items(ddb)) == 3


def test_a_permanent_dynamodb_error_keeps_its_own_name(aws: Any) -> None:
    ddb, _ = aws
    store = ItemStore(TABLE, Throttled(ddb, 1, "ValidationException"))
    with pytest.raises(ClientError) as raised:
        put(store)
    assert not isinstance(raised.value, StorageUnavailable)
    assert raised.value.response["Error"]["Code"] == "ValidationException"


def test_a_day_larger_than_one_transaction_writes_items_then_the_winner(aws: Any) -> None:
    ddb, _ = aws
    # Given more tickers than one transaction holds
    many = [row(f"T{i:03d}") for i in range(TRANSACTION_ROWS + 1)]
    store = ItemStore(TABLE, ddb)
    # When stored, Then every item and the winner exist; a second run without force answers AlreadyStored
    assert put(store, many) is True
    assert len(items(ddb)) == len(many) + 1
    assert put(store, many, arn="arn:run-2") is False


# ---------------------------------------------------------------------------------------------- handler


@pytest.fixture
def store_day(aws: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The store_day handler module, loaded with its function folder on the path (as Lambda does)."""
    pytest.importorskip("pyarrow")
    for name, value in {"TABLE_NAME": TABLE, "CONTROL_TABLE_NAME": "movers-control", "BUCKET_NAME": BUCKET,
                        "API_KEY_SECRET_ARN": "arn:secret", "POWERTOOLS_METRICS_NAMESPACE": "test",
                        "POWERTOOLS_SERVICE_NAME": "store_day"}.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    # the shared Metrics object read its namespace when first imported, maybe before this test set it
    from stock_movers import observability

    monkeypatch.setattr(observability.metrics, "namespace", "test")
    monkeypatch.syspath_prepend(str(FUNCTION_DIR))
    spec = importlib.util.spec_from_file_location("store_day_app", FUNCTION_DIR / "app.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    yield module
    sys.modules.pop("parquet", None)


class Context:
    function_name, memory_limit_in_mb, aws_request_id = "store_day", 512, "req-1"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:store_day"


def event(rows: list[dict[str, Any]] = ROWS, force: bool = False, arn: str = "arn:run-1") -> dict[str, Any]:
    return {"date": DAY, "force": force, "winner": WINNER, "rows": rows, "executionArn": arn,
            "executionName": daily_execution_name(DAY)}  # fmt: skip


def test_handler_stores_parquet_items_and_winner(store_day: Any, aws: Any) -> None:
    ddb, s3 = aws
    assert store_day.handler(event(), Context())["status"] == "Stored"
    assert len(items(ddb)) == 3
    assert s3.head_object(Bucket=BUCKET, Key=parquet_key(dt.date(2024, 3, 5)))


def test_a_failed_commit_removes_only_its_own_parquet_version(store_day: Any, aws: Any) -> None:
    ddb, s3 = aws
    key = parquet_key(dt.date(2024, 3, 5))
    # Given a stored day (its Parquet is the current version)
    store_day.handler(event(), Context())
    before = s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()
    # When a forced run's commit is throttled beyond the SDK's retries
    store_day._items._ddb = Throttled(ddb, 1)
    with pytest.raises(StorageUnavailable):
        store_day.handler(event([row("AAPL", "9.000000"), row("MSFT", "-2.500000")], force=True), Context())
    # Then the items and the Parquet are what the committed day wrote
    assert items(ddb)[AAPL]["PercentChange"] == {"N": "1.000000"}
    assert s3.get_object(Bucket=BUCKET, Key=key)["Body"].read() == before


def test_a_failed_first_commit_leaves_no_parquet(store_day: Any, aws: Any) -> None:
    ddb, s3 = aws
    store_day._items._ddb = Throttled(ddb, 1)
    with pytest.raises(StorageUnavailable):
        store_day.handler(event(), Context())
    assert items(ddb) == {}
    assert s3.list_objects_v2(Bucket=BUCKET, Prefix="curated/").get("KeyCount") == 0
