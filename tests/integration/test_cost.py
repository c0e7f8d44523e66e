"""The cost model's measurement on the local stack (movers.cli.cost.measure_day / measure_fixed): the counts
come from what the pipeline really did, read from histories, REPORT lines and the request meter."""

from __future__ import annotations

from movers.cli.cost import measure_day, measure_fixed
from tests.support.localstack import StackHandle

WATCHLIST = 6


def test_a_measured_daily_run_counts_what_the_pipeline_did(stack: StackHandle) -> None:
    # When one daily run (forced ingest, its analysis, the scheduled checks) is measured
    counts, iterations, emf = measure_day(stack.stack, "2026-10-14")
    # Then every ticker was fetched once (a Map iteration each) and stored with its raw body and item
    assert len(iterations) == WATCHLIST and all(s > 0 for s in iterations)
    assert counts["s3.put_class"] >= WATCHLIST + 1  # raw bodies + the day's Parquet
    assert counts["dynamodb.wru"] >= WATCHLIST + 1  # per-ticker items + the winner
    assert counts["secrets.api_call"] >= 1
    # And one MoverStored event went out, and the analysis published its report
    assert counts["events.put_event"] == 1
    assert counts["sns.publish"] >= 1
    # And Lambda ran at least each per-ticker function per ticker plus the run's own steps, with GB-seconds
    assert counts["lambda.request"] >= 2 * WATCHLIST + 6
    assert counts["lambda.gb_second.arm64"] > 0
    # And the transitions include every Map iteration's states
    assert counts["sfn.transition"] > 2 * WATCHLIST
    # And the functions' EMF metrics were seen, so the fixed part counts them with the alarms and dashboard
    fixed = measure_fixed(stack.stack, set(emf))
    assert any("ProviderCalls" in k for k in emf)
    assert fixed["alarm_metrics"] == stack.outputs["alarm_metric_count"] <= 10
    assert fixed["dashboard_metrics"] == stack.outputs["dashboard_metric_count"] <= 50
    assert 1 <= fixed["custom_metrics"] <= 10
