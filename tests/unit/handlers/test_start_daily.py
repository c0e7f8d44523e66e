"""start_daily: starts `daily-<date>` on the ingest machine once; a repeat attaches to it. The whole-market
schedule's input (scope market) starts `daily-market-<date>`; a bad scope starts nothing."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from types import ModuleType
from typing import Any

import boto3
import pytest

from stock_movers.domain.calendar import NEW_YORK
from stock_movers.domain.errors import InvalidInput
from stock_movers.execution_names import daily_execution_name
from tests.unit.handlers.conftest import deployed_env, state_machine


def test_the_day_is_started_once(
    aws: Any, load_handler: Callable[..., ModuleType], lambda_context: object
) -> None:
    # Given the ingest machine
    arn = state_machine("movers-ingest")
    app = load_handler("start_daily", env={**deployed_env("start_daily"), "STATE_MACHINE_ARN": arn})
    # When the day is started twice
    first = app.handler({"date": "2026-01-05"}, lambda_context)
    again = app.handler({"date": "2026-01-05"}, lambda_context)
    # Then one execution (daily_execution_name) runs; the repeat (same name and input while it runs:
    # StartExecution is idempotent) answers that same execution
    assert first["name"] == daily_execution_name("2026-01-05") and first["status"] == "Started"
    assert again["executionArn"] == first["executionArn"]
    sfn = boto3.client("stepfunctions", region_name="us-east-1")
    assert [e["name"] for e in sfn.list_executions(stateMachineArn=arn)["executions"]] == [
        daily_execution_name("2026-01-05")
    ]


def test_after_an_aborted_attempt_the_next_one_starts(
    aws: Any, load_handler: Callable[..., ModuleType], lambda_context: object
) -> None:
    # Given the day's first attempt was aborted
    arn = state_machine("movers-ingest")
    app = load_handler("start_daily", env={**deployed_env("start_daily"), "STATE_MACHINE_ARN": arn})
    first = app.handler({"date": "2026-01-05"}, lambda_context)
    boto3.client("stepfunctions", region_name="us-east-1").stop_execution(executionArn=first["executionArn"])
    # When the day is started again, Then its next attempt starts (a failed run never blocks its day)
    again = app.handler({"date": "2026-01-05"}, lambda_context)
    assert again["name"] == daily_execution_name("2026-01-05", 1) and again["status"] == "Started"


def test_a_bad_date_is_invalid_input(
    aws: Any, load_handler: Callable[..., ModuleType], lambda_context: object
) -> None:
    app = load_handler("start_daily")
    with pytest.raises(InvalidInput) as raised:
        app.handler({"date": "2026-02-30"}, lambda_context)
    assert raised.value.field == "date"


def _executions(arn: str) -> dict[str, dict[str, Any]]:
    """name -> input of every execution of the machine `arn`."""
    sfn = boto3.client("stepfunctions", region_name="us-east-1")
    return {
        e["name"]: json.loads(sfn.describe_execution(executionArn=e["executionArn"])["input"])
        for e in sfn.list_executions(stateMachineArn=arn)["executions"]
    }


def test_the_market_schedule_starts_the_whole_market_run_under_its_own_name(
    aws: Any, load_handler: Callable[..., ModuleType], lambda_context: object
) -> None:
    # Given the ingest machine and the day's watchlist run already started
    arn = state_machine("movers-ingest")
    app = load_handler("start_daily", env={**deployed_env("start_daily"), "STATE_MACHINE_ARN": arn})
    watchlist = app.handler({"date": "2026-01-05", "scope": "watchlist"}, lambda_context)
    # When the market schedule's input fires for the same day (twice)
    market = app.handler({"source": "schedule", "scope": "market", "date": "2026-01-05"}, lambda_context)
    again = app.handler({"source": "schedule", "scope": "market", "date": "2026-01-05"}, lambda_context)
    # Then the market run starts once, as daily-market-<date> with the market input, beside the watchlist's
    assert (market["name"], market["status"]) == (
        daily_execution_name("2026-01-05", scope="market"),
        "Started",
    )
    assert again["executionArn"] == market["executionArn"]
    assert watchlist["name"] == daily_execution_name("2026-01-05")
    assert _executions(arn) == {
        daily_execution_name("2026-01-05"): {"date": "2026-01-05"},
        daily_execution_name("2026-01-05", scope="market"): {"date": "2026-01-05", "scope": "market"},
    }


def test_the_market_schedule_without_a_date_runs_today_in_new_york(
    aws: Any, load_handler: Callable[..., ModuleType], lambda_context: object
) -> None:
    arn = state_machine("movers-ingest")
    app = load_handler("start_daily", env={**deployed_env("start_daily"), "STATE_MACHINE_ARN": arn})
    before = dt.datetime.now(NEW_YORK).date().isoformat()
    started = app.handler({"source": "schedule", "scope": "market"}, lambda_context)
    after = dt.datetime.now(NEW_YORK).date().isoformat()
    # Then the run is today's (either side of a midnight the call may straddle), with the market input
    [day] = [d for d in {before, after} if started["name"] == daily_execution_name(d, scope="market")]
    assert _executions(arn) == {started["name"]: {"date": day, "scope": "market"}}


@pytest.mark.parametrize("scope", ["Market", "all", "", None, 1, ["market"]])
def test_a_bad_scope_is_invalid_input_and_starts_nothing(
    scope: object, aws: Any, load_handler: Callable[..., ModuleType], lambda_context: object
) -> None:
    arn = state_machine("movers-ingest")
    app = load_handler("start_daily", env={**deployed_env("start_daily"), "STATE_MACHINE_ARN": arn})
    with pytest.raises(InvalidInput) as raised:
        app.handler({"source": "schedule", "scope": scope, "date": "2026-01-05"}, lambda_context)
    assert raised.value.field == "scope" and "watchlist, market" in str(raised.value)
    assert _executions(arn) == {}
