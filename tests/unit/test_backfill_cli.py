"""`movers backfill` pure pieces: the request it builds, progress from a history, the bar, the outcome."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from movers.cli.backfill import bar, describe_outcome, progress, request
from movers.cli.common import CliError


def test_request_is_the_documented_input_with_a_deterministic_name() -> None:
    name, payload = request("2025-01-01", "2025-12-31", None, False)
    assert payload == {"from": "2025-01-01", "to": "2025-12-31"}
    assert name == request("2025-01-01", "2025-12-31", None, False)[0]
    assert name != request("2025-01-01", "2025-12-31", None, True)[0]


@pytest.mark.parametrize(
    ("start", "end", "tickers", "message"),
    [
        ("2025-02-01", "2025-01-01", None, "--from 2025-02-01 is after --to 2025-01-01"),
        ("2025-1-01", "2025-01-31", None, "--from: must be YYYY-MM-DD"),
        ("2025-01-01", "2025-02-30", None, "--to: is not a real calendar date"),
        ("2025-01-01", "2025-01-31", ["aapl"], "--tickers: must be an uppercase symbol"),
    ],
)
def test_bad_arguments_are_one_line_cli_errors(start: str, end: str, tickers: Any, message: str) -> None:
    with pytest.raises(CliError) as exc:
        request(start, end, tickers, False)
    assert str(exc.value).startswith(message) and "\n" not in str(exc.value)


def ev(kind: str, **details: Any) -> dict[str, Any]:
    key = {
        "TaskStateExited": "stateExitedEventDetails",
        "MapIterationSucceeded": "mapIterationSucceededEventDetails",
    }
    return {"type": kind, "timestamp": dt.datetime(2025, 1, 1, tzinfo=dt.UTC), key.get(kind, "x"): details}


PLAN = {"plan": {"sessions": 12, "skipped": 2, "batches": [{"sessions": ["a"] * 4}, {"sessions": ["b"] * 4},
                                                           {"sessions": ["c"] * 2}]}}  # fmt: skip


def test_progress_counts_skipped_plus_finished_batches() -> None:
    assert progress([]) == (0, 0)
    planned = [ev("TaskStateExited", name="Plan Backfill", output=json.dumps(PLAN))]
    assert progress(planned) == (2, 12)
    done = [
        *planned,
        ev("MapIterationSucceeded", name="Fetch Ranges", index=0),  # another Map: ignored
        ev("MapIterationSucceeded", name="Store Sessions", index=2),
        ev("MapIterationSucceeded", name="Store Sessions", index=0),
    ]
    assert progress(done) == (8, 12)


def test_bar_fills_in_proportion() -> None:
    assert bar(0, 0, width=10) == "[..........]     0/0 sessions"
    assert bar(5, 10, width=10) == "[#####.....]     5/10 sessions"
    assert bar(250, 250, width=10) == "[##########]   250/250 sessions"


def test_outcome_lines() -> None:
    failures = [{"date": "2025-01-03", "error": "MissingTickers"}]
    summary = {"sessions": 3, "stored": 1, "skipped": 1, "failed": failures}
    ok = {"name": "bf", "status": "SUCCEEDED", "output": json.dumps(summary)}
    assert (
        describe_outcome(ok) == "bf: 3 sessions, 1 stored, 1 skipped, 1 failed\n  2025-01-03: MissingTickers"
    )
    failed = {"name": "bf", "status": "FAILED", "error": "InvalidInput", "cause": "to: span too long\nmore"}
    assert describe_outcome(failed) == "bf: FAILED: InvalidInput: to: span too long"
