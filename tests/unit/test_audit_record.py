"""The audit record shaped from a Step Functions status-change event (functions/audit_record/audit.py)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import pytest

_SPEC = importlib.util.spec_from_file_location(
    "audit_record_audit", Path(__file__).resolve().parents[2] / "functions" / "audit_record" / "audit.py"
)
assert _SPEC and _SPEC.loader
audit = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(audit)

ARN = "arn:aws:states:us-east-1:123456789012:execution:stock-movers-dev-ingest:daily-2026-11-20"


def _event(**detail: Any) -> dict[str, Any]:
    base = {
        "executionArn": ARN,
        "stateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:stock-movers-dev-ingest",
        "name": "daily-2026-11-20",
        "status": "SUCCEEDED",
        "startDate": 1763672400000,  # 2025-11-20T21:00:00Z
        "stopDate": 1763672412345,
        "input": json.dumps({"date": "2026-11-20", "tickers": ["AAPL", "MSFT"]}),
        "output": json.dumps({"status": "Stored", "date": "2026-11-20", "winner": {"ticker": "AAPL"}}),
        "error": None,
        "cause": None,
    }
    base.update(detail)
    return {
        "id": "e1",
        "source": "aws.states",
        "detail-type": "Step Functions Execution Status Change",
        "detail": base,
    }


def test_a_succeeded_execution_is_recorded_under_its_new_york_stop_day() -> None:
    # Given a SUCCEEDED event that stopped at 21:00:12Z (16:00 in New York), When shaped
    item = audit.audit_item(_event())
    # Then it is keyed by the New York day and stop time, with outcome, duration and counts
    assert item["pk"] == {"S": "AUDIT#2025-11-20"}
    assert item["sk"] == {"S": "2025-11-20T21:00:12.345Z#daily-2026-11-20"}
    assert (item["Status"]["S"], item["Outcome"]["S"]) == ("SUCCEEDED", "Stored")
    assert item["DurationMs"] == {"N": "12345"}
    assert item["Counts"] == {"M": {"inputTickers": {"N": "2"}}}
    assert item["StateMachine"] == {"S": "stock-movers-dev-ingest"}
    assert "Error" not in item and json.loads(item["Output"]["S"])["status"] == "Stored"


def test_a_late_utc_stop_belongs_to_the_previous_new_york_day() -> None:
    # Given a stop at 02:00Z (21:00 the day before in New York), Then the partition is that earlier day
    item = audit.audit_item(_event(startDate=1763690400000, stopDate=1763690400000))
    assert item["pk"] == {"S": "AUDIT#2025-11-20"}


def test_a_failed_execution_records_its_error_and_a_truncated_cause() -> None:
    item = audit.audit_item(
        _event(status="FAILED", output=None, error="MalformedResponse", cause="x" * 10000)
    )
    assert (item["Status"]["S"], item["Outcome"]["S"], item["Error"]["S"]) == (
        "FAILED",
        "MalformedResponse",
        "MalformedResponse",
    )
    assert len(item["Cause"]["S"]) == audit.MAX_TEXT and item["Cause"]["S"].endswith("[truncated]")
    assert "Output" not in item


@pytest.mark.parametrize(
    "event",
    [
        {"source": "aws.states", "detail-type": "Other", "detail": {}},
        _event(status="RUNNING", stopDate=None),
        _event(stopDate="soon"),
        _event(name=None),
        {"source": "aws.states", "detail-type": "Step Functions Execution Status Change", "detail": "x"},
    ],
)
def test_anything_but_a_terminal_status_change_is_refused_by_name(event: dict[str, Any]) -> None:
    with pytest.raises(audit.NotAStatusChange):
        audit.audit_item(event)
