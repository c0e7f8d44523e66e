"""The main table's adapter (stock_movers.adapters.storage): the key schema written once, reads that follow
every page, and the state machines' DynamoDB integrations agreeing with the key builders."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from stock_movers.adapters.storage import (
    ANALYSIS_PK,
    CLAIM_PK,
    MARKET_WINNER_PK,
    WINNER_PK,
    ItemStore,
    MissingTableName,
    analysis_key,
    audit_key,
    claim_key,
    push_audit_key,
    pushed_key,
    scope_winner_key,
    split_key,
    ticker_key,
    ticker_of,
    ticker_pk,
    winner_key,
)
from stock_movers.domain.leaders import Board
from stock_movers.domain.splits import parse_split

TABLE = "movers-main"
ROOT = Path(__file__).resolve().parents[2]
DAY = dt.date(2025, 7, 1)


# --- key builders ---------------------------------------------------------------------------------------


def test_key_builders_give_the_design_contract_keys() -> None:
    # Given a day and a ticker, Then each item kind has the key the design contract names
    assert winner_key(DAY) == {"pk": {"S": "MOVERS"}, "sk": {"S": "2025-07-01"}}
    assert winner_key("2025-07-01") == winner_key(DAY)
    assert ticker_key("BRK.B", DAY) == {"pk": {"S": "TICKER#BRK.B"}, "sk": {"S": "2025-07-01"}}
    assert analysis_key(DAY) == {"pk": {"S": "ANALYSIS"}, "sk": {"S": "2025-07-01"}}
    assert claim_key(DAY) == {"pk": {"S": "ANALYSIS#CLAIM"}, "sk": {"S": "2025-07-01"}}
    # the watchlist's winner is the contract's MOVERS item; a whole-market day's has its own partition
    assert scope_winner_key(DAY, "watchlist") == winner_key(DAY)
    assert scope_winner_key(DAY, "market") == {"pk": {"S": "MOVERS#market"}, "sk": {"S": "2025-07-01"}}
    with pytest.raises(ValueError, match="unknown scope"):
        scope_winner_key(DAY, "MOVERS")
    assert audit_key(DAY, "2025-07-01T21:00:00.000Z", "daily-x") == {
        "pk": {"S": "AUDIT#2025-07-01"},
        "sk": {"S": "2025-07-01T21:00:00.000Z#daily-x"},
    }


def test_pushed_bars_and_their_audit_records_have_their_own_keys() -> None:
    # A bar published on the market-data bus: one partition per session (one Query reads a day's), and its
    # event's audit record beside the executions' in the day's audit partition
    assert pushed_key(DAY, "AAPL") == {"pk": {"S": "PUSHED#2025-07-01"}, "sk": {"S": "AAPL"}}
    assert push_audit_key(DAY, "2025-07-01T22:00:00Z", "e-1") == {
        "pk": {"S": "AUDIT#2025-07-01"},
        "sk": {"S": "2025-07-01T22:00:00Z#push-e-1"},
    }


def test_a_ticker_partition_round_trips_and_other_kinds_are_not_tickers() -> None:
    assert ticker_of(ticker_pk("AAPL")) == "AAPL"
    assert {ticker_of(k) for k in (WINNER_PK, ANALYSIS_PK, CLAIM_PK)} == {None}


@pytest.mark.parametrize("name", ["", "   ", None])
def test_a_missing_table_name_is_a_named_error(name: Any) -> None:
    # When the adapter is built without a table name, Then it refuses at once (not on the first call)
    with pytest.raises(MissingTableName, match="table"):
        ItemStore(name)


# --- reads over moto, two items per page ----------------------------------------------------------------


class SmallPages:
    """The real (moto) client, except that a Query answers at most two items per page, as a 1 MB page
    boundary would: every read must follow LastEvaluatedKey."""

    def __init__(self, real: Any) -> None:
        self._real = real
        self.queries = 0

    def query(self, **kwargs: Any) -> Any:
        self.queries += 1
        return self._real.query(**{**kwargs, "Limit": min(int(kwargs.get("Limit", 2)), 2)})

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


@pytest.fixture
def ddb(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_DEFAULT_REGION": "us-east-1"}.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(
            TableName=TABLE,
            KeySchema=[
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
            AttributeDefinitions=[{"AttributeName": n, "AttributeType": "S"} for n in ("pk", "sk")],
            BillingMode="PAY_PER_REQUEST",
        )
        yield client


DAYS = [dt.date(2025, 7, d) for d in (1, 2, 3, 7, 8)]


def _winner(day: dt.date, ticker: str = "AAPL") -> dict[str, Any]:
    return {"date": day.isoformat(), "ticker": ticker, "percentChange": "1.500000", "close": "101",
            "open": "100", "provider": "massive"}  # fmt: skip


def _row(day: dt.date, ticker: str) -> dict[str, Any]:
    return {"date": day.isoformat(), "ticker": ticker, "open": "100", "high": "102", "low": "99",
            "close": "101", "volume": "10", "percentChange": "1.000000", "provider": "massive"}  # fmt: skip


@pytest.fixture
def stored(ddb: Any) -> tuple[ItemStore, SmallPages]:
    """Given five stored days (winner and two tickers each), read through two-item pages."""
    writer = ItemStore(TABLE, ddb)
    for day in DAYS:
        board = Board(date=day, size=10, tickers=2, gainers=(), losers=())
        writer.put_day([_row(day, "AAPL"), _row(day, "MSFT")], _winner(day), board=board,
                       execution_arn=f"arn:{day}", stored_at="t", force=False)  # fmt: skip
    pages = SmallPages(ddb)
    return ItemStore(TABLE, pages), pages


def test_range_reads_follow_every_page(stored: tuple[ItemStore, SmallPages]) -> None:
    store, pages = stored
    # When the winners of the whole span are read, Then all five come back, oldest first, over 3 pages
    got = store.winners_between(DAYS[0], DAYS[-1], attributes="sk, Ticker")
    assert [i["sk"]["S"] for i in got] == [d.isoformat() for d in DAYS]
    assert pages.queries == 3
    assert store.winner_dates(DAYS[1], DAYS[3]) == set(DAYS[1:4])


def test_newest_reads_stop_at_the_limit_across_pages(stored: tuple[ItemStore, SmallPages]) -> None:
    store, _ = stored
    # When the newest 3 of a ticker up to 2025-07-07 are read (pages of two), Then exactly those 3
    got = store.newest_ticker_days("MSFT", 3, through=DAYS[3])
    assert [i["sk"]["S"] for i in got] == ["2025-07-07", "2025-07-03", "2025-07-02"]
    assert [i["sk"]["S"] for i in store.newest_winners(4)] == [d.isoformat() for d in DAYS[::-1][:4]]
    assert store.ticker_day("AAPL", DAYS[0]) is not None and store.ticker_day("TSLA", DAYS[0]) is None
    assert store.newest_winners(0) == []


def test_analysis_summary_and_audit_records_live_under_their_own_keys(
    stored: tuple[ItemStore, SmallPages],
) -> None:
    store, _ = stored
    # When a summary and two audit records are written
    store.put_analysis(DAYS[0], {"Date": {"S": DAYS[0].isoformat()}, "Status": {"S": "Complete"}})
    for stop in ("2025-07-01T21:00:01.000Z", "2025-07-01T20:00:00.000Z"):
        store.put_audit(audit_key(DAYS[0], stop, "daily-x"), {"Status": {"S": "SUCCEEDED"}})
    # Then each reads back by its key, the audits in stop order, and nothing else moved
    assert (store.analysis(DAYS[0]) or {})["Status"] == {"S": "Complete"}
    assert [i["pk"]["S"] for i in store.newest_analyses(5)] == [ANALYSIS_PK]
    assert [i["sk"]["S"][:13] for i in store.audit_records(DAYS[0])] == ["2025-07-01T20", "2025-07-01T21"]
    with pytest.raises(ValueError, match="audit"):
        store.put_audit(winner_key(DAYS[0]), {"Status": {"S": "x"}})
    assert (store.winner(DAYS[0]) or {})["Ticker"] == {"S": "AAPL"}


def test_the_pending_mark_is_cleared_only_for_the_winner_that_carries_it(
    stored: tuple[ItemStore, SmallPages],
) -> None:
    store, _ = stored
    ddb = store.ddb
    ddb.update_item(TableName=TABLE, Key=winner_key(DAYS[0]), UpdateExpression="SET AnnouncePending = :t",
                    ExpressionAttributeValues={":t": {"BOOL": True}})  # fmt: skip
    # When another execution's winner is named, Then nothing changes; with the right one, the mark goes
    assert store.clear_announce_pending(DAYS[0], "arn:other") is False
    assert store.clear_announce_pending(DAYS[0], f"arn:{DAYS[0]}") is True
    assert "AnnouncePending" not in (store.winner(DAYS[0]) or {})
    assert store.clear_announce_pending(DAYS[0], f"arn:{DAYS[0]}") is False


# --- the ASL's DynamoDB integrations agree with the key builders -----------------------------------------


def _dynamodb_tasks(states: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for name, state in states.items():
        resource = str(state.get("Resource", ""))
        if ":dynamodb:" in resource:
            yield name, resource.rsplit(":", 1)[-1], state.get("Parameters") or state.get("Arguments") or {}
        for branch in state.get("Branches", []):
            yield from _dynamodb_tasks(branch["States"])
        for inner in ("Iterator", "ItemProcessor"):
            if inner in state:
                yield from _dynamodb_tasks(state[inner]["States"])


BUILDERS = {
    WINNER_PK: winner_key,
    MARKET_WINNER_PK: lambda day: scope_winner_key(day, "market"),
    ANALYSIS_PK: analysis_key,
    CLAIM_PK: claim_key,
}


def test_every_dynamodb_integration_in_the_asl_writes_a_key_the_adapter_builds() -> None:
    seen: set[str] = set()
    for source in sorted((ROOT / "statemachines").glob("*.asl.json")):
        for state, action, params in _dynamodb_tasks(json.loads(source.read_text())["States"]):
            where = f"{source.name}: {state!r} ({action})"
            key = params.get("Key") or {
                k: v for k, v in (params.get("Item") or {}).items() if k in ("pk", "sk")
            }
            # Then its partition is a literal the adapter names, and its sort key the day
            assert set(key) == {"pk", "sk"}, where
            assert set(key["pk"]) == {"S"}, f"{where}: the partition must be a literal"
            pk = key["pk"]["S"]
            assert pk in BUILDERS, (
                f"{where}: partition {pk!r} is not one of the adapter's ({sorted(BUILDERS)})"
            )
            assert set(key["sk"]) == {"S.$"} and key["sk"]["S.$"].endswith(".date"), f"{where}: sk is the day"
            assert BUILDERS[pk]("2025-07-01") == {"pk": {"S": pk}, "sk": {"S": "2025-07-01"}}, where
            seen.add(pk)
    # And both machines' integrations were found (the test reads what it claims to read)
    assert seen == {WINNER_PK, MARKET_WINNER_PK, CLAIM_PK}


def test_a_pushed_bar_is_replaced_only_by_one_that_arrived_no_earlier(ddb: Any) -> None:
    # Given AAPL's pushed bar of DAY that arrived at 22:00
    store = ItemStore(TABLE, ddb)

    def bar(close: str, at: str) -> dict[str, Any]:
        return {"Ticker": {"S": "AAPL"}, "Close": {"N": close}, "ReceivedAt": {"S": at}}

    assert store.put_pushed_bar(DAY, "AAPL", bar("101", "2025-07-01T22:00:00Z"), "2025-07-01T22:00:00Z")
    # When an event of 21:59 arrives late, Then it is refused and the stored bar stays
    assert not store.put_pushed_bar(DAY, "AAPL", bar("99", "2025-07-01T21:59:00Z"), "2025-07-01T21:59:00Z")
    # And one of 22:00 (the same event again) or later replaces it
    assert store.put_pushed_bar(DAY, "AAPL", bar("102", "2025-07-01T22:05:00Z"), "2025-07-01T22:05:00Z")
    (item,) = store.pushed_bars(DAY)
    assert item["Close"]["N"] == "102" and store.pushed_bars(dt.date(2025, 7, 2)) == []


def test_basis_fetch_time_and_split_events_are_stored_and_older_items_stay_readable(ddb: Any) -> None:
    # Given a day whose rows and winner record their basis and fetch time, and an older day without them
    store = ItemStore(TABLE, ddb)
    fetched = {"basis": "adjusted", "fetchedAt": "2025-07-01T21:30:00+00:00"}
    for day, extra in ((DAYS[0], fetched), (DAYS[1], {})):
        board = Board(date=day, size=10, tickers=1, gainers=(), losers=())
        store.put_day([_row(day, "AAPL") | extra], _winner(day) | extra, board=board,
                      execution_arn=f"arn:{day}", stored_at="t", force=False)  # fmt: skip
    new, old = store.ticker_day("AAPL", DAYS[0]), store.ticker_day("AAPL", DAYS[1])
    assert new is not None and old is not None
    assert (new["Basis"], new["FetchedAt"]) == ({"S": "adjusted"}, {"S": "2025-07-01T21:30:00+00:00"})
    winner = store.winner(DAYS[0])
    assert winner is not None and winner["Basis"] == {"S": "adjusted"}
    assert "Basis" not in old and "FetchedAt" not in old
    # And split events live under SPLIT#<T>, read back oldest first
    later, first = parse_split("AAPL", "2025-08-01", 1, 4), parse_split("AAPL", "2020-08-31", 1, 4)
    store.put_splits([later, first], provider="massive", fetched_at="2025-08-02T00:00:00+00:00")
    store.put_splits([later], provider="massive", fetched_at="2025-08-03T00:00:00+00:00")  # same event again
    assert store.splits("AAPL") == [first, later]
    assert store.splits("MSFT") == []
    assert split_key("AAPL", "2025-08-01") == {"pk": {"S": "SPLIT#AAPL"}, "sk": {"S": "2025-08-01"}}
