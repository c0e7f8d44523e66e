"""Benchmark of one daily ingest run on the local stack, both fetch strategies, against the rate-limit floor.

The market server enforces 5 calls per 120 s (Massive's free tier shape, in a window long enough that the
~1 s of Lambda invokes around the fetch does not dominate). The floor of a run that needs n calls is when
the shared limiter (a sliding window of 5 per 120 s, widened by the 0.5 s allowance) first allows the n-th
call: ((n - 1) // 5) x 120.5 s. A run that needs no waiting (the snapshot strategy: 1 call) gives the
pipeline's own overhead, so the per-ticker run is also compared with floor + that baseline, side by side.

`run() -> dict` returns the figures; the stack it starts also serves the API benchmark (bench/api.py).
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path
from typing import Any

from movers.local.stack import LocalStack
from stock_movers.adapters.workflows import Workflows

CALLS, PERIOD = 5, 120.0
TICKERS = 6


ALLOWANCE = 0.5  # the stack's default rate_limit_allowance_seconds


def floor_seconds(
    calls_needed: int, capacity: int = CALLS, period: float = PERIOD, allowance: float = ALLOWANCE
) -> float:
    """Earliest time the last of `calls_needed` calls may go: `capacity` per `period + allowance`."""
    return max(0, calls_needed - 1) // capacity * (period + allowance)


def _run(stack: LocalStack, name: str, payload: dict[str, Any]) -> dict[str, Any]:
    workflows = Workflows(stack.client("stepfunctions"))
    before = stack.market.stats()
    started = time.monotonic()
    arn = workflows.start(stack.outputs["ingest_state_machine_arn"], name, payload).execution_arn
    desc = workflows.wait(arn, poll=0.05)
    wall = time.monotonic() - started
    events = workflows.history(arn)
    after = stack.market.stats()
    return {
        "status": desc["status"],
        "wall_s": round(wall, 2),
        "provider_calls": after["total"] - before["total"],
        "provider_429s": after["rate_limited"] - before["rate_limited"],
        "state_transitions": sum(1 for e in events if e["type"].endswith("StateEntered")),
    }


def set_strategy(stack: LocalStack, strategy: str) -> None:
    """Release validate_input with FETCH_STRATEGY=`strategy` to its `live` alias (what the ingest machine
    invokes, as `terraform apply` would): a change to $LATEST alone reaches no run."""
    lam = stack.client("lambda")
    name = stack.outputs["function_names"]["validate_input"]
    env = lam.get_function_configuration(FunctionName=name)["Environment"]["Variables"]
    variables = {**env, "FETCH_STRATEGY": strategy}
    stack.release_function(name, Environment={"Variables": variables})


def run(stack: LocalStack | None = None) -> dict[str, Any]:
    own = stack is None
    if stack is None:
        work = Path(tempfile.mkdtemp(prefix="movers-bench-"))
        stack = LocalStack(work_dir=work, market_rate_limit=(CALLS, PERIOD))
        stack.start()
    try:
        figures: dict[str, Any] = {f"stack_{k}": round(v, 2) for k, v in stack.timings.items()}
        set_strategy(stack, "snapshot")
        _run(stack, "bench-warm-up", {"date": "2026-11-18"})  # cold workers would inflate the baseline
        snap = _run(stack, "bench-snapshot", {"date": "2026-11-19"})
        time.sleep(2 * PERIOD / CALLS + 1)  # two snapshot calls spent two tokens: let both buckets refill
        set_strategy(stack, "per_ticker")
        per = _run(stack, "bench-per-ticker", {"date": "2026-11-20"})
        floor = floor_seconds(TICKERS)
        figures.update({f"ingest_per_ticker_{k}": v for k, v in per.items()})
        figures.update({f"ingest_snapshot_{k}": v for k, v in snap.items()})
        figures["ingest_floor_s"] = floor
        figures["ingest_per_ticker_wall_vs_floor"] = round(per["wall_s"] / floor, 3)
        baseline = floor + snap["wall_s"]
        figures["ingest_per_ticker_wall_vs_floor_plus_baseline"] = round(per["wall_s"] / baseline, 3)
        figures["ingest_snapshot_calls_vs_per_ticker"] = f"{snap['provider_calls']}/{per['provider_calls']}"
        return figures
    finally:
        if own:
            stack.stop()


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
