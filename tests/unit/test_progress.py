"""Live progress from an execution history (movers.cli.progress): tickers fetched, sessions stored, waits."""

from __future__ import annotations

import datetime as dt
import io
import json
from typing import Any

from movers.cli.progress import describe, follow, snapshot

T0 = dt.datetime(2026, 11, 20, 21, 0, 0, tzinfo=dt.UTC)
PLAN = {"plan": {"sessions": 40, "skipped": 0, "tickers": ["A", "B", "C"],
                 "batches": [{"sessions": ["d"] * 20}, {"sessions": ["e"] * 20}]}}  # fmt: skip


class History:
    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

    def add(self, kind: str, **details: Any) -> History:
        self.events.append({"id": len(self.events) + 1, "previousEventId": len(self.events), "type": kind,
                            "timestamp": T0, **details})  # fmt: skip
        return self

    def entered(self, kind: str, name: str) -> History:
        return self.add(f"{kind}StateEntered", stateEnteredEventDetails={"name": name})

    def iteration(self, name: str, index: int) -> History:
        return self.add(
            "MapIterationSucceeded", mapIterationSucceededEventDetails={"name": name, "index": index}
        )


def backfill_until(step: int) -> list[dict[str, Any]]:
    """A backfill's history after `step` steps: plan, fetch Map of 3, rate-limit waits, fetches, stores."""
    h = History().entered("Task", "Plan Backfill")
    h.add("TaskStateExited", stateExitedEventDetails={"name": "Plan Backfill", "output": json.dumps(PLAN)})
    h.entered("Map", "Fetch Ranges").add("MapStateStarted", mapStateStartedEventDetails={"length": 3})
    steps = [
        lambda: h.iteration("Fetch Ranges", 0),
        lambda: h.add("TaskFailed", taskFailedEventDetails={"error": "RateLimited", "cause": "429"}),
        lambda: h.entered("Wait", "Wait For Range Slot"),
        lambda: h.iteration("Fetch Ranges", 1),
        lambda: h.iteration("Fetch Ranges", 2),
        lambda: (
            h.add("MapStateSucceeded")
            .entered("Map", "Store Sessions")
            .add("MapStateStarted", mapStateStartedEventDetails={"length": 2})
        ),
        lambda: (  # a batch: its inner Store Days Map stores each day, then the batch's iteration ends
            h.entered("Map", "Store Days")
            .add("MapStateStarted", mapStateStartedEventDetails={"length": 20})
            .iteration("Store Days", 0)
            .add("MapStateSucceeded")
            .iteration("Store Sessions", 1)
        ),
    ]
    for s in steps[:step]:
        s()
    return h.events


def test_fetch_progress_advances_per_ticker_before_any_session_is_stored() -> None:
    lines = [describe(snapshot(backfill_until(n))) for n in range(8)]
    assert lines[0] == "Fetch Ranges: 0/3 tickers fetched | 0/40 sessions stored"
    assert lines[1].startswith("Fetch Ranges: 1/3 tickers fetched | 0/40 sessions stored")
    assert lines[5].startswith("Fetch Ranges: 3/3 tickers fetched | 0/40 sessions stored")
    assert lines[7].startswith("Fetch Ranges: 3/3 tickers fetched | 20/40 sessions stored")
    assert "Store Days" not in lines[7]  # the inner Map's days count as sessions stored, not a Map of its own


def test_rate_limit_waits_are_visible_whichever_way_the_fetch_waits() -> None:
    # a RateLimited failure (retried) and a Wait state entered both count, and show as waiting until progress
    assert "rate-limit waits: 1 (waiting for the rate limit)" in describe(snapshot(backfill_until(2)))
    assert "rate-limit waits: 2 (waiting for the rate limit)" in describe(snapshot(backfill_until(3)))
    after = describe(snapshot(backfill_until(4)))
    assert "rate-limit waits: 2" in after and "(waiting" not in after
    # a fetch running long (the limiter waiting inside the function) shows as waiting too
    assert "(waiting for the rate limit)" in describe(snapshot(backfill_until(1)), in_flight_for=12.0)
    # but not a store running long
    assert "(waiting" not in describe(snapshot(backfill_until(6)), in_flight_for=12.0)


def test_follow_prints_each_change_and_returns_the_final_status() -> None:
    histories = [backfill_until(n) for n in (0, 1, 1, 4, 7)]
    statuses = ["RUNNING"] * 4 + ["SUCCEEDED"]
    out = io.StringIO()
    desc = follow(
        lambda: {"name": "bf", "status": statuses.pop(0)}, lambda: histories.pop(0), out, sleep=lambda s: None
    )
    assert desc["status"] == "SUCCEEDED"
    lines = out.getvalue().splitlines()
    assert [line.split(" | ")[0].strip() for line in lines] == [
        "Fetch Ranges: 0/3 tickers fetched", "Fetch Ranges: 1/3 tickers fetched",
        "Fetch Ranges: 2/3 tickers fetched", "Fetch Ranges: 3/3 tickers fetched",
    ]  # fmt: skip


def test_a_daily_run_shows_its_fetch_map() -> None:
    h = History().entered("Task", "Validate Input").entered("Map", "Fetch Watchlist")
    h.add("MapStateStarted", mapStateStartedEventDetails={"length": 6}).iteration("Fetch Watchlist", 0)
    assert describe(snapshot(h.events)) == "Fetch Watchlist: 1/6 tickers fetched"
