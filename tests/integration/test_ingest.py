"""Issue 4 acceptance on the local AWS: real ASL on moto's interpreter, real zips, real HTTP to the market
server. Each test uses its own session date so idempotency records and stored days never mix."""

from __future__ import annotations

import io
import json
import threading
from decimal import Decimal
from typing import Any

import pyarrow.parquet as pq
import pytest

from stock_movers.execution_names import daily_execution_name
from tests.support import oracle
from tests.support.localstack import StackHandle

pytestmark = pytest.mark.stack
DEFAULT = list(oracle.DEFAULT)


def calls(stack: StackHandle) -> dict[str, Any]:
    return stack.market.stats()


def quiesce(stack: StackHandle) -> None:
    stack.quiesce_market()


def nothing_written(stack: StackHandle, day: str) -> bool:
    written = stack.day_written(day)
    return written["winner"] is None and not written["ticker_items"] and not written["parquet"]


def test_happy_path_stores_the_independent_winner_items_raw_and_parquet(stack: StackHandle) -> None:
    day = "2026-11-13"
    before = calls(stack)["total"]
    desc = stack.run("ingest", daily_execution_name(day), {"date": day})
    assert desc["status"] == "SUCCEEDED", desc.get("cause")
    ticker, pct = oracle.winner(day)
    item = stack.winner(day)
    assert item is not None
    assert (item["Ticker"]["S"], Decimal(item["PercentChange"]["N"])) == (ticker, Decimal(pct))
    assert Decimal(item["ClosingPrice"]["N"]) == Decimal(oracle.rows()[(ticker, day)]["close"])
    assert json.loads(desc["output"])["winner"]["ticker"] == ticker
    # per-ticker items, exact
    for t in DEFAULT:
        got = stack.ticker_day(t, day)
        assert got is not None and Decimal(got["PercentChange"]["N"]) == Decimal(oracle.pct6(t, day))
        assert Decimal(got["Open"]["N"]) == Decimal(oracle.rows()[(t, day)]["open"])
    # raw bodies exactly as the provider sent them, one per ticker, without the key
    raw = stack.keys(f"raw/provider=massive/date={day}/")
    assert raw == sorted(f"raw/provider=massive/date={day}/{t}.json" for t in DEFAULT)
    body = stack.s3.get_object(Bucket=stack.outputs["bucket_name"], Key=raw[0])["Body"].read()
    assert json.loads(body)["status"] == "OK" and b"local-demo-key" not in body
    # Parquet rows equal the bars
    (pkey,) = stack.keys(f"curated/daily_bars/year=2026/date={day}/")
    table = pq.read_table(
        io.BytesIO(stack.s3.get_object(Bucket=stack.outputs["bucket_name"], Key=pkey)["Body"].read())
    )
    rows = {r["ticker"]: r for r in table.to_pylist()}
    assert sorted(rows) == sorted(DEFAULT)
    for t, r in rows.items():
        src = oracle.rows()[(t, day)]
        assert str(r["date"]) == day and r["provider"] == "massive"
        for col in ("open", "high", "low", "close", "volume"):
            assert r[col] == Decimal(src[col])
        assert r["pct_change"] == Decimal(oracle.pct6(t, day))
    # one provider call per ticker, no 429 caused by the pipeline
    after = calls(stack)
    failures = [e for e in stack.history(desc["executionArn"]) if e["type"] == "TaskFailed"]
    assert after["total"] - before == len(DEFAULT), (after, failures)


@pytest.mark.parametrize("day", ["2026-11-21", "2025-12-25", "2025-01-09"])
def test_non_session_dates_end_market_closed_and_write_nothing(stack: StackHandle, day: str) -> None:
    # Saturday, Christmas, and the ad-hoc closure for President Carter's funeral
    before = calls(stack)["total"]
    desc = stack.run("ingest", f"closed-{day}", {"date": day})
    assert desc["status"] == "SUCCEEDED"
    assert json.loads(desc["output"]) == {"status": "MarketClosed", "date": day}
    assert calls(stack)["total"] == before and nothing_written(stack, day)


def test_already_stored_costs_zero_provider_calls_and_force_rewrites(stack: StackHandle) -> None:
    day = "2026-11-12"
    assert stack.run("ingest", f"first-{day}", {"date": day})["status"] == "SUCCEEDED"
    first_exec = stack.winner(day)["ExecutionArn"]["S"]
    before = calls(stack)["total"]
    desc = stack.run("ingest", f"again-{day}", {"date": day})
    assert json.loads(desc["output"]) == {"status": "AlreadyStored", "date": day}
    assert calls(stack)["total"] == before
    forced = stack.run("ingest", f"forced-{day}", {"date": day, "force": True})
    assert forced["status"] == "SUCCEEDED" and json.loads(forced["output"])["status"] == "Stored"
    assert stack.winner(day)["ExecutionArn"]["S"] == forced["executionArn"] != first_exec


def test_concurrent_executions_for_one_date_store_exactly_one_winner(stack: StackHandle) -> None:
    day = "2026-11-11"
    before = calls(stack)
    arns = [
        stack.sfn.start_execution(
            stateMachineArn=stack.outputs["ingest_state_machine_arn"], name=f"concurrent-{i}-{day}",
            input=json.dumps({"date": day}),
        )["executionArn"]
        for i in range(5)
    ]  # fmt: skip
    results = [stack.wait(a) for a in arns]
    assert [r["status"] for r in results] == ["SUCCEEDED"] * 5, [r.get("cause") for r in results]
    statuses = sorted(json.loads(r["output"])["status"] for r in results)
    assert statuses.count("Stored") == 1 and statuses.count("AlreadyStored") == 4
    assert len([i for i in stack.winners() if i["sk"]["S"] == day]) == 1
    # fetches are idempotent per execution (a new run never reuses another run's bars), so each run may
    # fetch each ticker once (at most 5 x 6 answered calls; a transient refusal's retry is one call more);
    # all of them share one quota and never go beyond the limit
    after = calls(stack)
    answered = after["by_status"].get("200", 0) - before["by_status"].get("200", 0)
    assert len(DEFAULT) <= answered <= 5 * len(DEFAULT), (before, after)
    assert after["rate_limited"] == before["rate_limited"]


def test_fan_out_under_the_rate_limit_causes_no_429(stack: StackHandle) -> None:
    # Given the market server's 5 calls per 2 s and a Map of 6 at concurrency 6, three days back to back
    # (18 calls) all go through the shared DynamoDB token bucket: the server never answers 429.
    before = calls(stack)
    days = ["2026-11-02", "2026-11-03", "2026-11-04"]
    threads = [threading.Thread(target=stack.run, args=("ingest", f"burst-{d}", {"date": d})) for d in days]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    after = calls(stack)
    assert after["rate_limited"] == before["rate_limited"], after
    assert after["total"] - before["total"] == 18, after
    for d in days:
        assert stack.winner(d) is not None


def test_429_storm_is_retried_within_budget(stack: StackHandle) -> None:
    day = "2026-11-10"
    stack.market.set_faults({"script": ["429", "429", "429", "500", "502"]})
    try:
        desc = stack.run("ingest", f"storm-{day}", {"date": day})
    finally:
        stack.market.set_faults(None)
    assert desc["status"] == "SUCCEEDED", desc.get("cause")
    errors = [
        e["taskFailedEventDetails"]["error"]
        for e in stack.history(desc["executionArn"])
        if e["type"] == "TaskFailed"
    ]
    assert errors.count("RateLimited") >= 3 and errors.count("ProviderUnavailable") >= 2
    assert stack.winner(day)["Ticker"]["S"] == oracle.winner(day)[0]


@pytest.mark.parametrize(
    ("name", "faults", "error"),
    [
        ("malformed", {"script": ["malformed"] * 3}, "MalformedResponse"),
        ("wrongdate", {"script": ["wrong_date"] * 3}, "MalformedResponse"),
    ],
)
def test_permanent_faults_fail_with_a_named_error_and_write_nothing(
    stack: StackHandle, name: str, faults: dict[str, Any], error: str
) -> None:
    day = {"malformed": "2026-11-09", "wrongdate": "2026-11-06"}[name]
    quiesce(stack)
    # only the day's own requests take the scripted faults (a background gap-healing backfill asks for
    # ranges of other days and would otherwise use them up)
    stack.market.set_faults({**faults, "dates": [day]})
    try:
        desc = stack.run("ingest", f"fault-{name}-{day}", {"date": day})
    finally:
        stack.market.set_faults(None)
    assert desc["status"] == "FAILED" and desc["error"] == error, desc
    quiesce(stack)
    assert nothing_written(stack, day)


def test_unknown_ticker_fails_no_data_and_writes_nothing(stack: StackHandle) -> None:
    day = "2026-11-05"
    desc = stack.run("ingest", f"missing-{day}", {"date": day, "tickers": ["AAPL", "ZZZZ"]})
    assert desc["status"] == "FAILED" and desc["error"] == "NoData", desc
    quiesce(stack)
    assert nothing_written(stack, day)


def test_wrong_api_key_fails_with_auth_error_and_writes_nothing(stack: StackHandle) -> None:
    day = "2026-10-30"
    sm = stack.stack.client("secretsmanager")
    secret = stack.outputs["api_key_secret_arn"]
    sm.put_secret_value(SecretId=secret, SecretString="not-the-key")
    try:
        desc = stack.run("ingest", f"badkey-{day}", {"date": day})
    finally:
        sm.put_secret_value(SecretId=secret, SecretString="local-demo-key")
    assert desc["status"] == "FAILED" and desc["error"] == "ProviderAuthError", desc
    assert "not-the-key" not in json.dumps(stack.history(desc["executionArn"]), default=str)
    quiesce(stack)
    assert nothing_written(stack, day)


MALFORMED = [
    {"date": "2026/11/02"},
    {"date": "02-11-2026"},
    {"date": "2026-02-30"},
    {"date": "2026-13-01"},
    {"date": "2099-01-02"},
    {"date": 20261102},
    {"date": None},
    {"tickers": []},
    {"tickers": ["AAPL", "AAPL"]},
    {"tickers": ["aapl"]},
    {"tickers": [f"T{chr(65 + i // 676)}{chr(65 + i // 26 % 26)}{chr(65 + i % 26)}" for i in range(501)]},
    {"tickers": "AAPL"},
    {"tickers": [1, 2]},
    {"force": "true"},
    {"force": 1},
    {"day": "2026-11-02"},
    {"date": "2026-11-02", "extra": True},
]


def test_malformed_inputs_fail_with_invalid_input_and_write_nothing(stack: StackHandle) -> None:
    quiesce(stack)
    before = calls(stack)["total"]
    arns = [
        stack.sfn.start_execution(
            stateMachineArn=stack.outputs["ingest_state_machine_arn"],
            name=f"malformed-{i}",
            input=json.dumps(p),
        )["executionArn"]
        for i, p in enumerate(MALFORMED)
    ]
    for payload, arn in zip(MALFORMED, arns, strict=True):
        desc = stack.wait(arn)
        assert desc["status"] == "FAILED" and desc["error"] == "InvalidInput", (payload, desc.get("cause"))
        field = next(iter(payload))
        assert field in desc["cause"], (payload, desc["cause"])
    assert calls(stack)["total"] == before
    assert nothing_written(stack, "2026-11-02") or stack.winner("2026-11-02") is not None


def test_non_object_input_is_invalid(stack: StackHandle) -> None:
    desc = stack.run("ingest", "malformed-array", ["2026-11-02"])
    assert desc["status"] == "FAILED" and desc["error"] == "InvalidInput"
