"""Pure shaping of an audit record from a Step Functions "Execution Status Change" event (no AWS calls).

The record is kept (no TTL) in the main table under the key stock_movers.adapters.storage.audit_key builds:
the day the execution stopped (in America/New_York, the pipeline's calendar), then "<stop time UTC
ISO>#<execution name>", so one Query lists a day's executions in stop order. Input, output and cause are
truncated so an item stays far below DynamoDB's 400 KB limit; nothing here can hold the API key (execution
input/output never carry it).
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from stock_movers.adapters.storage import audit_key

NEW_YORK = ZoneInfo("America/New_York")
TERMINAL = frozenset({"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"})
MAX_TEXT = 4096  # characters kept of input, output and cause


class NotAStatusChange(ValueError):
    """The event is not a terminal Step Functions execution status change."""


def _ms(value: Any, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal) or value < 0:
        raise NotAStatusChange(f"detail.{field} must be epoch milliseconds, got {str(value)[:40]!r}")
    return int(value)


def _text(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 14] + "...[truncated]"


def _json(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def counts_of(input_value: Any, output_value: Any) -> dict[str, int]:
    """Numbers worth querying: tickers requested, and each top-level number or list size of the output."""
    counts: dict[str, int] = {}
    if isinstance(input_value, dict) and isinstance(input_value.get("tickers"), list):
        counts["inputTickers"] = len(input_value["tickers"])
    if isinstance(output_value, dict):
        for key, value in output_value.items():
            if isinstance(value, bool):
                continue
            if isinstance(value, int):
                counts[key] = value
            elif isinstance(value, list):
                counts[key] = len(value)
    return counts


def outcome_of(status: str, output_value: Any, error: str | None) -> str:
    """A succeeded run reports its summary status (Stored, AlreadyStored, ...); others their error."""
    if status == "SUCCEEDED":
        if isinstance(output_value, dict) and isinstance(output_value.get("status"), str):
            return output_value["status"]
        return "Succeeded"
    return error or status


def audit_item(event: dict[str, Any]) -> dict[str, Any]:
    """The DynamoDB item (low-level attribute values) recording one finished execution."""
    if (
        event.get("source") != "aws.states"
        or event.get("detail-type") != "Step Functions Execution Status Change"
    ):
        raise NotAStatusChange("not a Step Functions Execution Status Change event")
    detail = event.get("detail")
    if not isinstance(detail, dict):
        raise NotAStatusChange("event has no detail object")
    status = detail.get("status")
    if status not in TERMINAL:
        raise NotAStatusChange(f"status {str(status)[:20]!r} is not terminal")
    name, arn = detail.get("name"), detail.get("executionArn")
    if not isinstance(name, str) or not isinstance(arn, str):
        raise NotAStatusChange("detail.name and detail.executionArn are required")
    started = _ms(detail.get("startDate"), "startDate")
    stopped = _ms(detail.get("stopDate"), "stopDate")
    stop_time = dt.datetime.fromtimestamp(stopped / 1000, tz=dt.UTC)
    start_time = dt.datetime.fromtimestamp(started / 1000, tz=dt.UTC)
    input_value, output_value = _json(detail.get("input")), _json(detail.get("output"))
    error, cause = detail.get("error"), detail.get("cause")
    machine_arn = str(detail.get("stateMachineArn") or "")
    item: dict[str, Any] = {
        **audit_key(
            stop_time.astimezone(NEW_YORK).date(),
            stop_time.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            name,
        ),
        "ExecutionName": {"S": name},
        "ExecutionArn": {"S": arn},
        "StateMachineArn": {"S": machine_arn},
        "StateMachine": {"S": machine_arn.rsplit(":", 1)[-1]},
        "Status": {"S": status},
        "Outcome": {"S": outcome_of(status, output_value, error if isinstance(error, str) else None)},
        "StartedAt": {"S": start_time.isoformat(timespec="milliseconds").replace("+00:00", "Z")},
        "StoppedAt": {"S": stop_time.isoformat(timespec="milliseconds").replace("+00:00", "Z")},
        "DurationMs": {"N": str(max(0, stopped - started))},
        "Input": {"S": _text(detail.get("input") if detail.get("input") is not None else "null")},
        "Counts": {"M": {k: {"N": str(v)} for k, v in sorted(counts_of(input_value, output_value).items())}},
        "EventId": {"S": str(event.get("id", ""))},
    }
    if detail.get("output") is not None:
        item["Output"] = {"S": _text(detail["output"])}
    if isinstance(error, str) and error:
        item["Error"] = {"S": error[:256]}
    if isinstance(cause, str) and cause:
        item["Cause"] = {"S": _text(cause)}
    return item
