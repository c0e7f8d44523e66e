"""Issue 16 item 1 on the local AWS: the market server revises stored bars after the close; the next
reconcile (its state machine: plan, Store Day per revised day, record) stores the revised days (items,
Parquet, winner), audits each "from -> to", alerts when a winner changed, and an unrevised day costs no
write. Dates: 2021-03-22..24, no other stack test's days (the
five-year backfill of test_backfill stores them from the dataset; this test stores them when absent, and
puts the dataset's bars back at the end)."""

from __future__ import annotations

import datetime as dt
import io
import json
import time
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pyarrow.parquet as pq
import pytest

from movers.cli.common import Target
from movers.cli.reconcile import reconcile_payload, run_reconcile
from stock_movers.domain.calendar import NEW_YORK
from tests.support import oracle
from tests.support.localstack import StackHandle

pytestmark = pytest.mark.stack
D1, D2, D3 = "2021-03-22", "2021-03-23", "2021-03-24"
REASON = "stack test: vendor correction"


def reconcile(stack: StackHandle, payload: dict[str, Any]) -> dict[str, Any]:
    """Run the reconcile machine; its report."""
    name = f"reconcile-test-{dt.datetime.now(dt.UTC):%H%M%S%f}"
    desc = stack.run("reconcile", name, payload, timeout=120)
    assert desc["status"] == "SUCCEEDED", (desc.get("error"), desc.get("cause"))
    return dict(json.loads(desc["output"]))


def parquet(stack: StackHandle, day: str) -> tuple[list[dict[str, Any]], int]:
    """The day's Parquet rows and how many versions the object has."""
    bucket = stack.outputs["bucket_name"]
    (key,) = stack.keys(f"curated/daily_bars/year={day[:4]}/date={day}/")
    rows = pq.read_table(io.BytesIO(stack.s3.get_object(Bucket=bucket, Key=key)["Body"].read())).to_pylist()
    versions = stack.s3.list_object_versions(Bucket=bucket, Prefix=key).get("Versions", [])
    return rows, len([v for v in versions if v["Key"] == key])


def alerts(stack: StackHandle, url: str, until: str, timeout: float = 10.0) -> list[str]:
    """The subjects of reconcile alerts that reached the queue, read until one names `until`."""
    sqs = stack.stack.client("sqs")
    found: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not any(until in s for s in found):
        for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get(
            "Messages", []
        ):
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
            subject = json.loads(m["Body"]).get("Subject", "")
            if "revised:" in subject and subject.startswith("Winner of 2021-03-2"):
                found.append(subject)
    return found


def test_a_revised_bar_is_reconciled_and_an_unrevised_day_costs_no_write(stack: StackHandle) -> None:
    # Given three stored sessions (test_backfill's five years store them from the dataset in a full run;
    # alone, this test stores them) and a queue on the alerts topic
    if not all(stack.winner(d) for d in (D1, D2, D3)):
        desc = stack.run("backfill", "reconcile-history", {"from": D1, "to": D3}, timeout=120)
        assert desc["status"] == "SUCCEEDED", desc.get("cause")
    sqs, sns = stack.stack.client("sqs"), stack.stack.client("sns")
    url = sqs.create_queue(QueueName="reconcile-alerts-test")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=stack.outputs["alert_topic_arn"], Protocol="sqs", Endpoint=arn)
    tickers = list(oracle.DEFAULT)
    # And the provider revises, after the close: D3 a non-winner's close past the winner's move (the winner
    # changes); D2 a non-winner's volume (the winner stays)
    was, was_pct = oracle.winner(D3)
    riser = next(t for t in tickers if t != was)
    bar = oracle.rows()[(riser, D3)]
    open_ = Decimal(bar["open"])
    close = (open_ * (1 + (abs(Decimal(was_pct)) + 1) / 100)).quantize(Decimal("0.01"), ROUND_HALF_UP)
    high = max(Decimal(bar["high"]), close)
    steady = next(t for t in tickers if t != oracle.winner(D2)[0])
    volume = int(oracle.rows()[(steady, D2)]["volume"]) + 1234
    stack.market.set_revisions([
        {"ticker": riser, "date": D3, "close": str(close), "high": str(high), "reason": "late print"},
        {"ticker": steady, "date": D2, "volume": volume, "reason": "late print"},
    ])  # fmt: skip
    before_d1 = {t: stack.ticker_day(t, D1) for t in tickers}
    winner_d1, (_, parquet_d1) = stack.winner(D1), parquet(stack, D1)
    _, parquet_d3 = parquet(stack, D3)
    calls = stack.market.stats()["total"]
    try:
        # When the reconcile runs over the three sessions
        report = reconcile(stack, {"through": D3, "sessions": 3, "reason": REASON})
        # Then it spent one range call per ticker and one splits-reference call, found D1 unrevised, and
        # stored D2 and D3
        assert stack.market.stats()["total"] - calls == len(tickers) + 1 == report["providerCalls"]
        assert report["sessions"] == [D1, D2, D3] and report["unchanged"] == [D1]
        assert [r["date"] for r in report["revised"]] == [D2, D3] and report["rejected"] == []
        assert {r["status"] for r in report["revised"]} == {"Stored"}
        # And D3's winner is the revised ticker with the daily run's percent change, items and Parquet agree
        pct = ((close - open_) / open_ * 100).quantize(Decimal("0.000001"), ROUND_HALF_UP)
        winner = stack.winner(D3) or {}
        assert (winner["Ticker"]["S"], Decimal(winner["PercentChange"]["N"])) == (riser, pct)
        item = stack.ticker_day(riser, D3) or {}
        assert (Decimal(item["Close"]["N"]), Decimal(item["High"]["N"])) == (close, high)
        rows, versions = parquet(stack, D3)
        assert next(r for r in rows if r["ticker"] == riser)["close"] == close
        assert versions == parquet_d3 + 1  # the superseded Parquet stays as an older version
        # And D2 keeps its winner with the revised volume
        assert (stack.winner(D2) or {})["Ticker"]["S"] == oracle.winner(D2)[0]
        assert Decimal((stack.ticker_day(steady, D2) or {})["Volume"]["N"]) == volume
        # And the unrevised D1 was not written at all
        assert {t: stack.ticker_day(t, D1) for t in tickers} == before_d1
        assert stack.winner(D1) == winner_d1 and parquet(stack, D1)[1] == parquet_d1
        # And each revised day has its audit record "from -> to" with the reason
        today = dt.datetime.now(dt.UTC).astimezone(NEW_YORK).date()
        records = {
            r["Date"]["S"]: r
            for r in stack.table.audit_records(today)
            if r.get("Kind", {}).get("S") == "Revision" and r["Reason"]["S"] == REASON
        }
        assert set(records) == {D2, D3}
        assert records[D3]["WinnerFrom"]["S"] == f"{was} {was_pct}"
        assert records[D3]["WinnerTo"]["S"] == f"{riser} {pct}" and records[D3]["WinnerChanged"]["BOOL"]
        assert f"{riser} close {Decimal(bar['close'])} -> {close}" in [
            c["S"] for c in records[D3]["Changes"]["L"]
        ]
        assert records[D2]["WinnerChanged"]["BOOL"] is False
        # And one alert names the changed winner (none for D2, whose winner stayed: days go in order, so
        # its alert would have come first)
        assert alerts(stack, url, D3) == [f"Winner of {D3} revised: {was} -> {riser}"]
    finally:
        # Put the dataset's bars back (a later test reads these days): the next reconcile stores them again
        stack.market.set_revisions([])
        out = io.StringIO()  # by hand, as an operator does: `movers reconcile --through D3 --sessions 3`
        payload = reconcile_payload(D3, 3, "stack test: revision cleared")
        assert run_reconcile(Target(stack.outputs, stack.endpoint), payload, out) == 0, out.getvalue()
    assert f"revised {D3}: winner {riser} {pct} -> {was} {was_pct}" in out.getvalue()
    assert (stack.winner(D3) or {})["Ticker"]["S"] == was
