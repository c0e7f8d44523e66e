"""start_daily: starts `daily-<date>` on the ingest machine once; a repeat attaches to it."""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any

import boto3
import pytest

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
