"""audit_record: a finished execution's status-change event kept as one record in the main table."""

from __future__ import annotations

import json
from collections.abc import Callable
from types import ModuleType
from typing import Any

import pytest

from stock_movers.execution_names import daily_execution_name
from tests.unit.handlers.conftest import TABLE

NAME = daily_execution_name("2026-01-05")
ARN = f"arn:aws:states:us-east-1:123456789012:execution:movers-ingest:{NAME}"


def event(status: str = "SUCCEEDED") -> dict[str, Any]:
    return {
        "source": "aws.states",
        "detail-type": "Step Functions Execution Status Change",
        "detail": {
            "executionArn": ARN,
            "name": NAME,
            "status": status,
            "stateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:movers-ingest",
            "startDate": 1767646800000,
            "stopDate": 1767646812345,
            "input": json.dumps({"date": "2026-01-05"}),
            "output": json.dumps({"status": "Stored"}),
            "error": None,
            "cause": None,
        },
    }


def test_a_finished_run_is_recorded(
    aws: Any, load_handler: Callable[..., ModuleType], lambda_context: object
) -> None:
    app = load_handler("audit_record")
    out = app.handler(event(), lambda_context)
    [item] = aws["dynamodb"].scan(TableName=TABLE)["Items"]
    assert (item["pk"]["S"], item["sk"]["S"]) == (out["pk"], out["sk"])
    assert item["Status"]["S"] == "SUCCEEDED"


def test_a_running_status_is_refused_by_name(
    aws: Any, load_handler: Callable[..., ModuleType], lambda_context: object
) -> None:
    app = load_handler("audit_record")
    with pytest.raises(ValueError, match="not terminal") as raised:
        app.handler(event("RUNNING"), lambda_context)
    assert type(raised.value).__name__ == "NotAStatusChange"
    assert aws["dynamodb"].scan(TableName=TABLE)["Items"] == []
