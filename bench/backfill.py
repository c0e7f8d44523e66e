"""Benchmark: wall time of a one-year backfill of the default watchlist against the rate-limit floor.

The backfill needs one provider call per ticker (6). Its floor is when the shared DynamoDB sliding-window
log (`calls` per `period + allowance`; see stock_movers.adapters.ratelimiter) first lets the 6th call go:
with 5 per `period`, five calls go at once and the sixth one widened window later (the 1 s allowance this
benchmark deploys covers a cold first call on a busy 2-core machine reaching the provider late).

Storing ~250 sessions cannot start before the last ticker's bars arrive, so the figure that says whether
the backfill wastes time is the wall time against floor + its own store time. The store time is the
duration of the run's own "Store Sessions" Map state, read from its execution history. Both ratios are
printed.

`run(period=300.0) -> dict` starts its own local stack (market server at 5 calls per `period` seconds):
a window long enough that storing the year (~8 s here) does not dominate the 60 s floor.
Run `python bench/backfill.py [period]` to print the figures as JSON.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make the repo root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from movers.local.stack import LocalStack
from stock_movers.adapters.workflows import Workflows

CALLS = 5
TICKERS = 6
ALLOWANCE = 1.0  # the limiter's send-latency allowance: a cold first call on a busy machine needs it
SPAN = ("2024-12-02", "2025-11-28")
WARM_UP = ("2024-11-04", "2024-11-08")


def floor_seconds(needed: int, calls: int, period: float, allowance: float = ALLOWANCE) -> float:
    """When the `needed`-th call may go at the earliest, the log starting empty (see the docstring)."""
    return max(0, needed - 1) // calls * (period + allowance)


def _backfill(stack: LocalStack, name: str, payload: dict[str, Any]) -> dict[str, Any]:
    workflows = Workflows(stack.client("stepfunctions"))
    before = stack.market.stats()
    started = time.monotonic()
    arn = workflows.start(stack.outputs["backfill_state_machine_arn"], name, payload).execution_arn
    desc = workflows.wait(arn, timeout=3600.0, poll=0.05)
    wall = time.monotonic() - started
    after = stack.market.stats()
    summary = json.loads(desc.get("output") or "{}")
    return {
        "store_s": _state_seconds(workflows.history(arn), "Store Sessions"),
        "status": desc["status"],
        "wall_s": round(wall, 2),
        "provider_calls": after["total"] - before["total"],
        "provider_429s": after["rate_limited"] - before["rate_limited"],
        "stored": summary.get("stored"),
    }


def _state_seconds(events: list[dict[str, Any]], state: str) -> float | None:
    """Seconds between a top-level state's entry and exit in the execution history."""
    entered = [e["timestamp"] for e in events if e.get("stateEnteredEventDetails", {}).get("name") == state]
    exited = [e["timestamp"] for e in events if e.get("stateExitedEventDetails", {}).get("name") == state]
    if not entered or not exited:
        return None
    return round((exited[-1] - entered[0]).total_seconds(), 2)


def run(period: float = 300.0) -> dict[str, Any]:
    stack = LocalStack(
        work_dir=Path(tempfile.mkdtemp(prefix="movers-bench-backfill-")),
        market_rate_limit=(CALLS, period),
        variables={"rate_limit_allowance_seconds": ALLOWANCE},
    )
    stack.start()
    try:
        # Warm every function first (a one-week backfill of other dates), then let both buckets refill
        # completely, so the measured run starts from full buckets and pays no cold start the floor lacks.
        warm = _backfill(stack, "bench-warm-up", {"from": WARM_UP[0], "to": WARM_UP[1]})
        time.sleep(period + 1.0)
        year = _backfill(stack, "bench-year", {"from": SPAN[0], "to": SPAN[1]})
        floor = round(floor_seconds(TICKERS, CALLS, period), 2)
        figures: dict[str, Any] = {f"backfill_year_{k}": v for k, v in year.items()}
        figures["backfill_warm_up_wall_s"] = warm["wall_s"]
        figures["backfill_rate_limit"] = f"{CALLS}/{period:g}s"
        figures["backfill_floor_s"] = floor
        figures["backfill_wall_vs_floor"] = round(year["wall_s"] / floor, 3) if floor else None
        figures["backfill_wall_vs_floor_plus_store"] = round(
            year["wall_s"] / (floor + (year["store_s"] or 0.0)), 3
        )
        return figures
    finally:
        stack.stop()


if __name__ == "__main__":
    print(json.dumps(run(float(sys.argv[1]) if len(sys.argv) > 1 else 60.0), indent=2))
