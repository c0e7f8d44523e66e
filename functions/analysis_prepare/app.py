"""Prepare Analysis: the daily-analysis execution input contract, resolved to the day and its batch plan.

Input: {"input": <execution input>, "executionName": str}; the execution input is {"date"?, "tickers"?,
"force"?} or the MoverStored EventBridge event. Output: {"date", "tickers" (how many), "batches":
[{"batch": i, "tickers": [...]}], "force"}: the tickers cut into batches of ANALYSIS_BATCH_SIZE, one
Analyse Tickers iteration each. Bad input raises InvalidInput.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from stock_movers.adapters.watchlist import WatchlistSource
from stock_movers.observability import correlate, logger
from stock_movers.settings import load
from stock_movers.settings.functions import AnalysisPrepareSettings
from stock_movers.usecases.analysis import parse_analysis_input, plan_batches

settings = load(AnalysisPrepareSettings)
_watchlist = WatchlistSource(settings.watchlist.bucket, settings.watchlist.key, settings.watchlist.version)
_batch_size = settings.batches.size


@logger.inject_lambda_context(log_event=False)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    correlate(event)
    request = parse_analysis_input(
        event.get("input"), now=dt.datetime.now(dt.UTC), default_tickers=_watchlist.tickers
    )
    batches = plan_batches(request.tickers, _batch_size)
    logger.info(
        "Analysis resolved",
        extra={"date": request.date.isoformat(), "tickers": len(request.tickers), "batches": len(batches)},
    )
    return {
        "date": request.date.isoformat(),
        "tickers": len(request.tickers),
        "batches": batches,
        "force": request.force,
    }
