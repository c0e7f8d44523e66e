"""Validate Input: the ingest execution input contract, the session to process, and whether the configured
provider can serve the run.

Input: {"input": <execution input>, "executionName": str}.
Output: {date, isSession, tickers, force, strategy, scope}; a whole-market run (scope "market") has no
tickers and always the snapshot strategy.
Malformed input raises InvalidInput; a fetch strategy the provider (MARKET_PROVIDER) does not serve raises
UnsupportedStrategy, the market scope with a provider without a one-call session snapshot UnsupportedScope,
a session older than the provider reaches UnsupportedHistory. The state machine fails
with that error name before anything is fetched, written or any rate-limit slot is taken.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from stock_movers.adapters.watchlist import WatchlistSource
from stock_movers.domain.inputs import MARKET_SCOPE, parse_ingest_input, resolve_session
from stock_movers.observability import correlate, logger
from stock_movers.providers.capabilities import check_daily_run
from stock_movers.settings import ValidateInputSettings, load

settings = load(ValidateInputSettings)
_watchlist = WatchlistSource(settings.watchlist.bucket, settings.watchlist.key, settings.watchlist.version)


@logger.inject_lambda_context(log_event=False)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    correlate(event)
    now = dt.datetime.now(dt.UTC)
    request = parse_ingest_input(event.get("input"), now=now, default_tickers=_watchlist.tickers())
    day, is_session = resolve_session(request, now)
    strategy = "snapshot" if request.scope == MARKET_SCOPE else settings.strategy.name
    check_daily_run(settings.provider.name, strategy, day, is_session, now, request.scope)
    logger.info(
        "Run resolved", extra={"date": day.isoformat(), "isSession": is_session, "scope": request.scope}
    )
    return {
        "date": day.isoformat(),
        "isSession": is_session,
        "tickers": list(request.tickers),
        "force": request.force,
        "strategy": strategy,
        "scope": request.scope,
    }
