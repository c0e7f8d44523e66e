"""Fetch Range: one ticker's bars for a backfill's whole span in one provider call (shared rate limiter).

Input `{"ticker", "from", "to", "executionName", "slot"?}`. Output `{"status": "Fetched", "ticker",
"provider", "barsKey", "rawKeys", "bars"}` (the bars themselves stay in S3), or, when the shared limiter has
no slot within the in-function wait, `{"status": "Wait", "waitSeconds", "waitingSince"}` for the state
machine's Wait loop (past the wait budget `{"status": "RateLimited"}`). Idempotent by provider, ticker, span
and execution (Powertools idempotency in the control table), so a retry or a redrive spends no quota twice
while a new backfill asks afresh. Provider faults surface as their error names (RateLimited for a provider
429, ProviderUnavailable, NoData, ...) for the state machine's Retry/Catch.
"""

from __future__ import annotations

from typing import Any

from stock_movers.adapters.ratelimiter import SlotUnavailable
from stock_movers.domain.errors import InvalidInput
from stock_movers.domain.inputs import parse_date, parse_ticker
from stock_movers.observability import correlate, logger, metrics
from stock_movers.settings import load
from stock_movers.settings.functions import FetchSettings
from stock_movers.usecases.fetch_range import fetch_range
from stock_movers.usecases.wiring import LazyIdempotent, invocation, provider_context, wait_answer

settings = load(FetchSettings)
_idempotency = LazyIdempotent("[provider, ticker, start, end, execution]", settings)


@_idempotency
def _fetch_once(request: dict[str, str]) -> dict[str, Any]:
    ctx = provider_context(settings)
    return fetch_range(
        ctx, request["ticker"], parse_date(request["start"], "from"), parse_date(request["end"], "to")
    )


@metrics.log_metrics
@logger.inject_lambda_context(log_event=False)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    correlate(event)
    _idempotency.register_lambda_context(context)
    invocation(context)
    ticker = parse_ticker(event.get("ticker"))
    start, end = parse_date(event.get("from"), "from"), parse_date(event.get("to"), "to")
    if start > end:
        raise InvalidInput("from", f"{start.isoformat()} is after to {end.isoformat()}")
    request = {
        "provider": settings.provider.name,
        "ticker": ticker,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "execution": str(event.get("executionName") or "manual"),
    }
    try:
        result = _fetch_once(request=request)
    except SlotUnavailable as exc:
        return wait_answer(exc, event, settings)
    logger.info("Range fetched", extra={**request, "bars": result["bars"]})
    return {"status": "Fetched", **result}
