"""Fetch Bars: one ticker's session bar (or, with mode=snapshot, the whole session) via the shared limiter.

Input: {"ticker", "date", "executionName", "slot"?, "source"?} or {"mode": "snapshot", "date", "tickers",
"executionName", "slot"?}, or, for a whole-market run, {"mode": "snapshot", "scope": "market", "date",
"executionName", "slot"?} (every row of the session to one work object; the answer is its key and row
count). Output `{"status": "Fetched", ...}` (a ticker's bar also goes to the run's work
object `bar_work_key`; a snapshot answers its work object's key and the tickers it lacks), or, when the shared
limiter has no slot within the in-function wait, `{"status": "Wait", "waitSeconds", "waitingSince"}` for the
state machine's Wait loop (past the wait budget `{"status": "RateLimited"}`): waiting for the quota is not an
error. Provider faults surface as their error names (RateLimited for a provider 429, ProviderUnavailable,
...), which the state machine retries or fails on. Per-ticker fetches are idempotent by provider, ticker, date
and execution: a retry or a redrive of one execution never spends quota twice, and every new run (a plain
re-run or a forced one) asks the provider afresh, so a bar the day's validation refused is never served again
from a cache.

`source` picks the provider: 0 (the default) is the primary (MARKET_PROVIDER), 1, 2, ... the failover
providers in FAILOVER_PROVIDERS' order, each with its own key's secret and plan. The state machine decides
when to fail over (a Catch on ProviderUnavailable / PlanLimitError after the primary's retries); the answer
and the bar's work object name the provider that served the bar.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from stock_movers.adapters.ratelimiter import SlotUnavailable
from stock_movers.domain.errors import InvalidInput
from stock_movers.domain.inputs import parse_date, parse_execution_name, parse_ticker
from stock_movers.observability import correlate, logger, metrics
from stock_movers.settings import load
from stock_movers.settings.functions import FetchBarsSettings
from stock_movers.usecases.fetch import fetch_market_snapshot, fetch_snapshot, fetch_ticker
from stock_movers.usecases.wiring import (
    LazyIdempotent,
    invocation,
    provider_context,
    source_of,
    wait_answer,
)

settings = load(FetchBarsSettings)
_idempotency = LazyIdempotent("[provider, ticker, date, execution]", settings)


def _source(event: dict[str, Any]) -> int:
    """The provider index the state machine asks for (absent: the primary)."""
    raw = event.get("source", 0)
    if isinstance(raw, bool) or not isinstance(raw, int) or raw < 0:
        raise InvalidInput("source", f"must be a whole number >= 0, got {str(raw)[:20]!r}")
    return raw


@_idempotency
def _fetch_once(request: dict[str, Any]) -> dict[str, Any]:
    ctx = provider_context(settings, int(request.get("source", 0)))
    result = fetch_ticker(ctx, request["ticker"], parse_date(request["date"]), request["execution"])
    metrics.add_metric(name="TickersFetched", unit=MetricUnit.Count, value=1)
    return result


@metrics.log_metrics
@logger.inject_lambda_context(log_event=False)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    correlate(event)
    _idempotency.register_lambda_context(context)
    invocation(context)
    day = parse_date(event.get("date"))
    execution = parse_execution_name(event.get("executionName") or "manual")
    try:
        if event.get("mode") == "snapshot" and event.get("scope") == "market":
            out = fetch_market_snapshot(provider_context(settings), day, execution)
            logger.info("Market snapshot stored", extra={"date": day.isoformat(), **out})
            return {"status": "Fetched", **out}
        if event.get("mode") == "snapshot":
            tickers = [parse_ticker(t, "tickers") for t in event.get("tickers") or []]
            out = fetch_snapshot(provider_context(settings), day, tickers, execution)
            logger.info("Session snapshot stored", extra={"date": day.isoformat(), "key": out["key"]})
            return {"status": "Fetched", **out}
        ticker = parse_ticker(event.get("ticker"))
        index = _source(event)
        source = source_of(settings, index)
        if index:
            logger.info("Failing over", extra={"ticker": ticker, "source": index, "provider": source.name})
        request = {
            # the primary's records keep their key; a failover provider's are its own (name and position)
            "provider": source.name if index == 0 else f"{source.name}#{index}",
            "source": index,
            "ticker": ticker,
            "date": day.isoformat(),
            "execution": execution,
        }
        result = _fetch_once(request=request)
    except SlotUnavailable as exc:
        return wait_answer(exc, event, settings)
    logger.info("Bar fetched", extra={"ticker": ticker, "date": day.isoformat(), "source": result["source"]})
    return {"status": "Fetched", **result}
