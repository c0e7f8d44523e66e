"""Start Daily: the schedule's target. Starts the ingest execution `daily-<today ET>` for today's session.

EventBridge Scheduler cannot derive an execution name from the date (names allow no ':'), so this small
function does: today's date in America/New_York, input {"date": today}. A repeated start for the same day
is harmless (Standard workflows refuse a second `daily-<date>` with other input and return the same one
with the same input). Non-session days end in the state machine as MarketClosed, visible in the console.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from typing import Any

from stock_movers.adapters.aws import client
from stock_movers.domain.calendar import NEW_YORK
from stock_movers.domain.inputs import parse_date
from stock_movers.observability import logger


@logger.inject_lambda_context(log_event=True)
def handler(event: dict[str, Any], context: Any) -> dict[str, str]:
    # The schedule sends {"source": "schedule"}; firing it by hand may name the session ({"date": ...}).
    requested = event.get("date") if isinstance(event, dict) else None
    today = parse_date(requested).isoformat() if requested else dt.datetime.now(NEW_YORK).date().isoformat()
    name = f"daily-{today}"
    sfn = client("stepfunctions")
    try:
        arn = sfn.start_execution(
            stateMachineArn=os.environ["STATE_MACHINE_ARN"], name=name, input=json.dumps({"date": today})
        )["executionArn"]
    except sfn.exceptions.ExecutionAlreadyExists:
        logger.info("Daily run already started", extra={"execution": name})
        return {"name": name, "status": "AlreadyStarted"}
    logger.info("Daily run started", extra={"execution": name, "executionArn": arn})
    return {"name": name, "status": "Started", "executionArn": arn}
