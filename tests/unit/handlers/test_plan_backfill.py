"""plan_backfill: the plan of a span (sessions, what is stored, batches) and the execution's summary."""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any

import pytest

from stock_movers.domain.errors import InvalidInput


def test_a_span_is_planned_in_batches(
    aws: Any, load_handler: Callable[..., ModuleType], lambda_context: object
) -> None:
    # Given an empty table, When the first week of 2026 is planned
    app = load_handler("plan_backfill")
    out = app.handler({"step": "plan", "input": {"from": "2026-01-05", "to": "2026-01-09"}}, lambda_context)
    # Then its five sessions are to do, with the watchlist, in one batch
    assert (out["sessions"], out["todo"], out["skipped"]) == (5, 5, 0)
    assert out["tickers"] == ["AAPL", "MSFT", "NVDA"] and out["fetchFrom"] == "2026-01-05"
    assert [len(b["sessions"]) for b in out["batches"]] == [5]


def test_the_summary_adds_up_the_batches(
    aws: Any, load_handler: Callable[..., ModuleType], lambda_context: object
) -> None:
    app = load_handler("plan_backfill")
    # Given two batches: what Store Day answered for each reduced day, and a day Reduce Batch refused
    plan = {"sessions": 5, "skipped": 1}
    results = [
        {"days": [{"date": "2026-01-05", "status": "Stored"}, {"date": "2026-01-06", "status": "Stored"}],
         "failed": []},
        {"days": [{"date": "2026-01-07", "status": "AlreadyStored"}],
         "failed": [{"date": "2026-01-08", "error": "MissingTickers", "cause": "MSFT"}]},
    ]  # fmt: skip
    out = app.handler({"step": "summarize", "plan": plan, "results": results}, lambda_context)
    refused = {"date": "2026-01-08", "error": "MissingTickers", "cause": "MSFT"}
    assert out == {"sessions": 5, "stored": 2, "skipped": 2, "failed": [refused]}


def test_a_bad_span_names_the_field(
    aws: Any, load_handler: Callable[..., ModuleType], lambda_context: object
) -> None:
    app = load_handler("plan_backfill")
    with pytest.raises(InvalidInput) as raised:
        app.handler({"step": "plan", "input": {"from": "2026-01-09", "to": "2026-01-05"}}, lambda_context)
    assert raised.value.field in ("from", "to")
