"""Start Daily: the schedules' target. Starts the ingest execution `daily-<today ET>` for today's session,
or with `"scope": "market"` in the event (the whole-market schedule) `daily-market-<today ET>`.

EventBridge Scheduler cannot derive an execution name from the date (names allow no ':'), so this small
function does: today's date in America/New_York, input {"date": today} (the watchlist's run) or
{"date": today, "scope": "market"} (the whole market's). A repeated start for the same day attaches to the
running attempt or reports the one that succeeded; after an attempt that failed, timed out or was aborted it
starts the next one, `daily-<date>-retry-<n>` (stock_movers.usecases.daily), so a failed run never blocks
its day. A scope other than watchlist or market is InvalidInput("scope"), before anything is started.
Non-session days end in the state machine as MarketClosed, visible in the console.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from stock_movers.adapters.aws import client
from stock_movers.domain.calendar import NEW_YORK
from stock_movers.domain.inputs import MARKET_SCOPE, WATCHLIST_SCOPE, parse_date, parse_scope
from stock_movers.observability import logger
from stock_movers.settings import load
from stock_movers.settings.functions import StartDailySettings
from stock_movers.usecases.daily import start_daily_run

settings = load(StartDailySettings)


@logger.inject_lambda_context(log_event=True)
def handler(event: dict[str, Any], context: Any) -> dict[str, str]:
    # The schedules send {"source": "schedule"} (the watchlist) or {"source": "schedule", "scope": "market"};
    # firing one by hand may name the session ({"date": ...}).
    fields = event if isinstance(event, dict) else {}
    requested = fields.get("date")
    scope = parse_scope(fields["scope"]) if "scope" in fields else WATCHLIST_SCOPE
    today = parse_date(requested).isoformat() if requested else dt.datetime.now(NEW_YORK).date().isoformat()
    # The watchlist's input stays {"date"} (as `movers run` starts it: a repeat must carry the same input).
    payload = {"date": today, "scope": MARKET_SCOPE} if scope == MARKET_SCOPE else {"date": today}
    started = start_daily_run(client("stepfunctions"), settings.ingest.arn, today, payload)
    status = {"Started": "Started", "AlreadyRunning": "AlreadyStarted", "AlreadySucceeded": "AlreadyStarted"}
    extra = {
        "scope": scope,
        "execution": started.name,
        "executionArn": started.execution_arn,
        "failedAttempts": started.failed,
    }
    logger.info(f"Daily run: {started.status}", extra=extra)
    return {"name": started.name, "status": status[started.status], "executionArn": started.execution_arn}
