"""Backfill bookkeeping (pure): names, plan, batches and the summary (gap healing: test_healing.py)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stock_movers.domain.calendar import sessions_in_range
from stock_movers.domain.inputs import BackfillRequest
from stock_movers.execution_names import backfill_execution_name as execution_name
from stock_movers.execution_names import heal_execution_name as heal_name
from stock_movers.usecases.backfill import (
    backfill_input,
    batches,
    plan,
    summarize,
)

D = dt.date
WATCH = ("AAPL", "MSFT", "GOOGL", "AMZN", "TSLA", "NVDA")


def req(start: str, end: str, force: bool = False) -> BackfillRequest:
    return BackfillRequest(D.fromisoformat(start), D.fromisoformat(end), WATCH, force)


def test_given_equal_requests_then_equal_names_and_other_tickers_or_force_change_the_hash() -> None:
    a = execution_name(D(2025, 1, 1), D(2025, 12, 31))
    assert a == execution_name(D(2025, 1, 1), D(2025, 12, 31), None, False)
    assert (
        a.startswith("backfill-2025-01-01-2025-12-31-")
        and len(a) == len("backfill-2025-01-01-2025-12-31-") + 8
    )
    others = {
        execution_name(D(2025, 1, 1), D(2025, 12, 31), ["AAPL"]),
        execution_name(D(2025, 1, 1), D(2025, 12, 31), None, True),
        execution_name(D(2025, 1, 1), D(2025, 12, 31), ["AAPL"], True),
        execution_name(D(2025, 1, 1), D(2025, 12, 30)),
    }
    assert a not in others and len(others) == 4


def test_canonical_input_omits_unset_fields() -> None:
    assert backfill_input(D(2025, 1, 1), D(2025, 1, 31)) == {"from": "2025-01-01", "to": "2025-01-31"}
    assert backfill_input(D(2025, 1, 1), D(2025, 1, 31), ["AAPL"], True) == {
        "from": "2025-01-01", "to": "2025-01-31", "tickers": ["AAPL"], "force": True,
    }  # fmt: skip
    assert (
        heal_name(D(2025, 12, 1), D(2025, 11, 18), D(2025, 11, 25)) == "heal-2025-12-01-2025-11-18-2025-11-25"
    )


@given(st.lists(st.dates(), max_size=120), st.integers(1, 50))
def test_batches_keep_order_and_size(days: list[dt.date], size: int) -> None:
    out = batches(days, size)
    assert [d for chunk in out for d in chunk] == [d.isoformat() for d in days]
    assert all(1 <= len(chunk) <= size for chunk in out)


def test_batch_size_must_be_positive() -> None:
    with pytest.raises(ValueError):
        batches([], 0)


def test_plan_skips_stored_sessions_and_fetches_only_the_span_still_to_store() -> None:
    # Given January 2025 with its first and last sessions stored
    days = sessions_in_range(D(2025, 1, 1), D(2025, 1, 31))
    out = plan(req("2025-01-01", "2025-01-31"), {days[0], days[-1]}, batch_size=5)
    todo = days[1:-1]
    assert (out["sessions"], out["skipped"], out["todo"]) == (len(days), 2, len(todo))
    assert (out["fetchFrom"], out["fetchTo"]) == (todo[0].isoformat(), todo[-1].isoformat())
    assert [d for b in out["batches"] for d in b["sessions"]] == [d.isoformat() for d in todo]
    assert out["tickers"] == list(WATCH) and out["force"] is False


def test_plan_with_force_stores_everything_and_an_all_stored_span_has_nothing_to_do() -> None:
    days = sessions_in_range(D(2025, 1, 1), D(2025, 1, 31))
    forced = plan(req("2025-01-01", "2025-01-31", force=True), set(days))
    assert forced["todo"] == len(days) and forced["skipped"] == 0
    done = plan(req("2025-01-01", "2025-01-31"), set(days))
    assert (done["todo"], done["fetchFrom"], done["batches"]) == (0, "", [])
    weekend = plan(req("2025-01-04", "2025-01-05"), set())
    assert (weekend["sessions"], weekend["todo"]) == (0, 0)


def test_five_year_plan_stays_small() -> None:
    # the plan is the largest payload the backfill passes between states
    out = plan(req("2020-11-27", "2025-11-28"), set(), batch_size=40)
    assert out["sessions"] > 1250 and len(out["batches"]) == -(-out["sessions"] // 40)
    assert len(json.dumps(out)) < 32 * 1024  # AWS allows 256 KB


def test_summary_counts_store_day_answers_and_lists_every_failure_by_date() -> None:
    # Given two batches: refused sessions from Reduce Batch, and Store Day's answer for each other session
    planned = {"sessions": 10, "skipped": 3}
    lambda_cause = json.dumps({"errorType": "StoreRejected", "errorMessage": "parquet: bad row", "trace": []})
    results = [
        {
            "failed": [{"date": "2025-01-09", "error": "MissingTickers", "cause": "no bar for MSFT"}],
            "days": [{"status": "Stored"}, {"status": "Stored"}, {"status": "AlreadyStored"}],
        },
        {
            "failed": [],
            "days": [
                {"status": "Stored"},
                {"date": "2025-01-03", "error": "StoreRejected", "cause": lambda_cause},
                {"date": "2025-01-06", "error": "States.Timeout", "cause": "x" * 500},
            ],
        },
    ]
    # Then stored and skipped count the answers, and failures are named, sorted, with a short cause
    assert summarize(planned, results) == {
        "sessions": 10, "stored": 3, "skipped": 4,
        "failed": [
            {"date": "2025-01-03", "error": "StoreRejected", "cause": "parquet: bad row"},
            {"date": "2025-01-06", "error": "States.Timeout", "cause": "x" * 200},
            {"date": "2025-01-09", "error": "MissingTickers", "cause": "no bar for MSFT"},
        ],
    }  # fmt: skip
    assert summarize(planned, []) == {"sessions": 10, "stored": 0, "skipped": 3, "failed": []}
