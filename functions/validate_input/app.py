"""Validate Input: the ingest execution input contract and the session to process.

Input: {"input": <execution input>, "executionName": str}.
Output: {date, isSession, tickers, force, strategy}.
Malformed input raises InvalidInput (the state machine fails with that error name, nothing fetched).
"""

from __future__ import annotations

import datetime as dt
import os
from typing import Any

from stock_movers.domain.inputs import parse_ingest_input, resolve_session
from stock_movers.observability import correlate, logger
from stock_movers.settings import watchlist


@logger.inject_lambda_context(log_event=False)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    correlate(event)
    now = dt.datetime.now(dt.UTC)
    request = parse_ingest_input(event.get("input"), now=now, default_tickers=watchlist())
    day, is_session = resolve_session(request, now)
    logger.info("Run resolved", extra={"date": day.isoformat(), "isSession": is_session})
    return {
        "date": day.isoformat(),
        "isSession": is_session,
        "tickers": list(request.tickers),
        "force": request.force,
        "strategy": os.environ.get("FETCH_STRATEGY", "per_ticker"),
    }
