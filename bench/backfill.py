"""Benchmark: wall time of a one-year backfill of the default watchlist against the rate-limit floor.

The backfill needs one provider call per ticker (6). Its floor is when the shared DynamoDB token bucket
(capacity `calls`, refill `calls/period` per second, keeping `allowance x rate` in reserve; see
stock_movers.adapters.ratelimiter) first lets the 6th call go, and never earlier than the provider's own
bucket allows it: with Massive's 5 per 60 s and a 0.5 s allowance, four calls go at once, the fifth after
0.5 s, the sixth 12 s after that: 12.5 s (13 s with the 1 s allowance this benchmark deploys: a cold
first call on a busy 2-core machine can reach the provider more than 0.5 s after taking its token).

Storing ~250 sessions cannot start before the last ticker's bars arrive, so the figure that says whether
the backfill wastes time is the wall time against floor + its own store time. The store time is measured
by a forced re-run of the same span right after (the range fetches are idempotent: 0 provider calls, the
same 250 stores). Both ratios are printed.

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

CALLS = 5
TICKERS = 6
ALLOWANCE = 1.0  # the token bucket's send-latency allowance: a cold first call on a busy machine needs it
SPAN = ("2024-12-02", "2025-11-28")
WARM_UP = ("2024-11-04", "2024-11-08")


def floor_seconds(needed: int, calls: int, period: float, allowance: float = ALLOWANCE) -> float:
    """When the `needed`-th call may go at the earliest, both buckets starting full (see the docstring)."""
    rate = calls / period
    reserve = min(allowance * rate, calls - 1.0)
    tokens, now = float(calls), 0.0
    for _ in range(needed):
        if tokens < 1.0 + reserve:  # wait for the refill our bucket requires
            now += (1.0 + reserve - tokens) / rate
            tokens = 1.0 + reserve
        tokens -= 1.0
    provider = max(0, needed - calls) * period / calls
    return max(now, provider)


def _backfill(stack: LocalStack, name: str, payload: dict[str, Any]) -> dict[str, Any]:
    sfn = stack.client("stepfunctions")
    before = stack.market.stats()
    started = time.monotonic()
    arn = sfn.start_execution(
        stateMachineArn=stack.outputs["backfill_state_machine_arn"], name=name, input=json.dumps(payload)
    )["executionArn"]
    while (desc := sfn.describe_execution(executionArn=arn))["status"] == "RUNNING":
        time.sleep(0.05)
    wall = time.monotonic() - started
    after = stack.market.stats()
    summary = json.loads(desc.get("output") or "{}")
    return {
        "status": desc["status"],
        "wall_s": round(wall, 2),
        "provider_calls": after["total"] - before["total"],
        "provider_429s": after["rate_limited"] - before["rate_limited"],
        "stored": summary.get("stored"),
    }


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
        store_only = _backfill(stack, "bench-year-forced", {"from": SPAN[0], "to": SPAN[1], "force": True})
        floor = round(floor_seconds(TICKERS, CALLS, period), 2)
        figures: dict[str, Any] = {f"backfill_year_{k}": v for k, v in year.items()}
        figures.update({f"backfill_year_store_only_{k}": v for k, v in store_only.items()})
        figures["backfill_warm_up_wall_s"] = warm["wall_s"]
        figures["backfill_rate_limit"] = f"{CALLS}/{period:g}s"
        figures["backfill_floor_s"] = floor
        figures["backfill_wall_vs_floor"] = round(year["wall_s"] / floor, 3) if floor else None
        figures["backfill_wall_vs_floor_plus_store"] = round(
            year["wall_s"] / (floor + store_only["wall_s"]), 3
        )
        return figures
    finally:
        stack.stop()


if __name__ == "__main__":
    print(json.dumps(run(float(sys.argv[1]) if len(sys.argv) > 1 else 60.0), indent=2))
