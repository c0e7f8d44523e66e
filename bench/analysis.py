"""Benchmark of the daily-analysis run on the local stack with 1 and with 5 years of stored history.

The analysis reads a bounded slice of the history whatever its length (per ticker the last 21 stored
sessions, and the winners of the last 90 sessions: one DynamoDB Query each), so its wall time and state
transitions should not grow with the history. This measures that: the same day is analysed after one year
is stored, and again after five years are, ``RUNS`` times each (median wall time reported).

History is stored by the backfill machine (one range call per ticker) when the stack has it, otherwise
written with the pipeline's own ItemStore from the bundled dataset. ``run() -> dict`` starts its own stack.
"""

from __future__ import annotations

import datetime as dt
import json
import statistics
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

from movers.local.stack import LocalStack
from stock_movers.adapters.storage import ItemStore
from stock_movers.adapters.workflows import Workflows

DAY = "2025-11-28"
ONE_YEAR = ("2024-12-02", DAY)
FIVE_YEARS = ("2020-11-27", DAY)
RUNS = 3


def _execute(stack: LocalStack, machine: str, name: str, payload: dict[str, Any]) -> dict[str, Any]:
    workflows = Workflows(stack.client("stepfunctions"))
    started = time.monotonic()
    arn = workflows.start(stack.outputs[f"{machine}_state_machine_arn"], name, payload).execution_arn
    desc = workflows.wait(arn, timeout=3600.0, poll=0.05)
    wall = time.monotonic() - started
    if desc["status"] != "SUCCEEDED":
        raise RuntimeError(
            f"{machine} {name} ended {desc['status']}: {desc.get('error')} {desc.get('cause')}"
        )
    events = workflows.history(arn)
    # seconds per top-level state (entered -> exited), to see which part grows if the wall time does
    states: dict[str, float] = {}
    entered: dict[str, Any] = {}
    for e in events:
        if e["type"] in ("TaskStateEntered", "MapStateEntered"):
            entered[e["stateEnteredEventDetails"]["name"]] = e["timestamp"]
        elif e["type"] in ("TaskStateExited", "MapStateExited"):
            name = e["stateExitedEventDetails"]["name"]
            if name in entered:
                states[name] = (e["timestamp"] - entered[name]).total_seconds()
    return {
        "wall_s": wall,
        "transitions": sum(1 for e in events if e["type"].endswith("StateEntered")),
        "events": len(events),
        "states": states,
    }


def _store_history(stack: LocalStack, span: tuple[str, str]) -> float:
    """Stores every session of `span`; returns the seconds it took."""
    started = time.monotonic()
    if "backfill_state_machine_arn" in stack.outputs:
        _execute(stack, "backfill", f"bench-history-{span[0]}", {"from": span[0], "to": span[1]})
        return time.monotonic() - started
    from movers import oracle
    from stock_movers.domain.bars import DailyBar
    from stock_movers.domain.leaders import BOARD_DEFAULT
    from stock_movers.usecases.pick import reduce_day, stored_board

    items = ItemStore(stack.outputs["table_name"], stack.client("dynamodb"))
    for day in oracle.sessions():
        if span[0] <= day <= span[1]:
            bars = [
                DailyBar.from_dict({**oracle.rows()[(t, day)], "ticker": t, "date": day})
                for t in oracle.DEFAULT
            ]
            result = reduce_day(dt.date.fromisoformat(day), oracle.DEFAULT, bars, provider="bench")
            board = stored_board(dt.date.fromisoformat(day), result["rows"], result["winner"], BOARD_DEFAULT)
            items.put_day(result["rows"], result["winner"], board=board, execution_arn="bench",
                          stored_at=day, force=True)  # fmt: skip
    return time.monotonic() - started


def _measure(stack: LocalStack, label: str) -> dict[str, Any]:
    # force: every run analyses (without it the day's claim ends runs 2 and 3 as AlreadyAnalysed)
    payload = {"date": DAY, "force": True}
    runs = [_execute(stack, "daily_analysis", f"bench-{label}-{i}", payload) for i in range(RUNS)]
    return {
        f"{label}_wall_s_median": round(statistics.median(r["wall_s"] for r in runs), 3),
        f"{label}_wall_s_min": round(min(r["wall_s"] for r in runs), 3),
        f"{label}_state_transitions": runs[0]["transitions"],
        f"{label}_history_events": runs[0]["events"],
        **{
            f"{label}_state_s.{name}": round(statistics.median(r["states"].get(name, 0.0) for r in runs), 3)
            for name in runs[0]["states"]
        },
    }


def run(stack: LocalStack | None = None) -> dict[str, Any]:
    """Figures: wall time and transitions of one analysis with 1 and 5 years of history, and their ratio."""
    own = stack is None
    if stack is None:
        # a generous market limit: the benchmark is the analysis, not the history's provider calls
        stack = LocalStack(
            work_dir=Path(tempfile.mkdtemp(prefix="movers-bench-analysis-")), market_rate_limit=(50, 1.0)
        )
        stack.start()
    try:
        figures: dict[str, Any] = {"day": DAY, "runs_each": RUNS}
        figures["store_1y_s"] = round(_store_history(stack, ONE_YEAR), 2)
        figures |= _measure(stack, "history_1y")
        figures["store_5y_s"] = round(_store_history(stack, FIVE_YEARS), 2)
        figures |= _measure(stack, "history_5y")
        figures["wall_ratio_5y_vs_1y"] = round(
            figures["history_5y_wall_s_median"] / figures["history_1y_wall_s_median"], 2
        )
        item = ItemStore(stack.outputs["table_name"], stack.client("dynamodb")).analysis(DAY)
        assert item is not None, f"no analysis stored for {DAY}"
        figures["status_5y"] = item["Status"]["S"]
        figures["dispersion_std_5y"] = float(Decimal(item["Dispersion"]["M"]["StdDev"]["N"]))
        return figures
    finally:
        if own:
            stack.stop()


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
