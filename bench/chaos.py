"""Chaos benchmark: the chaos suite (movers.chaos) with N >= 200 seeded runs on its own stack.

The figures are the tally's: runs, wrong winners, winners for failed runs, partial writes, transient faults
that failed a run, permanent faults that passed, stored values that differ from the oracle, and the peak
provider calls in any window against the plan's limit. CHAOS_BENCH_RUNS / CHAOS_BENCH_SEED override N and
the seed (N is at least 200 in `make bench`).
"""

from __future__ import annotations

import json
import os
import time
from typing import Any

from movers import chaos

RUNS = max(200, int(os.environ.get("CHAOS_BENCH_RUNS", "200")))
SEED = int(os.environ.get("CHAOS_BENCH_SEED", "1"))


def run() -> dict[str, Any]:
    stack = chaos.start_stack(prefix="movers-bench-chaos-")
    started = time.monotonic()
    try:
        config = chaos.Config(runs=RUNS, seed=SEED, deadline_s=RUNS * 60.0)
        tally = chaos.run_suite(stack, config)
    finally:
        stack.stop()
    return {
        "seed": SEED,
        "runs": tally.runs,
        "planned_runs": tally.planned,
        "wrong_winners": len(tally.wrong_winners),
        "winners_for_failed_runs": len(tally.failed_winners),
        "partial_writes": len(tally.partial_writes),
        "transient_faults_failed_a_run": len(tally.transient_failed),
        "permanent_faults_passed": len(tally.permanent_passed),
        "stored_values_differing": len(tally.wrong_values),
        "failed_runs_that_left_a_winner": len(tally.failed_runs_that_stored),
        "peak_calls_in_window": tally.peak,
        "window_s": tally.window,
        "limit": tally.limit,
        "ok": tally.ok,
        "wall_s": round(time.monotonic() - started, 1),
        "tally": tally.line(),
    }


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
