"""Issue 17 item 3: a per-ticker list above distributed_map_threshold is fetched by the Distributed Map (items
from S3, batches of child executions, results to S3) and stores what an independent computation gives.

The shared stack deploys distributed_map_threshold = 8 and distributed_batch_size = 4 (tests/conftest.py), so
the bundled dataset's 10 tickers take the distributed path in three children, while the 6-ticker watchlist
of every other test keeps the inline Map. The 500- and 2,000-ticker runs are measured in bench/fanout.py.
"""

from __future__ import annotations

import json

import pytest

from movers.cli.trace import map_run_arns, render
from movers.oracle import pct, pct6, tickers
from tests.support.localstack import StackHandle

pytestmark = pytest.mark.stack

# A session no other stack test stores, with no stored winner in the 10 sessions either side (no gap healing).
DAY = "2026-07-08"


def test_a_list_above_the_threshold_is_fetched_by_the_distributed_map_and_stores_the_oracles_day(
    stack: StackHandle,
) -> None:
    # Given the dataset's 10 tickers (above the stack's threshold of 8) and the market's counters
    names = list(tickers())
    assert len(names) == 10
    before = stack.market.stats()
    try:
        # When the day is ingested per ticker
        desc = stack.run("ingest", f"fanout-{DAY}", {"date": DAY, "tickers": names})
        assert desc["status"] == "SUCCEEDED", desc.get("cause")
        after = stack.market.stats()
        # Then each ticker cost one provider call and none was refused (the limiter kept the quota)
        assert after["total"] - before["total"] == 10
        assert after["rate_limited"] == before["rate_limited"]
        # And the fetches ran in the Distributed Map's child executions, not in this execution's history
        history = stack.history(desc["executionArn"])
        entered = [e["stateEnteredEventDetails"]["name"] for e in history if "stateEnteredEventDetails" in e]
        assert "Fetch Watchlist Distributed" in entered and "Fetch Watchlist" not in entered
        assert not [n for n in entered if "Fetch Bars" in n]
        (arn,) = map_run_arns(history)
        run = stack.stack.client("stepfunctions").describe_map_run(mapRunArn=arn)
        counts = run["executionCounts"]
        assert (counts["total"], counts["succeeded"], run["itemCounts"]["total"]) == (3, 3, 10)
        # And the trace shows the MapRun and its child executions
        trace = render(desc, history, map_runs=[run])
        assert "map run FetchBatches SUCCEEDED: 3 child executions (3 succeeded), 10 items" in trace
        # And the children's results are in S3 under the run's work prefix, listed by the manifest
        bucket = stack.outputs["bucket_name"]
        manifest = json.loads(stack.s3.get_object(Bucket=bucket, Key=_manifest_key(history))["Body"].read())
        assert manifest["MapRunArn"] == arn and len(manifest["ResultFiles"]["SUCCEEDED"]) == 1
        # And the stored winner and board are an independent computation's over the dataset's bars
        best = sorted(names, key=lambda t: (-abs(pct(t, DAY)), t))[0]
        item = stack.winner(DAY)
        assert item is not None and (item["Ticker"]["S"], item["PercentChange"]["N"]) == (
            best,
            pct6(best, DAY),
        )
        board = stack.leaders(DAY)
        gainers = sorted((t for t in names if pct(t, DAY) > 0), key=lambda t: (-pct(t, DAY), t))
        losers = sorted((t for t in names if pct(t, DAY) < 0), key=lambda t: (pct(t, DAY), t))
        assert board is not None
        assert [g["M"]["Ticker"]["S"] for g in board["Gainers"]["L"]] == gainers[:10]
        assert [g["M"]["Ticker"]["S"] for g in board["Losers"]["L"]] == losers[:10]
        # And the parent execution stayed small
        assert len(history) < 200
    finally:
        stack.forget_day(DAY)


def _manifest_key(history: list[dict]) -> str:
    """The manifest key the Distributed Map's output named (its state's exit event)."""
    for event in history:
        details = event.get("stateExitedEventDetails", {})
        if details.get("name") == "Fetch Watchlist Distributed":
            return str(json.loads(details["output"])["fanout"]["manifestKey"])
    raise AssertionError("the Distributed Map never exited")
