"""Analyse Ticker: one ticker's volatility, z-score and unusual flag for the day (one Map iteration).

Input: {"ticker", "date", "executionName"}. Output: TickerAnalysis.to_dict() (Decimals as strings, None
figures with their reasons). Reads one bounded DynamoDB Query of the ticker's stored days.
"""

from __future__ import annotations

from typing import Any

from stock_movers.domain.inputs import parse_date, parse_ticker
from stock_movers.observability import correlate, logger
from stock_movers.settings import AnalysisTickerSettings, load
from stock_movers.usecases.analysis import HistoryStore, analyse_ticker_day

settings = load(AnalysisTickerSettings)
_store = HistoryStore(settings.table.name)
_threshold = settings.analysis.unusual_threshold


@logger.inject_lambda_context(log_event=False)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    correlate(event)
    ticker = parse_ticker(event.get("ticker"))
    day = parse_date(event.get("date"))
    result = analyse_ticker_day(_store, ticker, day, threshold=_threshold).to_dict()
    logger.info("Ticker analysed", extra=result)
    return result
