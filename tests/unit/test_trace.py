"""movers trace: an execution history rendered as states with durations, folded Map iterations and retries."""

from __future__ import annotations

import datetime as dt
from typing import Any

from movers.cli.trace import fold, render
from stock_movers.execution_names import daily_execution_name

T0 = dt.datetime(2026, 11, 20, 21, 0, 0, tzinfo=dt.UTC)


def at(seconds: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=seconds)


class History:
    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

    def add(self, kind: str, t: float, prev: int, **details: Any) -> int:
        eid = len(self.events) + 1
        self.events.append({"id": eid, "previousEventId": prev, "type": kind, "timestamp": at(t), **details})
        return eid

    def state(self, kind: str, name: str, t: float, prev: int) -> int:
        return self.add(f"{kind}StateEntered", t, prev, stateEnteredEventDetails={"name": name})


def sample() -> list[dict[str, Any]]:
    h = History()
    e = h.add("ExecutionStarted", 0, 0)
    e = h.state("Task", "Validate Input", 0.1, e)
    e = h.add("TaskStateExited", 0.4, e, stateExitedEventDetails={"name": "Validate Input"})
    e = h.state("Map", "Fetch Watchlist", 0.5, e)
    m = h.add("MapStateStarted", 0.5, e)
    last = m
    for i in range(3):
        s = h.state("Task", "Fetch Bars", 0.6 + i * 0.1, m)
        if i == 1:
            s = h.add("TaskFailed", 0.8, s, taskFailedEventDetails={"error": "RateLimited", "cause": "x"})
        last = h.add("TaskStateExited", 1.0 + i, s, stateExitedEventDetails={"name": "Fetch Bars"})
    # as in moto's and AWS's histories, the Map's end follows its last iteration's last event
    e = h.add("MapStateSucceeded", 3.5, last)
    e = h.add("MapStateExited", 3.5, e, stateExitedEventDetails={"name": "Fetch Watchlist"})
    e = h.state("Fail", "Run Failed", 3.6, e)
    h.add("ExecutionFailed", 3.6, e, executionFailedEventDetails={"error": "MissingTickers", "cause": "NVDA"})
    return h.events


def test_map_iterations_fold_into_one_line_with_count_longest_and_retries() -> None:
    lines = {line.name: line for line in fold(sample())}
    bars = lines["Fetch Bars"]
    assert bars.runs == 3 and bars.depth == 1
    assert abs(bars.longest - 2.2) < 1e-9 and abs(bars.total - 3.9) < 1e-9
    assert bars.errors == {"RateLimited": 1}
    assert lines["Validate Input"].runs == 1 and abs(lines["Validate Input"].total - 0.3) < 1e-9
    assert lines["Fetch Watchlist"].depth == 0 and abs(lines["Fetch Watchlist"].total - 3.0) < 1e-9


def test_render_shows_states_in_order_and_the_failure() -> None:
    execution = {"name": daily_execution_name("2026-11-20"), "status": "FAILED", "startDate": T0,
                 "stopDate": at(3.6), "error": "MissingTickers", "cause": "NVDA"}  # fmt: skip
    text = render(execution, sample())
    lines = text.splitlines()
    assert lines[0].startswith(
        f"{daily_execution_name('2026-11-20')}  FAILED  started 2026-11-20 21:00:00Z  duration 3.60s"
    )
    assert [i for i, line in enumerate(lines) if "Validate Input" in line] < [
        i for i, line in enumerate(lines) if "Fetch Watchlist" in line
    ]
    assert any("└ Fetch Bars" in line and "x3" in line and "errors: RateLimited x1" in line for line in lines)
    assert lines[-1] == "FAILED: MissingTickers: NVDA"


def test_a_distributed_map_run_is_one_line_with_its_child_executions() -> None:
    # Given a history whose Distributed Map started a MapRun, and that MapRun as DescribeMapRun answers it
    from movers.cli.trace import map_run_arns

    arn = "arn:aws:states:us-east-1:123456789012:mapRun:stock-movers-dev-ingest/FetchBatches:0f3c"
    h = History()
    e = h.add("ExecutionStarted", 0, 0)
    e = h.state("Map", "Fetch Watchlist Distributed", 0.1, e)
    e = h.add("MapRunStarted", 0.2, e, mapRunStartedEventDetails={"mapRunArn": arn})
    e = h.add("MapRunSucceeded", 3.0, e)
    h.add("MapStateExited", 3.1, e, stateExitedEventDetails={"name": "Fetch Watchlist Distributed"})
    run = {
        "mapRunArn": arn,
        "status": "SUCCEEDED",
        "maxConcurrency": 4,
        "executionCounts": {"total": 50, "succeeded": 49, "failed": 1},
        "itemCounts": {"total": 500},
    }
    name = daily_execution_name("2026-11-20")
    execution = {"name": name, "status": "SUCCEEDED", "startDate": at(0), "stopDate": at(4)}
    # When the trace is rendered with it
    assert map_run_arns(h.events) == [arn]
    text = render(execution, h.events, map_runs=[run])
    # Then one line names the MapRun's label, its child executions by outcome and its items
    assert (
        "  map run FetchBatches SUCCEEDED: 50 child executions (49 succeeded, 1 failed), 500 items,"
        " max concurrency 4"
    ) in text.splitlines()
