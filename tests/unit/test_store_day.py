"""Store Day's commit: items, winner and board in one conditional transaction, and a failed commit leaves the
day as it was (ItemStore.put_day and functions/store_day/app.py, over moto's in-process DynamoDB and S3)."""

from __future__ import annotations

import datetime as dt
import importlib.util
import io
import sys
from collections.abc import Iterator
from decimal import Decimal
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
    leaders_key,
    parquet_key,
    scope_winner_key,
    ticker_key,
    ticker_pk,
    winner_key,
)
from stock_movers.domain.bars import DailyBar
from stock_movers.domain.errors import InvalidBar, InvalidInput, StoreRejected
from stock_movers.domain.leaders import Board, board_of
from stock_movers.domain.movers import DayRow
from stock_movers.execution_names import daily_execution_name

TABLE, BUCKET, DAY = "movers-main", "movers-data", "2024-03-05"
FUNCTION_DIR = Path(__file__).resolve().parents[2] / "functions" / "store_day"


def row(ticker: str, pct: str = "1.000000", close: str = "101") -> dict[str, Any]:
    high = str(max(Decimal(105), Decimal(close)))
    return {"date": DAY, "ticker": ticker, "open": "100", "high": high, "low": "90", "close": close,
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


def board(rows: list[dict[str, Any]], size: int = 10) -> Board:
    """The rows' board as the domain computes it (their stated changes taken as they are)."""
    day_rows = [DayRow(DailyBar.from_dict(r), Decimal(r["percentChange"])) for r in rows]
    return board_of(day_rows, dt.date.fromisoformat(DAY), size)


def put(
    store: ItemStore, rows: list[dict[str, Any]] = ROWS, arn: str = "arn:run-1", force: bool = False
) -> bool:
    return store.put_day(rows, WINNER, board=board(rows), execution_arn=arn,
                         stored_at="2024-03-05T22:00:00+00:00", force=force)  # fmt: skip


BOARD = _at(leaders_key(DAY))


def tickers_of(item: dict[str, Any], side: str) -> list[str]:
    return [e["M"]["Ticker"]["S"] for e in item[side]["L"]]


def test_the_items_and_the_winner_commit_together(aws: Any) -> None:
    ddb, _ = aws
    # When a day is stored, Then every ticker item and the winner exist, the winner naming the run
    assert put(ItemStore(TABLE, ddb)) is True
    stored = items(ddb)
    assert set(stored) == {AAPL, MSFT, WINNER_AT, BOARD}
    assert stored[WINNER_AT]["Ticker"] == {"S": "MSFT"}
    assert stored[WINNER_AT]["ExecutionArn"] == {"S": "arn:run-1"}
    # And the board of the same run beside it, under the board key
    assert {"pk": stored[BOARD]["pk"], "sk": stored[BOARD]["sk"]} == leaders_key(dt.date(2024, 3, 5))
    assert stored[BOARD]["ExecutionArn"] == {"S": "arn:run-1"}
    assert (tickers_of(stored[BOARD], "Gainers"), tickers_of(stored[BOARD], "Losers")) == (["AAPL"], ["MSFT"])
    assert stored[BOARD]["Losers"]["L"][0]["M"] == {
        "Ticker": {"S": "MSFT"}, "PercentChange": {"N": "-2.500000"}, "ClosingPrice": {"N": "97.5"}
    }  # fmt: skip
    assert (stored[BOARD]["Size"], stored[BOARD]["Tickers"], stored[BOARD]["Scope"]) == (
        {"N": "10"}, {"N": "2"}, {"S": "watchlist"}
    )  # fmt: skip
    assert ItemStore(TABLE, ddb).leaders(dt.date(2024, 3, 5)) == stored[BOARD]


def test_another_runs_winner_wins_and_nothing_of_this_run_is_written(aws: Any) -> None:
    ddb, _ = aws
    # Given run 1 stored the day
    store = ItemStore(TABLE, ddb)
    put(store)
    # When run 2 (no force) stores other numbers, Then it answers AlreadyStored and changed nothing
    assert put(store, [row("AAPL", "9.000000"), row("MSFT", "-2.500000")], arn="arn:run-2") is False
    assert items(ddb)[AAPL]["PercentChange"] == {"N": "1.000000"}
    assert items(ddb)[WINNER_AT]["ExecutionArn"] == {"S": "arn:run-1"}
    # And the board is still run 1's, never one of another run
    assert items(ddb)[BOARD]["ExecutionArn"] == {"S": "arn:run-1"}
    assert items(ddb)[BOARD]["Gainers"]["L"][0]["M"]["PercentChange"] == {"N": "1.000000"}


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
    # And the board is the forced run's
    assert items(ddb)[BOARD]["ExecutionArn"] == {"S": "arn:run-2"}
    assert items(ddb)[BOARD]["Gainers"]["L"][0]["M"]["PercentChange"] == {"N": "9.000000"}


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
    # And the next attempt commits the whole day, its board included
    assert put(store) is True and len(items(ddb)) == 4


def test_a_permanent_dynamodb_error_keeps_its_own_name(aws: Any) -> None:
    ddb, _ = aws
    store = ItemStore(TABLE, Throttled(ddb, 1, "ValidationException"))
    with pytest.raises(ClientError) as raised:
        put(store)
    assert not isinstance(raised.value, StorageUnavailable)
    assert raised.value.response["Error"]["Code"] == "ValidationException"


def test_a_day_larger_than_one_transaction_writes_items_then_the_winner_with_its_board(aws: Any) -> None:
    ddb, _ = aws
    # Given more tickers than one transaction holds
    many = [row(f"T{i:03d}") for i in range(TRANSACTION_ROWS + 1)]
    store = ItemStore(TABLE, ddb)
    # When stored, Then every item, the winner and the board exist; a second run without force answers
    # AlreadyStored and its board is not written either
    assert put(store, many) is True
    assert len(items(ddb)) == len(many) + 2
    assert put(store, [*many[:-1], row("T999", "-3.000000", "97")], arn="arn:run-2") is False
    assert items(ddb)[BOARD]["ExecutionArn"] == {"S": "arn:run-1"}
    assert items(ddb)[BOARD]["Losers"]["L"] == []


def test_a_throttled_board_commit_of_a_large_day_leaves_no_winner_and_no_board(aws: Any) -> None:
    ddb, _ = aws
    # Given a day larger than one transaction, whose winner-and-board commit is throttled
    many = [row(f"T{i:03d}") for i in range(TRANSACTION_ROWS + 1)]
    with pytest.raises(StorageUnavailable):
        put(ItemStore(TABLE, Throttled(ddb, 1)), many)
    # Then neither the winner nor the board exists (the ticker items are idempotent overwrites)
    assert WINNER_AT not in items(ddb) and BOARD not in items(ddb)


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


def event(
    rows: list[dict[str, Any]] = ROWS,
    force: bool = False,
    arn: str = "arn:run-1",
    winner: dict[str, Any] = WINNER,
) -> dict[str, Any]:
    return {"date": DAY, "force": force, "winner": winner, "rows": rows, "executionArn": arn,
            "executionName": daily_execution_name(DAY)}  # fmt: skip


def test_handler_stores_parquet_items_and_winner(store_day: Any, aws: Any) -> None:
    ddb, s3 = aws
    assert store_day.handler(event(), Context())["status"] == "Stored"
    assert len(items(ddb)) == 4
    assert s3.head_object(Bucket=BUCKET, Key=parquet_key(dt.date(2024, 3, 5)))


def _parquet_rows(s3: Any) -> list[dict[str, Any]]:
    import pyarrow.parquet as pq

    body = s3.get_object(Bucket=BUCKET, Key=parquet_key(dt.date(2024, 3, 5)))["Body"].read()
    return list(pq.read_table(io.BytesIO(body)).to_pylist())


def test_a_fractional_volume_is_stored_exactly_in_the_item_and_the_parquet(store_day: Any, aws: Any) -> None:
    # Given a day whose MSFT volume is fractional (Massive's `v` is a double: fractional-share trades)
    ddb, s3 = aws
    rows = [ROWS[0], {**ROWS[1], "volume": "82488674.12345678"}]
    # When stored
    assert store_day.handler(event(rows=rows, winner=rows[1]), Context())["status"] == "Stored"
    # Then the ticker item and the Parquet row hold the volume to its last place
    assert items(ddb)[(ticker_pk("MSFT"), DAY)]["Volume"] == {"N": "82488674.12345678"}
    parquet = {r["ticker"]: r["volume"] for r in _parquet_rows(s3)}
    assert parquet == {"AAPL": Decimal("1000"), "MSFT": Decimal("82488674.12345678")}


def test_handler_stores_the_board_in_the_item_and_as_parquet_ranks_cut_to_board_size(
    aws: Any, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:
    ddb, s3 = aws
    # Given a board size of 2 and a day of three gainers (two tied), one loser and one flat ticker
    monkeypatch.setenv("BOARD_SIZE", "2")
    store_day = request.getfixturevalue("store_day")
    rows = [row("AAA", "3.000000", "103"), row("BBB", "3.000000", "103"), row("CCC", "1.000000", "101"),
            row("DDD", "-5.000000", "95"), row("EEE", "0.000000", "100")]  # fmt: skip
    # When stored
    assert store_day.handler(event(rows, winner=rows[3]), Context())["status"] == "Stored"
    # Then the board item holds the top 2 gainers (the tie by ticker), the one loser, and not the flat one
    stored = items(ddb)[BOARD]
    assert (tickers_of(stored, "Gainers"), tickers_of(stored, "Losers")) == (["AAA", "BBB"], ["DDD"])
    assert stored["Size"] == {"N": "2"} and stored["Tickers"] == {"N": "5"}
    # And the Parquet object ranks the same tickers, null for the others
    ranks = {r["ticker"]: (r["gainer_rank"], r["loser_rank"]) for r in _parquet_rows(s3)}
    assert ranks == {"AAA": (1, None), "BBB": (2, None), "CCC": (None, None), "DDD": (None, 1),
                     "EEE": (None, None)}  # fmt: skip


@pytest.mark.parametrize(
    ("rows", "winner", "error"),
    [
        # a stated change its own open and close do not give
        ([row("AAPL", "9.000000", "101"), row("MSFT", "-2.500000", "97.5")], WINNER, InvalidBar),
        # a winner that is not the rows' winner
        (ROWS, ROWS[0], StoreRejected),
        # a bar that breaks the winner's rules (high below the close)
        ([{**ROWS[0], "high": "100.5"}, ROWS[1]], WINNER, InvalidBar),
    ],
)
def test_handler_refuses_rows_that_are_not_a_validated_day_and_writes_nothing(
    store_day: Any, aws: Any, rows: list[dict[str, Any]], winner: dict[str, Any], error: type
) -> None:
    ddb, s3 = aws
    # When Store Day is given rows the daily run's validation would refuse, Then it fails with the name
    with pytest.raises(error):
        store_day.handler(event(rows, winner=winner), Context())
    # And nothing of the day is written: no item, no board, no Parquet
    assert items(ddb) == {}
    assert s3.list_objects_v2(Bucket=BUCKET, Prefix="curated/").get("KeyCount") == 0


@pytest.mark.parametrize("value", ["0", "51", "ten", "1.5", "-3"])
def test_a_bad_board_size_is_a_named_settings_error(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    from stock_movers.settings import SettingsError, load
    from stock_movers.settings.functions import StoreDaySettings

    env = {"TABLE_NAME": "t", "BUCKET_NAME": "b", "BOARD_SIZE": value}
    with pytest.raises(SettingsError, match="BOARD_SIZE"):
        load(StoreDaySettings, env)


def test_a_failed_commit_removes_only_its_own_parquet_version(store_day: Any, aws: Any) -> None:
    ddb, s3 = aws
    key = parquet_key(dt.date(2024, 3, 5))
    # Given a stored day (its Parquet is the current version)
    store_day.handler(event(), Context())
    before = s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()
    # When a forced run's commit is throttled beyond the SDK's retries
    store_day._items._ddb = Throttled(ddb, 1)
    with pytest.raises(StorageUnavailable):
        forced = [row("AAPL", "9.000000", "109"), row("MSFT", "-2.500000", "97.5")]
        store_day.handler(event(forced, force=True, winner=forced[0]), Context())
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


# --- the whole-market scope: its own winner partition and board, never the watchlist's ------------------
MARKET_WINNER_AT, MARKET_BOARD = _at(scope_winner_key(DAY, "market")), _at(leaders_key(DAY, "market"))


def put_market(
    store: ItemStore, rows: list[dict[str, Any]] = ROWS, arn: str = "arn:m-1", force: bool = False
) -> bool:
    return store.put_day(rows, WINNER, board=board(rows), execution_arn=arn,
                         stored_at="2024-03-05T22:00:00+00:00", force=force, scope="market")  # fmt: skip


def test_a_market_day_writes_its_own_winner_and_board_and_no_ticker_items(aws: Any) -> None:
    ddb, _ = aws
    # Given the watchlist's day stored by its own run
    store = ItemStore(TABLE, ddb)
    put(store)
    before = items(ddb)
    # When a market run stores the same date
    assert put_market(store) is True
    stored = items(ddb)
    # Then exactly the market winner and the market board were added, in their own key space
    assert set(stored) - set(before) == {MARKET_WINNER_AT, MARKET_BOARD}
    assert MARKET_WINNER_AT[0] != WINNER_AT[0] and MARKET_BOARD[0] != BOARD[0]
    assert stored[MARKET_WINNER_AT]["Ticker"] == {"S": "MSFT"}
    assert stored[MARKET_BOARD]["Scope"] == {"S": "market"}
    # And the watchlist's winner, board and ticker items are exactly as they were
    assert {k: stored[k] for k in before} == before


def test_a_market_day_alone_leaves_the_watchlist_winner_absent(aws: Any) -> None:
    ddb, _ = aws
    store = ItemStore(TABLE, ddb)
    assert put_market(store) is True
    assert set(items(ddb)) == {MARKET_WINNER_AT, MARKET_BOARD}
    assert store.winner(DAY) is None and store.leaders(DAY, "market") is not None


def test_a_second_market_run_is_already_stored_unless_forced(aws: Any) -> None:
    ddb, _ = aws
    store = ItemStore(TABLE, ddb)
    put_market(store)
    assert put_market(store, arn="arn:m-2") is False
    assert items(ddb)[MARKET_WINNER_AT]["ExecutionArn"] == {"S": "arn:m-1"}
    assert put_market(store, arn="arn:m-2", force=True) is True
    assert items(ddb)[MARKET_WINNER_AT]["ExecutionArn"] == {"S": "arn:m-2"}


def test_handler_stores_a_market_day_under_market_parquet_and_keys(store_day: Any, aws: Any) -> None:
    ddb, s3 = aws
    # When Store Day runs with scope market
    out = store_day.handler({**event(arn="arn:m-1"), "scope": "market"}, Context())
    # Then the Parquet is under curated/market_bars/, the watchlist's Parquet key is untouched
    assert out["status"] == "Stored"
    day = dt.date(2024, 3, 5)
    assert parquet_key(day, "market") == "curated/market_bars/year=2024/date=2024-03-05/bars.parquet"
    assert s3.head_object(Bucket=BUCKET, Key=parquet_key(day, "market"))
    assert s3.list_objects_v2(Bucket=BUCKET, Prefix=parquet_key(day)).get("KeyCount") == 0
    # And only the market's items exist
    assert set(items(ddb)) == {MARKET_WINNER_AT, MARKET_BOARD}


def test_handler_refuses_an_unknown_scope_before_writing(store_day: Any, aws: Any) -> None:
    ddb, s3 = aws
    with pytest.raises(InvalidInput):
        store_day.handler({**event(), "scope": "everything"}, Context())
    assert items(ddb) == {} and s3.list_objects_v2(Bucket=BUCKET).get("KeyCount") == 0
