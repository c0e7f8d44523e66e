"""Measurement: issue 17's scale runs side by side on one local stack of their own (issue 17 item 8):
per-ticker runs of 500 and 2,000 tickers through the ingest machine's Distributed Map, a whole-market
grouped-daily run over a universe of over 10,000 listed tickers, and the daily analysis of the 500 tickers
over one year of stored history.

The stack's market server serves a generated SYNTHETIC universe (movers/market/universe.py) of 11,000
tickers with a scaled quota (QUOTA calls per PERIOD s; the free tier is 5 per 60 s, which would make a
2,000-ticker run last 400 minutes), and the shared limiter is deployed with that same quota, so every figure
includes real rate limiting: the market server counts every call and every 429 and reports the most calls
that arrived within any one period. Each ingest run checks its stored winner and top-10 board against an
independent computation over the universe's own bars (the whole-market one with the deployed filters: OTC
out, close >= MIN_PRICE, volume >= MIN_VOLUME). Figures per run: provider calls, 429s, the peak calls per
period against the quota, wall time against the quota's floor, the parent execution's state transitions,
history events and largest state payload (UTF-8 bytes, what the 256 KB limit counts), the MapRun's child
executions and the largest child input (from the ResultWriter's files), and the run's footprint
(bench/footprint.py: DynamoDB write units, Parquet and raw bytes, Lambda invocations, peak Lambda memory).
The analysis figures: the year's load (the pipeline's own ItemStore.put_day, not part of the run), then the
daily-analysis machine over the 500 tickers: wall time, transitions, history events, the largest state,
Map iterations and its footprint. Run `python bench/fanout.py` (about 15 minutes); `make bench` runs it.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import tempfile
import time
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make the repo root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.footprint import Footprint
from bench.state_payload import LIMIT, largest_payload
from movers.local.stack import LocalStack
from stock_movers.adapters.storage import ItemStore, leaders_key, scope_winner_key
from stock_movers.adapters.workflows import Workflows
from stock_movers.domain.bars import DailyBar
from stock_movers.domain.calendar import last_n_sessions
from stock_movers.domain.inputs import MARKET_SCOPE, WATCHLIST_SCOPE
from stock_movers.domain.leaders import BOARD_DEFAULT
from stock_movers.usecases.pick import reduce_day, stored_board

QUOTA, PERIOD = 50, 1.0
UNIVERSE = 11_000
RUNS = (("2026-11-18", 500), ("2026-11-19", 2_000))
MARKET_DAY = "2026-11-20"
MIN_PRICE, MIN_VOLUME = Decimal(5), 100_000
ANALYSIS_SESSIONS = 252  # one year of sessions, the run's own day included
VARIABLES = {
    "max_tickers": 2_000,
    "distributed_map_threshold": 40,  # the default: both runs take the Distributed Map
    "distributed_batch_size": 25,
    "distributed_max_concurrency": 4,
    "map_max_concurrency": 10,
    "rate_limit_calls": QUOTA,
    "rate_limit_period_seconds": PERIOD,
    "rate_limit_allowance_seconds": 0.5,
    "market_min_price": int(MIN_PRICE),
    "market_min_volume": MIN_VOLUME,
}


def _pct(bar: Any) -> Fraction:
    return (Fraction(str(bar.close)) - Fraction(str(bar.open))) / Fraction(str(bar.open)) * 100


def _oracle(bars: list[Any]) -> dict[str, Any]:
    """The winner and top-10 boards of `bars` computed independently of the pipeline (exact fractions)."""
    moves = {b.ticker: _pct(b) for b in bars}
    tickers = sorted(moves)
    return {
        "winner": sorted(tickers, key=lambda t: (-abs(moves[t]), t))[0],
        "gainers": sorted((t for t in tickers if moves[t] > 0), key=lambda t: (-moves[t], t))[:10],
        "losers": sorted((t for t in tickers if moves[t] < 0), key=lambda t: (moves[t], t))[:10],
    }


def _stored(stack: LocalStack, day: str, scope: str) -> dict[str, Any]:
    ddb, table = stack.client("dynamodb"), stack.outputs["table_name"]
    winner = ddb.get_item(TableName=table, Key=scope_winner_key(day, scope)).get("Item", {})
    board = ddb.get_item(TableName=table, Key=leaders_key(day, scope)).get("Item", {})
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


def _execute(stack: LocalStack, machine: str, name: str, payload: dict[str, Any]) -> dict[str, Any]:
    """Starts `machine` and waits: its figures (status, wall, transitions, history, largest state) and its
    footprint."""
    workflows = Workflows(stack.client("stepfunctions"))
    footprint = Footprint(stack).start()
    started = time.monotonic()
    arn = workflows.start(stack.outputs[f"{machine}_state_machine_arn"], name, payload).execution_arn
    desc = workflows.wait(arn, timeout=3600.0, poll=0.5)
    wall = time.monotonic() - started
    history = workflows.history(arn)
    largest, where = largest_payload(history)
    return {
        "status": desc["status"],
        "wall_s": round(wall, 1),
        "transitions": sum(1 for e in history if "stateEnteredEventDetails" in e),
        "history_events": len(history),
        "largest_state_bytes": largest,
        "largest_state_at": where,
        "largest_vs_limit": round(largest / LIMIT, 4),
        **footprint.figures(),
        "_history": history,
    }


def _ingest(
    stack: LocalStack, day: str, name: str, payload: dict[str, Any], bars: list[Any]
) -> dict[str, Any]:
    """One ingest run: its figures, the market server's count of calls and 429s, and whether the stored
    winner and board equal the independent computation over `bars`."""
    assert stack.market is not None
    stack.market.reset()
    figures = _execute(stack, "ingest", name, payload)
    history = figures.pop("_history")
    stats = stack.market.stats()
    scope = payload.get("scope", WATCHLIST_SCOPE)
    return {
        "status": figures.pop("status"),
        "equals_oracle": _stored(stack, day, scope) == _oracle(bars),
        "provider_calls": stats["total"],
        "http_429": stats["rate_limited"],
        "peak_calls_per_period": stack.market.peak(PERIOD),
        "quota_per_period": QUOTA,
        **figures,
        **_children(stack, history),
    }


def _per_ticker(stack: LocalStack, day: str, tickers: list[str]) -> dict[str, Any]:
    universe: Any = stack.market.dataset if stack.market else None
    bars = [universe.bar(t, dt.date.fromisoformat(day)) for t in tickers]
    payload = {"date": day, "tickers": tickers}
    figures = _ingest(stack, day, f"fanout-{len(tickers)}-{day}", payload, bars)
    return {**figures, "rate_limit_floor_s": round(len(tickers) / QUOTA * PERIOD, 1)}


def _whole_market(stack: LocalStack, day: str) -> dict[str, Any]:
    universe: Any = stack.market.dataset if stack.market else None
    listed = [b for b in universe.bars_on(dt.date.fromisoformat(day)) if not universe.is_otc(b.ticker)]
    eligible = [b for b in listed if b.close >= MIN_PRICE and b.volume >= MIN_VOLUME]
    figures = _ingest(stack, day, f"fanout-market-{day}", {"date": day, "scope": MARKET_SCOPE}, eligible)
    return {"grouped_rows": len(listed), "eligible_tickers": len(eligible), **figures}


def _store_year(stack: LocalStack, tickers: list[str], last: dt.date) -> tuple[int, float]:
    """Stores each session of the year before `last` for `tickers` (the universe's bars, reduced and stored
    with the pipeline's own reduce_day, stored_board and ItemStore.put_day); (sessions, seconds)."""
    universe: Any = stack.market.dataset if stack.market else None
    items = ItemStore(stack.outputs["table_name"], stack.client("dynamodb"))
    started = time.monotonic()
    days = last_n_sessions(last, ANALYSIS_SESSIONS)[:-1]  # the run's own day is the 500-ticker run's
    for day in days:
        bars = [universe.bar(t, day) for t in tickers]
        rows = [
            DailyBar.from_dict({"ticker": b.ticker, "date": day.isoformat(), "open": b.open, "high": b.high,
                                "low": b.low, "close": b.close, "volume": b.volume})
            for b in bars if b is not None
        ]  # fmt: skip
        result = reduce_day(day, [r.ticker for r in rows], rows, provider="bench")
        board = stored_board(day, result["rows"], result["winner"], BOARD_DEFAULT)
        items.put_day(result["rows"], result["winner"], board=board, execution_arn="bench",
                      stored_at=day.isoformat(), force=True)  # fmt: skip
    return len(days), time.monotonic() - started


def _analysis(stack: LocalStack, day: str, tickers: list[str]) -> dict[str, Any]:
    sessions, load_s = _store_year(stack, tickers, dt.date.fromisoformat(day))
    figures = _execute(stack, "daily_analysis", f"fanout-analysis-{day}", {"date": day, "tickers": tickers})
    history = figures.pop("_history")
    item = ItemStore(stack.outputs["table_name"], stack.client("dynamodb")).analysis(day)
    return {
        "tickers": len(tickers),
        "sessions_stored": sessions + 1,
        "history_load_s": round(load_s, 1),
        "analysis_status": item["Status"]["S"] if item else None,
        "map_iterations": sum(1 for e in history if e["type"] == "MapIterationStarted"),
        **figures,
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
        # each ingest run's footprint is its own: the MoverStored rule would start an analysis of each
        # stored day meanwhile; the analysis is measured on its own, last
        stack.client("events").disable_rule(Name=f"{stack.outputs['name_prefix']}-mover-stored")
        figures: dict[str, Any] = {
            "universe": len(universe.tickers),
            **{f"var.{k}": v for k, v in VARIABLES.items()},
        }
        for day, size in RUNS:
            assert len(common) >= size, f"the universe holds {len(common)} listed tickers, not {size}"
            run_figures = _per_ticker(stack, day, common[:size])
            figures.update({f"per_ticker_{size}.{k}": v for k, v in run_figures.items()})
        figures.update({f"market.{k}": v for k, v in _whole_market(stack, MARKET_DAY).items()})
        day, size = RUNS[0]
        analysis = _analysis(stack, day, common[:size])
        figures.update({f"analysis_{size}_1y.{k}": v for k, v in analysis.items()})
        return figures
    finally:
        stack.stop()


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
