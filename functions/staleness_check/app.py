"""Staleness Check: is the winner of the latest completed session stored? (EventBridge Scheduler target.)

Runs on weekdays at a configured hour in America/New_York. It looks up the latest completed NYSE session
(stock_movers.domain.calendar) and that day's winner item, and emits the metric `WinnerMissing` (1 when the
item is absent, else 0; namespace StockMovers, dimension service) that the staleness alarm watches.
Input: {} or {"now": "<ISO-8601 aware datetime>"} (the latter for drills and tests).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from stock_movers.adapters.aws import client
from stock_movers.adapters.storage import ItemStore
from stock_movers.domain.calendar import latest_completed_session
from stock_movers.observability import logger, metrics
from stock_movers.settings import load
from stock_movers.settings.functions import TableOnlySettings

settings = load(TableOnlySettings)
_TABLE = settings.table.name


class BadNow(ValueError):
    """`now` in the input is not an aware ISO-8601 datetime."""


def _now(event: Any) -> dt.datetime:
    raw = event.get("now") if isinstance(event, dict) else None
    if raw is None:
        return dt.datetime.now(dt.UTC)
    try:
        now = dt.datetime.fromisoformat(str(raw))
    except ValueError:
        raise BadNow(f"now must be an ISO-8601 datetime, got {str(raw)[:40]!r}") from None
    if now.tzinfo is None:
        raise BadNow("now must carry a UTC offset")
    return now


@metrics.log_metrics
@logger.inject_lambda_context(log_event=False)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    session = latest_completed_session(_now(event)).isoformat()
    stored = ItemStore(_TABLE, client("dynamodb")).winner(session, attributes="pk, Ticker") is not None
    metrics.add_metric(name="WinnerMissing", unit=MetricUnit.Count, value=0 if stored else 1)
    if stored:
        logger.info("Winner stored for the latest session", extra={"date": session})
    else:
        logger.warning("No winner stored for the latest completed session", extra={"date": session})
    return {"date": session, "stored": stored}
