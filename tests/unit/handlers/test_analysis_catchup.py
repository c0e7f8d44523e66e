"""analysis_catchup: over the last N sessions, what to announce again and which analyses to start."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from types import ModuleType
from typing import Any

import boto3
import pytest

from stock_movers.adapters.storage import winner_key
from stock_movers.domain.errors import InvalidInput
from stock_movers.execution_names import catchup_execution_name
from tests.unit.handlers.conftest import TABLE, deployed_env, state_machine


def test_an_empty_window_starts_nothing(
    aws: Any, load_handler: Callable[..., ModuleType], lambda_context: object
) -> None:
    # Given no stored day, When the catch-up runs over 3 sessions up to Friday 2026-01-09
    app = load_handler("analysis_catchup")
    out = app.handler({"date": "2026-01-09", "sessions": 3}, lambda_context)
    # Then it reports its window and did nothing
    assert out["from"] == "2026-01-07" and out["to"] == "2026-01-09"
    assert out["started"] == [] and out["announced"] == [] and not out["announceFailed"]


def test_the_schedule_event_takes_the_configured_window(
    aws: Any, load_handler: Callable[..., ModuleType], lambda_context: object
) -> None:
    app = load_handler("analysis_catchup", env={**deployed_env("analysis_catchup"), "CATCHUP_SESSIONS": "2"})
    out = app.handler({"source": "schedule", "date": "2026-01-09"}, lambda_context)
    assert out["from"] == "2026-01-08"


def test_a_stored_day_without_analysis_is_started_once(
    aws: Any, load_handler: Callable[..., ModuleType], lambda_context: object
) -> None:
    # Given Thursday's winner stored (announced) without its analysis, and the analysis machine
    arn = state_machine("movers-analysis")
    aws["dynamodb"].put_item(TableName=TABLE, Item={
        **winner_key("2026-01-08"), "Ticker": {"S": "AAPL"},
        "PercentChange": {"N": "1.5"}})  # fmt: skip
    env = {**deployed_env("analysis_catchup"), "ANALYSIS_STATE_MACHINE_ARN": arn}
    app = load_handler("analysis_catchup", env=env)
    # When the catch-up runs twice over the week
    out = app.handler({"date": "2026-01-09", "sessions": 3}, lambda_context)
    again = app.handler({"date": "2026-01-09", "sessions": 3}, lambda_context)
    # Then its analysis was started, once: the repeat's start (same name and input while it runs) is
    # StartExecution's idempotent answer, not a second execution
    assert out["started"] == ["2026-01-08"] and out["announced"] == []
    assert again["started"] + again["alreadyStarted"] == ["2026-01-08"]
    sfn = boto3.client("stepfunctions", region_name="us-east-1")
    assert [e["name"] for e in sfn.list_executions(stateMachineArn=arn)["executions"]] == [
        catchup_execution_name(dt.date(2026, 1, 9), dt.date(2026, 1, 8))
    ]


@pytest.mark.parametrize(("event", "field"), [({"sessions": 0}, "sessions"), ({"date": "x"}, "date")])
def test_bad_input_names_the_field(
    aws: Any,
    load_handler: Callable[..., ModuleType],
    lambda_context: object,
    event: dict[str, Any],
    field: str,
) -> None:
    app = load_handler("analysis_catchup")
    with pytest.raises(InvalidInput) as raised:
        app.handler(event, lambda_context)
    assert raised.value.field == field
