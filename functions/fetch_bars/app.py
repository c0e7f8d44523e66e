"""Fetch Bars: one ticker's session bar (or, with mode=snapshot, the whole session) via the shared limiter.

Input: {"ticker", "date", "snapshotKey"?, "executionName"} or {"mode": "snapshot", "date", "tickers",
"executionName"}. Provider faults surface as their error names (RateLimited, ProviderUnavailable, ...), which
the state machine retries or fails on. Per-ticker fetches are idempotent by provider, ticker and date, so a
retry or a redrive never spends quota twice.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from stock_movers.domain.inputs import parse_date, parse_ticker
from stock_movers.observability import correlate, logger, metrics
from stock_movers.settings import pipeline_settings
from stock_movers.usecases.fetch import fetch_snapshot, fetch_ticker
from stock_movers.usecases.wiring import LazyIdempotent, provider_context

_settings = pipeline_settings()
_idempotency = LazyIdempotent("[provider, ticker, date]")


@_idempotency
def _fetch_once(request: dict[str, str]) -> dict[str, Any]:
    ctx = provider_context()
    result = fetch_ticker(ctx, request["ticker"], parse_date(request["date"]), request.get("snapshotKey", ""))
    metrics.add_metric(name="TickersFetched", unit=MetricUnit.Count, value=1)
    return result


@metrics.log_metrics
@logger.inject_lambda_context(log_event=False)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    correlate(event)
    _idempotency.register_lambda_context(context)
    day = parse_date(event.get("date"))
    if event.get("mode") == "snapshot":
        tickers = [parse_ticker(t, "tickers") for t in event.get("tickers") or []]
        ctx = provider_context()
        out = fetch_snapshot(ctx, day, tickers, str(event.get("executionName", "manual")))
        logger.info("Session snapshot stored", extra={"date": day.isoformat(), "key": out["key"]})
        return out
    ticker = parse_ticker(event.get("ticker"))
    request = {
        "provider": _settings.provider,
        "ticker": ticker,
        "date": day.isoformat(),
        "snapshotKey": str(event.get("snapshotKey") or ""),
    }
    result = _fetch_once(request=request)
    logger.info("Bar fetched", extra={"ticker": ticker, "date": day.isoformat(), "source": result["source"]})
    return result
