"""Validate Input: the ingest execution input contract, the session to process, and whether the configured
provider can serve the run.

Input: {"input": <execution input>, "executionName": str}.
Output: {date, isSession, tickers, force, strategy, scope, providers, providerCount}: `providers` names
the run's providers in failover order (MARKET_PROVIDER, then FAILOVER_PROVIDER_NAMES), which the state machine
tries in turn for a ticker whose fetch failed with ProviderUnavailable or PlanLimitError after its retries; a
whole-market run (scope "market") has no tickers and always the snapshot strategy.
An input naming more than MAX_TICKERS tickers (Terraform's max_tickers, default 500) is InvalidInput too.
The configured watchlist object is read (once per container) only by a run that takes it, the watchlist
scope without tickers; a bad object is then InvalidWatchlist. A market run never reads it.
Malformed input raises InvalidInput; a fetch strategy the provider (MARKET_PROVIDER) does not serve raises
UnsupportedStrategy, the market scope with a provider without a one-call session snapshot UnsupportedScope,
a session older than the provider reaches UnsupportedHistory, more tickers than the plan's daily calls (one
call each; a snapshot is one call) UnsupportedWatchlist. The state machine fails
with that error name before anything is fetched, written or any rate-limit slot is taken.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from stock_movers.adapters.watchlist import WatchlistSource
from stock_movers.domain.inputs import MARKET_SCOPE, parse_ingest_input, resolve_session
from stock_movers.observability import correlate, logger
from stock_movers.providers.capabilities import check_daily_run
from stock_movers.settings import load
from stock_movers.settings.functions import ValidateInputSettings

settings = load(ValidateInputSettings)
_watchlist = WatchlistSource(settings.watchlist.bucket, settings.watchlist.key, settings.watchlist.version)


@logger.inject_lambda_context(log_event=False)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    correlate(event)
    now = dt.datetime.now(dt.UTC)
    request = parse_ingest_input(
        event.get("input"),
        now=now,
        default_tickers=_watchlist.tickers,  # read only by a watchlist run without tickers
        max_tickers=settings.run_size.max_tickers,
    )
    day, is_session = resolve_session(request, now)
    strategy = "snapshot" if request.scope == MARKET_SCOPE else settings.strategy.name
    provider = settings.provider
    check_daily_run(
        provider.name, strategy, day, is_session, now,
        tickers=len(request.tickers), daily_calls=provider.daily_calls, scope=request.scope,
    )  # fmt: skip
    providers = [settings.provider.name, *settings.failover.names]
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
        "providers": providers,
        "providerCount": len(providers),
    }
