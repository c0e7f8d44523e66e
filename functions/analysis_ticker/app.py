"""Analyse Tickers (one Map iteration): a batch of tickers' volatility, z-score and unusual flag for the day.

Input: {"date", "batch", "tickers": [...], "executionName"} (Prepare Analysis's plan). Each ticker's figures
come from `analyse_ticker_day` (one bounded DynamoDB Query of its stored days); the batch's figures go to
its work object `work/analysis/<execution>/<batch>.json`, and the answer is only {"batch", "key", "tickers",
"partial", "unusual"}, so the state stays small however long the list. Bad input raises InvalidInput.
"""

from __future__ import annotations

from typing import Any

from stock_movers.adapters.storage import RawStore
from stock_movers.observability import correlate, logger
from stock_movers.settings import load
from stock_movers.settings.functions import AnalysisTickerSettings
from stock_movers.usecases.analysis import HistoryStore, analyse_batch, parse_batch_input

settings = load(AnalysisTickerSettings)
_store = HistoryStore(settings.table.name)
_objects = RawStore(settings.bucket.name)
_threshold = settings.analysis.unusual_threshold


@logger.inject_lambda_context(log_event=False)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    correlate(event)
    request = parse_batch_input(event)
    result = analyse_batch(_store, _objects, request, threshold=_threshold)
    logger.info("Batch analysed", extra=result)
    return result
