"""Analyse Ticker: one ticker's volatility, z-score and unusual flag for the day (one Map iteration).

Input: {"ticker", "date", "executionName"}. Output: TickerAnalysis.to_dict() (Decimals as strings, None
figures with their reasons). Reads one bounded DynamoDB Query of the ticker's stored days.
"""

from __future__ import annotations

import os
from typing import Any

from stock_movers.domain.inputs import parse_date, parse_ticker
from stock_movers.observability import correlate, logger
from stock_movers.settings import SettingsError
from stock_movers.usecases.analysis import HistoryStore, analyse_ticker_day, parse_threshold

_table = os.environ.get("TABLE_NAME", "")
if not _table:
    raise SettingsError("environment variable TABLE_NAME is required")
_store = HistoryStore(_table)
_threshold = parse_threshold(os.environ.get("UNUSUAL_THRESHOLD"))


@logger.inject_lambda_context(log_event=False)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    correlate(event)
    ticker = parse_ticker(event.get("ticker"))
    day = parse_date(event.get("date"))
    result = analyse_ticker_day(_store, ticker, day, threshold=_threshold).to_dict()
    logger.info("Ticker analysed", extra=result)
    return result
