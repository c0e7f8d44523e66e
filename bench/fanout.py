"""Measurement: per-ticker runs of 500 and 2,000 tickers through the ingest machine's Distributed Map, on a
local stack of its own (issue 17 item 3).

The stack's market server serves a generated SYNTHETIC universe (movers/market/universe.py) of 2,600 tickers
with a scaled quota (QUOTA calls per PERIOD s; the free tier is 5 per 60 s, which would make a 2,000-ticker
run last 400 minutes), and the shared limiter is deployed with that same quota, so every figure includes
real rate limiting: the market server counts every call and every 429 and reports the most calls that
arrived within any one period. Each run checks its stored winner and top-10 board against an independent
computation over the universe's own bars. Figures per run: provider calls, 429s, the peak calls per period
against the quota, wall time against the quota's floor, the parent execution's state transitions, history
events and largest state payload (UTF-8 bytes, what the 256 KB limit counts), the MapRun's child executions
and the largest child input (from the ResultWriter's files). Run `python bench/fanout.py` (about 10 minutes;
not part of `make bench`); docs/benchmarks.md records a run.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make the repo root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.state_payload import LIMIT, largest_payload
from movers.local.stack import LocalStack
from stock_movers.adapters.storage import leaders_key, winner_key
from stock_movers.adapters.workflows import Workflows

QUOTA, PERIOD = 50, 1.0
UNIVERSE = 2_600
RUNS = (("2026-11-18", 500), ("2026-11-19", 2_000))
VARIABLES = {
    "max_tickers": 2_000,
    "distributed_map_threshold": 40,  # the default: both runs take the Distributed Map
    "distributed_batch_size": 25,
    "distributed_max_concurrency": 4,
    "map_max_concurrency": 10,
    "rate_limit_calls": QUOTA,
    "rate_limit_period_seconds": PERIOD,
    "rate_limit_allowance_seconds": 0.5,
}


def _pct(bar: Any) -> Fraction:
    return (Fraction(str(bar.close)) - Fraction(str(bar.open))) / Fraction(str(bar.open)) * 100


def _oracle(universe: Any, tickers: list[str], day: str) -> dict[str, Any]:
    """The winner and top-10 boards computed from the universe's bars, independently of the pipeline."""
    moves = {t: _pct(universe.bar(t, dt.date.fromisoformat(day))) for t in tickers}
    return {
        "winner": sorted(tickers, key=lambda t: (-abs(moves[t]), t))[0],
        "gainers": sorted((t for t in tickers if moves[t] > 0), key=lambda t: (-moves[t], t))[:10],
        "losers": sorted((t for t in tickers if moves[t] < 0), key=lambda t: (moves[t], t))[:10],
    }


def _stored(stack: LocalStack, day: str) -> dict[str, Any]:
    ddb, table = stack.client("dynamodb"), stack.outputs["table_name"]
    winner = ddb.get_item(TableName=table, Key=winner_key(day)).get("Item", {})
    board = ddb.get_item(TableName=table, Key=leaders_key(day, "watchlist")).get("Item", {})
    names = lambda side: [g["M"]["Ticker"]["S"] for g in board.get(side, {}).get("L", [])]  # noqa: E731
    return {
        "winner": winner.get("Ticker", {}).get("S"),
        "gainers": names("Gainers"),
        "losers": names("Losers"),
    }


def _children(stack: LocalStack, history: list[dict[str, Any]]) -> dict[str, Any]:
    sfn, s3, bucket = stack.client("stepfunctions"), stack.client("s3"), stack.outputs["bucket_name"]
    arns = [e["mapRunStartedEventDetails"]["mapRunArn"] for e in history if "mapRunStartedEventDetails" in e]
    if not arns:
        return {"map_runs": 0}
    run = sfn.describe_map_run(mapRunArn=arns[0])
    manifest_key = next(
        json.loads(e["stateExitedEventDetails"]["output"])["fanout"]["manifestKey"]
        for e in history
        if e.get("stateExitedEventDetails", {}).get("name") == "Fetch Watchlist Distributed"
    )
    manifest = json.loads(s3.get_object(Bucket=bucket, Key=manifest_key)["Body"].read())
    inputs = [
        len(r["Input"].encode())
        for f in manifest["ResultFiles"]["SUCCEEDED"]
        for r in json.loads(s3.get_object(Bucket=bucket, Key=f["Key"])["Body"].read())
    ]
    return {
        "map_runs": len(arns),
        "child_executions": run["executionCounts"]["total"],
        "child_executions_failed": run["executionCounts"]["failed"],
        "items": run["itemCounts"]["total"],
        "largest_child_input_bytes": max(inputs, default=0),
    }


def _run(stack: LocalStack, day: str, tickers: list[str]) -> dict[str, Any]:
    assert stack.market is not None
    workflows = Workflows(stack.client("stepfunctions"))
    stack.market.reset()
    started = time.monotonic()
    name = f"fanout-{len(tickers)}-{day}"
    arn = workflows.start(
        stack.outputs["ingest_state_machine_arn"], name, {"date": day, "tickers": tickers}
    ).execution_arn
    desc = workflows.wait(arn, timeout=3600.0, poll=0.5)
    wall = time.monotonic() - started
    history = workflows.history(arn)
    stats = stack.market.stats()
    largest, where = largest_payload(history)
    expected, stored = _oracle(stack.market.dataset, tickers, day), _stored(stack, day)
    return {
        "status": desc["status"],
        "equals_oracle": stored == expected,
        "provider_calls": stats["total"],
        "http_429": stats["rate_limited"],
        "peak_calls_per_period": stack.market.peak(PERIOD),
        "quota_per_period": QUOTA,
        "wall_s": round(wall, 1),
        "rate_limit_floor_s": round(len(tickers) / QUOTA * PERIOD, 1),
        "transitions": sum(1 for e in history if "stateEnteredEventDetails" in e),
        "history_events": len(history),
        "largest_state_bytes": largest,
        "largest_state_at": where,
        "largest_vs_limit": round(largest / LIMIT, 4),
        **_children(stack, history),
    }


def run() -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix="movers-fanout-"))
    stack = LocalStack(
        work_dir=work, time_scale=0.05, market_rate_limit=(QUOTA, PERIOD), market_universe=UNIVERSE,
        variables=VARIABLES,
    )  # fmt: skip
    stack.start()
    try:
        assert stack.market is not None
        universe: Any = stack.market.dataset
        common = [t for t in universe.tickers if not universe.is_otc(t)]
        figures: dict[str, Any] = {
            "universe": len(universe.tickers),
            **{f"var.{k}": v for k, v in VARIABLES.items()},
        }
        for day, size in RUNS:
            assert len(common) >= size, f"the universe holds {len(common)} listed tickers, not {size}"
            figures.update({f"per_ticker_{size}.{k}": v for k, v in _run(stack, day, common[:size]).items()})
        return figures
    finally:
        stack.stop()


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
