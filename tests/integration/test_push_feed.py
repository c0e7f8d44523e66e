"""Issue 16 item 5 on the local AWS: bars published on the market-data bus. Valid ones are stored and used
by a `push` run with 0 provider calls for those tickers; malformed ones land in the dead-letter queue with
an audit record and write nothing else. Date: 2026-02-12, no other stack test's day (and no stored day
within ten sessions either side, so no run heals into or out of it)."""

from __future__ import annotations

import datetime as dt
import json
import time
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from stock_movers.domain.calendar import NEW_YORK
from stock_movers.execution_names import daily_execution_name
from tests.support.localstack import StackHandle

pytestmark = pytest.mark.stack
DAY = "2026-02-12"
PUSHED = ("AAPL", "GOOGL", "AMZN", "TSLA")  # the watchlist's other two (MSFT, NVDA) get malformed events


def _poll(find: Callable[[], Any], timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = find()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError("not found in time")


def _detail(stack: StackHandle, ticker: str) -> dict[str, Any]:
    bar = stack.market.dataset.bar(ticker, dt.date.fromisoformat(DAY))
    assert bar is not None
    prices = {name: str(getattr(bar, name)) for name in ("open", "high", "low", "close")}
    return {"ticker": ticker, "date": DAY, **prices, "volume": str(bar.volume), "adjusted": True,
            "provider": "stack-test"}  # fmt: skip


def test_pushed_bars_are_stored_and_used_and_malformed_ones_are_dead_lettered(stack: StackHandle) -> None:
    events, sqs = stack.stack.client("events"), stack.stack.client("sqs")
    bus, source = stack.outputs["market_data_bus_name"], f"test.feed-{uuid.uuid4().hex[:6]}"
    # Given valid bars for four watchlist tickers, AAPL's a 30 % move (so the winner shows it was used)
    details = {t: _detail(stack, t) for t in PUSHED}
    details["AAPL"] |= {"open": "100.00", "high": "131.00", "low": "99.50", "close": "130.00"}
    # And two malformed events: MSFT's high below its close (a bar rule), NVDA's open a JSON number (schema)
    msft = _detail(stack, "MSFT") | {"high": "1.00"}
    nvda = _detail(stack, "NVDA") | {"open": 100.5}
    entries = [{"EventBusName": bus, "Source": source, "DetailType": "Daily Bar", "Detail": json.dumps(d)}
               for d in [*details.values(), msft, nvda]]  # fmt: skip
    # When they are published on the market-data bus
    answer = events.put_events(Entries=entries)
    assert answer["FailedEntryCount"] == 0
    ids = [e["EventId"] for e in answer["Entries"]]
    bad = {ids[4]: ("InvalidBar", "high"), ids[5]: ("InvalidPushEvent", "detail.open")}
    # Then every event gets its audit record (the day it arrived, New York)
    today = dt.datetime.now(NEW_YORK).date()

    def audits() -> dict[str, dict[str, Any]]:
        found = {}
        for day in (today - dt.timedelta(days=1), today):
            for item in stack.table.audit_records(day):
                if item.get("EventId", {}).get("S") in ids:
                    found[item["EventId"]["S"]] = item
        return found if len(found) == len(ids) else {}

    records = _poll(audits)
    for event_id in ids[:4]:
        assert records[event_id]["Outcome"]["S"] == "Accepted"
    for event_id, (error, field) in bad.items():
        assert (records[event_id]["Outcome"]["S"], records[event_id]["Error"]["S"]) == ("Rejected", error)
        assert records[event_id]["Field"]["S"] == field
    # And the valid bars are the session's pushed bars, the malformed ones wrote nothing else
    pushed = {i["sk"]["S"]: i for i in stack.table.pushed_bars(DAY)}
    assert sorted(pushed) == sorted(PUSHED) and Decimal(pushed["AAPL"]["Close"]["N"]) == 130
    # And each malformed event is in the dead-letter queue, named
    url, letters = stack.outputs["market_data_dlq_url"], {}

    def dead_letters() -> dict[str, Any]:
        for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get(
            "Messages", []
        ):
            body = json.loads(m["Body"])
            if body.get("eventId") in bad:
                letters[body["eventId"]] = body
                sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
        return letters if len(letters) == len(bad) else {}

    _poll(dead_letters)
    assert {k: (v["error"], v["field"]) for k, v in letters.items()} == bad
    assert letters[ids[5]]["event"]["detail"]["open"] == 100.5

    # When a push run stores the day (fetch_strategy = push on validate_input, restored afterwards)
    lam = stack.stack.client("lambda")
    name = stack.outputs["function_names"]["validate_input"]
    env = lam.get_function_configuration(FunctionName=name)["Environment"]["Variables"]
    before = stack.market.stats()
    with stack.released(name, Environment={"Variables": {**env, "FETCH_STRATEGY": "push"}}):
        desc = stack.run("ingest", daily_execution_name(DAY), {"date": DAY})
    after = stack.market.stats()
    assert desc["status"] == "SUCCEEDED", (desc.get("error"), desc.get("cause"))
    # Then the provider was called for the two tickers without a pushed bar only: 0 calls for the pushed ones
    calls = {
        t: after["by_ticker"].get(t, 0) - before["by_ticker"].get(t, 0) for t in (*PUSHED, "MSFT", "NVDA")
    }
    assert calls == {"AAPL": 0, "GOOGL": 0, "AMZN": 0, "TSLA": 0, "MSFT": 1, "NVDA": 1}
    assert after["total"] - before["total"] == 2
    # And the stored day is the pushed bars' (AAPL's 30 % wins) and says where its bars came from
    winner = stack.winner(DAY)
    assert winner is not None and winner["Ticker"]["S"] == "AAPL"
    assert Decimal(winner["PercentChange"]["N"]) == Decimal(30)
    assert winner["Provider"]["S"] == "push"  # each row and the winner say who served their own bar
    fetched = stack.ticker_day("MSFT", DAY)
    assert fetched is not None and fetched["Provider"]["S"] == "massive"
    aapl = stack.ticker_day("AAPL", DAY)
    assert aapl is not None and (Decimal(aapl["Open"]["N"]), Decimal(aapl["Close"]["N"])) == (100, 130)
